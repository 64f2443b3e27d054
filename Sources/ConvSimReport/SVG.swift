import Foundation

/// A figure: its SVG and the data it plots as CSV (written beside it, so that any figure can
/// be re-plotted with another tool).
public struct Figure: Sendable, Equatable {
    public var svg: String
    public var csv: String
}

/// Small, dependency-free SVG figures for the Markdown reports: histograms, line charts,
/// spectra and heatmaps. Deterministic (fixed number formatting, no timestamps): the same data
/// give the same bytes. Plain SVG 1.1 (no scripts, no external fonts), so it renders on GitHub
/// and through librsvg (the tests render every kind to PNG).
///
/// Conventions, for figures fit for a paper: axis ranges that contain all the data, on "nice"
/// ticks (1, 2 or 5 × 10ᵏ, labels with as many decimals as the step needs); legends outside the
/// plotted area; the Okabe–Ito colour-blind-safe palette with a distinct dash pattern per
/// series; reference lines (zero, a bound, a threshold) labelled; heatmaps with a colour bar and
/// row/column indices. The size is `SVG.style` (`--figure-size`).
public enum SVG {
    /// Figure size in pixels and font size (the same for every figure of a run).
    public struct Style: Sendable, Equatable {
        public var width: Double, height: Double, fontSize: Double
        public init(width: Double = 720, height: Double = 405, fontSize: Double = 13) {
            self.width = width; self.height = height; self.fontSize = fontSize
        }
    }
    private static let lock = NSLock()
    nonisolated(unsafe) private static var current = Style()
    /// The style of the figures drawn from now on.
    public static var style: Style {
        get { lock.lock(); defer { lock.unlock() }; return current }
        set { lock.lock(); current = newValue; lock.unlock() }
    }

    /// Okabe & Ito (2008), distinguishable with every common colour-vision deficiency.
    public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    /// One dash pattern per series, so lines differ without colour too.
    static let dashes = ["", "7 3", "2 3", "9 3 2 3", "1 2", "12 4", "4 2 1 2", "6 6"]

    /// A labelled reference line: vertical at `x = value` or horizontal at `y = value`.
    public struct Reference: Sendable {
        public var value: Double, label: String, vertical: Bool
        public static func x(_ v: Double, _ label: String) -> Reference { Reference(value: v, label: label, vertical: true) }
        public static func y(_ v: Double, _ label: String) -> Reference { Reference(value: v, label: label, vertical: false) }
    }

    // MARK: - Formatting

