import ConvSimCore
import ConvSimCorrelation

/// The data-aware orthogonal initialization of T6 (Documentation/Theory.md#t6; the rank limit is
/// Documentation/Theory.md#errata-6): with `𝐆` the patch
/// Gram of the inputs (order `m = C·kh·kw`), any bank `K = Q·𝐆^{−1/2}` whose rows `Q`
/// are orthonormal satisfies `K 𝐆 Kᵀ = QQᵀ = I`: its feature maps on those inputs are
/// exactly orthogonal (`<F_i, F_j> = vec(K_i)ᵀ 𝐆 vec(K_j)`). Needs `M ≤ rank 𝐆 ≤ m`.
///
/// Construction: `𝐆 = V Λ Vᵀ` (`LinearAlgebra.symmetricEigen`), eigenvalues below
/// `m·u·λ_max` are treated as zero (pseudo-inverse on the range); `B = K₀𝐆^{1/2}`
/// for the starting bank `K₀`; `Q = (BBᵀ)^{−1/2} B` (the orthonormal rows closest to
/// `B`, Löwdin); `K = Q 𝐆^{+1/2}`. Two refinement passes `K ← (K𝐆Kᵀ)^{−1/2} K`
/// remove the eigen-solver's residual. Finally each row is rescaled to the norm of
/// `K₀`'s row (row scaling keeps the Gram diagonal).
public enum DataOrthogonalInit {
    public static func apply(_ start: KernelBank, patchGram: PatchGram) throws -> KernelBank {
        let mm = start.count, m = start.kernelLength
        guard patchGram.order == m else {
            throw ConvSimError.invalidArgument("data-orthogonal: patch Gram order \(patchGram.order) does not match the kernels (C·kh·kw = \(m))")
        }
        guard mm <= m else {
            throw ConvSimError.invalidArgument("data-orthogonal: M = \(mm) kernels cannot be feature-map orthogonal: at most C·kh·kw = \(m) exist (T6)")
        }
        let zeros = start.zeroKernels
        if !zeros.isEmpty { throw ConvSimError.zeroKernels(indices: zeros) }
        let (lam, vec) = try LinearAlgebra.symmetricEigen(patchGram.matrix, order: m)
        let lmax = lam.last ?? 0
        let cut = Double(m) * FloatingPointBounds.unitRoundoff * max(lmax, 0) * 16
        let rank = lam.filter { $0 > cut }.count
        guard lmax > 0, mm <= rank else {
            throw ConvSimError.invalidArgument("data-orthogonal: the inputs' patch Gram has numerical rank \(rank) < M = \(mm); use more or larger inputs, or fewer kernels")
        }
        func power(_ p: Double) -> [Double] {     // V diag(λ^p) Vᵀ on the range
            var out = [Double](repeating: 0, count: m * m)
            for e in 0..<m where lam[e] > cut {
                let s = Foundation_pow(lam[e], p)
                let row = e * m
                for a in 0..<m { let va = vec[row + a] * s; if va == 0 { continue }
                    for b in 0..<m { out[a * m + b] += va * vec[row + b] } }
            }
            return out
        }
        let half = power(0.5), invHalf = power(-0.5)
        let b = LinearAlgebra.multiply(start.values, rows: mm, inner: m, half, columns: m)
        let bbt = LinearAlgebra.multiply(b, rows: mm, inner: m, b, columns: mm, transposeB: true)
        let l = try inverseSqrt(bbt, order: mm)
        let q = LinearAlgebra.multiply(l, rows: mm, inner: mm, b, columns: m)
        var k = LinearAlgebra.multiply(q, rows: mm, inner: m, invHalf, columns: m)
        for _ in 0..<2 {
            var bank = start
            bank.values = k
            let g = CorrelationGram.quadraticForm(bank, patchGram.matrix)
            var gs = g
            for i in 0..<mm { for j in 0..<mm { gs[i * mm + j] = 0.5 * (g[i * mm + j] + g[j * mm + i]) } }
            let li = try inverseSqrt(gs, order: mm)
            k = LinearAlgebra.multiply(li, rows: mm, inner: mm, k, columns: m)
        }
        var out = start
        out.values = k
        for i in 0..<mm {
            let target = start.norm(i), now = out.norm(i)
            if now > 0 { for t in (i * m)..<((i + 1) * m) { out.values[t] *= target / now } }
        }
        return out
    }

    /// `A^{−1/2}` of a symmetric positive-definite matrix.
    static func inverseSqrt(_ a: [Double], order n: Int) throws -> [Double] {
        let (lam, vec) = try LinearAlgebra.symmetricEigen(a, order: n)
        guard let lo = lam.first, lo > 0 else { throw DependentFeatureMaps() }
        var out = [Double](repeating: 0, count: n * n)
        for e in 0..<n {
            let s = 1 / lam[e].squareRoot()
            for a in 0..<n { let va = vec[e * n + a] * s; for b in 0..<n { out[a * n + b] += va * vec[e * n + b] } }
        }
        return out
    }
}

@inline(__always) func Foundation_pow(_ x: Double, _ p: Double) -> Double {
    p == 0.5 ? x.squareRoot() : 1 / x.squareRoot()
}

/// The starting kernels' feature maps are linearly dependent on the inputs (their Gram
/// `K𝐆Kᵀ` is singular), so `(K𝐆Kᵀ)^{−1/2}` does not exist: a caller can restart from other
/// kernels (`convsim minimize` restarts from Gaussian ones).
public struct DependentFeatureMaps: Error, CustomStringConvertible {
    public init() {}
    public var description: String {
        "data-orthogonal: the starting kernels' feature maps are linearly dependent on these inputs; start from a different bank or seed"
    }
}
