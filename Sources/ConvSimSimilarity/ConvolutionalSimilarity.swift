import ConvSimCore

/// Entry point of the module: the Convolutional Similarity of a bank, by the
/// direct reference or the fast Parseval path (Documentation/Theory.md#cs-fast), optionally on
/// unit-norm kernels (`--normalize`).
public enum ConvolutionalSimilarity {
    public enum Method: String, Sendable, CaseIterable { case fast, direct }

    /// Evaluates `variant` on `bank` (on `Normalization.unitNorm(bank)` when `normalize`;
    /// the gradient is then with respect to the entries of the normalized bank).
    /// - Parameter sink: when given, the gradient is computed (as with `gradient: true`) and
    ///   also handed to `sink` in consecutive pieces; the lag-domain form (`pairs`, `adjacent`
    ///   with small kernels) hands over each chunk of kernels as soon as it is final, while the
    ///   next is computed, the other forms the whole gradient at the end.
    /// - Throws: `ConvSimError.zeroKernels` when normalizing a bank with zero kernels,
    ///   `ConvSimError.nonFinite` when the bank contains NaN or ±∞; the sink's error.
    public static func evaluate(_ bank: KernelBank, variant: CSVariant, method: Method = .fast,
                                normalize: Bool = false, gradient: Bool = false,
                                gradientTo sink: GradientSink? = nil) throws -> CSResult {
        try evaluateOne(bank, variant: variant, method: method, normalize: normalize, gradient: gradient,
                        sink: sink, reuseStorage: false)
    }

    /// `evaluate` with `reuseStorage`: the lag-domain form may write the gradient over the
    /// bank's own values (`FastSimilarity.lagDomain`).
    static func evaluateOne(_ bank: consuming KernelBank, variant: CSVariant, method: Method, normalize: Bool,
                            gradient: Bool, sink: GradientSink?, reuseStorage: Bool) throws -> CSResult {
        let lagDomain = method == .fast && variant != .symmetric && bank.count >= 2
            && FastSimilarity.prefersLagDomain(kernelHeight: bank.kernelHeight, kernelWidth: bank.kernelWidth)
        // The lag-domain `pairs` streaming its gradient checks finiteness after its first pass,
        // which reads every value anyway and writes nothing outside its own buffers
        // (`FastSimilarity.lagDomain`): the same error, the same index, one read of the bank less.
        let deferredCheck = lagDomain && variant == .pairs && !normalize && sink != nil
        if !deferredCheck, let bad = Finite.firstNonFinite(bank.values) {
            throw ConvSimError.nonFinite(what: "the kernel bank", index: bad)
        }
        let k: KernelBank
        if normalize { k = try Normalization.unitNorm(bank) } else { k = consume bank }   // moved: its storage stays unshared
        let wantGradient = gradient || sink != nil
        switch method {
        case .fast:
            // The lag-domain form plans no transform: no `FastSimilarity` (FFTW's planner) is built.
            if lagDomain {
                return try FastSimilarity.lagDomain(consume k, variant: variant, gradient: wantGradient, sink: sink,
                                                    reuseStorage: reuseStorage, checkFinite: deferredCheck)
            }
            return try deliver(FastSimilarity(shapeOf: k).evaluate(k, variant: variant, gradient: wantGradient), to: sink)
        case .direct:
            return try deliver(DirectSimilarity.evaluate(k, variant: variant, gradient: wantGradient), to: sink)
        }
    }

    /// Hands a finished result's whole gradient to `sink` (the forms that do not stream it).
    static func deliver(_ r: CSResult, to sink: GradientSink?) throws -> CSResult {
        if let sink, let g = r.gradient { try g.withUnsafeBufferPointer { try sink.write($0) } }
        return r
    }
}

extension ConvolutionalSimilarity {
    /// As `evaluate(_:variant:groups:method:normalize:gradient:gradientTo:)` with the gradient
    /// computed, the bank consumed: where the lag-domain form computes the gradient (`pairs`,
    /// `adjacent`, small kernels, one group) it is written over the bank's own storage, which
    /// saves allocating (and the kernel zeroing) a second bank-sized array — `convsim cs
    /// --gradient` reads a bank, evaluates it once and needs only the gradient afterwards. The
    /// values are the same bytes as `evaluate`'s. (A caller that still shares the bank's storage
    /// gets a copy made first, by copy-on-write: correct, not faster.)
    public static func evaluateGradient(reusing bank: consuming KernelBank, variant: CSVariant, groups g: Int = 1,
                                        method: Method = .fast, normalize: Bool = false,
                                        gradientTo sink: GradientSink? = nil) throws -> CSResult {
        if g == 1 {
            return try evaluateOne(consume bank, variant: variant, method: method, normalize: normalize, gradient: true,
                                   sink: sink, reuseStorage: true)
        }
        return try evaluate(bank, variant: variant, groups: g, method: method, normalize: normalize, gradient: true, gradientTo: sink)
    }