    /// Fixed-precision number formatting for coordinates.
    static func f(_ x: Double) -> String {
        let s = String(format: "%.2f", x)
        return s == "-0.00" ? "0.00" : s
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A CSV field (quoted when it holds a comma, a quote or a line break).
    static func csvField(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// A value in a CSV file: shortest round-trip form, empty for a non-finite value.
    static func csvNumber(_ x: Double) -> String { x.isFinite ? "\(x)" : "" }

    // MARK: - Nice scales

    /// Axis range and ticks on 1-2-5 steps covering `[lo, hi]` (widened when empty or degenerate).
    public static func niceTicks(_ lo: Double, _ hi: Double, maxTicks: Int = 6) -> (lo: Double, hi: Double, step: Double, ticks: [Double]) {
        var lo = lo.isFinite ? lo : 0, hi = hi.isFinite ? hi : 1
        if lo > hi { swap(&lo, &hi) }
        if hi - lo <= max(abs(lo), abs(hi)) * 1e-12 || hi == lo {
            let pad = lo == 0 ? 1 : abs(lo) * 0.05
            lo -= pad; hi += pad
        }
        let raw = (hi - lo) / Double(max(maxTicks - 1, 1))
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw * (1 - 1e-9) } ?? 10 * mag
        var nlo = floor(lo / step) * step
        if nlo > lo { nlo -= step }
        var n = max(1, Int(ceil((hi - nlo) / step - 1e-9)))
        if nlo + Double(n) * step < hi { n += 1 }
        let ticks = (0...n).map { nlo + Double($0) * step }
        return (nlo, nlo + Double(n) * step, step, ticks)
    }

    /// The labels of an axis's ticks, in one format for the whole axis: fixed decimals as the
    /// step needs, or scientific notation for very large or small values; more digits until
    /// neighbouring ticks never read the same.
    static func tickLabels(_ ticks: [Double], step: Double) -> [String] {
        let largest = ticks.map(abs).max() ?? 1
        let scientific = largest >= 1e5 || step < 1e-4
        var digits = scientific ? max(0, Int(ceil(log10(max(largest, step) / step))) - 1)
                                : max(0, -Int(floor(log10(step) + 1e-9)))
        while true {
            let labels = ticks.map { x -> String in
                if abs(x) < step * 1e-6 { return "0" }
                return String(format: scientific ? "%.\(digits)e" : "%.\(digits)f", x)
            }
            if Set(labels).count == labels.count || digits >= 15 { return labels }
            digits += 1
        }
    }


    // MARK: - Frame

    /// The plotting frame: margins, legend column, axes, ticks, labels and reference lines.
    struct Frame {
        let style: Style
        let left: Double, top: Double, width: Double, height: Double
        let x: (lo: Double, hi: Double, step: Double, ticks: [Double])
        let y: (lo: Double, hi: Double, step: Double, ticks: [Double])
        let logY: Bool
        let legendX: Double

        init(style: Style, x: (Double, Double), y: (Double, Double), logY: Bool = false, legend: [String], integerX: Bool = false) {
            self.style = style
            self.logY = logY
            let fs = style.fontSize
            let legendWidth = legend.isEmpty ? 0 : min(style.width * 0.38, Double(legend.map(\.count).max() ?? 0) * fs * 0.6 + 40)
            left = fs * 5.2
            top = fs * 2.6
            width = max(style.width - left - fs * 1.4 - legendWidth, 80)
            height = max(style.height - top - fs * 3.8, 60)
            legendX = left + width + fs * 1.2
            var xs = SVG.niceTicks(x.0, x.1)
            if integerX && xs.step < 1 { xs = SVG.niceTicks(x.0, max(x.1, x.0 + 1), maxTicks: max(2, Int(x.1 - x.0) + 1)) }
            self.x = xs
            self.y = logY ? SVG.decades(y.0, y.1) : SVG.niceTicks(y.0, y.1)
        }

        func px(_ v: Double) -> Double { left + width * (v - x.lo) / (x.hi - x.lo) }
        func py(_ v: Double) -> Double {
            let t = logY ? log10(max(v, 1e-300)) : v
            return top + height - height * (t - y.lo) / (y.hi - y.lo)
        }

        func axes(title: String, xLabel: String, yLabel: String) -> String {
            let fs = style.fontSize
            var s = SVG.header(style)
            s += "<text x=\"\(f(left))\" y=\"\(f(fs * 1.5))\" font-size=\"\(f(fs * 1.15))\">\(escape(title))</text>\n"
            let xLabels = SVG.tickLabels(x.ticks, step: x.step), yLabels = SVG.tickLabels(y.ticks, step: y.step)
            for (v, label) in zip(x.ticks, xLabels) {
                let p = px(v)
                s += "<line x1=\"\(f(p))\" y1=\"\(f(top))\" x2=\"\(f(p))\" y2=\"\(f(top + height))\" stroke=\"#e4e4e4\"/>"
                s += "<line x1=\"\(f(p))\" y1=\"\(f(top + height))\" x2=\"\(f(p))\" y2=\"\(f(top + height + 4))\" stroke=\"#333\"/>"
                s += "<text x=\"\(f(p))\" y=\"\(f(top + height + fs * 1.3))\" text-anchor=\"middle\">\(escape(label))</text>\n"
            }
            for (v, tickText) in zip(y.ticks, yLabels) {
                let p = top + height - height * (v - y.lo) / (y.hi - y.lo)
                let label = logY ? "1e" + String(Int(v.rounded())) : tickText
                s += "<line x1=\"\(f(left))\" y1=\"\(f(p))\" x2=\"\(f(left + width))\" y2=\"\(f(p))\" stroke=\"#e4e4e4\"/>"
                s += "<line x1=\"\(f(left - 4))\" y1=\"\(f(p))\" x2=\"\(f(left))\" y2=\"\(f(p))\" stroke=\"#333\"/>"
                s += "<text x=\"\(f(left - 6))\" y=\"\(f(p + fs * 0.35))\" text-anchor=\"end\">\(escape(label))</text>\n"
            }
            s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"none\" stroke=\"#333\"/>\n"
            s += "<text x=\"\(f(left + width / 2))\" y=\"\(f(top + height + fs * 2.8))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
            let cy = top + height / 2
            s += "<text x=\"\(f(fs))\" y=\"\(f(cy))\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(fs)) \(f(cy)))\">\(escape(yLabel))</text>\n"
            return s
        }

        /// Reference lines inside the frame (those outside the axis range are listed in the legend only).
        func references(_ refs: [Reference]) -> String {
            let fs = style.fontSize
            var s = ""
            var row = 0.0
            for r in refs where r.value.isFinite {
                if r.vertical, r.value >= x.lo, r.value <= x.hi {
                    let p = px(r.value)
                    // Labels one under the other; left of the line, or right of it near the left edge.
                    let textWidth = Double(r.label.count) * fs * 0.85 * 0.6
                    let (tx, anchor) = p - left > textWidth + 6 ? (p - 3, "end") : (p + 3, "start")
                    row += 1
                    s += "<line x1=\"\(f(p))\" y1=\"\(f(top))\" x2=\"\(f(p))\" y2=\"\(f(top + height))\" stroke=\"#555\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>"
                    s += "<text x=\"\(f(tx))\" y=\"\(f(top + fs * 1.2 * row))\" text-anchor=\"\(anchor)\" font-size=\"\(f(fs * 0.85))\" fill=\"#333\">\(escape(r.label))</text>\n"
                } else if !r.vertical, (logY ? r.value > 0 : true) {
                    let p = py(r.value)
                    guard p >= top - 0.01, p <= top + height + 0.01 else { continue }
                    s += "<line x1=\"\(f(left))\" y1=\"\(f(p))\" x2=\"\(f(left + width))\" y2=\"\(f(p))\" stroke=\"#555\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>"
                    let ty = p - top < fs * 1.2 ? p + fs : p - 3   // below the line when it runs along the top
                    s += "<text x=\"\(f(left + width - 3))\" y=\"\(f(ty))\" text-anchor=\"end\" font-size=\"\(f(fs * 0.85))\" fill=\"#333\">\(escape(r.label))</text>\n"
                }
            }
            return s
        }

        /// The legend, right of the plotted area: a line sample in each series' colour and dash.
        func legend(_ labels: [String]) -> String {
            let fs = style.fontSize
            var s = ""
            for (k, label) in labels.enumerated() {
                let y = top + fs * 0.8 + Double(k) * fs * 1.5
                let (col, dash) = SVG.look(k)
                s += "<line x1=\"\(f(legendX))\" y1=\"\(f(y))\" x2=\"\(f(legendX + 24))\" y2=\"\(f(y))\" stroke=\"\(col)\" stroke-width=\"2.2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>"
                s += "<text x=\"\(f(legendX + 30))\" y=\"\(f(y + fs * 0.35))\">\(escape(label))</text>\n"
            }
            return s
        }
    }

    static func look(_ k: Int) -> (color: String, dash: String) { (palette[k % palette.count], dashes[k % dashes.count]) }

    static func header(_ style: Style) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(style.width))\" height=\"\(f(style.height))\" viewBox=\"0 0 \(f(style.width)) \(f(style.height))\" font-family=\"sans-serif\" font-size=\"\(f(style.fontSize))\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    }

