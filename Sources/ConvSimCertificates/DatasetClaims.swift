import BigInt
import ConvSimIO
import ConvSimCore

/// `orthogonal-kernels-similar-dataset-feature-maps`: two kernels with kernel dot product
/// exactly 0 whose feature maps over a dataset have `|cos| ≥ τ`, for **every** patch Gram in
/// the stated box `|𝐆* − values| ≤ bound` (Documentation/Certificates.md).
///
/// With `a = vec(K_0)`, `b = vec(K_1)` and `x, y ∈ {a, b}`: centre `c_xy = xᵀ·values·y`, radius
/// `ρ_xy = |x|ᵀ·bound·|y|`; every `xᵀ𝐆*y` in the box lies in `[c_xy − ρ_xy, c_xy + ρ_xy]`. The
/// claim holds when `c_aa − ρ_aa > 0`, `c_bb − ρ_bb > 0`, `L = |c_ab| − ρ_ab > 0` and
/// `L² ≥ τ²(c_aa + ρ_aa)(c_bb + ρ_bb)`, since then `cos² = G_ab²/(G_aa G_bb) ≥ L²/(U_aa U_bb)`.
/// Every quantity is exact (integers scaled by powers of two); the error bound is 0.
public struct DatasetPairVerifier: ClaimVerifier {
    public let kind = ClaimKind.orthogonalKernelsSimilarDatasetFeatureMaps
    public init() {}

    public func extraWork(_ c: Certificate) -> Double { 0 }

    /// The enclosures of `G_aa`, `G_ab`, `G_bb` and the kernel dot product, exactly.
    public struct Enclosures: Sendable {
        public let dot: Rational
        public let g00: ClosedRange<Rational>, g01: ClosedRange<Rational>, g11: ClosedRange<Rational>

        /// Whether `|cos_01| ≥ τ` for every patch Gram in the box (`false` when a norm's
        /// enclosure reaches 0 or `G_01`'s contains 0).
        public func cosineAtLeast(_ tau: Rational) -> Bool {
            guard g00.lowerBound.sign > 0, g11.lowerBound.sign > 0 else { return false }
            let l = max(g01.lowerBound, -g01.upperBound)   // |c| − ρ
            guard l.sign > 0 else { return false }
            return l * l >= tau * tau * g00.upperBound * g11.upperBound
        }
    }

    /// `[c − ρ, c + ρ]` for the three pairs of kernels 0 and 1 of `kernels` (`M = 2`,
    /// `C·kh·kw = gram.order`, callers check).
    public static func enclosures(kernels: KernelBank, gram: StatedPatchGram) -> Enclosures {
        let n = gram.order
        let (k, ek) = ExactInstance.integers(kernels.values)
        let (v, ev) = ExactInstance.integers(gram.values), (e, eb) = ExactInstance.integers(gram.bound)
        let a = Array(k[0..<n]), b = Array(k[n..<(2 * n)])
        let absA = a.map { $0.sign == .minus ? -$0 : $0 }, absB = b.map { $0.sign == .minus ? -$0 : $0 }
        func box(_ x: [BigInt], _ y: [BigInt], _ ax: [BigInt], _ ay: [BigInt]) -> ClosedRange<Rational> {
            let c = Rational(ExactForms.quadratic(x, v, y), exp2: 2 * ek + ev)
            let r = Rational(ExactForms.quadratic(ax, e, ay), exp2: 2 * ek + eb)
            return (c - r)...(c + r)
        }
        return Enclosures(dot: Rational(ExactForms.dot(a, b), exp2: 2 * ek),
                          g00: box(a, a, absA, absA), g01: box(a, b, absA, absB), g11: box(b, b, absB, absB))
    }

    struct Stated { var dot: Rational, g00, g01, g11: ClosedRange<Rational>, tau: Rational }

    func read(_ c: Certificate, path: String) throws -> (Stated, StatedPatchGram) {
        guard let g = c.patchGram else {
            throw CertificateError.malformed(path: path, reason: "claim '\(kind.rawValue)' needs data.patch_gram")
        }
        try CommonChecks.requirePair(c, path: path)
        guard g.order == c.kernels.kernelLength, g.values.count == g.order * g.order, g.bound.count == g.values.count else {
            throw CertificateError.malformed(path: path, reason: "data.patch_gram must be of order C·kh·kw = \(c.kernels.kernelLength) of data.kernels")
        }
        var f = try Fields(.object(c.claimed), at: "claimed", path: path)
        let dot = try f.exact("kernel_dot")
        var gram = try f.object("gram")
        let g00 = try gram.interval("g00"), g01 = try gram.interval("g01"), g11 = try gram.interval("g11")
        try gram.finish()
        let tau = try f.threshold("feature_cosine_at_least")
        try f.finish()
        return (Stated(dot: dot, g00: g00, g01: g01, g11: g11, tau: tau), g)
    }

