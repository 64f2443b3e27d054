import BigInt
import ConvSimCore
import ConvSimCorrelation
import ConvSimTheorems
import Foundation

/// Re-verifies a certificate from the file alone (`convsim replay`). Integer
/// data are checked in exact arithmetic; floating-point data against certified
/// a-priori bounds. Every check is listed, and the claim holds only if all pass.
public enum Replay {
    public struct Check: Sendable {
        public let name: String
        public let passed: Bool
        public let detail: String
    }
    public struct Outcome: Sendable {
        public let claim: String
        public let evidence: String
        public let checks: [Check]
        public var holds: Bool { !checks.isEmpty && checks.allSatisfy(\.passed) }
    }

    public static func verify(_ c: Certificate) throws -> Outcome {
        switch c.claim {
        case Claims.orthogonalSimilar, Claims.zeroPaperCSSimilar: return try similarPair(c)
        case Claims.orthogonalForEveryInput: return try everyInput(c)
        case Claims.orthogonalizationRun: return try orthogonalizedRun(c)
        case TheoremRegistry.counterexampleClaim:
            let r = try TheoremRegistry.replay(c)
            return Outcome(claim: c.claim, evidence: c.integerData ? "exact" : "float (certified bounds)",
                           checks: [Check(name: "\(c.theorem ?? "?") fails on the stored instance", passed: r.holds, detail: r.detail)])
        default:
            throw ConvSimError.invalidArgument("unknown certificate claim '\(c.claim)'; known: \([Claims.orthogonalSimilar, Claims.zeroPaperCSSimilar, Claims.orthogonalForEveryInput, Claims.orthogonalizationRun, TheoremRegistry.counterexampleClaim].joined(separator: ", "))")
        }
    }

    static func pairBank(_ c: Certificate) throws -> KernelBank {
        guard let bank = c.kernels.kernelBank, bank.count >= 2 else {
            throw ConvSimError.invalidArgument("certificate kernels must hold at least 2 kernels (shape \(c.kernels.shape))")
        }
        return bank
    }

    /// Exact `(G_01, G_00, G_11)` of kernels 0 and 1 from the stored input or patch Gram.
    static func exactGram(_ c: Certificate, _ bank: KernelBank, padding: Padding) throws -> (BigInt, BigInt, BigInt) {
        let pair = bank.selecting([0, 1])
        if let x = c.input?.signal {
            guard x.channels == bank.channels else {
                throw ConvSimError.channelMismatch(inputChannels: x.channels, kernelChannels: bank.channels, input: "certificate input")
            }
            guard let g = ExactArithmetic.gram(inputs: [x], kernels: pair, padding: padding) else {
                throw ConvSimError.invalidArgument("certificate says integer data but the input or kernels are not integers")
            }
            return (g[0][1], g[0][0], g[1][1])
        }
        guard let p = c.patchGram, p.shape == [bank.kernelLength, bank.kernelLength],
              let G = ExactArithmetic.integers(p.values),
              let a = ExactArithmetic.integers(Array(bank.kernel(0))), let b = ExactArithmetic.integers(Array(bank.kernel(1))) else {
            throw ConvSimError.invalidArgument("certificate has neither an input nor an integer patch Gram of order \(bank.kernelLength)")
        }
        return (ExactArithmetic.quadratic(a, G, b), ExactArithmetic.quadratic(a, G, a), ExactArithmetic.quadratic(b, G, b))
    }

    static func similarPair(_ c: Certificate) throws -> Outcome {
        let bank = try pairBank(c)
        guard c.integerData else { throw ConvSimError.invalidArgument("this claim is certified with integer data only") }
        var checks: [Check] = []
        let dot = ExactArithmetic.dot(Array(bank.kernel(0)), Array(bank.kernel(1)))
        checks.append(Check(name: "kernel dot product is exactly 0", passed: dot == 0, detail: "<K0, K1> = \(dot?.description ?? "not integer")"))
        let (g01, g00, g11) = try exactGram(c, bank, padding: c.padding)
        let tau = c.claimed["feature_cosine_at_least"] ?? 0
        let (p, q) = ExactArithmetic.fraction(tau)
        let ok = g00 > 0 && g11 > 0 && ExactArithmetic.cosineAtLeast(g01, g00, g11, p: p, q: q)
        checks.append(Check(name: "feature-map |cos| ≥ \(tau) (exact: \(q)²·G01² ≥ \(p)²·G00·G11)", passed: ok,
                            detail: "G01 = \(g01), G00 = \(g00), G11 = \(g11), cos ≈ \(ExactArithmetic.cosine(g01, g00, g11))"))
        if let claimedCos = c.claimed["feature_cosine"] {
            let cos = ExactArithmetic.cosine(g01, g00, g11)
            checks.append(Check(name: "stated cosine reproduces", passed: cos == claimedCos, detail: "computed \(cos), stated \(claimedCos)"))
        }
        if c.claim == Claims.zeroPaperCSSimilar {
            let A = ExactArithmetic.integers(Array(bank.kernel(0)))!, B = ExactArithmetic.integers(Array(bank.kernel(1)))!
            let t = ExactKernelAlgebra.correlations(A, B, channels: bank.channels, kh: bank.kernelHeight, kw: bank.kernelWidth)
            let cs = ExactKernelAlgebra.paperCS(t)
            checks.append(Check(name: "paper (same-channel) CS is exactly 0", passed: cs == 0, detail: "Σ_c ‖T_01,cc‖² = \(cs)"))
            let sym = ExactKernelAlgebra.symmetricCSTimes4(t)
            checks.append(Check(name: "symmetric cross-channel CS is positive (it sees the pair)", passed: sym > 0, detail: "4·Σ‖S_01,cc'‖² = \(sym)"))
        }
        return Outcome(claim: c.claim, evidence: "exact", checks: checks)
    }

