import BigInt

/// The arithmetic the generic formulas of `ClosedForms` are written against, so
/// that one text of each side of an identity is evaluated in binary64 (`float`),
/// in `BigInt` (`exact`, Schwartz–Zippel) and symbolically in `Polynomial`
/// (expansion with exact integer coefficients).
public protocol TheoremRing: Sendable {
    static var zero: Self { get }
    init(integer: Int)
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
}

extension Double: TheoremRing {
    public init(integer: Int) { self = Double(integer) }
}

extension BigInt: TheoremRing {
    public init(integer: Int) { self = BigInt(integer) }
}

/// A sparse multivariate polynomial with `BigInt` coefficients. A monomial is the
/// sorted list of its variable indices with repetition (`x₀²x₃` = `[0, 0, 3]`);
/// zero coefficients are never stored, so two polynomials are equal exactly when
/// their dictionaries are equal.
public struct Polynomial: TheoremRing, Equatable, CustomStringConvertible {
    public private(set) var terms: [[Int]: BigInt]

    public init() { terms = [:] }
    public init(integer: Int) { terms = integer == 0 ? [:] : [[]: BigInt(integer)] }
    public init(constant: BigInt) { terms = constant == 0 ? [:] : [[]: constant] }
    /// The variable `x_index`.
    public init(variable index: Int) { terms = [[index]: 1] }

    public static var zero: Polynomial { Polynomial() }

    public var isZero: Bool { terms.isEmpty }
    public var termCount: Int { terms.count }
    /// Total degree (−1 for the zero polynomial).
    public var degree: Int { terms.keys.map(\.count).max() ?? -1 }

    public static func + (a: Polynomial, b: Polynomial) -> Polynomial {
        var r = a.terms.count >= b.terms.count ? a : b
        let s = a.terms.count >= b.terms.count ? b : a
        for (m, c) in s.terms {
            let v = (r.terms[m] ?? 0) + c
            r.terms[m] = v == 0 ? nil : v
        }
        return r
    }

    public static prefix func - (a: Polynomial) -> Polynomial {
        var r = a
        for (m, c) in a.terms { r.terms[m] = -c }
        return r
    }

    public static func - (a: Polynomial, b: Polynomial) -> Polynomial { a + (-b) }

    public static func * (a: Polynomial, b: Polynomial) -> Polynomial {
        var r = Polynomial()
        if a.isZero || b.isZero { return r }
        for (ma, ca) in a.terms {
            for (mb, cb) in b.terms {
                let m = merge(ma, mb)
                let v = (r.terms[m] ?? 0) + ca * cb
                r.terms[m] = v == 0 ? nil : v
            }
        }
        return r
    }

    static func merge(_ a: [Int], _ b: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i] <= b[j]) { out.append(a[i]); i += 1 } else { out.append(b[j]); j += 1 }
        }
        return out
    }

    /// Exact evaluation at an integer point (`point[v]` is the value of `x_v`).
    public func evaluate(_ point: [BigInt]) -> BigInt {
        var s = BigInt(0)
        for (m, c) in terms {
            var p = c
            for v in m { p *= point[v] }
            s += p
        }
        return s
    }

    /// Deterministic text, monomials in lexicographic order.
    public var description: String {
        if terms.isEmpty { return "0" }
        let keys = terms.keys.sorted { $0.lexicographicallyPrecedes($1) }
        return keys.map { m in
            let c = terms[m]!
            let vars = m.map { "x\($0)" }.joined(separator: "·")
            return vars.isEmpty ? c.description : "\(c)·\(vars)"
        }.joined(separator: " + ")
    }
}