    public func verify(_ c: Certificate, path: String, parseOnly: Bool) throws -> [CertificateCheck] {
        let (s, g) = try read(c, path: path)
        if parseOnly { return [] }
        let e = Self.enclosures(kernels: c.kernels, gram: g)
        func contains(_ name: String, _ stated: ClosedRange<Rational>, _ enc: ClosedRange<Rational>) -> CertificateCheck {
            CertificateCheck("\(name) ∈ [\(stated.lowerBound.text), \(stated.upperBound.text)] for every patch Gram in the box",
                             stated.lowerBound <= enc.lowerBound && enc.upperBound <= stated.upperBound,
                             "exact enclosure [c − ρ, c + ρ] ≈ [\(enc.lowerBound.approximate), \(enc.upperBound.approximate)] (compared as rationals)")
        }
        let l = max(e.g01.lowerBound, -e.g01.upperBound)
        return [
            CommonChecks.exact("kernel dot ⟨K_0, K_1⟩", stated: s.dot, computed: e.dot),
            CertificateCheck("kernel dot product is exactly 0", e.dot.isZero, "⟨K_0, K_1⟩ = \(e.dot)"),
            contains("G_00 = aᵀ𝐆*a", s.g00, e.g00),
            contains("G_01 = aᵀ𝐆*b", s.g01, e.g01),
            contains("G_11 = bᵀ𝐆*b", s.g11, e.g11),
            CertificateCheck("|feature-map cosine| ≥ \(s.tau.text) for every patch Gram in the box",
                             e.cosineAtLeast(s.tau),
                             "exact: G_00 ≥ ≈\(e.g00.lowerBound.approximate), G_11 ≥ ≈\(e.g11.lowerBound.approximate), |G_01| ≥ L ≈ \(l.approximate); L² \(e.cosineAtLeast(s.tau) ? "≥" : "is not ≥") τ²·U_00·U_11 (L/√(U_00·U_11) ≈ \(Self.ratio(l, e.g00.upperBound * e.g11.upperBound)))"),
        ]
    }

    /// `L/√D` for display (NaN when `D ≤ 0`).
    static func ratio(_ l: Rational, _ d: Rational) -> Double { CommonChecks.approximateRatio(l, d) }

    /// `replay --stats`: the certificate's `data.patch_gram` and padding against those of a
    /// statistics file (`expected`, the fold of its blocks, with its padding and kernel shape):
    /// every value and bound equal, bit for bit. Throws `malformed` for a certificate of
    /// another kind.
    public static func sameStatistics(_ c: Certificate, path: String, expected: StatedPatchGram, padding: Padding,
                                      channels: Int, kernelHeight: Int, kernelWidth: Int, source: String) throws -> CertificateCheck {
        guard let g = c.patchGram else {
            throw CertificateError.malformed(path: path, reason: "--stats checks dataset certificates (claim '\(ClaimKind.orthogonalKernelsSimilarDatasetFeatureMaps.rawValue)'); this one is '\(c.claim.rawValue)', about its own input")
        }
        let k = c.kernels
        var why: [String] = []
        if c.padding != padding { why.append("padding \(c.padding.rawValue), the statistics' is \(padding.rawValue)") }
        if (k.channels, k.kernelHeight, k.kernelWidth) != (channels, kernelHeight, kernelWidth) {
            why.append("kernels C = \(k.channels), \(k.kernelHeight)×\(k.kernelWidth); the statistics' C = \(channels), \(kernelHeight)×\(kernelWidth)")
        } else {
            func differing(_ a: [Double], _ b: [Double]) -> Int { zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count }
            let dv = differing(g.values, expected.values), db = differing(g.bound, expected.bound)
            if dv > 0 { why.append("\(dv) of \(g.values.count) patch Gram values differ") }
            if db > 0 { why.append("\(db) of \(g.bound.count) bound values differ") }
        }
        return CertificateCheck("data.patch_gram is the patch Gram and bound of \(source)", why.isEmpty,
                                why.isEmpty ? "every value and bound equal, bit for bit" : why.joined(separator: "; "))
    }

    /// The certificate of a pair found on a dataset's patch Gram, or nil when the claim does not
    /// hold for the whole box at `threshold` (nothing false is ever written).
    public static func certificate(kernels: KernelBank, patchGram: StatedPatchGram, padding: Padding, threshold: Rational,
                                   provenance: Provenance) -> Certificate? {
        // Within the documented limits, or a checker would refuse it (exit 3): n² values per tensor.
        guard kernels.count == 2, kernels.kernelLength == patchGram.order,
              patchGram.values.count <= Certificate.Limits.valuesPerTensor else { return nil }
        let e = enclosures(kernels: kernels, gram: patchGram)
        guard e.dot.isZero, e.cosineAtLeast(threshold) else { return nil }
        let claimed = [
            JSONMember("kernel_dot", CommonChecks.json(e.dot)),
            JSONMember("gram", .object([JSONMember("g00", CommonChecks.json(PairChecks.outwardDecimals(e.g00))),
                                        JSONMember("g01", CommonChecks.json(PairChecks.outwardDecimals(e.g01))),
                                        JSONMember("g11", CommonChecks.json(PairChecks.outwardDecimals(e.g11)))])),
            JSONMember("feature_cosine_at_least", CommonChecks.json(threshold)),
        ]
        let cert = Certificate(claim: .orthogonalKernelsSimilarDatasetFeatureMaps, padding: padding, kernels: kernels,
                               patchGram: patchGram, claimed: claimed, provenance: provenance)
        guard let checks = try? DatasetPairVerifier().verify(cert, path: "(new certificate)"), checks.allSatisfy(\.passed),
              cert.encoded().count <= Certificate.Limits.fileBytes else { return nil }
        return cert
    }
}
