import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PropertyBased
import Testing
@testable import ConvSimCore
import ConvSimReport

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
    @Test func figuresAreDeterministicAndWellFormed() throws {
        let h = SVG.histogram([("x", [0.1, 0.5, 0.9, 0.95])], lo: 0, hi: 1, bins: 10, title: "t <&>", xLabel: "x")
        #expect(h == SVG.histogram([("x", [0.1, 0.5, 0.9, 0.95])], lo: 0, hi: 1, bins: 10, title: "t <&>", xLabel: "x"))
        for svg in [h, SVG.lines([("a", [1, 2, 3])], title: "l", xLabel: "x", yLabel: "y", logY: true),
                    SVG.spectrum([3, 2, 1e-3], title: "s", yLabel: "λ"),
                    SVG.heatmaps([("k", 2, 2, [1, -1, 0.5, 0])], title: "h")] {
            let doc = try XMLDocument(xmlString: svg)
            #expect(doc.rootElement()?.name == "svg")
        }
    }
}
