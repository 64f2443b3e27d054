import ConvSimCore

/// The feature-map Gram of a bank from the patch Gram:
/// `G = K 𝐆^P Kᵀ` (`K` the `M×m` matrix of flattened kernels), exact for every
/// padding (T1 for full/circular, T1b for valid/same), plus the paper's
/// Toeplitz form `K 𝐑 Kᵀ` and its discrepancy.
///
/// Error bound: `Ĝ = fl(fl(K𝐆̂)Kᵀ)`; every term `K_ia 𝐆_ab K_jb` passes two
/// dot products of length `m`, so with `Δ𝐆` the bound on `|𝐆̂ − 𝐆|`,
/// `|Ĝ − G| ≤ |K| (Δ𝐆 + γ_{2m}(|𝐆̂| + Δ𝐆)) |K|ᵀ`, evaluated in floating point
/// and inflated to stay an upper bound.
public struct GramResult: Sendable {
    /// Refuses a result whose Gram or bound overflowed binary64 (inputs or kernels so large
    /// that `Σ F_i F_j` passes ~1.8e308): no NaN or ∞ is ever reported as a result.
    public func requireFinite() throws -> GramResult {
        guard Finite.firstNonFinite(gram.values) == nil, Finite.firstNonFinite(bound.values) == nil else {
            throw ConvSimError.invalidArgument("the feature-map Gram overflows binary64 (inputs or kernels too large: products of the values pass 1.8e308); rescale the data, e.g. divide the inputs by a power of two (the cosines do not change)")
        }
        return self
    }

    public var gram: Matrix
    public var bound: Matrix
    public var cosine: Matrix
    public var padding: Padding
    /// `K 𝐑 Kᵀ`: the paper's form (equal to `gram` for full/circular padding).
    public var paperForm: Matrix
    /// `max |paperForm − gram|` over entries and relative to `max |gram|`.
    public var paperDiscrepancy: Double
    public var paperRelativeDiscrepancy: Double
    public var images: Int

    public init(gram: Matrix, bound: Matrix, cosine: Matrix, padding: Padding,
                paperForm: Matrix, paperDiscrepancy: Double, paperRelativeDiscrepancy: Double, images: Int) {
        self.gram = gram; self.bound = bound; self.cosine = cosine; self.padding = padding
        self.paperForm = paperForm; self.paperDiscrepancy = paperDiscrepancy
        self.paperRelativeDiscrepancy = paperRelativeDiscrepancy; self.images = images
    }
}

public enum CorrelationGram {
    /// `K A Kᵀ` for a flattened bank `K` (`M×m`) and an `m×m` matrix `A`.
    public static func quadraticForm(_ k: KernelBank, _ a: [Double]) -> [Double] {
        let m = k.kernelLength, mm = k.count
        let ka = LinearAlgebra.multiply(k.values, rows: mm, inner: m, a, columns: m)
        return LinearAlgebra.multiply(ka, rows: mm, inner: m, k.values, columns: mm, transposeB: true)
    }

    /// The Gram of `kernels` on the data behind `patchGram`, with certified bounds.
    public static func gram(kernels k: KernelBank, patchGram p: PatchGram) -> GramResult {
        precondition(k.channels == p.channels && k.kernelHeight == p.kernelHeight && k.kernelWidth == p.kernelWidth)
        let mm = k.count, m = k.kernelLength
        let gam = FloatingPointBounds.gamma(2 * m)
        let e = zip(p.bound, p.matrix).map { d, v in d + gam * (abs(v) + d) }
        let absK = k.magnitudes
        // The three quadratic forms (Gram, paper form, bound) are independent: one per block on
        // the cores. Each is the same single-threaded BLAS call on any thread, so the same bytes.
        let forms = Parallel.map(blocks: 3) { b -> [Double] in
            b == 0 ? quadraticForm(k, p.matrix) : b == 1 ? quadraticForm(k, p.toeplitz) : quadraticForm(absK, e)
        }
        var sym = forms[0]
        let paper = forms[1]
        // `FloatingPointBounds.inflate(x, operations: 2m)` with its constant hoisted: the same
        // operations on every entry, so the same bytes (262,144 entries at M = 512).
        let g2m = FloatingPointBounds.gamma(2 * m), keep = 1 - g2m, widen = 1 + 2 * FloatingPointBounds.unitRoundoff
        let eb = forms[2].map { g2m < 1 ? $0 / keep * widen : .infinity }
        var disc = 0.0, scale = 0.0
        if sym.count == mm * mm && paper.count == mm * mm {
            sym.withUnsafeMutableBufferPointer { gp in
                // Symmetrize: G is symmetric in exact arithmetic; average the two computed halves.
                // In 8×8 tiles (each pair i < j once, as before): the column side stays in cache.
                // (Not larger: at M = 512 a row is 4 KiB, so a column's entries all fall in one
                // set of an 8-way L1 cache; 32-row tiles thrashed it.)
                let tile = 8
                for bi in stride(from: 0, to: mm, by: tile) { for bj in stride(from: bi, to: mm, by: tile) {
                    for i in bi..<min(bi + tile, mm) {
                        let first = max(i + 1, bj), end = min(bj + tile, mm)
                        guard first < end else { continue }
                        for j in first..<end {
                            let s = 0.5 * (gp[i * mm + j] + gp[j * mm + i]); gp[i * mm + j] = s; gp[j * mm + i] = s
                        }
                    }
                } }
                paper.withUnsafeBufferPointer { pp in
                    for t in 0..<(mm * mm) { disc = max(disc, abs(pp[t] - gp[t])); scale = max(scale, abs(gp[t])) }
                }
            }
        }
        let gram = Matrix(order: mm, rowMajor: sym), paperN = Matrix(order: mm, rowMajor: paper)
        return GramResult(gram: gram, bound: Matrix(order: mm, rowMajor: eb),
                          cosine: DirectConvolution.cosine(fromGram: gram), padding: p.padding,
                          paperForm: paperN, paperDiscrepancy: disc,
                          paperRelativeDiscrepancy: scale > 0 ? disc / scale : 0, images: p.images)
    }

    /// Convenience: accumulate `inputs` and return the Gram of `kernels`.
    public static func gram(inputs: [Signal], kernels k: KernelBank, padding: Padding) throws -> GramResult {
        let acc = PatchGramAccumulator(channels: k.channels, kernelHeight: k.kernelHeight,
                                       kernelWidth: k.kernelWidth, padding: padding)
        try acc.add(contentsOf: inputs.enumerated().map { ($0.element, "input #\($0.offset + 1)") })
        return gram(kernels: k, patchGram: acc.result())
    }
}
