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
        if let bad = Finite.firstNonFinite(bank.values) {
            throw ConvSimError.nonFinite(what: "the kernel bank", index: bad)
        }
        let k = normalize ? try Normalization.unitNorm(bank) : bank
        switch method {
        case .fast: return try FastSimilarity(shapeOf: k).evaluate(k, variant: variant, gradient: gradient)
        case .direct: return DirectSimilarity.evaluate(k, variant: variant, gradient: gradient)
        }
    }
}

extension ConvolutionalSimilarity {
    /// The CS of a grouped layer (Documentation/Theory.md#groups): the sum over its `G` groups
    /// of the CS of each group's kernels (`M/G` consecutive kernels), as the layer's training
    /// sees them. Value and bound are the sums (the bound adds one rounding per group:
    /// `(Σ bounds)(1 + γ_G) + γ_G·Σ values`); the gradient is each group's, in place.
    /// - Throws: `invalidArgument` unless `G ≥ 1` divides `M`; the errors of `evaluate`.
    public static func evaluate(_ bank: KernelBank, variant: CSVariant, groups g: Int, method: Method = .fast,
                                normalize: Bool = false, gradient: Bool = false) throws -> CSResult {
        guard g >= 1, bank.count % g == 0 else {
            throw ConvSimError.invalidArgument("--groups \(g) must divide the \(bank.count) kernels")
        }
        if g == 1 { return try evaluate(bank, variant: variant, method: method, normalize: normalize, gradient: gradient) }
        let per = bank.count / g, len = bank.kernelLength
        var total = CSResult(variant: variant, value: 0, bound: 0,
                             gradient: gradient ? [Double](repeating: 0, count: bank.values.count) : nil,
                             gradientBound: gradient ? [Double](repeating: 0, count: bank.count) : nil)
        var absSum = 0.0
        for grp in 0..<g {
            let idx = Array((grp * per)..<((grp + 1) * per))
            let r = try evaluate(bank.selecting(idx), variant: variant, method: method, normalize: normalize, gradient: gradient)
            total.value += r.value
            total.bound += r.bound
            absSum += abs(r.value)
            if let gr = r.gradient, let gb = r.gradientBound {
                for t in 0..<(per * len) { total.gradient?[grp * per * len + t] = gr[t] }
                for k in 0..<per { total.gradientBound?[grp * per + k] = gb[k] }
            }
        }
        let gamma = FloatingPointBounds.gamma(g)
        total.bound = FloatingPointBounds.inflate(total.bound * (1 + gamma) + gamma * absSum, operations: g + 3)
        return total
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
