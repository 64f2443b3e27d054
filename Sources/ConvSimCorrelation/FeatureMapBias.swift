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
    /// A bound on the additions any sample went through on its way into `μ` (the depth of the
    /// summation): `|Δμ| ≤ γ_terms · Σ|x|` whatever the order of the sums.
    public var terms: Int

    public init(order m: Int) { mu = [Double](repeating: 0, count: m); absMu = mu; positions = 0; terms = 0 }

    /// Adds the patches of one image.
    public mutating func add(_ x: Signal, kernelHeight kh: Int, kernelWidth kw: Int, padding: Padding, lattice: Lattice = Lattice()) {
        if lattice.isDense { return addDense(x, kernelHeight: kh, kernelWidth: kw, padding: padding) }
        let before = positions
        defer { terms += positions - before }   // one addition into μ per position
        var patch = [Double](repeating: 0, count: mu.count)
        for sy in Lattice.offsets(padding, input: x.height, kernel: kh, stride: lattice.strideY, dilation: lattice.dilationY) {
            for sx in Lattice.offsets(padding, input: x.width, kernel: kw, stride: lattice.strideX, dilation: lattice.dilationX) {
                lattice.gatherPatch(x, sy: sy, sx: sx, kh: kh, kw: kw, circular: padding.isCircular, into: &patch)
                for t in 0..<mu.count { mu[t] += patch[t]; absMu[t] += abs(patch[t]) }
                positions += 1
            }
        }
    }

    /// Adds another sum's moments (a later block): every sample goes through one more addition.
    public mutating func merge(_ other: PatchMoments) {
        for t in mu.indices { mu[t] += other.mu[t]; absMu[t] += other.absMu[t] }
        positions += other.positions
        terms = Swift.max(terms, other.terms) + 1
    }

    /// Stride 1, no dilation: entry `(c, u)` of `Σ_p patch(p)` is the sum of channel `c` over the
    /// rectangle of samples that offset `u` reads (zero padding: the output window shifted by
    /// `u − o` and cut to the image; circular: every sample once). Summed as row sums over the
    /// columns, then over the rows — `O(C·kw·H·W + C·kh·kw·H)`, not `O(C·kh·kw·|Ω|)` — each
    /// sample through at most `H + W − 1` additions within the image and one into `μ`.
    mutating func addDense(_ x: Signal, kernelHeight kh: Int, kernelWidth kw: Int, padding: Padding) {
        let h = x.height, w = x.width
        let ny = padding.outputLength(input: h, kernel: kh), nx = padding.outputLength(input: w, kernel: kw)
        positions += ny * nx
        terms = Swift.max(terms + 1, h + w)
        guard ny > 0, nx > 0 else { return }
        let oy = padding.leftPad(kernel: kh), ox = padding.leftPad(kernel: kw)
        func range(_ u: Int, _ o: Int, _ n: Int, _ len: Int) -> Range<Int> {
            if padding.isCircular { return 0..<len }   // a permutation of the samples
            let lo = Swift.max(0, u - o), hi = Swift.min(len, n + u - o)
            return lo..<Swift.max(lo, hi)   // empty when the offset reads only padding
        }
        var rowSum = [Double](repeating: 0, count: h), rowAbs = rowSum
        x.values.withUnsafeBufferPointer { v in
            for c in 0..<x.channels {
                let plane = c * h * w
                for ux in 0..<kw {
                    let cols = range(ux, ox, nx, w)
                    for y in 0..<h {
                        var s = 0.0, a = 0.0
                        let row = plane + y * w
                        for xx in cols { s += v[row + xx]; a += abs(v[row + xx]) }
                        rowSum[y] = s; rowAbs[y] = a
                    }
                    for uy in 0..<kh {
                        var s = 0.0, a = 0.0
                        for y in range(uy, oy, ny, h) { s += rowSum[y]; a += rowAbs[y] }
                        let t = (c * kh + uy) * kw + ux
                        mu[t] += s; absMu[t] += a
                    }
                }
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