    /// Whole decades of `log10` covering `[lo, hi]` (positive values).
    static func decades(_ lo: Double, _ hi: Double) -> (lo: Double, hi: Double, step: Double, ticks: [Double]) {
        let a = log10(max(lo, 1e-300)), b = log10(max(hi, 1e-300))
        var l = floor(a), h = ceil(b)
        if h <= l { h = l + 1 }
        let step = max(1, ceil((h - l) / 8))
        l = floor(l / step) * step; h = ceil(h / step) * step
        return (l, h, step, Array(stride(from: l, through: h, by: step)))
    }

    // MARK: - Histogram

    /// A histogram of each series on `[lo, hi]` with `bins` bins (fraction of the series' values
    /// per bin); one series as filled bars, several as outlined steps in distinct colours and
    /// dashes. The y axis reaches the tallest bar. CSV: `bin_lo, bin_hi, <label> …` (fractions).
    public static func histogram(_ series: [(label: String, values: [Double])], lo: Double, hi: Double, bins: Int,
                                 title: String, xLabel: String, references: [Reference] = []) -> Figure {
        let bins = max(bins, 1)
        let (lo, hi) = hi > lo && hi.isFinite && lo.isFinite ? (lo, hi) : (lo.isFinite ? lo : 0, (lo.isFinite ? lo : 0) + 1)
        var fractions: [[Double]] = []
        for s in series {
            var c = [Int](repeating: 0, count: bins)
            for v in s.values where v.isFinite {
                let x = ((v - lo) / (hi - lo)) * Double(bins)
                guard x.isFinite else { continue }
                c[Int(min(Double(bins - 1), max(0, x)))] += 1
            }
            fractions.append(c.map { s.values.isEmpty ? 0 : Double($0) / Double(s.values.count) })
        }
        let top = fractions.flatMap { $0 }.max() ?? 1
        let labels = series.map { "\($0.label) (n = \($0.values.count))" }
        let frame = Frame(style: style, x: (lo, hi), y: (0, max(top, 1e-12)), legend: labels)
        var out = frame.axes(title: title, xLabel: xLabel, yLabel: "fraction of values")
        let edges = (0...bins).map { lo + (hi - lo) * Double($0) / Double(bins) }
        for (k, fr) in fractions.enumerated() {
            let (col, dash) = look(k)
            if series.count == 1 {
                for (i, v) in fr.enumerated() where v > 0 {
                    let x0 = frame.px(edges[i]), x1 = frame.px(edges[i + 1]), y = frame.py(v)
                    out += "<rect x=\"\(f(x0))\" y=\"\(f(y))\" width=\"\(f(max(x1 - x0 - 0.5, 0.5)))\" height=\"\(f(frame.py(0) - y))\" fill=\"\(col)\" fill-opacity=\"0.75\"/>\n"
                }
            } else {
                var d = "M\(f(frame.px(lo))),\(f(frame.py(0)))"
                for (i, v) in fr.enumerated() { d += " L\(f(frame.px(edges[i]))),\(f(frame.py(v))) L\(f(frame.px(edges[i + 1]))),\(f(frame.py(v)))" }
                d += " L\(f(frame.px(hi))),\(f(frame.py(0)))"
                out += "<path d=\"\(d)\" fill=\"\(col)\" fill-opacity=\"0.12\" stroke=\"\(col)\" stroke-width=\"1.8\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>\n"
            }
        }
        out += frame.references(references) + frame.legend(labels) + "</svg>\n"
        var csv = (["bin_lo", "bin_hi"] + series.map { csvField($0.label) }).joined(separator: ",") + "\n"
        for i in 0..<bins {
            csv += ([csvNumber(edges[i]), csvNumber(edges[i + 1])] + fractions.map { csvNumber($0[i]) }).joined(separator: ",") + "\n"
        }
        return Figure(svg: out, csv: csv)
    }

