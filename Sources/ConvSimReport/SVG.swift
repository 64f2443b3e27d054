import Foundation

/// Small, dependency-free SVG figures for the Markdown reports: kernel heatmaps,
/// histograms, line charts and spectra. Output is deterministic (fixed number
/// formatting, no timestamps), so the same data give the same bytes, and it
/// renders on GitHub (plain SVG 1.1, no scripts, no external fonts).
public enum SVG {
    /// Fixed-precision number formatting for coordinates.
    static func f(_ x: Double) -> String {
        let s = String(format: "%.2f", x)
        return s == "-0.00" ? "0.00" : s
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }

    static func header(_ w: Double, _ h: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(w))\" height=\"\(f(h))\" viewBox=\"0 0 \(f(w)) \(f(h))\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    }

    /// Short label for an axis tick.
    static func tick(_ x: Double) -> String {
        if x == 0 { return "0" }
        let a = abs(x)
        if a >= 1e4 || a < 1e-3 { return String(format: "%.1e", x) }
        if a >= 100 { return String(format: "%.0f", x) }
        if a >= 1 { return String(format: "%.2g", x) }
        return String(format: "%.3g", x)
    }

    /// Diverging blue–white–red colour for `v ∈ [−1, 1]`.
    static func color(_ v: Double) -> String {
        let t = max(-1, min(1, v.isFinite ? v : 0))
        let r: Int, g: Int, b: Int
        if t >= 0 { r = 255; g = Int((1 - t) * 255); b = Int((1 - t) * 255) }
        else { r = Int((1 + t) * 255); g = Int((1 + t) * 255); b = 255 }
        return String(format: "#%02x%02x%02x", r, g, b)
    }

    /// Heatmaps of several kernels side by side: `panels[p]` is a `rows×cols`
    /// matrix (row-major) with its caption; one colour scale for all (max |value|).
    public static func heatmaps(_ panels: [(caption: String, rows: Int, cols: Int, values: [Double])],
                                title: String, cell: Double = 22) -> String {
        let scale = max(panels.flatMap { $0.values }.map(abs).max() ?? 1, 1e-300)
        let gap = 18.0, top = 30.0, bottom = 34.0
        var x = 10.0
        var body = ""
        var height = 0.0
        for p in panels {
            let w = Double(p.cols) * cell, h = Double(p.rows) * cell
            for r in 0..<p.rows { for c in 0..<p.cols {
                let v = p.values[r * p.cols + c]
                body += "<rect x=\"\(f(x + Double(c) * cell))\" y=\"\(f(top + Double(r) * cell))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(color(v / scale))\" stroke=\"#999\" stroke-width=\"0.5\"><title>\(escape(String(format: "%.6g", v)))</title></rect>\n"
            } }
            body += "<text x=\"\(f(x + w / 2))\" y=\"\(f(top + h + 16))\" text-anchor=\"middle\">\(escape(p.caption))</text>\n"
            x += max(w, Double(p.caption.count) * 6.2) + gap
            height = max(height, h)
        }
        let heading = "\(title) (colour scale ±\(String(format: "%.3g", scale)))"
        let total = max(x, Double(heading.count) * 7 + 20)
        return header(total, top + height + bottom) +
            "<text x=\"10\" y=\"18\" font-size=\"13\">\(escape(heading))</text>\n" +
            body + "</svg>\n"
    }

    /// A histogram of `values` on `[lo, hi]` with `bins` bins; several series
    /// are drawn as outlined step lines with a legend.
    public static func histogram(_ series: [(label: String, values: [Double])], lo: Double, hi: Double, bins: Int,
                                 title: String, xLabel: String) -> String {
        let w = 530.0, h = 300.0, l = 64.0, r = 20.0, t = 30.0, b = 45.0
        let pw = w - l - r, ph = h - t - b
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
        var counts: [[Int]] = []
        for s in series {
            var c = [Int](repeating: 0, count: bins)
            for v in s.values where v.isFinite {
                let x = ((v - lo) / (hi - lo)) * Double(bins)
                guard x.isFinite else { continue }   // a degenerate or non-finite range: nothing to place
                c[Int(min(Double(bins - 1), max(0, x)))] += 1
            }
            counts.append(c)
        }
        let fractions = zip(series, counts).map { s, c in c.map { s.values.isEmpty ? 0 : Double($0) / Double(s.values.count) } }
        let top = max(fractions.flatMap { $0 }.max() ?? 1, 1e-12)
        var out = header(w, h) + "<text x=\"\(f(l))\" y=\"18\" font-size=\"13\">\(escape(title))</text>\n"
        out += axes(l: l, t: t, pw: pw, ph: ph, xLo: lo, xHi: hi, yLo: 0, yHi: top, xLabel: xLabel, yLabel: "fraction")
        for (k, fr) in fractions.enumerated() {
            var d = "M\(f(l)),\(f(t + ph))"
            for (i, v) in fr.enumerated() {
                let x0 = l + pw * Double(i) / Double(bins), x1 = l + pw * Double(i + 1) / Double(bins)
                let y = t + ph - ph * v / top
                d += " L\(f(x0)),\(f(y)) L\(f(x1)),\(f(y))"
            }
            d += " L\(f(l + pw)),\(f(t + ph))"
            let col = colors[k % colors.count]
            out += "<path d=\"\(d)\" fill=\"\(col)\" fill-opacity=\"0.15\" stroke=\"\(col)\" stroke-width=\"1.5\"/>\n"
            out += "<text x=\"\(f(l + 10))\" y=\"\(f(t + 14 + Double(k) * 14))\" fill=\"\(col)\">\(escape(series[k].label)) (n = \(series[k].values.count))</text>\n"
        }
        return out + "</svg>\n"
    }

