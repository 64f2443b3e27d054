import BigInt
import ConvSimCertificates
import ConvSimCore

/// Exact integer arithmetic for the search's shrinker: integer kernels against an
/// integer patch Gram, arbitrary-precision sums, exact comparisons. (Certificates
/// are checked by `ConvSimCertificates`.)
public enum ExactArithmetic {
    /// `Σ a_i b_i` exactly; `nil` if an entry is not an integer.
    public static func dot(_ a: [Double], _ b: [Double]) -> BigInt? {
        guard a.count == b.count, let ai = integers(a), let bi = integers(b) else { return nil }
        return ExactForms.dot(ai, bi)
    }

    /// The entries as exact integers, or `nil` if one is not an integer.
    public static func integers(_ a: [Double]) -> [BigInt]? {
        var out: [BigInt] = []
        out.reserveCapacity(a.count)
        for v in a {
            guard v.isFinite, v == v.rounded(), let b = BigInt(exactly: v) else { return nil }
            out.append(b)
        }
        return out
    }

    /// `aᵀ G b` exactly for an integer matrix `G` (row-major `m×m`): `ExactForms.quadratic`.
    public static func quadratic(_ a: [BigInt], _ g: [BigInt], _ b: [BigInt]) -> BigInt { ExactForms.quadratic(a, g, b) }

    /// Exactly decides `|num| / sqrt(d1·d2) ≥ p/q` (with `d1, d2 > 0`), i.e.
    /// `q²·num² ≥ p²·d1·d2`.
    public static func cosineAtLeast(_ num: BigInt, _ d1: BigInt, _ d2: BigInt, p: BigInt, q: BigInt) -> Bool {
        q * q * num * num >= p * p * d1 * d2
    }

    /// A double close to `num / sqrt(d1·d2)` (for display; the claims use `cosineAtLeast`).
    public static func cosine(_ num: BigInt, _ d1: BigInt, _ d2: BigInt) -> Double {
        if d1 == 0 || d2 == 0 { return .nan }
        return Double(num) / (Double(d1).squareRoot() * Double(d2).squareRoot())
    }
}