    // MARK: - Lines

    /// Curves `y[i]` against `i` (optionally log-scaled y). CSV: `index, <label> …` (empty where
    /// a curve is shorter).
    public static func lines(_ series: [(label: String, values: [Double])], title: String, xLabel: String,
                             yLabel: String, logY: Bool = false, references: [Reference] = []) -> Figure {
        let finite = series.flatMap { $0.values }.filter { $0.isFinite && (!logY || $0 > 0) }
        let refs = references.filter { !$0.vertical && $0.value.isFinite && (!logY || $0.value > 0) }.map(\.value)
        let yLo = (finite + refs).min() ?? (logY ? 0.1 : 0), yHi = (finite + refs).max() ?? 1
        let n = max(series.map { $0.values.count }.max() ?? 1, 2)
        let labels = series.map(\.label)
        let frame = Frame(style: style, x: (0, Double(n - 1)), y: (yLo, yHi), logY: logY, legend: labels, integerX: true)
        var out = frame.axes(title: title, xLabel: xLabel, yLabel: logY ? yLabel + " (log scale)" : yLabel)
        out += frame.references(references)
        for (k, s) in series.enumerated() {
            var d = ""
            for (i, v) in s.values.enumerated() where v.isFinite && (!logY || v > 0) {
                d += (d.isEmpty ? "M" : " L") + "\(f(frame.px(Double(i)))),\(f(frame.py(v)))"
            }
            let (col, dash) = look(k)
            out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(col)\" stroke-width=\"1.8\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>\n"
        }
        out += frame.legend(labels) + "</svg>\n"
        var csv = (["index"] + series.map { csvField($0.label) }).joined(separator: ",") + "\n"
        for i in 0..<(series.map { $0.values.count }.max() ?? 0) {
            csv += ([String(i)] + series.map { i < $0.values.count ? csvNumber($0.values[i]) : "" }).joined(separator: ",") + "\n"
        }
        return Figure(svg: out, csv: csv)
    }

