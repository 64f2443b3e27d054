import ConvSimCore

/// Bias terms of a convolution (Documentation/Theory.md#stride): with `F_i + b_i𝟙`,
/// `<F_i + b_i𝟙, F_j + b_j𝟙> = G_ij + b_i ΣF_j + b_j ΣF_i + b_i b_j |Ω|`, where
/// `ΣF_i = vec(K_i)ᵀ μ`, `μ = Σ_s x_s` the first moments of the patches read (over the output
/// offsets of the padding, on the lattice of a stride / dilation, summed over the images) and
/// `|Ω|` the number of output positions.
public struct PatchMoments: Sendable {
    public var mu: [Double]
    /// `Σ_s |x_s|`, for the bound.
    public var absMu: [Double]
    public var positions: Int
    /// Terms of the longest floating-point sum behind `μ` when it exceeds `positions` (moments
    /// folded from blocks, `DatasetStatistics.moments`); 0 for moments accumulated here.
    public var terms: Int

    public init(order m: Int) { mu = [Double](repeating: 0, count: m); absMu = mu; positions = 0; terms = 0 }

    /// Adds the patches of one image.
    public mutating func add(_ x: Signal, kernelHeight kh: Int, kernelWidth kw: Int, padding: Padding, lattice: Lattice = Lattice()) {
        var patch = [Double](repeating: 0, count: mu.count)
        for sy in Lattice.offsets(padding, input: x.height, kernel: kh, stride: lattice.strideY, dilation: lattice.dilationY) {
            for sx in Lattice.offsets(padding, input: x.width, kernel: kw, stride: lattice.strideX, dilation: lattice.dilationX) {
                lattice.gatherPatch(x, sy: sy, sx: sx, kh: kh, kw: kw, circular: padding.isCircular, into: &patch)
                for t in 0..<mu.count { mu[t] += patch[t]; absMu[t] += abs(patch[t]) }
                positions += 1
            }
        }
    }

    /// The Gram of the biased feature maps and its bound, from the Gram of the unbiased ones.
    /// Bound: `|Δμ| ≤ γ_P |μ|_abs (1 + 2γ_P)` (P = max(positions, terms); the factor covers the
    /// rounding of `|μ|_abs` itself); `ΣF_i` errs by `|K_i|·(Δμ + γ_m(|μ̂| + Δμ))`;
    /// the four-term sum (each term up to two products) adds `γ_6` of its absolute terms; all inflated.
    public func biased(_ r: GramResult, kernels k: KernelBank, bias b: [Double]) throws -> GramResult {
        let m = k.count
        guard b.count == m else {
            throw ConvSimError.invalidArgument("the bias has \(b.count) values, the layer \(m) kernels")
        }
        guard b.allSatisfy(\.isFinite) else { throw ConvSimError.nonFinite(what: "the bias", index: b.firstIndex { !$0.isFinite } ?? 0) }
        let len = k.kernelLength
        let gP = FloatingPointBounds.gamma(Swift.max(positions, terms, 1)), gm = FloatingPointBounds.gamma(len)
        // `absMu` is itself a rounded sum of `|x|` (P terms): the true one is at most `absMu/(1 − γ_P)`,
        // below `absMu·(1 + 2γ_P)` for `γ_P ≤ 1/2`.
        let dMu = absMu.map { gP * $0 * (1 + 2 * gP) }
        var sums = [Double](repeating: 0, count: m), sumErr = sums
        for i in 0..<m {
            var s = 0.0, e = 0.0
            for t in 0..<len {
                let kv = k.values[i * len + t]
                s += kv * mu[t]
                e += abs(kv) * (dMu[t] + gm * (abs(mu[t]) + dMu[t]))
            }
            sums[i] = s
            sumErr[i] = FloatingPointBounds.inflate(e, operations: len + 2)
        }
        let n = Double(positions), g4 = FloatingPointBounds.gamma(6)   // up to two products and three sums per term
        var out = r
        for i in 0..<m { for j in 0..<m {
            let t1 = b[i] * sums[j], t2 = b[j] * sums[i], t3 = b[i] * b[j] * n
            out.gram[i, j] = r.gram[i, j] + t1 + t2 + t3
            let absTerms = abs(r.gram[i, j]) + abs(t1) + abs(t2) + abs(t3)
            let e = r.bound[i, j] + abs(b[i]) * sumErr[j] + abs(b[j]) * sumErr[i] + g4 * (absTerms + r.bound[i, j])
            out.bound[i, j] = FloatingPointBounds.inflate(e, operations: 8)
        } }
        out.cosine = DirectConvolution.cosine(fromGram: out.gram)
        out.paperForm = out.gram
        out.paperDiscrepancy = .nan
        out.paperRelativeDiscrepancy = .nan
        return out
    }
}
