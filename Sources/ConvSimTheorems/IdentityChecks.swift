import BigInt
import ConvSimCertificates
import ConvSimCore
import ConvSimCorrelation
import Foundation

/// The checker shared by the pair identities `multiplier·<F_0, F_1> = formula`
/// (T1, T1b, T2) at the three evidence levels.
///
/// - float, closed form: `f̂` = the formula in binary64 with `|f̂ − f| ≤ γ_n Σ|terms|`
///   (`ClosedForms.roundingBound`), against the direct Gram `Ĝ_01` with
///   `|Ĝ − G| ≤ γ_{2m+P+N} Σ_p |F|_0(p)|F|_1(p)` (`DirectConvolution.gram`); pass iff
///   `|f̂/multiplier − Ĝ_01| ≤ bound_f/multiplier + bound_G`.
/// - float, engine: the toolkit's FFT path (its own certified bound, see
///   `KernelCorrelation.pairedWith` and `CorrelationGram.gram`) against the same direct Gram.
/// - exact: integer data; both sides in `BigInt`, equal; and the engine value rounded to
///   the nearest integer (only when its certified bound is below 1/2) equal to the
///   exact Gram `ExactInstance.gram` (`Int` or `BigInt`, never overflows).
/// - proof: Schwartz–Zippel at points from a set of `S = 2⁴⁰` integers, and symbolic
///   expansion at the sizes of `symbolicShapes`.
public struct IdentityChecker: Sendable {
    public let id: String
    public let formula: any PairFormula
    public let paddings: [Padding]
    public let sizes: InstanceSizes
    public let engine: (@Sendable (TheoremInstance) throws -> (value: Double, bound: Double))?
    public let symbolicShapes: [IdentityShape]

    public init(id: String, formula: any PairFormula, paddings: [Padding], sizes: InstanceSizes = InstanceSizes(),
                engine: (@Sendable (TheoremInstance) throws -> (value: Double, bound: Double))?,
                symbolicShapes: [IdentityShape]) {
        self.id = id; self.formula = formula; self.paddings = paddings; self.sizes = sizes
        self.engine = engine; self.symbolicShapes = symbolicShapes
    }

    /// One float evaluation of pair `(0, 1)`: the direct value and bound, the formula's and the engine's.
    public struct FloatEvaluation: Sendable {
        public var direct: Double, directBound: Double
        public var formula: Double, formulaBound: Double
        public var engine: Double?, engineBound: Double?
        public var formulaDiscrepancy: Double { abs(formula - direct) }
        public var formulaTolerance: Double { formulaBound + directBound }
        public var engineDiscrepancy: Double? { engine.map { abs($0 - direct) } }
        public var engineTolerance: Double? { engineBound.map { $0 + directBound } }
        public var formulaFails: Bool { !(formulaDiscrepancy <= formulaTolerance) }
        public var engineFails: Bool {
            guard let d = engineDiscrepancy, let t = engineTolerance else { return false }
            return !(d <= t)
        }
    }

    public func floatEvaluation(_ inst: TheoremInstance) -> FloatEvaluation {
        let d = DirectConvolution.certifiedGram(inputs: [inst.input], kernels: inst.kernels.selecting([0, 1]), padding: inst.padding)
        let mult = Double(formula.multiplier)
        let f = formula.evaluate(RingBank(inst.kernels), 0, 1, RingSignal(inst.input), padding: inst.padding, magnitude: false)
        let fb = ClosedForms.roundingBound(formula, inst.kernels, 0, 1, inst.input, padding: inst.padding)
        var ev = FloatEvaluation(direct: d.gram[0, 1], directBound: d.bound[0, 1], formula: f / mult, formulaBound: fb / mult)
        if let e = engine, let r = try? e(inst) { ev.engine = r.value; ev.engineBound = r.bound }
        return ev
    }

    /// Exact comparison: `nil` when the data are not integers.
    public func exactFails(_ inst: TheoremInstance) -> Bool? {
        guard let s = PolynomialIdentity.exactSides(formula, inst) else { return nil }
        return s.lhs != s.rhs
    }

