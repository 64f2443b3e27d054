import BigInt
import ConvSimCore
import ConvSimSimilarity
import Foundation

/// **T5 — what the Convolutional Similarity controls.**
public struct SimilarityBoundTheorem: Theorem {
    public init() {}
    public var id: String { "T5" }
    public var title: String { "the symmetric CS bounds the feature-map inner product; the paper's CS does not (C > 1)" }
    public var statement: String {
        """
        `|<F_i,F_j>| ≤ Σ_{c,c'} ‖S_ij,cc'‖₂ ‖R_cc'|lags‖₂` (full or circular padding; by T2 and
        Cauchy–Schwarz). With one channel `‖S_ij‖² ≤ ‖T_ij‖²` (the paper's loss bounds the symmetric
        one). With several channels the paper's same-channel loss `Σ_c ‖T_ij,cc‖²` ignores the
        cross-channel terms: `K_i` = 3×3 box blur on R only, `K_j` = the same on G only gives paper
        CS = 0, `<K_i,K_j> = 0`, symmetric CS = 180.5/6561 ≈ 0.0275 > 0 and a high feature cosine
        on RGB images.
        """
    }
    public var hypotheses: [String] { ["padding full or circular (the bound)", "C = 1 (the paper's loss bounds the symmetric one)"] }
    public var dataDependent: Bool { false }

    /// `Σ_{c,c'} ‖S_cc'‖₂ ‖R_cc'|lags‖₂` in binary64, inflated to an upper bound of its exact value:
    /// every `‖·‖₂²` is a sum of at most `L` squares of values each with `n` roundings, so the exact
    /// value is at most `computed/(1 − γ_{2n+L+C²+4})` (`inflate`).
    static func cauchySchwarzBound(_ inst: TheoremInstance) -> Double {
        let k = RingBank(inst.kernels), x = RingSignal(inst.input)
        let kh = inst.kernels.kernelHeight, kw = inst.kernels.kernelWidth, c = inst.kernels.channels
        var total = 0.0
        for a in 0..<c { for b in 0..<c {
            var s2 = 0.0, r2 = 0.0
            for dy in -(kh - 1)...(kh - 1) { for dx in -(kw - 1)...(kw - 1) {
                let s = 0.5 * (ClosedForms.kernelCorrelation(k, 0, 1, a, b, dy, dx) + ClosedForms.kernelCorrelation(k, 0, 1, b, a, -dy, -dx))
                let r = ClosedForms.inputCorrelation(x, a, b, dy, dx, circular: inst.padding.isCircular)
                s2 += s * s; r2 += r * r
            } }
            total += s2.squareRoot() * r2.squareRoot()
        } }
        let n = 2 * ClosedForms.roundingCount(kernels: inst.kernels, input: inst.input)
        return FloatingPointBounds.inflate(total, operations: n)
    }

    public func check(_ ctx: VerificationContext) -> [CheckResult] {
        var out: [CheckResult] = []
        // The bound on random instances.
        var rng = ctx.rng(id, "bound")
        var tally = FloatTally()
        var tightest = 0.0
        for t in 0..<ctx.trials {
            let kind = InstanceGenerator.kind(trial: t, hasImages: !ctx.images.isEmpty, exactOnly: ctx.exact)
            let inst = InstanceGenerator.make(kind, padding: t % 2 == 0 ? .full : .circular, images: ctx.images, rng: &rng)
            let d = DirectConvolution.certifiedGram(inputs: [inst.input], kernels: inst.kernels, padding: inst.padding)
            let lower = d[0, 1].magnitudeLowerBound
            let b = Self.cauchySchwarzBound(inst)
            tally.add(discrepancy: lower, bound: b, instance: inst)
            if b > 0 { tightest = max(tightest, lower / b) }
        }
        out.append(CheckResult(id: id, name: "|<F_i,F_j>| ≤ Σ ‖S_ij,cc'‖₂‖R_cc'|lags‖₂ (full/circular)", evidence: .float,
                               passed: tally.failures == 0, trials: tally.trials, maxDiscrepancy: tally.worstDiscrepancy,
                               bound: tally.worstBound, details: [("largest_ratio", .number(tightest))],
                               counterexample: tally.firstFailure))
        // C = 1: 4‖S‖² ≤ 4‖T‖² exactly (integers).
        var erng = ctx.rng(id, "C=1")
        var ok = 0
        for _ in 0..<ctx.exactTrials {
            let kh = erng.integer(in: 1...3), kw = erng.integer(in: 1...4)
            let k = KernelBank(count: 2, channels: 1, kernelHeight: kh, kernelWidth: kw,
                               values: (0..<(2 * kh * kw)).map { _ in Double(erng.integer(in: -9...9)) })
            let b = RingBank<BigInt>(exactly: k)!
            var s4 = BigInt(0), t4 = BigInt(0)
            for dy in -(kh - 1)...(kh - 1) { for dx in -(kw - 1)...(kw - 1) {
                let t = ClosedForms.kernelCorrelation(b, 0, 1, 0, 0, dy, dx)
                let s2 = t + ClosedForms.kernelCorrelation(b, 0, 1, 0, 0, -dy, -dx)
                s4 += s2 * s2; t4 += 4 * t * t
            } }
            if s4 <= t4 { ok += 1 }
        }
        out.append(CheckResult(id: id, name: "C = 1: ‖S_ij‖² ≤ ‖T_ij‖² (paper loss bounds the symmetric one)", evidence: .exact,
                               passed: ok == ctx.exactTrials, trials: ctx.exactTrials, maxDiscrepancy: 0, bound: 0))
        out.append(contentsOf: boxBlur(ctx))
        return out
    }

