import ConvSimCore
import ConvSimReport

/// The claim refuted by the adversarial, random and gradient strategies.
public enum Claims {
    public static let orthogonalSimilar = "orthogonal-kernels-similar-feature-maps"
    public static let zeroPaperCSSimilar = "zero-paper-cs-similar-feature-maps"
    public static let orthogonalForEveryInput = "orthogonal-feature-maps-for-every-input"
    public static let orthogonalizationRun = "orthogonalized-kernels-feature-similarity"

    public static let orthogonalityBelief =
        "Orthogonal kernels give non-redundant (dissimilar) feature maps."
}

extension Finding {
    /// A finding (and its certificate) from a shrunk exact integer pair.
    static func exactPair(strategy: String, claim: String = Claims.orthogonalSimilar, refutes: String,
                          result r: Shrinker.Result, threshold: Double, context: SearchContext,
                          bound: Double? = nil, notes: [String] = [], extraClaims: [String: Double] = [:]) -> Finding {
        let st = r.stats
        let k = st.kernelSize, c = st.input.channels
        let bank = Certificate.Tensor(shape: [2, c, k, k], values: r.a + r.b)
        let storeInput = st.input.height * st.input.width <= 128 * 128
        let desc = "\(st.name), centred crop \(st.input.height)×\(st.input.width), 8-bit values 0…255"
        var claimed: [String: Double] = ["feature_cosine": r.exact.featureCosine,
                                         "feature_cosine_at_least": threshold, "kernel_dot": 0]
        for (key, v) in extraClaims { claimed[key] = v }
        if let b = bound { claimed["wielandt_bound"] = b }
        let cert = Certificate(
            claim: claim,
            statement: "Refutes: \(refutes) Kernels 0 and 1 have kernel dot product exactly 0, yet their feature maps on the input below (\(st.padding.rawValue) padding) have |cosine| ≥ \(threshold), checked in exact integer arithmetic.",
            padding: st.padding, kernels: bank,
            input: storeInput ? Certificate.Tensor(st.input) : nil,
            patchGram: storeInput ? nil : Certificate.Tensor(shape: [st.order, st.order], values: st.gram),
            inputDescription: desc, claimed: claimed, integerData: true, seed: context.config.seed,
            command: context.command)
        return Finding(strategy: strategy, claim: claim, refutes: refutes, kernels: bank, inputName: desc,
                       featureCosine: r.exact.featureCosine, kernelCosine: 0, bound: bound, exact: true,
                       notes: notes + ["shrunk to kernel \(k)×\(k), crop \(st.input.height)×\(st.input.width), integer scale \(Int(r.scale))"],
                       certificate: cert)
    }
}
