import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PropertyBased
import Testing
@testable import ConvSimCore
@testable import ConvSimReport

@Suite struct NotebookTests {
    static let sample = """
    # Title

    Some prose.

    ```convsim
    # a comment
    convsim gram --input "a b.png" --kernels k.npy
    ```

    ```output
    old
    ```

    More prose.

    ```convsim
    convsim verify
    ```
    tail
    """

    @Test func parseAndRenderRoundTrip() {
        let nb = Notebook.parse(Self.sample)
        let cells = nb.parts.filter { if case .cell = $0 { return true }; return false }
        #expect(cells.count == 2)
        if case .cell(let cmds, let out) = cells[0] {
            #expect(Notebook.executable(cmds) == [["convsim", "gram", "--input", "a b.png", "--kernels", "k.npy"]])
            #expect(out == "old")
        }
        // Rendering then parsing again is stable.
        #expect(Notebook.parse(nb.render()) == nb)
    }

    @Test func executionRewritesOutputsAndReportsChanges() throws {
        let nb = Notebook.parse(Self.sample)
        let (new, changed) = nb.executed { argv in "ran " + argv.joined(separator: " ") }
        #expect(changed == [0, 1])
        let (again, changed2) = new.executed { argv in "ran " + argv.joined(separator: " ") }
        #expect(changed2.isEmpty)
        #expect(again == new)
        #expect(new.render().contains("```output\nran convsim verify\n```"))
    }

    /// A stored `…` line stands for any number of lines; everything else must be equal; a
    /// matching elided output is kept as written by `run`.
    @Test func elisionMatchesAnyNumberOfLines() throws {
        let actual = "a\nb\nc\nd"
        for stored in ["a\n…\nd", "…", "a\nb\nc\nd", "…\nd", "a\n…", "a\n…\nb\nc\n…\nd", "a\nb\n…\nc\nd"] {
            #expect(Notebook.matches(stored: stored, actual: actual), "\(stored)")
        }
        for stored in ["a\n…\nc", "b\n…", "a\nb\nc", "a\nb\nc\nd\ne", "…\nx\n…", "a\n…\nd\n…\nd"] {
            #expect(!Notebook.matches(stored: stored, actual: actual), "\(stored)")
        }
        #expect(Notebook.matches(stored: "…", actual: ""))
        // Against a brute-force matcher on random short line lists.
        var rng = SeededRandom(seed: 9)
        func brute(_ s: ArraySlice<String>, _ a: ArraySlice<String>) -> Bool {
            guard let first = s.first else { return a.isEmpty }
            if first == "…" { return (0...a.count).contains { brute(s.dropFirst(), a.dropFirst($0)) } }
            return a.first == first && brute(s.dropFirst(), a.dropFirst())
        }
        for _ in 0..<2000 {
            let s = (0..<rng.integer(in: 0...5)).map { _ in ["x", "y", "…"][rng.integer(in: 0...2)] }
            let a = (0..<rng.integer(in: 0...5)).map { _ in ["x", "y"][rng.integer(in: 0...1)] }
            guard !s.isEmpty else { continue }
            #expect(Notebook.matches(stored: s.joined(separator: "\n"), actual: a.joined(separator: "\n")) == brute(s[...], a[...]), "\(s) \(a)")
        }
        let nb = Notebook(parts: [.cell(commands: ["convsim x"], output: "ran\n…")])
        let (same, changed) = nb.executed { _ in "ran\nconvsim x\nmore" }
        #expect(changed.isEmpty && same == nb)
    }

    @Test func wordsSplitLikeAShellWithoutOne() async {
        #expect(Notebook.words(#"a 'b c' "d\"e" f\ g"#) == ["a", "b c", "d\"e", "f g"])
        await propertyCheck(input: Gen.letterOrNumber.string(of: 1...8).array(of: 1...6)) { ws in
            #expect(Notebook.words(ws.joined(separator: " ")) == ws)
        }
    }
}

