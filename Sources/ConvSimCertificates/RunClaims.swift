import ConvSimIO
import ConvSimCore

/// `orthogonal-feature-maps-for-every-input`: a pair with `S_01 ≡ 0` (theorem T2),
/// hence orthogonal feature maps on every input under full and circular padding,
/// although its paper CS is positive.
public struct EveryInputVerifier: ClaimVerifier {
    public let kind = ClaimKind.orthogonalFeatureMapsForEveryInput
    public init() {}
    public func extraWork(_ c: Certificate) -> Double { 0 }

    public func verify(_ c: Certificate, path: String, parseOnly: Bool) throws -> [CertificateCheck] {
        try CommonChecks.requirePair(c, path: path)
        var f = try Fields(.object(c.claimed), at: "claimed", path: path)
        let dot = try f.exact("kernel_dot"), paper = try f.exact("paper_cs"), sym = try f.exact("symmetric_cs")
        let inner = try f.exact("feature_inner_product")
        try f.finish()
        if parseOnly { return [] }
        let e = ExactInstance(kernels: c.kernels, input: c.input, padding: c.padding)
        let pc = e.paperCS(0, 1), sc = e.symmetricCS(0, 1), g = e.gram(0, 1)
        return [
            CertificateCheck("padding is full or circular (T2's hypothesis)", c.padding == .full || c.padding == .circular,
                             "data.padding = \(c.padding.rawValue)"),
            CommonChecks.exact("kernel dot ⟨K_0, K_1⟩", stated: dot, computed: e.kernelDot(0, 1)),
            CommonChecks.exact("paper CS Σ_c ‖T_01,cc‖²", stated: paper, computed: pc),
            CertificateCheck("paper CS is positive (the paper's loss penalizes the pair)", pc.sign > 0, "= \(pc)"),
            CommonChecks.exact("symmetric CS Σ_{c,c'} ‖S_01,cc'‖²", stated: sym, computed: sc),
            CertificateCheck("S_01 ≡ 0 (orthogonal feature maps for every input, T2)", sc.isZero, "Σ‖S_01‖² = \(sc)"),
            CommonChecks.exact("⟨F_0, F_1⟩ on the stored input (\(c.padding.rawValue) padding)", stated: inner, computed: g),
            CertificateCheck("⟨F_0, F_1⟩ = 0 exactly on the stored input", g.isZero, "G_01 = \(g)"),
        ]
    }

    public static func certificate(kernels: KernelBank, input: Signal, padding: Padding, provenance: Provenance) -> Certificate? {
        let e = ExactInstance(kernels: kernels, input: input, padding: padding)
        let claimed = [
            JSONMember("kernel_dot", CommonChecks.json(e.kernelDot(0, 1))),
            JSONMember("paper_cs", CommonChecks.json(e.paperCS(0, 1))),
            JSONMember("symmetric_cs", CommonChecks.json(e.symmetricCS(0, 1))),
            JSONMember("feature_inner_product", CommonChecks.json(e.gram(0, 1))),
        ]
        let cert = Certificate(claim: .orthogonalFeatureMapsForEveryInput, padding: padding, kernels: kernels, input: input,
                               claimed: claimed, provenance: provenance)
        guard let checks = try? EveryInputVerifier().verify(cert, path: "(new certificate)"), checks.allSatisfy(\.passed) else { return nil }
        return cert
    }
}

/// `orthogonalized-kernels-feature-similarity`: a run of the paper's Experiment 4.1
/// (kernels 0, 1 before; 2, 3 after plain SGD on `cos²`), replayed bit for bit.
public struct OrthogonalizationRunVerifier: ClaimVerifier {
    public let kind = ClaimKind.orthogonalizedKernelsFeatureSimilarity
    public init() {}

    public static let maxSteps = 100_000

    public func extraWork(_ c: Certificate) -> Double {
        var steps = 0.0
        if let p = c.claimed.first(where: { $0.key == "protocol" })?.value["steps"], case .number(let t) = p, let v = Double(t) { steps = v }
        return steps * Double(c.kernels.kernelWidth)
    }

