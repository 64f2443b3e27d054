import BigInt
import ConvSimCertificates
import ConvSimCore

/// The beliefs the search refutes, in words.
public enum Claims {
    public static let orthogonalityBelief =
        "Orthogonal kernels give non-redundant (dissimilar) feature maps."
}

/// Exact thresholds of claims.
public enum ClaimThreshold {
    /// The claim threshold for a best observed `|cos|`: the configured exact threshold,
    /// or `⌊best·1000⌋/1000` when the best found is below it.
    public static func capped(_ config: SearchConfig, best: Double) -> Rational { capped(config.exactThreshold, best: best) }

    /// `tau`, or `⌊best·1000⌋/1000` when the best found is below it.
    public static func capped(_ tau: Rational, best: Double) -> Rational {
        guard best.isFinite, best >= 0 else { return tau }
        let milli = Rational(BigInt(Int64((min(best, 1) * 1000).rounded(.down))), 1000)
        return milli < tau ? milli : tau
    }
}

extension Finding {
    /// A finding (and its certificate) from a shrunk exact integer pair; nil when the
    /// exact claim does not hold at `threshold` (no false certificate is ever made).
    static func exactPair(strategy: String, claim: ClaimKind = .orthogonalKernelsSimilarFeatureMaps, refutes: String,
                          result r: PairShrinker.Result, threshold: Rational, context: SearchContext,
                          bound: Double? = nil, notes: [String] = []) -> Finding? {
        let st = r.stats
        let k = st.kernelSize, c = st.input.channels
        let bank = KernelBank(count: 2, channels: c, kernelHeight: k, kernelWidth: k, values: r.a + r.b)
        let desc = "\(st.name), centred crop \(st.input.height)×\(st.input.width), 8-bit values 0…255"
        let provenance = Provenance(
            command: context.command, seed: String(context.config.seed),
            statement: "Refutes: \(refutes) Kernels 0 and 1 have kernel dot product exactly 0, yet their feature maps on the stored input (\(st.padding.rawValue) padding) have |cosine| ≥ \(threshold.text).",
            inputDescription: desc, strategy: strategy)
        let eigen = bound == nil ? nil : (st.eigenvalues.first ?? 0, st.eigenvalues.last ?? 0)
        guard let cert = SimilarPairVerifier.certificate(kind: claim, kernels: bank, input: st.input, padding: st.padding,
                                                         threshold: threshold, eigenvalues: eigen, provenance: provenance) else { return nil }
        return Finding(strategy: strategy, claim: claim, refutes: refutes, kernels: bank, inputName: desc,
                       featureCosine: r.exact.featureCosine, kernelCosine: 0, bound: bound, exact: true,
                       notes: notes + ["shrunk to kernel \(k)×\(k), crop \(st.input.height)×\(st.input.width), integer scale \(Int(r.scale))"],
                       certificate: cert)
    }
}
