import CFormat

/// Number formatting (fixed, locale-independent): the one formatter of the package, used by
/// the reports, the command line's terminal output and the domain modules' messages and finding
/// notes.
///
/// `g`, `e` and `f` are C's `%.{digits}g`, `%.{digits}e` and `%.{digits}f` (so the same bytes on
/// every machine and locale); `plus` prefixes `+` to non-negative values (C's `%+`), `width`
/// right-aligns the result in that many characters (C's `%{width}`). A non-finite value is `n/a`.
/// `d` is C's `%{width}d` / `%0{width}d`; `left` and `right` align any text in a fixed width (C's
/// `%-{width}s` and `%{width}s`; longer text is kept whole, never cut).
public enum Fmt {
    public static func g(_ x: Double, _ digits: Int = 6, plus: Bool = false, width: Int = 0) -> String {
        number(x, "\(plus ? "+" : "").\(digits)g", width)
    }
    public static func e(_ x: Double, _ digits: Int = 3, plus: Bool = false, width: Int = 0) -> String {
        number(x, "\(plus ? "+" : "").\(digits)e", width)
    }
    public static func f(_ x: Double, _ digits: Int = 4, plus: Bool = false, width: Int = 0) -> String {
        number(x, "\(plus ? "+" : "").\(digits)f", width)
    }

    /// An integer in decimal, right-aligned in `width` characters, padded with zeros after the
    /// sign instead of spaces when `zeroPadded` (`d(7, width: 2, zeroPadded: true)` = `07`).
    public static func d(_ n: Int, width: Int = 0, zeroPadded: Bool = false) -> String {
        let digits = String(n.magnitude), sign = n < 0 ? "-" : ""
        guard zeroPadded else { return right(sign + digits, width) }
        return sign + String(repeating: "0", count: max(0, width - sign.count - digits.count)) + digits
    }

    /// `text` right-aligned in `width` characters (spaces before it).
    public static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// `text` left-aligned in `width` characters (spaces after it).
    public static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `|x| < r` for a value below the display resolution `r` (rounding noise whose last
    /// digits depend on the machine's BLAS kernels), else the value.
    public static func resolved(_ x: Double, resolution r: Double) -> String {
        x.isFinite && abs(x) < r ? "|x| < \(e(r, 0))" : e(x)
    }

    /// The formatter's one use of C formatting: `%{spec}` of a finite value, else `n/a`, right-aligned in `width`.
    /// C's `snprintf` through `convsim_format_double` (CFormat: the C locale, `.` as the decimal
    /// point), not Foundation's `String(format:)`, whose variadic arguments cost a short command
    /// a scan of every protocol conformance on first use (about 0.2 ms).
    private static func number(_ x: Double, _ spec: String, _ width: Int) -> String {
        guard x.isFinite else { return right("n/a", width) }
        let format = "%" + spec
        var small = [CChar](repeating: 0, count: 64)
        let n = Int(convsim_format_double(&small, small.count, format, x))
        guard n >= small.count else { return right(n >= 0 ? String(cString: small) : "n/a", width) }
        var large = [CChar](repeating: 0, count: n + 1)   // `%f` of 1e300 has 301 digits
        _ = convsim_format_double(&large, large.count, format, x)
        return right(String(cString: large), width)
    }
}