    public func verify(_ c: Certificate, path: String, parseOnly: Bool) throws -> [CertificateCheck] {
        guard c.kernels.count == 4, c.kernels.channels == 1, c.kernels.kernelHeight == 1, c.input.height == 1 else {
            throw CertificateError.malformed(path: path, reason: "claim '\(kind.rawValue)' needs kernels of shape [4, 1, 1, L] and an input of shape [1, 1, N]")
        }
        var f = try Fields(.object(c.claimed), at: "claimed", path: path)
        var p = try f.object("protocol")
        let steps = try p.integer("steps", in: 1...Self.maxSteps), lr = try p.number("learning_rate")
        try p.finish()
        let kb = try f.interval("kernel_cosine_before"), ka = try f.interval("kernel_cosine_after")
        let fb = try f.interval("feature_cosine_before"), fa = try f.interval("feature_cosine_after")
        let atMost = try f.exact("kernel_cosine_after_at_most")
        let atLeast = try f.exactOrNull("feature_cosine_after_at_least")
        let rose = try f.bool("feature_similarity_rose")
        try f.finish()
        if parseOnly { return [] }

        let l = c.kernels.kernelWidth
        var a = Array(c.kernels.values[0..<l]), b = Array(c.kernels.values[l..<(2 * l)])
        for _ in 0..<steps { CosineSquaredSGD.step(&a, &b, learningRate: lr) }
        let a2 = Array(c.kernels.values[(2 * l)..<(3 * l)]), b2 = Array(c.kernels.values[(3 * l)..<(4 * l)])
        let replayed = a == a2 && b == b2
        let diff = zip(a + b, a2 + b2).filter { $0 != $1 }.count
        var checks = [
            CertificateCheck("padding is valid (the protocol's)", c.padding == .valid, "data.padding = \(c.padding.rawValue)"),
            CertificateCheck("kernels 2, 3 are \(steps) SGD steps (lr \(lr)) on cos(K_0,K_1)² from kernels 0, 1, bit for bit", replayed,
                             replayed ? "all \(2 * l) entries equal" : "\(diff) of \(2 * l) entries differ"),
        ]
        let e = ExactInstance(kernels: c.kernels, input: c.input, padding: c.padding)
        let kd = (0..<4).map { e.kernelDot($0, $0) }
        let gm = e.gramMatrix([0, 1, 2, 3])
        let g = (0..<4).map { gm[$0][$0] }
        let nonZero = kd.allSatisfy { $0.sign > 0 } && g.allSatisfy { $0.sign > 0 }
        checks.append(CertificateCheck("the four kernels and feature maps are non-zero", nonZero, "‖K‖² = \(kd.map(\.description)), ‖F‖² = \(g.map(\.description))"))
        guard nonZero else { return checks }
        let kb01 = e.kernelDot(0, 1), ka23 = e.kernelDot(2, 3), g01 = gm[0][1], g23 = gm[2][3]
        checks.append(CommonChecks.cosineInterval("kernel cosine before (0,1)", kb01, kd[0] * kd[1], kb))
        checks.append(CommonChecks.cosineInterval("kernel cosine after (2,3)", ka23, kd[2] * kd[3], ka))
        checks.append(CommonChecks.cosineInterval("feature-map cosine before (0,1)", g01, g[0] * g[1], fb))
        checks.append(CommonChecks.cosineInterval("feature-map cosine after (2,3)", g23, g[2] * g[3], fa))
        let small = ka23 * ka23 <= atMost * atMost * kd[2] * kd[3] && atMost.sign >= 0
        checks.append(CertificateCheck("|kernel cosine after| ≤ \(atMost)", small, "exact: ⟨K_2,K_3⟩² \(small ? "≤" : ">") (\(atMost))²·‖K_2‖²‖K_3‖²"))
        if let t = atLeast { checks.append(CommonChecks.absoluteAtLeast("feature-map cosine after", g23, g[2] * g[3], t)) }
        let didRise = g23 * g23 * g[0] * g[1] > g01 * g01 * g[2] * g[3]
        checks.append(CertificateCheck("feature similarity rose = \(rose)", didRise == rose,
                                       "exact: |cos_23| \(didRise ? ">" : "≤") |cos_01|"))
        return checks
    }

    /// The certificate of one run, or nil if a stated claim would not hold.
    public static func certificate(before k0: [Double], _ k1: [Double], after k2: [Double], _ k3: [Double], input x: [Double],
                                   steps: Int, learningRate: Double, kernelCosineAtMost: Rational,
                                   featureCosineAtLeast: Rational?, provenance: Provenance) -> Certificate? {
        let l = k0.count
        let bank = KernelBank(count: 4, channels: 1, kernelHeight: 1, kernelWidth: l, values: k0 + k1 + k2 + k3)
        let input = Signal(channels: 1, height: 1, width: x.count, values: x)
        let e = ExactInstance(kernels: bank, input: input, padding: .valid)
        let gm = e.gramMatrix([0, 1, 2, 3])
        let kd = (0..<4).map { e.kernelDot($0, $0) }, g = (0..<4).map { gm[$0][$0] }
        guard kd.allSatisfy({ $0.sign > 0 }), g.allSatisfy({ $0.sign > 0 }) else { return nil }
        let g01 = gm[0][1], g23 = gm[2][3]
        let rose = g23 * g23 * g[0] * g[1] > g01 * g01 * g[2] * g[3]
        let claimed = [
            JSONMember("protocol", .object([JSONMember("steps", .integer(steps)), JSONMember("learning_rate", .number(learningRate))])),
            JSONMember("kernel_cosine_before", CommonChecks.json(CommonChecks.interval(forRatio: e.kernelDot(0, 1), root: kd[0] * kd[1]))),
            JSONMember("kernel_cosine_after", CommonChecks.json(CommonChecks.interval(forRatio: e.kernelDot(2, 3), root: kd[2] * kd[3]))),
            JSONMember("feature_cosine_before", CommonChecks.json(CommonChecks.interval(forRatio: g01, root: g[0] * g[1]))),
            JSONMember("feature_cosine_after", CommonChecks.json(CommonChecks.interval(forRatio: g23, root: g[2] * g[3]))),
            JSONMember("kernel_cosine_after_at_most", CommonChecks.json(kernelCosineAtMost)),
            JSONMember("feature_cosine_after_at_least", featureCosineAtLeast.map(CommonChecks.json) ?? .null),
            JSONMember("feature_similarity_rose", .bool(rose)),
        ]
        let cert = Certificate(claim: .orthogonalizedKernelsFeatureSimilarity, padding: .valid, kernels: bank, input: input,
                               claimed: claimed, provenance: provenance)
        guard let checks = try? OrthogonalizationRunVerifier().verify(cert, path: "(new certificate)"), checks.allSatisfy(\.passed) else { return nil }
        return cert
    }
}

/// The verifiers of the search's claims (the theorem claims are registered by ConvSimTheorems).
public enum SearchClaimVerifiers {
    public static let all: [any ClaimVerifier] = [
        SimilarPairVerifier(.orthogonalKernelsSimilarFeatureMaps), SimilarPairVerifier(.zeroPaperCSSimilarFeatureMaps),
        EveryInputVerifier(), OrthogonalizationRunVerifier(), DatasetPairVerifier(),
    ]
}
