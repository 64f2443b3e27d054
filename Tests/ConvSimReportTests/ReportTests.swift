import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import PropertyBased
import Testing
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