    // MARK: - Scatter

    /// Points `(x, y)` of each series as small circles, curves (e.g. a bound as a function of
    /// `x`) as lines, and reference lines; both axes cover the points, the curves and the
    /// references. CSV: `series, x, y` (points, then curves' vertices).
    public static func scatter(_ series: [(label: String, points: [(x: Double, y: Double)])],
                               curves: [(label: String, points: [(x: Double, y: Double)])] = [],
                               title: String, xLabel: String, yLabel: String, references: [Reference] = []) -> Figure {
        let all = (series + curves).flatMap { $0.points }.filter { $0.x.isFinite && $0.y.isFinite }
        let rx = references.filter { $0.vertical && $0.value.isFinite }.map(\.value)
        let ry = references.filter { !$0.vertical && $0.value.isFinite }.map(\.value)
        let xs = all.map(\.x) + rx, ys = all.map(\.y) + ry
        let labels = series.map { "\($0.label) (n = \($0.points.count))" } + curves.map(\.label)
        let frame = Frame(style: style, x: (xs.min() ?? 0, xs.max() ?? 1), y: (ys.min() ?? 0, ys.max() ?? 1), legend: labels)
        var out = frame.axes(title: title, xLabel: xLabel, yLabel: yLabel)
        out += frame.references(references)
        for (k, c) in curves.enumerated() {
            var d = ""
            for p in c.points where p.x.isFinite && p.y.isFinite { d += (d.isEmpty ? "M" : " L") + "\(f(frame.px(p.x))),\(f(frame.py(p.y)))" }
            let (col, dash) = look(series.count + k)
            out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(col)\" stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>\n"
        }
        for (k, sr) in series.enumerated() {
            let (col, _) = look(k)
            for p in sr.points where p.x.isFinite && p.y.isFinite {
                out += "<circle cx=\"\(f(frame.px(p.x)))\" cy=\"\(f(frame.py(p.y)))\" r=\"2.6\" fill=\"\(col)\" fill-opacity=\"0.6\"/>"
            }
            out += "\n"
        }
        out += frame.legend(labels) + "</svg>\n"
        var csv = "series,x,y\n"
        for sr in series + curves { for p in sr.points { csv += "\(csvField(sr.label)),\(csvNumber(p.x)),\(csvNumber(p.y))\n" } }
        return Figure(svg: out, csv: csv)
    }

