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
    ///
    /// The three quadratic forms (Gram, paper form, bound) are computed in row blocks, each block
    /// its rows of `K·A` and then of `(K·A)·Kᵀ` (two single-threaded BLAS calls, the same on any
    /// thread), so the result is the same bytes for any thread count; the blocks depend on `M`
    /// only. Symmetrization and the paper-form discrepancy run in row blocks too (each pair
    /// `i < j` averaged once, by the block of row `i`; the maxima do not depend on the order).
    public static func gram(kernels k: KernelBank, patchGram p: PatchGram) -> GramResult {
        precondition(k.channels == p.channels && k.kernelHeight == p.kernelHeight && k.kernelWidth == p.kernelWidth)
        let mm = k.count, m = k.kernelLength
        let gam = FloatingPointBounds.gamma(2 * m)
        let e = zip(p.bound, p.matrix).map { d, v in d + gam * (abs(v) + d) }
        let absK = k.magnitudes
        // `FloatingPointBounds.inflate(x, operations: 2m)` with its constant hoisted: the same
        // operations on every entry, so the same bytes (262,144 entries at M = 512).
        let g2m = FloatingPointBounds.gamma(2 * m), keep = 1 - g2m, widen = 1 + 2 * FloatingPointBounds.unitRoundoff
        // Row blocks of about 128 rows: at M = 512 the six products of the three forms share
        // two cores evenly (three forms whole took two rounds, the second on one core).
        let rowBlocks = max(1, min(8, mm / 128))
        let count = mm * mm
        // Every entry is written by the products below (not zero-filled first); with no kernel
        // taps (m = 0) every form is 0.
        func output() -> [Double] { m > 0 ? HugePages.doubles(count: count) { _ in } : HugePages.zeros(count: count) }
        var sym = output(), paper = output(), eb = output()
        var disc = 0.0, scale = 0.0
        if mm > 0 && m > 0 {
            k.values.withUnsafeBufferPointer { kp in absK.values.withUnsafeBufferPointer { ap in
            p.matrix.withUnsafeBufferPointer { a0 in p.toeplitz.withUnsafeBufferPointer { a1 in e.withUnsafeBufferPointer { a2 in
            sym.withUnsafeMutableBufferPointer { o0 in paper.withUnsafeMutableBufferPointer { o1 in eb.withUnsafeMutableBufferPointer { o2 in
                guard let k0 = kp.baseAddress, let k2 = ap.baseAddress, let a0 = a0.baseAddress, let a1 = a1.baseAddress,
                      let a2 = a2.baseAddress, let o0 = o0.baseAddress, let o1 = o1.baseAddress, let o2 = o2.baseAddress else { return }
                let io = FormBuffers(kernels: [k0, k0, k2], middles: [a0, a1, a2], outputs: [o0, o1, o2])
                Parallel.forEach(blocks: 3 * rowBlocks) { t in
                    let f = t / rowBlocks, b = t % rowBlocks
                    let r0 = b * mm / rowBlocks, r1 = (b + 1) * mm / rowBlocks, h = r1 - r0
                    guard h > 0 else { return }
                    let out = io.outputs[f] + r0 * mm
                    var ka = [Double](repeating: 0, count: h * m)
                    ka.withUnsafeMutableBufferPointer { kab in
                        guard let kab = kab.baseAddress else { return }
                        LinearAlgebra.multiply(io.kernels[f] + r0 * m, rows: h, inner: m, io.middles[f], columns: m, into: kab)
                        LinearAlgebra.multiply(UnsafePointer(kab), rows: h, inner: m, io.kernels[f], columns: mm, transposeB: true, into: out)
                    }
                    if f == 2 {
                        for t in 0..<(h * mm) { out[t] = g2m < 1 ? out[t] / keep * widen : .infinity }
                    }
                }
                // Symmetrize: G is symmetric in exact arithmetic; average the two computed halves.
                // In 8×8 tiles, each pair i < j once (by the block of the tile row of i), the
                // column side in cache. (Not larger: at M = 512 a row is 4 KiB, so a column's
                // entries all fall in one set of an 8-way L1 cache; 32-row tiles thrashed it.)
                let tile = 8, tileRows = (mm + tile - 1) / tile
                Parallel.forEach(blocks: tileRows) { ti in
                    let g = io.outputs[0], bi = ti * tile
                    for bj in stride(from: bi, to: mm, by: tile) {
                        for i in bi..<min(bi + tile, mm) {
                            let first = max(i + 1, bj), end = min(bj + tile, mm)
                            guard first < end else { continue }
                            for j in first..<end {
                                let s = 0.5 * (g[i * mm + j] + g[j * mm + i]); g[i * mm + j] = s; g[j * mm + i] = s
                            }
                        }
                    }
                }
                let maxima = Parallel.map(blocks: rowBlocks) { b -> (Double, Double) in
                    let g = io.outputs[0], pp = io.outputs[1]
                    var d = 0.0, s = 0.0
                    for t in (b * mm / rowBlocks * mm)..<((b + 1) * mm / rowBlocks * mm) {
                        d = max(d, abs(pp[t] - g[t])); s = max(s, abs(g[t]))
                    }
                    return (d, s)
                }
                for (d, s) in maxima { disc = max(disc, d); scale = max(scale, s) }
            } } }
            } } }
            } }
        }
        let gram = Matrix(order: mm, rowMajor: sym), paperN = Matrix(order: mm, rowMajor: paper)
        return GramResult(gram: gram, bound: Matrix(order: mm, rowMajor: eb),
                          cosine: DirectConvolution.cosine(fromGram: gram), padding: p.padding,
                          paperForm: paperN, paperDiscrepancy: disc,
                          paperRelativeDiscrepancy: scale > 0 ? disc / scale : 0, images: p.images)
    }

    /// The three forms' operands for the workers: the left and right factor (`K` or `|K|`), the
    /// middle matrix and the output of each.
    private struct FormBuffers: @unchecked Sendable {
        let kernels: [UnsafePointer<Double>]
        let middles: [UnsafePointer<Double>]
        let outputs: [UnsafeMutablePointer<Double>]
    }

    /// Convenience: accumulate `inputs` and return the Gram of `kernels`.
    public static func gram(inputs: [Signal], kernels k: KernelBank, padding: Padding) throws -> GramResult {
        let acc = PatchGramAccumulator(channels: k.channels, kernelHeight: k.kernelHeight,
                                       kernelWidth: k.kernelWidth, padding: padding)
        try acc.add(contentsOf: inputs.enumerated().map { ($0.element, "input #\($0.offset + 1)") })
        return gram(kernels: k, patchGram: acc.result())
    }
}