@Suite struct SVGTests {
    static let kinds: [(String, Figure)] = [
        ("histogram", SVG.histogram([("x", [0.1, 0.5, 0.9, 0.95])], lo: 0, hi: 1, bins: 10, title: "t <&>", xLabel: "x",
                                    references: [.x(0.9, "threshold 0.9"), .x(2, "off the axis")])),
        ("histogram2", SVG.histogram([("a", [0.1, 0.2, 0.2]), ("b, \"quoted\"", [0.8, 0.9])], lo: 0, hi: 1, bins: 20, title: "two", xLabel: "x")),
        ("lines", SVG.lines([("a", [1, 2, 3]), ("b", [0.5, 4])], title: "l", xLabel: "x", yLabel: "y", logY: true, references: [.y(2, "two")])),
        ("lines-flat", SVG.lines([("a", [0.99999999, 1.0, 1.00000001])], title: "flat", xLabel: "x", yLabel: "y")),
        ("spectrum", SVG.spectrum([3, 2, 1e-3, 0], title: "s", yLabel: "λ")),
        ("heatmaps", SVG.heatmaps([("k R", 2, 2, [1, -1, 0.5, 0]), ("k G", 3, 3, (0..<9).map { Double($0) - 4 })], title: "h")),
        ("heatmap-large", SVG.heatmaps([("cos", 40, 40, (0..<1600).map { sin(Double($0)) })], title: "large")),
        ("scatter", SVG.scatter([(label: "pairs", points: [(0.1, 0.9), (0.5, 0.2), (.nan, 0.3)])],
                                curves: [(label: "bound", points: (0...10).map { (Double($0) / 10, 0.8 + 0.02 * Double($0)) })],
                                title: "s", xLabel: "x", yLabel: "y", references: [.y(0.8, "T4")])),
    ]