    /// The box-blur R-only vs G-only pair (integer kernels, all ones): exact paper CS, kernel dot
    /// and symmetric CS; the feature cosine on RGB data (the `--input` images, else a random
    /// positive image with strongly correlated channels), certified.
    func boxBlur(_ ctx: VerificationContext) -> [CheckResult] {
        var v = [Double](repeating: 0, count: 2 * 3 * 9)
        for t in 0..<9 { v[t] = 1; v[27 + 9 + t] = 1 }   // K_0: channel R; K_1: channel G
        let k = KernelBank(count: 2, channels: 3, kernelHeight: 3, kernelWidth: 3, values: v)
        let b = RingBank<BigInt>(exactly: k)!
        var paper = BigInt(0), sym4 = BigInt(0)
        for c in 0..<3 { for c2 in 0..<3 { for dy in -2...2 { for dx in -2...2 {
            let t = ClosedForms.kernelCorrelation(b, 0, 1, c, c2, dy, dx)
            if c == c2 { paper += t * t }
            let s2 = t + ClosedForms.kernelCorrelation(b, 0, 1, c2, c, -dy, -dx)
            sym4 += s2 * s2
        } } } }
        let dot = zip(k.kernel(0), k.kernel(1)).map(*).reduce(0, +)
        // Symmetric CS of the 1/9-normalized blur: (sym4/4)/9⁴.
        let symNormalized = Double(sym4) / 4 / 6561
        let exact = CheckResult(id: id, name: "hypothesis dropped (C = 3): box blur R-only vs G-only has paper CS = 0 and kernel dot 0 but symmetric CS > 0",
                                kind: .refute, evidence: .exact, passed: paper == 0 && dot == 0 && sym4 > 0, trials: 1,
                                maxDiscrepancy: symNormalized, bound: 0,
                                details: [("paper_CS", .text(paper.description)), ("kernel_dot", .number(dot)),
                                          ("4·symmetric_CS (ones)", .text(sym4.description)), ("symmetric_CS (entries 1/9)", .number(symNormalized))])
        var rng = ctx.rng(id, "box")
        var inputs: [(String, Signal)] = ctx.images.filter { $0.signal.channels == 3 }.map { ($0.name, $0.signal) }
        if inputs.isEmpty {
            let n = 48
            let base = (0..<(n * n)).map { _ in rng.uniform() }
            var vals: [Double] = []
            for _ in 0..<3 { vals += base.map { 0.8 * $0 + 0.2 * rng.uniform() } }
            inputs = [("random positive RGB 48×48 (correlated channels)", Signal(channels: 3, height: n, width: n, values: vals))]
        }
        var cosines: [Double] = []
        var minLower = Double.infinity
        for (_, x) in inputs {
            let d = DirectConvolution.certifiedGram(inputs: [x], kernels: k, padding: .same)
            let (c, cb) = WielandtTheorem.cosine(d.gram, d.bound)
            cosines.append(c); minLower = min(minLower, c - cb)
        }
        let feat = CheckResult(id: id, name: "box blur R-only vs G-only: feature cosine ≥ 0.5 although the paper CS is 0",
                               kind: .refute, evidence: .float, passed: minLower >= 0.5, trials: inputs.count,
                               maxDiscrepancy: cosines.min() ?? 0, bound: 0.5,
                               details: [("inputs", .text(inputs.map(\.0).joined(separator: ", "))), ("feature_cosine", .numbers(cosines))])
        return [exact, feat]
    }

}
