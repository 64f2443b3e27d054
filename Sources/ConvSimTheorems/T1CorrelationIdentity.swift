import ConvSimCore
import ConvSimCorrelation
import Foundation

extension IdentityShape {
    /// The sizes at which T1/T1b/T2 are expanded symbolically (Documentation/Theory.md#evidence: 1-D `k ≤ 4`,
    /// signal ≤ 8; 2-D `2×2` kernels on `4×4`), one and two channels.
    public static let symbolicSizes: [IdentityShape] = {
        var s: [IdentityShape] = []
        for k in 1...4 {
            for l in Set([max(1, k - 1), k, 8]).sorted() {
                s.append(IdentityShape(channels: 1, kernelHeight: 1, kernelWidth: k, height: 1, width: l))
            }
        }
        for k in 1...3 { s.append(IdentityShape(channels: 2, kernelHeight: 1, kernelWidth: k, height: 1, width: 5)) }
        s.append(IdentityShape(channels: 1, kernelHeight: 2, kernelWidth: 2, height: 4, width: 4))
        s.append(IdentityShape(channels: 2, kernelHeight: 2, kernelWidth: 2, height: 3, width: 3))
        s.append(IdentityShape(channels: 1, kernelHeight: 3, kernelWidth: 2, height: 3, width: 4))
        return s
    }()
}

/// **T1 — correlation identity (full and circular padding).**
public struct CorrelationIdentityTheorem: Theorem {
    public let formula: any PairFormula
    /// `formula` is the closed form under test (the reference by default; tests pass seeded bugs).
    public init(formula: any PairFormula = CorrelationIdentity()) { self.formula = formula }

    public var id: String { "T1" }
    public var title: String { "correlation identity (full and circular padding)" }
    public var statement: String {
        """
        For full padding (linear `R`) and circular padding (`R°`), every bank `K` and input `X`:

        `<F_i, F_j> = Σ_{c,c'} Σ_{|d| ≤ k−1} T_ij,cc'(d) · R_cc'(d)`,
        `T_ij,cc'(d) = Σ_u K[i,c](u) K[j,c'](u+d)`, `R_cc'(d) = Σ_q X_c(q) X_c'(q+d)`.

        Cross-channel terms `c ≠ c'` included. For valid and same padding the right side (the
        paper's Toeplitz form) is *not* `<F_i,F_j>` (see T1b).
        """
    }
    public var hypotheses: [String] { ["padding full or circular", "any kernel and input sizes, any number of channels"] }
    public var dataDependent: Bool { false }

    public var checker: IdentityChecker {
        IdentityChecker(id: id, formula: formula, paddings: [.full, .circular], engine: engineCorrelationPairing,
                        symbolicShapes: IdentityShape.symbolicSizes)
    }

    public func check(_ ctx: VerificationContext) -> [CheckResult] {
        checker.checks(ctx) + refutations(ctx)
    }

    /// Dropping the hypothesis: under valid and same padding the Toeplitz form differs
    /// from the exact Gram beyond the certified bound (`CorrelationGram.gram`: the
    /// discrepancy `|K𝐑Kᵀ − K𝐆^P Kᵀ|` against the bound of the exact Gram plus the rounding
    /// bound of the Toeplitz form in binary64), and the symbolic expansions differ.
    public func refutations(_ ctx: VerificationContext) -> [CheckResult] {
        var rng = ctx.rng(id, "refute")
        var violated = 0, trials = 0
        var worstAbs = 0.0, worstRel = 0.0, worstBound = 0.0
        var example: TheoremInstance?
        var sizes = InstanceSizes(); sizes.kernel = 2...4
        for t in 0..<ctx.trials {
            let p: Padding = t % 2 == 0 ? .valid : .same
            let inst = InstanceGenerator.make(t % 3 == 0 ? .uniform : .gaussian, padding: p, sizes: sizes, rng: &rng)
            let d = DirectConvolution.certifiedGram(inputs: [inst.input], kernels: inst.kernels, padding: p)
            let paper = CorrelationIdentity().evaluate(RingBank(inst.kernels), 0, 1, RingSignal(inst.input), padding: p, magnitude: false)
            let pb = ClosedForms.roundingBound(CorrelationIdentity(), inst.kernels, 0, 1, inst.input, padding: p)
            let disc = abs(paper - d.gram[0, 1]), bound = pb + d.bound[0, 1]
            trials += 1
            if disc > bound {
                violated += 1
                let rel = disc / max(abs(d.gram[0, 1]), .leastNormalMagnitude)
                if disc - bound > worstAbs - worstBound { worstAbs = disc; worstBound = bound; worstRel = rel; example = inst }
            }
        }
        var r = CheckResult(id: id, name: "hypothesis dropped (valid/same padding): Toeplitz form ≠ exact Gram beyond the bound",
                            kind: .refute, evidence: .float, passed: violated > 0, trials: trials,
                            maxDiscrepancy: worstAbs, bound: worstBound,
                            details: [("violations", .int(violated)), ("relative_violation", .number(worstRel))])
        if let e = example { r.details.append(("example", .text(e.origin + ", \(e.padding.rawValue), kernel \(e.kernels.kernelHeight)×\(e.kernels.kernelWidth), input \(e.input.height)×\(e.input.width)"))) }
        // Symbolic: the expansions differ under valid and same padding.
        var differ = 0, total = 0, minDiff = Int.max
        for shape in IdentityShape.symbolicSizes where shape.kernelWidth > 1 && shape.width >= shape.kernelWidth && shape.height >= shape.kernelHeight {
            for p in [Padding.valid, .same] {
                let (l, rr) = PolynomialIdentity.expand(CorrelationIdentity(), shape, padding: p)
                total += 1
                let dd = (l - rr).termCount
                if dd > 0 { differ += 1; minDiff = min(minDiff, dd) }
            }
        }
        let s = CheckResult(id: id, name: "hypothesis dropped (valid/same padding): symbolic expansions differ",
                            kind: .refute, evidence: .proof, passed: differ == total && total > 0, trials: total,
                            maxDiscrepancy: Double(differ), bound: 0,
                            details: [("sizes_where_it_fails", .int(differ)), ("fewest_differing_monomials", .int(minDiff == .max ? 0 : minDiff))])
        return [r, s]
    }

}
