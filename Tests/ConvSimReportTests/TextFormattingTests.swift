import ConvSimCore
import ConvSimReport
import Testing

/// The one formatter's terminal forms (`Fmt`'s sign, width, integers, alignment) and the text
/// table built on them: the exact bytes the command line prints.
@Suite struct TextFormattingTests {
    /// C's `%+.4f`, `%8.4f`, `%+.10e`, `%-22.15g`, `%.17g`, `%6d`, `%02d`, pinned.
    @Test func fmtMatchesTheCForms() {
        #expect(Fmt.f(0.25, 4, plus: true) == "+0.2500")
        #expect(Fmt.f(-0.25, 4, plus: true) == "-0.2500")
        #expect(Fmt.f(0.5, 4, width: 8) == "  0.5000")
        #expect(Fmt.f(-12345.5, 4, width: 8) == "-12345.5000")   // wider than the width: kept whole
        #expect(Fmt.e(1234.5, 10, plus: true) == "+1.2345000000e+03")
        #expect(Fmt.g(180.49999999999997, 17) == "180.49999999999997")
        #expect(Fmt.g(2.5, 4) == "2.5")
        #expect(Fmt.g(.nan, 4, width: 5) == "  n/a")
        #expect(Fmt.d(42, width: 6) == "    42")
        #expect(Fmt.d(-7, width: 3) == " -7")
        #expect(Fmt.d(7, width: 2, zeroPadded: true) == "07")
        #expect(Fmt.d(-7, width: 3, zeroPadded: true) == "-07")
        #expect(Fmt.d(123, width: 2, zeroPadded: true) == "123")
        #expect(Fmt.d(Int.min) == "-9223372036854775808")
        #expect(Fmt.left("ab", 4) == "ab  ")
        #expect(Fmt.right("ab", 4) == "  ab")
        #expect(Fmt.left("abcdef", 4) == "abcdef")
    }

    /// Titles and cells aligned alike; `before` is the gap (the indent for the first column);
    /// a truncating column cuts, the others widen the line; missing cells are empty.
    @Test func textTableLayout() {
        var t = TextTable([.init("layer", width: 6, .left, before: "", truncates: true),
                           .init("value", width: 8), .init("note", width: 0, .left, before: "  ")])
        t.add(["conv1", Fmt.f(0.5, 4), "ok"])
        t.add(["a_long_name", "123456789", "x"])
        t.add(["c"])
        #expect(t.lines == [
            "layer     value  note",
            "conv1    0.5000  ok",
            "a_long 123456789  x",
            "c                ",
        ])
    }
}
