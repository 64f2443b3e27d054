import ConvSimIO
import ConvSimCore

/// `orthogonal-kernels-similar-feature-maps` and `zero-paper-cs-similar-feature-maps`:
/// two kernels with kernel dot product exactly 0 whose feature maps on the stored
/// input have `|cos| ≥ τ` (and, for the second kind, paper CS exactly 0).
public struct SimilarPairVerifier: ClaimVerifier {
    public let kind: ClaimKind
    public init(_ kind: ClaimKind) { self.kind = kind }

    var zeroPaperCS: Bool { kind == .zeroPaperCSSimilarFeatureMaps }

    public func extraWork(_ c: Certificate) -> Double {
        c.claimed.contains(where: { $0.key == "wielandt" }) ? Self.eigenWork(c, inertia: true) : 0
    }

    struct Stated {
        var dot: Rational, g00: Rational, g01: Rational, g11: Rational
        var cosine: ClosedRange<Rational>, tau: Rational
        var wielandt: (lmin: ClosedRange<Rational>, lmax: ClosedRange<Rational>, bound: ClosedRange<Rational>)?
        var paperCS: Rational?, symmetricCS: Rational?
    }

    func read(_ c: Certificate, path: String) throws -> Stated {
        try CommonChecks.requirePair(c, path: path)
        var f = try Fields(.object(c.claimed), at: "claimed", path: path)
        let dot = try f.exact("kernel_dot")
        var g = try f.object("gram")
        let g00 = try g.exact("g00"), g01 = try g.exact("g01"), g11 = try g.exact("g11")
        try g.finish()
        let cosine = try f.interval("feature_cosine")
        let tau = try f.threshold("feature_cosine_at_least")
        var s = Stated(dot: dot, g00: g00, g01: g01, g11: g11, cosine: cosine, tau: tau)
        if zeroPaperCS {
            s.paperCS = try f.exact("paper_cs"); s.symmetricCS = try f.exact("symmetric_cs")
        } else if var w = try f.optionalObject("wielandt") {
            s.wielandt = (try w.interval("lambda_min"), try w.interval("lambda_max"), try w.interval("bound"))
            try w.finish()
        }
        try f.finish()
        return s
    }

    public func verify(_ c: Certificate, path: String, parseOnly: Bool) throws -> [CertificateCheck] {
        let s = try read(c, path: path)
        if parseOnly { return [] }
        let e = ExactInstance(kernels: c.kernels, input: c.input, padding: c.padding)
        var checks = PairChecks.orthogonalAndSimilar(e, dot: s.dot, g00: s.g00, g01: s.g01, g11: s.g11, cosine: s.cosine, tau: s.tau)
        if let w = s.wielandt { checks += PairChecks.wielandt(e, lmin: w.lmin, lmax: w.lmax, bound: w.bound) }
        if let p = s.paperCS, let q = s.symmetricCS {
            let pc = e.paperCS(0, 1), sc = e.symmetricCS(0, 1)
            checks.append(CommonChecks.exact("paper CS Σ_c ‖T_01,cc‖²", stated: p, computed: pc))
            checks.append(CertificateCheck("paper CS is exactly 0", pc.isZero, "Σ_c ‖T_01,cc‖² = \(pc)"))
            checks.append(CommonChecks.exact("symmetric CS Σ_{c,c'} ‖S_01,cc'‖²", stated: q, computed: sc))
            checks.append(CertificateCheck("symmetric CS is positive (it sees the pair)", sc.sign > 0, "Σ_{c,c'} ‖S_01,cc'‖² = \(sc)"))
        }
        return checks
    }

