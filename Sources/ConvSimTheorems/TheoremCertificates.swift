import ConvSimIO
import ConvSimCertificates
import ConvSimCore
import Foundation

/// `theorem-counterexample` certificates (Documentation/Certificates.md): a stored
/// instance on which a statement of theorem T1, T1b, T2, T3, T4, T5 or T6 fails,
/// with every stated number recomputed exactly. Registered in the checker's table
/// by this module (`TheoremCertificates.verifier`).
public struct TheoremCounterexampleVerifier: ClaimVerifier {
    public let kind = ClaimKind.theoremCounterexample
    public init() {}

    public static let theorems = ["T1", "T1b", "T2", "T3", "T4", "T5", "T6"]

    public func extraWork(_ c: Certificate) -> Double {
        guard case .string(let id)? = c.claimed.first(where: { $0.key == "theorem" })?.value else { return 0 }
        let k = c.kernels
        switch id {
        case "T4": return Self.eigenWork(c, inertia: true)
        case "T6": return Self.eigenWork(c, inertia: false)
        case "T3":
            let m = Double(k.count), cc = Double(k.channels)
            return m * (m - 1) / 2 * cc * cc * Double(2 * k.kernelHeight - 1) * Double(2 * k.kernelWidth - 1) * Double(k.taps)
        default: return 0
        }
    }

    /// Whether the instance meets the hypotheses of theorem `id`.
    public static func hypothesisMet(_ id: String, padding p: Padding, kernels k: KernelBank, input x: Signal) -> Bool {
        switch id {
        case "T1", "T2", "T5": return p == .full || p == .circular
        case "T1b": return p != .circular
        case "T3": return p == .full || (p == .circular && x.height >= 2 * k.kernelHeight - 1 && x.width >= 2 * k.kernelWidth - 1)
        default: return true
        }
    }

    enum Stated {
        case identity(lhs: Rational, rhs: Rational)
        case pairs([Rational])
        case wielandt(dot: Rational, g00: Rational, g01: Rational, g11: Rational, lmin: ClosedRange<Rational>, lmax: ClosedRange<Rational>)
        case bound(lhs: Rational, bound: ClosedRange<Rational>)
    }

