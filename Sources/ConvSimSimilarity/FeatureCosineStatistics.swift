import ConvSimCore
import ConvSimCorrelation

/// Off-diagonal feature-map |cosine| statistics of a bank on inputs, from the exact
/// Gram `G = K 𝐆^P Kᵀ` (`CorrelationGram`, Documentation/Theory.md#patch-gram): `cos_ij = G_ij/√(G_ii G_jj)`.
public struct FeatureCosineStatistics: Sendable {
    /// Mean and maximum of `|cos_ij|` over `i ≠ j` with both feature maps non-zero.
    public var meanAbs: Double
    public var maxAbs: Double
    /// The pair attaining the maximum.
    public var maxPair: (Int, Int)?
    /// Number of pairs counted.
    public var pairs: Int

    public init(gram: GramResult) {
        let c = gram.cosine
        var s = 0.0, mx = 0.0, n = 0
        var arg: (Int, Int)? = nil
        for i in 0..<c.rows { for j in (i + 1)..<max(i + 1, c.rows) where c[i, j].isFinite {
            let a = abs(c[i, j]); s += a; n += 1
            if a >= mx { mx = a; arg = (i, j) }
        } }
        meanAbs = n > 0 ? s / Double(n) : .nan
        maxAbs = n > 0 ? mx : .nan
        maxPair = arg
        pairs = n
    }

    public static func compute(bank: KernelBank, patchGram: PatchGram) -> FeatureCosineStatistics {
        FeatureCosineStatistics(gram: CorrelationGram.gram(kernels: bank, patchGram: patchGram))
    }
}