    // MARK: - Spectrum

    /// Stem plot of a spectrum (e.g. the eigenvalues of a patch Gram, descending), log-scaled;
    /// non-positive values are drawn at the bottom of the axis and kept in the CSV.
    public static func spectrum(_ values: [Double], title: String, yLabel: String, references: [Reference] = []) -> Figure {
        let pos = values.filter { $0 > 0 && $0.isFinite }
        let frame = Frame(style: style, x: (1, Double(max(values.count, 2))), y: (pos.min() ?? 1, pos.max() ?? 10), logY: true, legend: [], integerX: true)
        var out = frame.axes(title: title, xLabel: "index (descending)", yLabel: yLabel + " (log scale)")
        out += frame.references(references)
        let col = palette[0]
        let bottom = frame.top + frame.height
        for (i, v) in values.enumerated() {
            let x = frame.px(Double(i + 1))
            let y = v > 0 && v.isFinite ? max(frame.py(v), frame.top) : bottom
            out += "<line x1=\"\(f(x))\" y1=\"\(f(bottom))\" x2=\"\(f(x))\" y2=\"\(f(y))\" stroke=\"\(col)\"/><circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"2.8\" fill=\"\(col)\"/>\n"
        }
        out += "</svg>\n"
        let csv = "index,\(csvField(yLabel))\n" + values.enumerated().map { "\($0.offset + 1),\(csvNumber($0.element))" }.joined(separator: "\n") + "\n"
        return Figure(svg: out, csv: csv)
    }

    // MARK: - Heatmaps

    /// Diverging blue–white–red colour for `v ∈ [−1, 1]` (blue negative, red positive).
    static func color(_ v: Double) -> String {
        let t = max(-1, min(1, v.isFinite ? v : 0))
        // Okabe–Ito blue (0,114,178) and vermillion (213,94,0), through white.
        let (r, g, b): (Double, Double, Double) = t >= 0 ? (255 + (213 - 255) * t, 255 + (94 - 255) * t, 255 + (0 - 255) * t)
                                                        : (255 + (0 - 255) * -t, 255 + (114 - 255) * -t, 255 + (178 - 255) * -t)
        return String(format: "#%02x%02x%02x", Int(r.rounded()), Int(g.rounded()), Int(b.rounded()))
    }

