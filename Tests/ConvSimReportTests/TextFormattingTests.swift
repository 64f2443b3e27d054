import ConvSimCore
import Foundation
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

    /// `Fmt` formats through C's `snprintf` (`convsim_format_double`); Foundation's
    /// `String(format:)`, which it replaced, gives the same text for every form it uses: random
    /// values over 600 binary orders of magnitude, both signs, subnormals and extremes, and
    /// `%f` texts longer than the first buffer (64 bytes).
    @Test func fmtEqualsFoundationsFormat() {
        var rng = SeededRandom(seed: 7)
        var values: [Double] = [0, -0.0, 1, -1, 0.5, 1e-310, -5e-324, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                1e300, 123456789012345678901234567890.0, 9.9999999999999995e-5, 0.99995]
        for _ in 0..<400 { values.append(rng.gaussian() * Foundation.pow(2, Double(Int(rng.uniform() * 600) - 300))) }
        for x in values {
            for digits in [0, 3, 4, 6, 10, 17] {
                #expect(Fmt.g(x, digits) == String(format: "%.\(digits)g", x))
                #expect(Fmt.e(x, digits, plus: true) == String(format: "%+.\(digits)e", x))
                #expect(Fmt.f(x, digits, width: 12) == String(format: "%12.\(digits)f", x))
            }
        }
        #expect(Fmt.f(1e300, 2).count == 304)   // 301 digits, the point and 2 decimals
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