    public func verify(_ c: Certificate, path: String, parseOnly: Bool) throws -> [CertificateCheck] {
        var f = try Fields(.object(c.claimed), at: "claimed", path: path)
        let id = try f.string("theorem")
        guard Self.theorems.contains(id) else {
            throw f.bad("theorem", "'\(id)' is not a theorem with counterexample certificates; known: \(Self.theorems.joined(separator: ", "))")
        }
        let hyp = try f.bool("hypothesis_met")
        guard c.kernels.count >= 2 || id == "T3" else {
            throw CertificateError.malformed(path: path, reason: "a theorem counterexample needs at least 2 kernels (data.kernels.shape[0] = \(c.kernels.count))")
        }
        if id == "T1b" && c.padding == .circular {
            throw CertificateError.malformed(path: path, reason: "T1b is stated for zero padding (valid, same, full); data.padding is circular")
        }
        let stated: Stated
        switch id {
        case "T3":
            let v = try f.exactArray("pair_symmetric_cs")
            let m = c.kernels.count
            guard v.count == m * (m - 1) / 2 else {
                throw f.bad("pair_symmetric_cs", "has \(v.count) entries; \(m) kernels have \(m * (m - 1) / 2) pairs")
            }
            stated = .pairs(v)
        case "T4":
            let dot = try f.exact("kernel_dot")
            var g = try f.object("gram")
            let g00 = try g.exact("g00"), g01 = try g.exact("g01"), g11 = try g.exact("g11")
            try g.finish()
            stated = .wielandt(dot: dot, g00: g00, g01: g01, g11: g11, lmin: try f.interval("lambda_min"), lmax: try f.interval("lambda_max"))
        case "T5":
            stated = .bound(lhs: try f.exact("lhs"), bound: try f.interval("bound"))
        default:
            stated = .identity(lhs: try f.exact("lhs"), rhs: try f.exact("rhs"))
        }
        try f.finish()
        if parseOnly { return [] }

        let e = ExactInstance(kernels: c.kernels, input: c.input, padding: c.padding)
        let met = Self.hypothesisMet(id, padding: c.padding, kernels: c.kernels, input: c.input)
        var checks = [CertificateCheck("hypothesis_met = \(hyp)", hyp == met,
                                       "\(id)'s hypotheses \(met ? "hold" : "do not hold") for \(c.padding.rawValue) padding, input \(c.input.height)×\(c.input.width), kernels \(c.kernels.kernelHeight)×\(c.kernels.kernelWidth)")]
        switch stated {
        case .identity(let lhs, let rhs):
            let l = e.gram(0, 1), r = Self.rightSide(id, e)
            checks.append(CommonChecks.exact("lhs = ⟨F_0, F_1⟩ (\(c.padding.rawValue) padding)", stated: lhs, computed: l))
            checks.append(CommonChecks.exact("rhs = \(Self.formulaName(id))", stated: rhs, computed: r))
            checks.append(CertificateCheck("\(id) fails: lhs ≠ rhs", l != r, "\(l) \(l == r ? "=" : "≠") \(r)"))
        case .pairs(let v):
            let m = c.kernels.count
            checks.append(CertificateCheck("M ≥ 3 kernels", m >= 3, "M = \(m)"))
            let zeros = (0..<m).filter { e.kernelIsZero($0) }
            checks.append(CertificateCheck("no kernel is all zeros", zeros.isEmpty, zeros.isEmpty ? "all non-zero" : "zero kernels \(zeros)"))
            var t = 0, allZero = true
            for i in 0..<m { for j in (i + 1)..<m {
                let s = e.symmetricCS(i, j)
                checks.append(CommonChecks.exact("symmetric CS of (\(i),\(j))", stated: v[t], computed: s))
                allZero = allZero && s.isZero; t += 1
            } }
            checks.append(CertificateCheck("T3 fails: every pair has S ≡ 0", allZero, allZero ? "all pairs orthogonal for every input" : "some pair has S ≢ 0"))
        case .wielandt(let dot, let g00, let g01, let g11, let lmin, let lmax):
            checks += PairChecks.orthogonalAndSimilar(e, dot: dot, g00: g00, g01: g01, g11: g11, cosine: nil, tau: nil)
            checks += PairChecks.wielandt(e, lmin: lmin, lmax: lmax, bound: nil)
            let gm = e.gramMatrix([0, 1])
            let c00 = gm[0][0], c01 = gm[0][1], c11 = gm[1][1]
            if let w = PairChecks.enclosure(lmin, lmax)?.upperBound, c00.sign > 0, c11.sign > 0 {
                let ok = c01 * c01 > w * w * c00 * c11
                checks.append(CertificateCheck("T4 fails: cos_01² > w_hi² (w_hi = \(w))", ok, "exact: G_01² \(ok ? ">" : "≤") w_hi²·G_00·G_11"))
            } else {
                checks.append(CertificateCheck("T4 fails: cos_01² > w_hi²", false, "no upper end of the Wielandt bound from the stated intervals"))
            }
        case .bound(let lhs, let bound):
            let l = e.gram(0, 1)
            checks.append(CommonChecks.exact("lhs = ⟨F_0, F_1⟩ (\(c.padding.rawValue) padding)", stated: lhs, computed: l))
            let enc = Self.similarityBoundEnclosure(e)
            let ok = bound.lowerBound <= enc.lowerBound && enc.upperBound <= bound.upperBound
            checks.append(CertificateCheck("bound Σ‖S_01,cc'‖‖R_cc'‖ ∈ [\(bound.lowerBound), \(bound.upperBound)]", ok,
                                           "enclosure [\(enc.lowerBound.approximate), \(enc.upperBound.approximate)]"))
            let beyond = l.magnitude > bound.upperBound
            checks.append(CertificateCheck("T5 fails: |lhs| > bound.upper", beyond, "|\(l)| \(beyond ? ">" : "≤") \(bound.upperBound)"))
        }
        return checks
    }

    static func formulaName(_ id: String) -> String {
        switch id {
        case "T1": return "Σ T_01,cc'(d)·R^P_cc'(d)"
        case "T1b": return "Σ T_01,cc'(d)·R_cc'(d) − E (border term)"
        case "T2": return "Σ S_01,cc'(d)·R^P_cc'(d)"
        default: return "vec(K_0)ᵀ 𝐆^P vec(K_1)"
        }
    }