    /// The certificate of a pair found by a search strategy, or nil when the claim does
    /// not hold exactly at `threshold` (nothing false is ever written).
    /// - Parameter eigenvalues: approximate `(λ_min, λ_max)` of the patch Gram, to state
    ///   a certified Wielandt bound (adversarial strategy).
    public static func certificate(kind: ClaimKind, kernels: KernelBank, input: Signal, padding: Padding, threshold: Rational,
                                   eigenvalues: (Double, Double)? = nil, provenance: Provenance) -> Certificate? {
        let e = ExactInstance(kernels: kernels, input: input, padding: padding)
        let g = e.gramMatrix([0, 1])
        let g00 = g[0][0], g01 = g[0][1], g11 = g[1][1]
        guard g00.sign > 0, g11.sign > 0 else { return nil }
        var claimed = [
            JSONMember("kernel_dot", CommonChecks.json(e.kernelDot(0, 1))),
            JSONMember("gram", .object([JSONMember("g00", CommonChecks.json(g00)), JSONMember("g01", CommonChecks.json(g01)),
                                        JSONMember("g11", CommonChecks.json(g11))])),
            JSONMember("feature_cosine", CommonChecks.json(CommonChecks.interval(forRatio: g01, root: g00 * g11))),
            JSONMember("feature_cosine_at_least", CommonChecks.json(threshold)),
        ]
        if kind == .zeroPaperCSSimilarFeatureMaps {
            claimed.append(JSONMember("paper_cs", CommonChecks.json(e.paperCS(0, 1))))
            claimed.append(JSONMember("symmetric_cs", CommonChecks.json(e.symmetricCS(0, 1))))
        } else if let (lmin, lmax) = eigenvalues, let w = PairChecks.wielandtStatement(e, lmin: lmin, lmax: lmax) {
            claimed.append(JSONMember("wielandt", w))
        }
        let cert = Certificate(claim: kind, padding: padding, kernels: kernels, input: input, claimed: claimed, provenance: provenance)
        guard let checks = try? SimilarPairVerifier(kind).verify(cert, path: "(new certificate)"),
              checks.allSatisfy(\.passed) else { return nil }
        return cert
    }
}

/// Checks shared by the pair claims and the theorem claims (one place each).
public enum PairChecks {
    /// Kernel dot verified and 0; Gram entries verified and the norms positive; the cosine
    /// in its interval; `|cos| ≥ τ`.
    public static func orthogonalAndSimilar(_ e: ExactInstance, dot: Rational, g00: Rational, g01: Rational, g11: Rational,
                                            cosine: ClosedRange<Rational>?, tau: Rational?) -> [CertificateCheck] {
        let kd = e.kernelDot(0, 1)
        let g = e.gramMatrix([0, 1])
        let c00 = g[0][0], c01 = g[0][1], c11 = g[1][1]
        var checks = [
            CommonChecks.exact("kernel dot ⟨K_0, K_1⟩", stated: dot, computed: kd),
            CertificateCheck("kernel dot product is exactly 0", kd.isZero, "⟨K_0, K_1⟩ = \(kd)"),
            CommonChecks.exact("G_00 = ‖F_0‖² (\(e.padding.rawValue) padding)", stated: g00, computed: c00),
            CommonChecks.exact("G_01 = ⟨F_0, F_1⟩", stated: g01, computed: c01),
            CommonChecks.exact("G_11 = ‖F_1‖²", stated: g11, computed: c11),
            CertificateCheck("both feature maps are non-zero", c00.sign > 0 && c11.sign > 0, "G_00 = \(c00), G_11 = \(c11)"),
        ]
        if let iv = cosine { checks.append(CommonChecks.cosineInterval("feature-map cosine G_01/√(G_00·G_11)", c01, c00 * c11, iv)) }
        if let t = tau { checks.append(CommonChecks.absoluteAtLeast("feature-map cosine", c01, c00 * c11, t)) }
        return checks
    }

    /// The eigenvalue intervals of `𝐆^P` (by inertia) and the enclosure of the Wielandt bound.
    public static func wielandt(_ e: ExactInstance, lmin: ClosedRange<Rational>, lmax: ClosedRange<Rational>,
                                bound: ClosedRange<Rational>?) -> [CertificateCheck] {
        let (n, g) = e.patchGram()
        var checks = [
            CertificateCheck("λ_min(𝐆^P) ∈ [\(lmin.lowerBound.text), \(lmin.upperBound.text)]",
                             Inertia.smallestIn(g, order: n, lmin.lowerBound, lmin.upperBound), "by inertia of 𝐆^P − σI, order \(n)"),
            CertificateCheck("λ_max(𝐆^P) ∈ [\(lmax.lowerBound.text), \(lmax.upperBound.text)]",
                             Inertia.largestIn(g, order: n, lmax.lowerBound, lmax.upperBound), "by inertia of 𝐆^P − σI, order \(n)"),
        ]
        if let b = bound {
            let enc = enclosure(lmin, lmax)
            let ok = enc.map { b.lowerBound <= $0.lowerBound && $0.upperBound <= b.upperBound } ?? false
            checks.append(CertificateCheck("Wielandt bound (λmax−λmin)/(λmax+λmin) ∈ [\(b.lowerBound.text), \(b.upperBound.text)]", ok,
                                           enc.map { "exact enclosure from the eigenvalue intervals: [≈\($0.lowerBound.approximate), ≈\($0.upperBound.approximate)]" } ?? "no enclosure (a denominator is not positive)"))
        }
        return checks
    }