    static func everyInput(_ c: Certificate) throws -> Outcome {
        let bank = try pairBank(c)
        guard let A = ExactArithmetic.integers(Array(bank.kernel(0))), let B = ExactArithmetic.integers(Array(bank.kernel(1))) else {
            throw ConvSimError.invalidArgument("this claim is certified with integer kernels only")
        }
        let t = ExactKernelAlgebra.correlations(A, B, channels: bank.channels, kh: bank.kernelHeight, kw: bank.kernelWidth)
        var checks: [Check] = []
        let sym = ExactKernelAlgebra.symmetricCSTimes4(t)
        checks.append(Check(name: "S_01 ≡ 0 (orthogonal for every input, T2)", passed: sym == 0, detail: "4·Σ‖S_01,cc'‖² = \(sym)"))
        let cs = ExactKernelAlgebra.paperCS(t)
        checks.append(Check(name: "paper CS is positive", passed: cs > 0 && (c.claimed["paper_cs"].map { BigInt(exactly: $0) == cs } ?? true),
                            detail: "Σ_c ‖T_01,cc‖² = \(cs), stated \(c.claimed["paper_cs"].map { String($0) } ?? "-")"))
        if c.input != nil {
            for p in [Padding.full, .circular] {
                let (g01, _, _) = try exactGram(c, bank, padding: p)
                checks.append(Check(name: "<F_0, F_1> = 0 exactly on the stored input (\(p.rawValue))", passed: g01 == 0, detail: "G01 = \(g01)"))
            }
        }
        return Outcome(claim: c.claim, evidence: "exact", checks: checks)
    }

    static func cosine(_ g: [[Double]], _ e: [[Double]], _ i: Int, _ j: Int) -> (value: Double, bound: Double) {
        let r = CertifiedCosine.interval(g, e, i, j)
        return (r.value, r.halfWidth)
    }

    /// A run of the paper's Experiment 4.1: kernels 0,1 before, 2,3 after orthogonalization, on the stored input.
    static func orthogonalizedRun(_ c: Certificate) throws -> Outcome {
        guard let bank = c.kernels.kernelBank, bank.count == 4, let x = c.input?.signal else {
            throw ConvSimError.invalidArgument("this claim needs 4 kernels (before ×2, after ×2) and an input")
        }
        var checks: [Check] = []
        // Kernel cosines from the kernels' own Gram with γ_n bounds.
        let n = bank.kernelLength
        var kg = [[Double]](repeating: [Double](repeating: 0, count: 4), count: 4), ke = kg
        for i in 0..<4 { for j in 0..<4 {
            let a = Array(bank.kernel(i)), b = Array(bank.kernel(j))
            var s = 0.0, m = 0.0
            for t in 0..<n { let p = a[t] * b[t]; s += p; m += abs(p) }
            kg[i][j] = s; ke[i][j] = FloatingPointBounds.gamma(n) * FloatingPointBounds.inflate(m, operations: n)
        } }
        let kb = cosine(kg, ke, 0, 1), ka = cosine(kg, ke, 2, 3)
        let r = DirectConvolution.gram(inputs: [x], kernels: bank, padding: c.padding, withBound: true)
        let fb = cosine(r.gram, r.bound!, 0, 1), fa = cosine(r.gram, r.bound!, 2, 3)
        if let limit = c.claimed["kernel_cosine_after_at_most"] {
            checks.append(Check(name: "kernels after orthogonalization: |cos| ≤ \(limit)", passed: abs(ka.value) + ka.bound <= limit,
                                detail: "|cos| = \(abs(ka.value)) ± \(ka.bound) (before: \(abs(kb.value)))"))
        }
        if let tau = c.claimed["feature_cosine_after_at_least"] {
            checks.append(Check(name: "feature maps after: |cos| ≥ \(tau)", passed: abs(fa.value) - fa.bound >= tau,
                                detail: "|cos| = \(abs(fa.value)) ± \(fa.bound)"))
        }
        if c.claimed["feature_similarity_rose"] == 1 {
            checks.append(Check(name: "feature-map |cos| rose", passed: abs(fa.value) - fa.bound > abs(fb.value) + fb.bound,
                                detail: "before \(abs(fb.value)) ± \(fb.bound), after \(abs(fa.value)) ± \(fa.bound)"))
        }
        return Outcome(claim: c.claim, evidence: "float (certified bounds)", checks: checks)
    }
}