    /// The exact right side of the identity theorems.
    static func rightSide(_ id: String, _ e: ExactInstance) -> Rational {
        switch id {
        case "T1": return e.closedForm(circular: e.padding == .circular)
        case "T1b": return e.closedForm(circular: false) - e.borderTerm(0, 1)
        case "T2": return e.symmetricForm(circular: e.padding == .circular)
        default: return e.quadraticForm(0, 1)
        }
    }

    /// An exact enclosure of T5's `Σ_{c,c'} ‖S_01,cc'‖₂‖R_cc'‖₂` (square roots to 128 bits).
    static func similarityBoundEnclosure(_ e: ExactInstance) -> ClosedRange<Rational> {
        var lo = Rational.zero, hi = Rational.zero
        for (s, r) in e.similarityBoundTerms(circular: e.padding == .circular) {
            let q = Rational.squareRootEnclosure(s * r)
            lo = lo + q.lo; hi = hi + q.hi
        }
        return lo...hi
    }
}

public enum TheoremCertificates {
    public static let verifier: any ClaimVerifier = TheoremCounterexampleVerifier()

    /// The certificate of an instance on which theorem `id` is claimed to fail, with every
    /// number stated from exact arithmetic (it may state a claim that does not hold: a
    /// failing float check against a seeded bug replays as "does not hold").
    public static func certificate(id: String, instance inst: TheoremInstance, provenance: Provenance) -> Certificate {
        let e = ExactInstance(kernels: inst.kernels, input: inst.input, padding: inst.padding)
        let met = TheoremCounterexampleVerifier.hypothesisMet(id, padding: inst.padding, kernels: inst.kernels, input: inst.input)
        var claimed = [JSONMember("theorem", .string(id)), JSONMember("hypothesis_met", .bool(met))]
        switch id {
        case "T3":
            var v: [JSONValue] = []
            for i in 0..<inst.kernels.count { for j in (i + 1)..<inst.kernels.count { v.append(CommonChecks.json(e.symmetricCS(i, j))) } }
            claimed.append(JSONMember("pair_symmetric_cs", .array(v)))
        case "T4":
            claimed.append(JSONMember("kernel_dot", CommonChecks.json(e.kernelDot(0, 1))))
            let gm = e.gramMatrix([0, 1])
            claimed.append(JSONMember("gram", .object([JSONMember("g00", CommonChecks.json(gm[0][0])),
                                                       JSONMember("g01", CommonChecks.json(gm[0][1])),
                                                       JSONMember("g11", CommonChecks.json(gm[1][1]))])))
            let (lmin, lmax) = eigenIntervals(e)
            claimed.append(JSONMember("lambda_min", CommonChecks.json(lmin)))
            claimed.append(JSONMember("lambda_max", CommonChecks.json(lmax)))
        case "T5":
            claimed.append(JSONMember("lhs", CommonChecks.json(e.gram(0, 1))))
            let enc = TheoremCounterexampleVerifier.similarityBoundEnclosure(e)
            claimed.append(JSONMember("bound", CommonChecks.json(PairChecks.outwardDecimals(enc))))
        default:
            if id == "T1b" && inst.padding == .circular { break }
            claimed.append(JSONMember("lhs", CommonChecks.json(e.gram(0, 1))))
            claimed.append(JSONMember("rhs", CommonChecks.json(TheoremCounterexampleVerifier.rightSide(id, e))))
        }
        return Certificate(claim: .theoremCounterexample, padding: inst.padding, kernels: inst.kernels, input: inst.input,
                           claimed: claimed, provenance: provenance)
    }

    /// Verified eigenvalue intervals of the patch Gram: tight ones around LAPACK's values
    /// when inertia confirms them, else `[0, tr/n]` and `[tr/n, tr]` (always true for a
    /// positive semi-definite matrix).
    static func eigenIntervals(_ e: ExactInstance) -> (ClosedRange<Rational>, ClosedRange<Rational>) {
        let (n, g) = e.patchGram()
        if let ev = try? LinearAlgebra.symmetricEigen(g.map(\.approximate), order: n).values, let lo = ev.min(), let hi = ev.max(),
           let tight = PairChecks.eigenIntervals(e, lmin: lo, lmax: hi) {
            return tight
        }
        var tr = Rational.zero
        for i in 0..<n { tr = tr + g[i * n + i] }
        let mean = tr / Rational(n)
        return (Rational.zero...mean, mean...tr)
    }
}