    public func checks(_ ctx: VerificationContext) -> [CheckResult] {
        var out: [CheckResult] = []
        // Float level.
        var rng = ctx.rng(id, "float")
        var closed = FloatTally(), eng = FloatTally()
        for t in 0..<ctx.trials {
            let kind = InstanceGenerator.kind(trial: t, hasImages: !ctx.images.isEmpty, exactOnly: ctx.exact)
            let inst = InstanceGenerator.make(kind, padding: paddings[t % paddings.count], sizes: sizes, images: ctx.images, rng: &rng)
            let ev = floatEvaluation(inst)
            closed.add(discrepancy: ev.formulaDiscrepancy, bound: ev.formulaTolerance, instance: inst)
            if let dd = ev.engineDiscrepancy, let tt = ev.engineTolerance { eng.add(discrepancy: dd, bound: tt, instance: inst) }
        }
        out.append(floatResult("closed form (binary64) vs direct feature maps", closed, ctx) { self.floatEvaluation($0).formulaFails })
        if engine != nil {
            out.append(floatResult("FFT engine vs direct feature maps", eng, ctx) { self.floatEvaluation($0).engineFails })
        }
        // Exact level.
        var erng = ctx.rng(id, "exact")
        var ex = ExactTally(), exEngine = ExactTally()
        var engineSkipped = 0
        for t in 0..<ctx.exactTrials {
            let inst = InstanceGenerator.make(.integer, padding: paddings[t % paddings.count], sizes: sizes, rng: &erng)
            let s = PolynomialIdentity.exactSides(formula, inst)!
            let diff = s.lhs - s.rhs
            ex.add(equal: diff == 0, discrepancy: abs(Double(diff)), instance: inst)
            if let e = engine, let r = try? e(inst), r.bound < 0.5,
               let g = try? ExactInstance.gram(inputs: [inst.input], kernels: inst.kernels.selecting([0, 1]), padding: inst.padding) {
                let rounded = r.value.rounded()
                exEngine.add(equal: Rational(exactly: rounded) == g[0][1], discrepancy: abs(g[0][1].approximate - rounded), instance: inst)
            } else if engine != nil { engineSkipped += 1 }
        }
        out.append(exactResult("closed form vs feature maps, BigInt", ex, ctx, fails: { self.exactFails($0) ?? false }))
        if engine != nil {
            var r = exactResult("FFT engine rounded (bound < 1/2) vs exact Gram", exEngine, ctx, fails: { inst in
                guard let e = self.engine, let r = try? e(inst), r.bound < 0.5,
                      let g = try? ExactInstance.gram(inputs: [inst.input], kernels: inst.kernels.selecting([0, 1]), padding: inst.padding) else { return false }
                return Rational(exactly: r.value.rounded()) != g[0][1]
            })
            r.details.append(("skipped (bound ≥ 1/2)", .int(engineSkipped)))
            out.append(r)
        }
        // Proof level: Schwartz–Zippel.
        var prng = ctx.rng(id, "pit")
        var pit = ExactTally()
        for t in 0..<ctx.trials {
            let oneD = prng.uniform() < 0.5
            let kh = oneD ? 1 : prng.integer(in: 1...3), kw = prng.integer(in: 1...3)
            let shape = IdentityShape(channels: prng.integer(in: 1...3), kernelHeight: kh, kernelWidth: kw,
                                      height: oneD ? 1 : kh + prng.integer(in: 0...2), width: kw + prng.integer(in: 0...3))
            let inst = PolynomialIdentity.randomInstance(shape, padding: paddings[t % paddings.count], rng: &prng, samePair: t % 5 == 4)
            let s = PolynomialIdentity.exactSides(formula, inst)!
            pit.add(equal: s.lhs == s.rhs, discrepancy: abs(Double(s.lhs - s.rhs)), instance: inst)
        }
        var pr = exactResult("Schwartz–Zippel (exact evaluation at random points)", pit, ctx, evidence: .proof, fails: { self.exactFails($0) ?? false })
        pr.bound = PolynomialIdentity.falsePassBound(trials: pit.trials)
        pr.details.insert(("degree", .int(PolynomialIdentity.degree)), at: 0)
        pr.details.insert(("sample_set_size", .number(PolynomialIdentity.sampleSetSize)), at: 1)
        pr.details.insert(("false_pass_per_trial", .number(PolynomialIdentity.perTrialFalsePass)), at: 2)
        out.append(pr)
        // Proof level: symbolic expansion.
        out.append(symbolic(ctx))
        return out
    }

