import BigInt
import Foundation

/// An exact rational number `num/den` (`den > 0`, lowest terms), the number type
/// of every certificate check (Documentation/Certificates.md, "Value types").
public struct Rational: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let num: BigInt
    public let den: BigInt

    /// `n/d` in lowest terms; `d` must not be 0 (callers check).
    public init(_ n: BigInt, _ d: BigInt = 1) {
        var n = n, d = d
        if d.sign == .minus { n = -n; d = -d }
        let g = n.greatestCommonDivisor(with: d)
        if g > 1 { n /= g; d /= g }
        num = n; den = d.isZero ? 1 : d
    }

    public init(_ n: Int) { self.init(BigInt(n)) }

    /// `m·2^e` exactly.
    public init(_ m: BigInt, exp2 e: Int) {
        if e >= 0 { self.init(m << e) } else { self.init(m, BigInt(1) << (-e)) }
    }

    /// The exact value of a finite binary64 number.
    public init?(exactly v: Double) {
        guard v.isFinite else { return nil }
        guard let (m, e) = Rational.dyadic(v) else { self.init(0); return }
        self.init(m, exp2: e)
    }

    /// `v = m·2^e` with an integer `m` (odd unless `v = 0`, then nil).
    public static func dyadic(_ v: Double) -> (BigInt, Int)? {
        guard v.isFinite, v != 0 else { return nil }
        // v = significand·2^exponent with 52 fraction bits at most.
        guard let m = Int64(exactly: v.significand * 0x1p52) else { return nil }
        var mm = v.sign == .minus ? -m : m, e = Int(v.exponent) - 52
        let tz = mm.trailingZeroBitCount
        mm >>= tz; e += tz
        return (BigInt(mm), e)
    }

    public static let zero = Rational(0)
    public static let one = Rational(1)

    public var isZero: Bool { num.isZero }
    public var sign: Int { num.isZero ? 0 : (num.sign == .minus ? -1 : 1) }
    public var magnitude: Rational { Rational(num.sign == .minus ? -num : num, den) }

    public static func + (a: Rational, b: Rational) -> Rational { Rational(a.num * b.den + b.num * a.den, a.den * b.den) }
    public static func - (a: Rational, b: Rational) -> Rational { Rational(a.num * b.den - b.num * a.den, a.den * b.den) }
    public static func * (a: Rational, b: Rational) -> Rational { Rational(a.num * b.num, a.den * b.den) }
    /// `a/b`; `b` must be non-zero (callers check).
    public static func / (a: Rational, b: Rational) -> Rational { Rational(a.num * b.den, a.den * b.num) }
    public static prefix func - (a: Rational) -> Rational { Rational(-a.num, a.den) }
    public static func < (a: Rational, b: Rational) -> Bool { a.num * b.den < b.num * a.den }

    /// `"p"` or `"p/q"`.
    public var description: String { den == 1 ? num.description : "\(num)/\(den)" }

    /// The value's text for certificates and messages: the shortest decimal of a double
    /// when it denotes the value exactly, else the exact decimal expansion when the
    /// denominator is `2^a·5^b` (at most 60 digits after the point), else `p/q`.
    public var text: String {
        let d = approximate
        for c in [d, d.nextUp, d.nextDown] where c.isFinite {
            let t = c == c.rounded() && abs(c) < 0x1p53 ? String(Int64(c)) : "\(c)"
            if case .success(let parsed) = Rational.parse(t), parsed == self { return t }
        }
        var q = den, a = 0, b = 0
        while q % 2 == 0 { q /= 2; a += 1 }
        while q % 5 == 0 { q /= 5; b += 1 }
        let digits = max(a, b)
        guard q == 1, digits <= 60 else { return description }
        var t = (num * (a > b ? BigInt(5).power(a - b) : BigInt(2).power(b - a))).magnitude.description
        if digits > 0 {
            if t.count <= digits { t = String(repeating: "0", count: digits - t.count + 1) + t }
            t.insert(".", at: t.index(t.endIndex, offsetBy: -digits))
        }
        return (sign < 0 ? "-" : "") + t
    }

    /// The largest (`down`) or smallest multiple of `10^(e−digits+1)` at or below (above)
    /// the value, `e` its decimal exponent: a short decimal that does not depend on the
    /// last bits of the value.
    public func snapped(digits: Int, down: Bool) -> Rational {
        guard !isZero else { return self }
        let e = Int(Foundation.log10(abs(approximate)).rounded(.down))
        let p = e - digits + 1
        let unit = p >= 0 ? Rational(BigInt(10).power(p)) : Rational(1, BigInt(10).power(-p))
        let q = self / unit
        var f = q.num / q.den                       // truncated toward zero
        if Rational(f) > q { f -= 1 }               // floor
        if !down && Rational(f) < q { f += 1 }      // ceiling
        return Rational(f) * unit
    }

    /// A double near the value, for display only.
    public var approximate: Double {
        let s = max(0, max(num.magnitude.bitWidth, den.magnitude.bitWidth) - 1000)
        return Double(num >> s) / Double(den >> s)
    }

    // MARK: - The exact-number grammar of certificates

    /// Longest accepted text and largest decimal exponent (Documentation/Certificates.md).
    public static let maxTextLength = 10_000, maxDecimalExponent = 1000

    public enum ParseFailure: Error, Equatable, Sendable { case syntax, tooLong, exponentTooLarge, zeroDenominator }

    /// Parses an integer `-?[0-9]+`, a fraction `-?[0-9]+/[0-9]+` or a decimal
    /// `-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?` (a decimal needs a point or an exponent).
    public static func parse(_ text: String) -> Result<Rational, ParseFailure> {
        guard text.utf8.count <= maxTextLength else { return .failure(.tooLong) }
        var u = Array(text.utf8)[...]
        var negative = false
        if u.first == UInt8(ascii: "-") { negative = true; u = u.dropFirst() }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        var intPart: [UInt8] = []
        while let b = u.first, isDigit(b) { intPart.append(b); u = u.dropFirst() }
        guard !intPart.isEmpty else { return .failure(.syntax) }
        func big(_ d: [UInt8]) -> BigInt? { BigInt(String(decoding: d, as: UTF8.self)) }
        if u.first == UInt8(ascii: "/") {
            u = u.dropFirst()
            let den = Array(u)
            guard !den.isEmpty, den.allSatisfy(isDigit), let n = big(intPart), let d = big(den) else { return .failure(.syntax) }
            guard !d.isZero else { return .failure(.zeroDenominator) }
            return .success(Rational(negative ? -n : n, d))
        }
        var frac: [UInt8] = []
        if u.first == UInt8(ascii: ".") {
            u = u.dropFirst()
            while let b = u.first, isDigit(b) { frac.append(b); u = u.dropFirst() }
            guard !frac.isEmpty else { return .failure(.syntax) }
        }
        var exponent = 0
        if let b = u.first, b == UInt8(ascii: "e") || b == UInt8(ascii: "E") {
            u = u.dropFirst()
            var eneg = false
            if let s = u.first, s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { eneg = s == UInt8(ascii: "-"); u = u.dropFirst() }
            let ed = Array(u)
            guard !ed.isEmpty, ed.allSatisfy(isDigit) else { return .failure(.syntax) }
            guard ed.count <= 5, let ev = Int(String(decoding: ed, as: UTF8.self)), ev <= maxDecimalExponent else {
                return .failure(.exponentTooLarge)
            }
            exponent = eneg ? -ev : ev
            u = u[u.endIndex...]
        }
        guard u.isEmpty, let m = big(intPart + frac) else { return .failure(.syntax) }
        let e = exponent - frac.count
        let value = e >= 0 ? Rational(m * BigInt(10).power(e)) : Rational(m, BigInt(10).power(-e))
        return .success(negative ? -value : value)
    }

    // MARK: - Exact decisions about square roots

    /// Decides `N/√D ≥ t` exactly (`D > 0`).
    public static func ratioOfRootAtLeast(_ n: Rational, root d: Rational, _ t: Rational) -> Bool {
        if n.sign >= 0 { return t.sign <= 0 || n * n >= t * t * d }
        return t.sign < 0 && n * n <= t * t * d
    }

    /// Decides `lower ≤ N/√D ≤ upper` exactly (`D > 0`).
    public static func ratioOfRoot(_ n: Rational, root d: Rational, in lower: Rational, _ upper: Rational) -> Bool {
        ratioOfRootAtLeast(n, root: d, lower) && ratioOfRootAtLeast(-n, root: d, -upper)
    }

    /// An enclosure `[lo, hi]` of `√r` (`r ≥ 0`) with `s` bits after the point:
    /// `⌊√(p·q·4^s)⌋/(q·2^s)` and one unit more.
    public static func squareRootEnclosure(_ r: Rational, bits s: Int = 128) -> (lo: Rational, hi: Rational) {
        let root = (r.num * r.den << (2 * s)).squareRoot()
        let q = r.den << s
        return (Rational(root, q), Rational(root + 1, q))
    }
}
