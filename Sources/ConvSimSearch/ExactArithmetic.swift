import BigInt
import ConvSimCore

/// Exact integer arithmetic for certificates (THEORY.md §4, "Exact mode"):
/// integer kernels, integer data, arbitrary-precision sums, exact comparisons.
public enum ExactArithmetic {
    /// `Σ a_i b_i` exactly; `nil` if an entry is not an integer.
    public static func dot(_ a: [Double], _ b: [Double]) -> BigInt? {
        guard a.count == b.count, let ai = integers(a), let bi = integers(b) else { return nil }
        var s = BigInt(0)
        for k in 0..<ai.count { s += ai[k] * bi[k] }
        return s
    }

    /// The entries as exact integers, or `nil` if one is not an integer.
    public static func integers(_ a: [Double]) -> [BigInt]? {
        var out: [BigInt] = []
        out.reserveCapacity(a.count)
        for v in a {
            guard v.isFinite, v == v.rounded() else { return nil }
            out.append(BigInt(exactly: v)!)
        }
        return out
    }

    /// `aᵀ G b` exactly for an integer matrix `G` (row-major `m×m`).
    public static func quadratic(_ a: [BigInt], _ g: [BigInt], _ b: [BigInt]) -> BigInt {
        let m = a.count
        var s = BigInt(0)
        for i in 0..<m where a[i] != 0 {
            var row = BigInt(0)
            for j in 0..<m where b[j] != 0 { row += g[i * m + j] * b[j] }
            s += a[i] * row
        }
        return s
    }

    /// The exact feature-map Gram of integer kernels on integer inputs, in
    /// arbitrary precision (no overflow possible).
    public static func gram(inputs: [Signal], kernels k: KernelBank, padding: Padding) -> [[BigInt]]? {
        guard let kv = integers(k.values) else { return nil }
        let m = k.count
        var g = [[BigInt]](repeating: [BigInt](repeating: 0, count: m), count: m)
        for x in inputs {
            guard x.isIntegral else { return nil }
            var patch = [Double](repeating: 0, count: k.kernelLength)
            // Feature values fit in Int64 comfortably for certificate sizes; accumulate Gram in BigInt per row.
            var rows = [[Int]](repeating: [], count: m)
            for sy in padding.offsets(input: x.height, kernel: k.kernelHeight) {
                for sx in padding.offsets(input: x.width, kernel: k.kernelWidth) {
                    DirectConvolution.gatherPatch(x, sy: sy, sx: sx, kh: k.kernelHeight, kw: k.kernelWidth,
                                                  circular: padding.isCircular, into: &patch)
                    for i in 0..<m {
                        var f = BigInt(0)
                        for t in 0..<k.kernelLength where patch[t] != 0 { f += kv[i * k.kernelLength + t] * BigInt(Int(patch[t])) }
                        rows[i].append(Int(f))
                    }
                }
            }
            for i in 0..<m { for j in i..<m {
                var s = BigInt(0)
                for p in 0..<rows[i].count { s += BigInt(rows[i][p]) * BigInt(rows[j][p]) }
                g[i][j] += s
                if i != j { g[j][i] += s }
            } }
        }
        return g
    }

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

    /// A threshold written as a decimal (e.g. 0.9) as an exact fraction `p/q` (up to 6 decimals, rounded down).
    public static func fraction(_ x: Double) -> (p: BigInt, q: BigInt) {
        let q = 1_000_000
        return (BigInt(Int((x * Double(q)).rounded(.down))), BigInt(q))
    }
}


/// Exact kernel cross-correlations and the Convolutional Similarity parts that
/// certificates claim, for integer kernels (THEORY.md §1, §3).
public enum ExactKernelAlgebra {
    /// `T_ab,cc'(d)` for all `c, c'` and lags, exactly: `t[c][c'][(dy+kh−1)(2kw−1) + dx+kw−1]`.
    public static func correlations(_ a: [BigInt], _ b: [BigInt], channels c: Int, kh: Int, kw: Int) -> [[[BigInt]]] {
        let lw = 2 * kw - 1
        var t = [[[BigInt]]](repeating: [[BigInt]](repeating: [BigInt](repeating: 0, count: (2 * kh - 1) * lw), count: c), count: c)
        for p in 0..<c { for q in 0..<c {
            for dy in -(kh - 1)...(kh - 1) { for dx in -(kw - 1)...(kw - 1) {
                var s = BigInt(0)
                for uy in max(0, -dy)..<min(kh, kh - dy) { for ux in max(0, -dx)..<min(kw, kw - dx) {
                    s += a[(p * kh + uy) * kw + ux] * b[(q * kh + uy + dy) * kw + ux + dx]
                } }
                t[p][q][(dy + kh - 1) * lw + dx + kw - 1] = s
            } }
        } }
        return t
    }

    /// The paper's similarity of one pair as the authors compute it (same channel only): `Σ_c ‖T_ab,cc‖²`.
    public static func paperCS(_ t: [[[BigInt]]]) -> BigInt {
        var s = BigInt(0)
        for c in 0..<t.count { for v in t[c][c] { s += v * v } }
        return s
    }

    /// `4·Σ_{c,c'} ‖S_ab,cc'‖²` with `2S_ab,cc'(d) = T_ab,cc'(d) + T_ab,c'c(−d)` — an integer;
    /// zero iff the pair is feature-map orthogonal for every input (T2).
    public static func symmetricCSTimes4(_ t: [[[BigInt]]]) -> BigInt {
        var s = BigInt(0)
        let n = t.first?.first?.count ?? 0
        for p in 0..<t.count { for q in 0..<t.count { for l in 0..<n {
            let v = t[p][q][l] + t[q][p][n - 1 - l]   // lag −d sits at the mirrored index
            s += v * v
        } } }
        return s
    }
}