    /// Symbolic expansion of both sides at every size of `symbolicShapes` and padding.
    public func symbolic(_ ctx: VerificationContext) -> CheckResult {
        var proven: [String] = [], failed: [String] = []
        var maxTerms = 0.0, worst = 0
        var firstFailure: TheoremInstance?
        for shape in symbolicShapes {
            for p in paddings {
                for same in [false, true] {
                    let (l, r) = PolynomialIdentity.expand(formula, shape, padding: p, samePair: same)
                    let diff = l - r
                    let label = "\(shape), \(p.rawValue)\(same ? ", i = j" : "")"
                    if diff.isZero { proven.append(label + " (\(l.termCount) monomials)") } else {
                        failed.append(label + ": \(diff.termCount) monomials differ")
                        worst = max(worst, diff.termCount)
                        if firstFailure == nil {
                            // A concrete failing point: the smallest integers that make the difference non-zero.
                            var prng = ctx.rng(id, "symbolic-witness")
                            for _ in 0..<50 {
                                let inst = smallIntegerInstance(shape, padding: p, same: same, rng: &prng)
                                if exactFails(inst) == true { firstFailure = inst; break }
                            }
                        }
                    }
                    maxTerms = max(maxTerms, Double(l.termCount))
                }
            }
        }
        var r = CheckResult(id: id, name: "symbolic expansion of both sides (exact integer coefficients)", evidence: .proof,
                            passed: failed.isEmpty, trials: proven.count + failed.count, maxDiscrepancy: Double(worst), bound: 0,
                            details: [("proven_sizes", .int(proven.count)), ("largest_expansion_monomials", .number(maxTerms))])
        if !failed.isEmpty { r.details.append(("failed", .text(failed.prefix(4).joined(separator: "; ")))) }
        if let f = firstFailure { attach(&r, InstanceShrinker.shrink(f) { self.exactFails($0) ?? false }, ctx) }
        return r
    }

    func smallIntegerInstance(_ s: IdentityShape, padding: Padding, same: Bool, rng: inout SeededRandom) -> TheoremInstance {
        let m = s.kernelLength
        var kv = (0..<(2 * m)).map { _ in Double(rng.integer(in: -3...3)) }
        if same { for t in 0..<m { kv[m + t] = kv[t] } }
        return TheoremInstance(kernels: KernelBank(count: 2, channels: s.channels, kernelHeight: s.kernelHeight, kernelWidth: s.kernelWidth, values: kv),
                               input: Signal(channels: s.channels, height: s.height, width: s.width,
                                             values: (0..<(s.channels * s.height * s.width)).map { _ in Double(rng.integer(in: -3...3)) }),
                               padding: padding, origin: "integer point where the expansions differ")
    }

    func floatResult(_ name: String, _ t: FloatTally, _ ctx: VerificationContext, fails: (TheoremInstance) -> Bool) -> CheckResult {
        var r = CheckResult(id: id, name: name, evidence: .float, passed: t.failures == 0, trials: t.trials,
                            maxDiscrepancy: t.worstDiscrepancy, bound: t.worstBound,
                            details: [("worst_ratio", .number(max(t.worstRatio, 0))), ("failures", .int(t.failures))])
        if let f = t.firstFailure { attach(&r, InstanceShrinker.shrink(f, fails: fails), ctx) }
        return r
    }

    func exactResult(_ name: String, _ t: ExactTally, _ ctx: VerificationContext, evidence: EvidenceLevel = .exact,
                     fails: (TheoremInstance) -> Bool) -> CheckResult {
        var r = CheckResult(id: id, name: name, evidence: evidence, passed: t.failures == 0, trials: t.trials,
                            maxDiscrepancy: t.maxDiscrepancy, bound: 0, details: [("failures", .int(t.failures))])
        if let f = t.firstFailure { attach(&r, InstanceShrinker.shrink(f, fails: fails), ctx) }
        return r
    }

    func attach(_ r: inout CheckResult, _ inst: TheoremInstance, _ ctx: VerificationContext) {
        r.counterexample = inst
        r.certificate = TheoremRegistry.certificate(id: id, instance: inst, context: ctx)
    }
}

/// The engine's `<F_0, F_1>` for full/circular padding: `KernelCorrelation.pairedWith`
/// on the FFT correlations `CorrelationAccumulator` (T1 as the toolkit computes it).
@Sendable func engineCorrelationPairing(_ inst: TheoremInstance) throws -> (value: Double, bound: Double) {
    let x = inst.input
    let acc = try CorrelationAccumulator(channels: x.channels, height: x.height, width: x.width,
                                     lags: LagWindow(kernelHeight: inst.kernels.kernelHeight, kernelWidth: inst.kernels.kernelWidth),
                                     circular: inst.padding == .circular)
    acc.add(x)
    let r = KernelCorrelation(bank: inst.kernels, 0, 1).pairedWith(acc.result())
    return (r.value, r.bound)
}

/// The engine's exact Gram for any padding: `CorrelationGram.gram` (𝐆^P = 𝐑 − B^P).
@Sendable func enginePatchGram(_ inst: TheoremInstance) throws -> (value: Double, bound: Double) {
    let g = try CorrelationGram.gram(inputs: [inst.input], kernels: inst.kernels.selecting([0, 1]), padding: inst.padding)
    return (g.gram[0, 1], g.bound[0, 1])
}