    /// Heatmaps side by side (`panels[p]` is a `rows×cols` matrix, row-major, with its caption —
    /// e.g. a kernel's channel), one symmetric colour scale for all (±max |value|), a colour bar
    /// and row/column indices. CSV: `panel, row, col, value`.
    public static func heatmaps(_ panels: [(caption: String, rows: Int, cols: Int, values: [Double])],
                                title: String) -> Figure {
        let s = style, fs = s.fontSize
        let scale = max(panels.flatMap { $0.values }.filter(\.isFinite).map(abs).max() ?? 1, 1e-300)
        let largest = Double(panels.map { max($0.rows, $0.cols) }.max() ?? 1)
        let cell = max(4, min(34, (s.height - fs * 7) / largest))
        let gap = fs * 2, top = fs * 3.2
        var x = fs * 2.5
        var body = ""
        var height = 0.0
        for p in panels {
            let w = Double(p.cols) * cell, h = Double(p.rows) * cell
            let every = max(1, Int(ceil(fs * 1.2 / cell)))
            for r in 0..<p.rows {
                for c in 0..<p.cols where r * p.cols + c < p.values.count {
                    let v = p.values[r * p.cols + c]
                    body += "<rect x=\"\(f(x + Double(c) * cell))\" y=\"\(f(top + Double(r) * cell))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(color(v / scale))\" stroke=\"#bbb\" stroke-width=\"0.4\"><title>\(escape(String(format: "%.6g", v)))</title></rect>\n"
                }
                if r % every == 0 {
                    body += "<text x=\"\(f(x - 3))\" y=\"\(f(top + (Double(r) + 0.5) * cell + fs * 0.3))\" text-anchor=\"end\" font-size=\"\(f(fs * 0.75))\" fill=\"#555\">\(r)</text>\n"
                }
            }
            for c in stride(from: 0, to: p.cols, by: every) {
                body += "<text x=\"\(f(x + (Double(c) + 0.5) * cell))\" y=\"\(f(top - 3))\" text-anchor=\"middle\" font-size=\"\(f(fs * 0.75))\" fill=\"#555\">\(c)</text>\n"
            }
            body += "<text x=\"\(f(x + w / 2))\" y=\"\(f(top + h + fs * 1.4))\" text-anchor=\"middle\">\(escape(p.caption))</text>\n"
            x += max(w, Double(p.caption.count) * fs * 0.6) + gap
            height = max(height, h)
        }
        // Colour bar: −scale … 0 … +scale.
        let barH = max(height, fs * 6), barW = fs
        let steps = 24
        for i in 0..<steps {
            let v = 1 - 2 * (Double(i) + 0.5) / Double(steps)
            body += "<rect x=\"\(f(x))\" y=\"\(f(top + barH * Double(i) / Double(steps)))\" width=\"\(f(barW))\" height=\"\(f(barH / Double(steps) + 0.3))\" fill=\"\(color(v))\"/>"
        }
        body += "<rect x=\"\(f(x))\" y=\"\(f(top))\" width=\"\(f(barW))\" height=\"\(f(barH))\" fill=\"none\" stroke=\"#333\"/>\n"
        for (frac, v) in [(0.0, scale), (0.5, 0.0), (1.0, -scale)] {
            body += "<text x=\"\(f(x + barW + 4))\" y=\"\(f(top + barH * frac + fs * 0.35))\">\(escape(v == 0 ? "0" : String(format: "%+.3g", v)))</text>\n"
        }
        let width = max(x + barW + fs * 6, Double(title.count) * fs * 0.62 + fs * 3)
        let svg = header(Style(width: width, height: top + max(height, barH) + fs * 3, fontSize: fs)) +
            "<text x=\"\(f(fs))\" y=\"\(f(fs * 1.5))\" font-size=\"\(f(fs * 1.15))\">\(escape(title))</text>\n" + body + "</svg>\n"
        var csv = "panel,row,col,value\n"
        for p in panels {
            for r in 0..<p.rows { for c in 0..<p.cols where r * p.cols + c < p.values.count {
                csv += "\(csvField(p.caption)),\(r),\(c),\(csvNumber(p.values[r * p.cols + c]))\n"
            } }
        }
        return Figure(svg: svg, csv: csv)
    }
}

extension SVG {
    public struct RenderFailure: Error, CustomStringConvertible { public let description: String }

    /// Renders an SVG file to PNG with librsvg's `rsvg-convert` (the tests check every figure
    /// this way; scripts/install-deps.sh installs it). Throws with rsvg-convert's message.
    public static func renderPNG(svg: String, png: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["rsvg-convert", "--format", "png", "--output", png, svg]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw RenderFailure(description: "rsvg-convert failed on \(svg) (is librsvg2-bin installed? scripts/install-deps.sh installs it): \(String(decoding: message, as: UTF8.self))")
        }
    }
}