    @Test func figuresAreDeterministicAndWellFormed() throws {
        let h = SVG.histogram([("x", [0.1, 0.5, 0.9, 0.95])], lo: 0, hi: 1, bins: 10, title: "t <&>", xLabel: "x",
                              references: [.x(0.9, "threshold 0.9"), .x(2, "off the axis")])
        #expect(h == Self.kinds[0].1)
        for (name, fig) in Self.kinds {
            let doc = try XMLDocument(xmlString: fig.svg)
            #expect(doc.rootElement()?.name == "svg", "\(name)")
            #expect(fig.csv.hasSuffix("\n") && fig.csv.split(separator: "\n").count >= 2, "\(name)")
        }
        // The CSV holds the plotted fractions: 4 values, one in each of four bins.
        let rows = h.csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.count == 10 && rows.compactMap { Double($0[2]) }.reduce(0, +) == 1)
    }

    /// Nice ticks: steps of 1, 2 or 5 × 10ᵏ, an axis that contains the data, at most 7 ticks, and
    /// labels that differ — also for ranges far narrower than the values (the "every tick reads 1" defect).
    @Test func niceTicksCoverTheDataWithDistinctLabels() async {
        await propertyCheck(input: Gen.double(in: -1e6...1e6), Gen.double(in: 1e-9...1e7)) { lo, width in
            let hi = lo + width
            let t = SVG.niceTicks(lo, hi)
            #expect(t.lo <= lo && t.hi >= hi, "\(lo) \(hi) → \(t.lo) \(t.hi)")
            let mantissa = t.step / pow(10, floor(log10(t.step)))
            #expect([1, 2, 5, 10].contains { abs(mantissa - $0) < 1e-9 }, "step \(t.step)")
            #expect(t.ticks.count >= 2 && t.ticks.count <= 7)
            let labels = SVG.tickLabels(t.ticks, step: t.step)
            #expect(Set(labels).count == labels.count, "\(labels)")
        }
        let narrow = SVG.niceTicks(0.99999999, 1.00000001)
        #expect(Set(SVG.tickLabels(narrow.ticks, step: narrow.step)).count == narrow.ticks.count)
    }

    /// Data inside the frame, legends outside it: the tallest histogram bar reaches at most the
    /// frame's top, and every legend entry starts right of the plotted area.
    @Test func barsInsideLegendsOutside() throws {
        let fig = SVG.histogram([("a", [0.5, 0.5, 0.5, 0.1]), ("b", [0.2])], lo: 0, hi: 1, bins: 10, title: "t", xLabel: "x")
        func attributes(_ tag: String, where marker: String) -> [[String: Double]] {
            fig.svg.split(separator: "\n").flatMap { $0.components(separatedBy: "<\(tag) ").dropFirst() }.filter { $0.contains(marker) }.map { el in
                var out: [String: Double] = [:]
                for part in el.components(separatedBy: "\" ") {
                    let kv = part.components(separatedBy: "=\"")
                    if kv.count == 2, let v = Double(kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"/>"))) { out[kv[0].trimmingCharacters(in: .whitespaces)] = v }
                }
                return out
            }
        }
        let frame = try #require(attributes("rect", where: "fill=\"none\"").first)
        let top = try #require(frame["y"]), right = try #require(frame["x"]).advanced(by: try #require(frame["width"]))
        let paths = fig.svg.components(separatedBy: "<path d=\"").dropFirst().map { $0.prefix { $0 != "\"" } }
        #expect(paths.count == 2)
        for d in paths {
            let ys = d.split(whereSeparator: { $0 == " " || $0 == "M" || $0 == "L" }).compactMap { $0.split(separator: ",").last.flatMap { Double($0) } }
            #expect(!ys.isEmpty && ys.allSatisfy { $0 >= top - 0.01 }, "a bar above the frame's top \(top)")
        }
        let legend = attributes("line", where: "stroke-width=\"2.2\"")
        #expect(legend.count == 2 && legend.allSatisfy { ($0["x1"] ?? 0) > right }, "legend inside the plot (right edge \(right))")
    }

    /// A scatter's axes cover its points, its curves and its references; the CSV has every point.
    @Test func scatterCoversPointsCurvesAndReferences() throws {
        let fig = SVG.scatter([(label: "p", points: [(0.2, 0.3), (0.4, 1.7)])], curves: [(label: "c", points: [(0, -0.5), (1.2, 0)])],
                              title: "t", xLabel: "x", yLabel: "y", references: [.y(2.5, "r")])
        #expect(fig.csv.split(separator: "\n").count == 1 + 2 + 2)
        #expect(fig.svg.components(separatedBy: "<circle").count - 1 == 2)
        // The y axis reaches 2.5 (the reference) and −0.5 (the curve); x reaches 1.2 (the curve).
        let y = SVG.niceTicks(-0.5, 2.5), x = SVG.niceTicks(0, 1.2)
        #expect(y.lo <= -0.5 && y.hi >= 2.5 && x.hi >= 1.2)
        for label in SVG.tickLabels(y.ticks, step: y.step) + SVG.tickLabels(x.ticks, step: x.step) {
            #expect(fig.svg.contains(">\(label)<"), "tick \(label) missing")
        }
    }

    /// Every kind of figure renders to a PNG of the styled size through librsvg (`rsvg-convert`,
    /// installed by scripts/install-deps.sh): a broken SVG fails here.
    @Test func everyFigureRendersToPNG() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("convsim-svg-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, fig) in Self.kinds {
            let svg = dir.appendingPathComponent("\(name).svg"), png = dir.appendingPathComponent("\(name).png")
            try fig.svg.write(to: svg, atomically: true, encoding: .utf8)
            try SVG.renderPNG(svg: svg.path, png: png.path)
            let bytes = try Data(contentsOf: png)
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(name): not a PNG")
            let width = bytes.count > 24 ? bytes[16..<20].reduce(0) { $0 << 8 | Int($1) } : 0
            if !name.hasPrefix("heatmap") { #expect(width == Int(SVG.style.width), "\(name): width \(width)") }
        }
    }
}

@Suite struct DataTableTests {
    /// CSV with RFC 4180 quoting and JSON Lines that parse back to the same values; numbers
    /// round-trip exactly; a non-finite value is an empty cell / null.
    @Test func csvAndJSONLinesRoundTrip() throws {
        var t = DataTable(columns: ["name", "i", "x"])
        t.append([.text("a, \"b\"\nc"), .integer(3), .number(0.1 + 0.2)])
        t.append([.text("plain"), .integer(-1), .number(.nan)])
        t.append([.missing, .integer(0), .number(-1e-300)])
        #expect(t.csv() == "name,i,x\n\"a, \"\"b\"\"\nc\",3,0.30000000000000004\nplain,-1,\n,0,-1e-300\n")
        let lines = t.jsonLines().split(separator: "\n")
        #expect(lines.count == 3)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["name"] as? String == "a, \"b\"\nc" && first["i"] as? Int == 3)
        // The number as written reads back to the same double (shortest round-trip form).
        #expect(lines[0].hasSuffix(#""x":0.30000000000000004}"#) && Double("0.30000000000000004") == 0.1 + 0.2)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["x"] is NSNull)
    }
}