    /// `[(a_max − b_min)/(a_max + b_min), (b_max − a')/(b_max + a')]`, `a' = max(a_min, 0)`.
    public static func enclosure(_ lmin: ClosedRange<Rational>, _ lmax: ClosedRange<Rational>) -> ClosedRange<Rational>? {
        let a = max(lmin.lowerBound, .zero), bMin = lmin.upperBound
        let d1 = lmax.lowerBound + bMin, d2 = lmax.upperBound + a
        guard d1.sign > 0, d2.sign > 0 else { return nil }
        let lo = (lmax.lowerBound - bMin) / d1, hi = (lmax.upperBound - a) / d2
        return lo <= hi ? lo...hi : nil
    }

    /// Eigenvalue intervals around approximate `λ_min`, `λ_max` that inertia confirms
    /// (widened until it does), as the JSON of `wielandt`; nil if none is found.
    public static func wielandtStatement(_ e: ExactInstance, lmin: Double, lmax: Double) -> JSONValue? {
        guard let (imin, imax) = eigenIntervals(e, lmin: lmin, lmax: lmax), let enc = enclosure(imin, imax) else { return nil }
        let bound = outwardDecimals(enc)
        return .object([JSONMember("lambda_min", CommonChecks.json(imin)), JSONMember("lambda_max", CommonChecks.json(imax)),
                        JSONMember("bound", CommonChecks.json(bound))])
    }

    /// Verified intervals for `λ_min`, `λ_max` around the approximations: `λ ± 2⁻³⁰·λ_max`
    /// snapped outward to 8 significant digits (so the stated endpoints do not depend on the
    /// last bits of the eigensolver, which vary with the CPU), widened until inertia confirms them.
    public static func eigenIntervals(_ e: ExactInstance, lmin: Double, lmax: Double) -> (ClosedRange<Rational>, ClosedRange<Rational>)? {
        let (n, g) = e.patchGram()
        let scale = max(abs(lmax), 1e-300)
        func around(_ v: Double, _ test: (Rational, Rational) -> Bool) -> ClosedRange<Rational>? {
            var r = scale * 0x1p-30
            for _ in 0..<8 {
                if let a = Rational(exactly: v - r), let b = Rational(exactly: v + r) {
                    let lo = a.snapped(digits: 8, down: true), hi = b.snapped(digits: 8, down: false)
                    if lo <= hi, test(lo, hi) { return lo...hi }
                }
                r *= 256
            }
            return nil
        }
        guard let a = around(lmin, { Inertia.smallestIn(g, order: n, $0, $1) }),
              let b = around(lmax, { Inertia.largestIn(g, order: n, $0, $1) }) else { return nil }
        return (a, b)
    }

    /// Short decimal endpoints just outside an exact interval.
    public static func outwardDecimals(_ iv: ClosedRange<Rational>) -> ClosedRange<Rational> {
        func down(_ r: Rational) -> Rational {
            var d = r.approximate
            while true {
                if case .success(let q) = Rational.parse(JSONValue.shortest(d)), q <= r { return q }
                d = d.nextDown
            }
        }
        func up(_ r: Rational) -> Rational {
            var d = r.approximate
            while true {
                if case .success(let q) = Rational.parse(JSONValue.shortest(d)), q >= r { return q }
                d = d.nextUp
            }
        }
        return down(iv.lowerBound)...up(iv.upperBound)
    }
}
