import Foundation

/// Number formatting (fixed, locale-independent): the one formatter of the package, used by
/// the reports and by the domain modules' messages and finding notes.
public enum Fmt {
    public static func g(_ x: Double, _ digits: Int = 6) -> String { x.isFinite ? String(format: "%.\(digits)g", x) : "n/a" }
    public static func e(_ x: Double, _ digits: Int = 3) -> String { x.isFinite ? String(format: "%.\(digits)e", x) : "n/a" }
    public static func f(_ x: Double, _ digits: Int = 4) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "n/a" }
    /// `|x| < r` for a value below the display resolution `r` (rounding noise whose last
    /// digits depend on the machine's BLAS kernels), else the value.
    public static func resolved(_ x: Double, resolution r: Double) -> String {
        x.isFinite && abs(x) < r ? "|x| < \(e(r, 0))" : e(x)
    }
}
