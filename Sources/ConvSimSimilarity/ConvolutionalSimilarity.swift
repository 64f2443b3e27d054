import ConvSimCore

/// Entry point of the module: the Convolutional Similarity of a bank, by the
/// direct reference or the fast Parseval path (Documentation/Theory.md#cs-fast), optionally on
/// unit-norm kernels (`--normalize`).
public enum ConvolutionalSimilarity {
    public enum Method: String, Sendable, CaseIterable { case fast, direct }

    /// Evaluates `variant` on `bank` (on `Normalization.unitNorm(bank)` when `normalize`;
    /// the gradient is then with respect to the entries of the normalized bank).
    /// - Throws: `ConvSimError.zeroKernels` when normalizing a bank with zero kernels,
    ///   `ConvSimError.nonFinite` when the bank contains NaN or ±∞.
    public static func evaluate(_ bank: KernelBank, variant: CSVariant, method: Method = .fast,
                                normalize: Bool = false, gradient: Bool = false) throws -> CSResult {
        if let bad = bank.values.firstIndex(where: { !$0.isFinite }) {
            throw ConvSimError.nonFinite(what: "the kernel bank", index: bad)
        }
        let k = normalize ? try Normalization.unitNorm(bank) : bank
        switch method {
        case .fast: return try FastSimilarity(shapeOf: k).evaluate(k, variant: variant, gradient: gradient)
        case .direct: return DirectSimilarity.evaluate(k, variant: variant, gradient: gradient)
        }
    }
}

/// Unit-norm kernels: `K_i / ‖K_i‖₂` (the norm over all channels and taps of kernel `i`).
public enum Normalization {
    /// - Throws: `ConvSimError.zeroKernels(indices:)` listing every identically zero kernel.
    public static func unitNorm(_ bank: KernelBank) throws -> KernelBank {
        let zeros = bank.zeroKernels
        if !zeros.isEmpty { throw ConvSimError.zeroKernels(indices: zeros) }
        var k = bank
        let len = bank.kernelLength
        for i in 0..<bank.count {
            // Scale first so that squares of tiny or huge entries neither underflow nor overflow.
            var mx = 0.0
            for t in (i * len)..<((i + 1) * len) { mx = max(mx, abs(bank.values[t])) }
            var s = 0.0
            for t in (i * len)..<((i + 1) * len) { let v = bank.values[t] / mx; s += v * v }
            let n = s.squareRoot()
            for t in (i * len)..<((i + 1) * len) { k.values[t] = (bank.values[t] / mx) / n }
        }
        return k
    }
}