    /// Line chart of one or more curves `y[i]` against `i` (optionally log-scaled y).
    public static func lines(_ series: [(label: String, values: [Double])], title: String, xLabel: String,
                             yLabel: String, logY: Bool = false) -> String {
        let w = 530.0, h = 300.0, l = 64.0, r = 20.0, t = 30.0, b = 45.0
        let pw = w - l - r, ph = h - t - b
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
        func tr(_ v: Double) -> Double { logY ? log10(max(v, 1e-300)) : v }
        let all = series.flatMap { $0.values }.filter { $0.isFinite && (!logY || $0 > 0) }.map(tr)
        var yLo = all.min() ?? 0, yHi = all.max() ?? 1
        if yHi - yLo < 1e-12 { yLo -= 0.5; yHi += 0.5 }
        let n = max(series.map { $0.values.count }.max() ?? 1, 2)
        var out = header(w, h) + "<text x=\"\(f(l))\" y=\"18\" font-size=\"13\">\(escape(title))</text>\n"
        out += axes(l: l, t: t, pw: pw, ph: ph, xLo: 0, xHi: Double(n - 1), yLo: yLo, yHi: yHi, xLabel: xLabel,
                    yLabel: logY ? "log10 " + yLabel : yLabel)
        for (k, s) in series.enumerated() {
            var d = ""
            for (i, v) in s.values.enumerated() where v.isFinite && (!logY || v > 0) {
                let x = l + pw * Double(i) / Double(n - 1), y = t + ph - ph * (tr(v) - yLo) / (yHi - yLo)
                d += (d.isEmpty ? "M" : " L") + "\(f(x)),\(f(y))"
            }
            let col = colors[k % colors.count]
            out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(col)\" stroke-width=\"1.3\" stroke-opacity=\"0.85\"/>\n"
            if series.count <= 6 {
                out += "<text x=\"\(f(l + pw - 150))\" y=\"\(f(t + 14 + Double(k) * 14))\" fill=\"\(col)\">\(escape(s.label))</text>\n"
            }
        }
        return out + "</svg>\n"
    }

    /// Stem plot of a spectrum (e.g. eigenvalues of a patch Gram), log-scaled.
    public static func spectrum(_ values: [Double], title: String, yLabel: String) -> String {
        let w = 530.0, h = 300.0, l = 64.0, r = 20.0, t = 30.0, b = 45.0
        let pw = w - l - r, ph = h - t - b
        let pos = values.map { max($0, 1e-300) }
        let logs = pos.map { log10($0) }
        var yLo = logs.min() ?? 0, yHi = logs.max() ?? 1
        if yHi - yLo < 1e-12 { yLo -= 0.5; yHi += 0.5 }
        var out = header(w, h) + "<text x=\"\(f(l))\" y=\"18\" font-size=\"13\">\(escape(title))</text>\n"
        out += axes(l: l, t: t, pw: pw, ph: ph, xLo: 1, xHi: Double(max(values.count, 2)), yLo: yLo, yHi: yHi,
                    xLabel: "index (descending)", yLabel: "log10 " + yLabel)
        for (i, v) in logs.enumerated() {
            let x = l + pw * (values.count > 1 ? Double(i) / Double(values.count - 1) : 0.5)
            let y = t + ph - ph * (v - yLo) / (yHi - yLo)
            out += "<line x1=\"\(f(x))\" y1=\"\(f(t + ph))\" x2=\"\(f(x))\" y2=\"\(f(y))\" stroke=\"#1f77b4\"/><circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"2.5\" fill=\"#1f77b4\"/>\n"
        }
        return out + "</svg>\n"
    }

    static func axes(l: Double, t: Double, pw: Double, ph: Double, xLo: Double, xHi: Double,
                     yLo: Double, yHi: Double, xLabel: String, yLabel: String) -> String {
        var s = "<rect x=\"\(f(l))\" y=\"\(f(t))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#333\"/>\n"
        for k in 0...4 {
            let fx = Double(k) / 4
            let x = l + pw * fx, y = t + ph - ph * fx
            s += "<line x1=\"\(f(x))\" y1=\"\(f(t + ph))\" x2=\"\(f(x))\" y2=\"\(f(t + ph + 4))\" stroke=\"#333\"/>"
            s += "<text x=\"\(f(x))\" y=\"\(f(t + ph + 15))\" text-anchor=\"middle\">\(escape(tick(xLo + (xHi - xLo) * fx)))</text>\n"
            s += "<line x1=\"\(f(l - 4))\" y1=\"\(f(y))\" x2=\"\(f(l))\" y2=\"\(f(y))\" stroke=\"#333\"/>"
            s += "<text x=\"\(f(l - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(escape(tick(yLo + (yHi - yLo) * fx)))</text>\n"
        }
        s += "<text x=\"\(f(l + pw / 2))\" y=\"\(f(t + ph + 34))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text x=\"12\" y=\"\(f(t + ph / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(f(t + ph / 2)))\">\(escape(yLabel))</text>\n"
        return s
    }
}