    /// The CS and its gradient of kernels held in place by the caller — a mapped file
    /// (`MappedNPY`) — in OIHW order, the gradient handed to `sink` in pieces and not kept
    /// (`gradient` of the result is nil; value, bound, gradient bounds and pieces are the same
    /// bytes as `evaluate(…, gradientTo:)` on a bank of the same values).
    ///
    /// The lag-domain forms (`pairs`, `adjacent` with small kernels, one group, not normalized)
    /// compute from `values` directly and stream the gradient from two buffers of one chunk
    /// (`FastSimilarity.lagDomainStreaming`): neither a copy of the kernels nor an `M·C·kk`
    /// gradient array. `pairs` checks finiteness after its first pass (as the streamed form
    /// does), `adjacent` before. Every other case copies the values into a bank.
    /// - Parameter what: names the values in a `nonFinite` error (e.g. the layer and its file).
    /// - Throws: `invalidArgument` unless the four dimensions are positive and their product is
    ///   `values.count`; `nonFinite(what:index:)`; the errors of `evaluateGradient(reusing:)`;
    ///   the sink's error.
    public static func evaluateGradient(inPlace values: UnsafeBufferPointer<Double>, count m: Int, channels cc: Int,
                                        kernelHeight kh: Int, kernelWidth kw: Int, variant: CSVariant,
                                        groups g: Int = 1, normalize: Bool = false, describedAs what: String,
                                        gradientTo sink: GradientSink) throws -> CSResult {
        let (mc, o1) = m.multipliedReportingOverflow(by: cc), (mck, o2) = mc.multipliedReportingOverflow(by: kh)
        let (n, o3) = mck.multipliedReportingOverflow(by: kw)
        guard m > 0, cc > 0, kh > 0, kw > 0, !o1, !o2, !o3, n == values.count, let base = values.baseAddress else {
            throw ConvSimError.invalidArgument("\(what): shape (\(m), \(cc), \(kh), \(kw)) does not hold its \(values.count) values")
        }
        if variant != .symmetric, m >= 2, g == 1, !normalize, FastSimilarity.prefersLagDomain(kernelHeight: kh, kernelWidth: kw) {
            if variant != .pairs, let bad = Finite.firstNonFinite(values) { throw ConvSimError.nonFinite(what: what, index: bad) }
            do {
                return try FastSimilarity.lagDomainStreaming(kernels: base, count: m, channels: cc, kernelHeight: kh, kernelWidth: kw,
                                                             variant: variant, sink: sink, checkFinite: variant == .pairs)
            } catch ConvSimError.nonFinite(_, let index) {
                throw ConvSimError.nonFinite(what: what, index: index)
            }
        }
        if let bad = Finite.firstNonFinite(values) { throw ConvSimError.nonFinite(what: what, index: bad) }
        let bank = KernelBank(count: m, channels: cc, kernelHeight: kh, kernelWidth: kw, values: Array(values))
        var r = try evaluateGradient(reusing: bank, variant: variant, groups: g, normalize: normalize, gradientTo: sink)
        r.gradient = nil
        return r
    }

    /// The CS of a grouped layer (Documentation/Theory.md#groups): the sum over its `G` groups
    /// of the CS of each group's kernels (`M/G` consecutive kernels), as the layer's training
    /// sees them. Value and bound are the sums (the bound adds one rounding per group:
    /// `(Σ bounds)(1 + γ_G) + γ_G·Σ values`); the gradient is each group's, in place.
    /// - Throws: `invalidArgument` unless `G ≥ 1` divides `M`; the errors of `evaluate`.
    public static func evaluate(_ bank: KernelBank, variant: CSVariant, groups g: Int, method: Method = .fast,
                                normalize: Bool = false, gradient: Bool = false,
                                gradientTo sink: GradientSink? = nil) throws -> CSResult {
        guard g >= 1, bank.count % g == 0 else {
            throw ConvSimError.invalidArgument("--groups \(g) must divide the \(bank.count) kernels")
        }
        if g == 1 {
            return try evaluateOne(bank, variant: variant, method: method, normalize: normalize, gradient: gradient,
                                   sink: sink, reuseStorage: false)
        }
        let gradient = gradient || sink != nil
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
        return try deliver(total, to: sink)
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
