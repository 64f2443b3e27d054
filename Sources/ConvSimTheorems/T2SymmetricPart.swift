import BigInt
import ConvSimCertificates
import ConvSimCore
import Foundation

/// **T2 — only the symmetric part matters.**
public struct SymmetricPartTheorem: Theorem {
    public let formula: any PairFormula
    public init(formula: any PairFormula = SymmetricIdentity()) { self.formula = formula }

    public var id: String { "T2" }
    public var title: String { "only the symmetric part of the kernel correlation matters" }
    public var statement: String {
        """
        `<F_i, F_j> = Σ_{c,c'} Σ_d S_ij,cc'(d) R_cc'(d)`, `S_ij,cc'(d) = ½(T_ij,cc'(d) + T_ij,c'c(−d))`
        (full or circular padding). Hence `<F_i,F_j> = 0` **for every input** iff `S_ij ≡ 0`, for
        full padding with `H, W ≥ k` and for circular padding with `H, W ≥ 2k − 1` per axis.
        (The original specification stated `H, W ≥ k` for both — Documentation/Theory.md#errata-1; for circular padding with `k ≤ H < 2k − 1` lags alias
        — `R°(d) = R°(d − H)` — and kernels with `S ≢ 0` can be orthogonal on every input: only the
        aliased sums `Σ_{d' ≡ d} S(d')` must vanish.)
        """
    }
    public var hypotheses: [String] { ["padding full (H, W ≥ k) or circular (H, W ≥ 2k−1) for the 'every input' part"] }
    public var dataDependent: Bool { false }

    public var checker: IdentityChecker {
        IdentityChecker(id: id, formula: formula, paddings: [.full, .circular], engine: engineCorrelationPairing,
                        symbolicShapes: IdentityShape.symbolicSizes)
    }

    public func check(_ ctx: VerificationContext) -> [CheckResult] {
        checker.checks(ctx) + [everyInputWhenSZero(ctx), symbolicZero(ctx), witnessWhenSNonzero(ctx), circularAliasing()]
    }

    // MARK: exact S and pairs with S ≡ 0

    /// `2·S_ij,cc'(d) = T_ij,cc'(d) + T_ij,c'c(−d)` exactly, for all `c, c', d`.
    public static func doubledSymmetricPart(_ k: KernelBank, _ i: Int, _ j: Int) -> [BigInt]? {
        guard let b = RingBank<BigInt>(exactly: k) else { return nil }
        var out: [BigInt] = []
        for c in 0..<k.channels { for c2 in 0..<k.channels {
            for dy in -(k.kernelHeight - 1)...(k.kernelHeight - 1) { for dx in -(k.kernelWidth - 1)...(k.kernelWidth - 1) {
                out.append(ClosedForms.kernelCorrelation(b, i, j, c, c2, dy, dx) + ClosedForms.kernelCorrelation(b, i, j, c2, c, -dy, -dx))
            } }
        } }
        return out
    }

    /// A pair with `S ≡ 0`: `K_i[c] = α_c·s`, `K_j[c] = α_c·a` with `s` centrally symmetric and `a`
    /// centrally antisymmetric (their DFTs are a 90° phase pair, channel vectors proportional).
    public static func zeroSymmetricPair(channels: Int, kh: Int, kw: Int, rng: inout SeededRandom) -> KernelBank {
        let n = kh * kw
        var s = [Double](repeating: 0, count: n), a = s
        for t in 0..<n {
            let m = n - 1 - t
            if t < m { let v = Double(rng.integer(in: -4...4)); s[t] = v; s[m] = v
                       let w = Double(rng.integer(in: -4...4)); a[t] = w; a[m] = -w }
            if t == m { s[t] = Double(rng.integer(in: 1...4)) }
        }
        if a.allSatisfy({ $0 == 0 }) && n > 1 { a[0] = 1; a[n - 1] = -1 }
        let alpha = (0..<channels).map { _ in Double(rng.integer(in: 1...3)) * (rng.uniform() < 0.5 ? -1 : 1) }
        var v: [Double] = []
        for c in 0..<channels { v += s.map { $0 * alpha[c] } }
        for c in 0..<channels { v += a.map { $0 * alpha[c] } }
        return KernelBank(count: 2, channels: channels, kernelHeight: kh, kernelWidth: kw, values: v)
    }

    /// Exact: pairs with `S ≡ 0` (verified exactly) give `<F_i,F_j> = 0` exactly on random integer
    /// inputs (full: `H, W ≥ k`; circular: `H, W ≥ 2k−1`).
    func everyInputWhenSZero(_ ctx: VerificationContext) -> CheckResult {
        var rng = ctx.rng(id, "S=0")
        var tally = ExactTally()
        for t in 0..<ctx.exactTrials {
            let oneD = t % 2 == 0
            let c = rng.integer(in: 1...3), kh = oneD ? 1 : rng.integer(in: 1...3), kw = rng.integer(in: 2...4)
            let k = Self.zeroSymmetricPair(channels: c, kh: kh, kw: kw, rng: &rng)
            let p: Padding = t % 4 < 2 ? .full : .circular
            let minH = p == .full ? kh : 2 * kh - 1, minW = p == .full ? kw : 2 * kw - 1
            let h = oneD ? 1 : minH + rng.integer(in: 0...3), w = minW + rng.integer(in: 0...3)
            let x = Signal(channels: c, height: h, width: w, values: (0..<(c * h * w)).map { _ in Double(rng.integer(in: -9...9)) })
            let inst = TheoremInstance(kernels: k, input: x, padding: p, origin: "S ≡ 0 pair (symmetric ⊗ antisymmetric)")
            let sZero = Self.doubledSymmetricPart(k, 0, 1)!.allSatisfy { $0 == 0 }
            let g = PolynomialIdentity.exactSides(DirectInnerProduct(), inst)!.lhs
            tally.add(equal: sZero && g == 0, discrepancy: abs(Double(g)), instance: inst)
        }
        return CheckResult(id: id, name: "S ≡ 0 ⇒ <F_i,F_j> = 0 on random integer inputs", evidence: .exact, passed: tally.failures == 0,
                           trials: tally.trials, maxDiscrepancy: tally.maxDiscrepancy, bound: 0,
                           counterexample: tally.firstFailure)
    }

    /// Proof at small sizes: for S ≡ 0 pairs, `<F_i,F_j>` expanded as a polynomial in all input samples is 0.
    func symbolicZero(_ ctx: VerificationContext) -> CheckResult {
        var rng = ctx.rng(id, "S=0-symbolic")
        var proven = 0, failed = 0
        let shapes: [(Int, Int, Int)] = [(1, 1, 2), (1, 1, 3), (2, 1, 3), (1, 1, 4), (1, 2, 2), (2, 2, 2), (1, 3, 3)]
        for (c, kh, kw) in shapes {
            let k = Self.zeroSymmetricPair(channels: c, kh: kh, kw: kw, rng: &rng)
            for p in [Padding.full, .circular] {
                let h = kh == 1 ? 1 : (p == .full ? kh : 2 * kh - 1) + 1
                let w = (p == .full ? kw : 2 * kw - 1) + 1
                let q = PolynomialIdentity.expandInInput(kernels: k, height: h, width: w, padding: p)!
                if q.isZero { proven += 1 } else { failed += 1 }
            }
        }
        return CheckResult(id: id, name: "S ≡ 0 ⇒ <F_i,F_j> ≡ 0 as a polynomial in the input (symbolic)", evidence: .proof,
                           passed: failed == 0, trials: proven + failed, maxDiscrepancy: Double(failed), bound: 0)
    }

    /// Refutation of "for every input" when `S ≢ 0`: for random integer kernels made channel-wise
    /// orthogonal (`<K_i[c], K_j[c]> = 0`, so `S(0) = 0` on the diagonal) but with `S ≢ 0`, an input
    /// with `<F_i,F_j> ≠ 0` is constructed from a non-zero coefficient of the quadratic form and the
    /// value checked with the exact Gram `ExactInstance.gram`. Passes when every such pair gets a witness.
    func witnessWhenSNonzero(_ ctx: VerificationContext) -> CheckResult {
        var rng = ctx.rng(id, "witness")
        var found = 0, trials = 0
        var smallest = Double.infinity, largest = 0.0
        var example = ""
        for t in 0..<ctx.exactTrials {
            let oneD = t % 2 == 0
            let c = rng.integer(in: 1...2), kh = oneD ? 1 : 2, kw = rng.integer(in: 2...3)
            var v = (0..<(2 * c * kh * kw)).map { _ in Double(rng.integer(in: -5...5)) }
            let n = kh * kw
            for ch in 0..<c {   // K_j[c] ← (K_i·K_i) K_j − (K_i·K_j) K_i: channel-wise orthogonal, integer
                let a = Array(v[(ch * n)..<((ch + 1) * n)]), jb = (c + ch) * n
                let b = Array(v[jb..<(jb + n)])
                let aa = zip(a, a).map(*).reduce(0, +), ab = zip(a, b).map(*).reduce(0, +)
                for u in 0..<n { v[jb + u] = aa * b[u] - ab * a[u] }
            }
            let k = KernelBank(count: 2, channels: c, kernelHeight: kh, kernelWidth: kw, values: v)
            guard let s2 = Self.doubledSymmetricPart(k, 0, 1), s2.contains(where: { $0 != 0 }) else { continue }
            trials += 1
            let p: Padding = t % 4 < 2 ? .full : .circular
            let h = oneD ? 1 : (p == .full ? kh : 2 * kh - 1), w = p == .full ? kw : 2 * kw - 1
            guard let q = PolynomialIdentity.expandInInput(kernels: k, height: h, width: w, padding: p),
                  let wv = PolynomialIdentity.witness(for: q, count: c * h * w) else { continue }
            let x = Signal(channels: c, height: h, width: w, values: wv)
            guard let g = try? ExactInstance.gram(inputs: [x], kernels: k, padding: p), !g[0][1].isZero else { continue }
            found += 1
            let size = g[0][1].magnitude.approximate
            smallest = min(smallest, size); largest = max(largest, size)
            if example.isEmpty {
                example = "K0 = \(k.kernel(0).map { Int($0) }), K1 = \(k.kernel(1).map { Int($0) }) (C=\(c), \(kh)×\(kw), channel-wise dot 0), \(p.rawValue) \(h)×\(w), X = \(wv.map { Int($0) }) → <F_0,F_1> = \(g[0][1])"
            }
        }
        return CheckResult(id: id, name: "hypothesis dropped (S ≢ 0, kernels orthogonal): an input with <F_i,F_j> ≠ 0 is found",
                           kind: .refute, evidence: .exact, passed: trials > 0 && found == trials, trials: trials,
                           maxDiscrepancy: largest, bound: 0,
                           details: [("witnesses_found", .int(found)), ("smallest_|<F_i,F_j>|", .number(smallest.isFinite ? smallest : 0)),
                                     ("example", .text(example))])
    }

    /// The correction of Documentation/Theory.md#errata-1 (see Documentation/Theory.md#t2): circular padding with `k ≤ H < 2k−1`. `K_0 = (1,0,0)`,
    /// `K_1 = (0,1,−1)`, `L = 3`: `S ≢ 0` (`2S(±1) = 1`, `2S(±2) = −1`) yet `<F_0,F_1> ≡ 0` as a
    /// polynomial in the three input samples (proof by expansion); at `L = 5 = 2k−1` it is not.
    func circularAliasing() -> CheckResult {
        let k = KernelBank(oneDimensional: [[[1, 0, 0]], [[0, 1, -1]]])
        let s2 = Self.doubledSymmetricPart(k, 0, 1)!
        let q3 = PolynomialIdentity.expandInInput(kernels: k, height: 1, width: 3, padding: .circular)!
        let q4 = PolynomialIdentity.expandInInput(kernels: k, height: 1, width: 4, padding: .circular)!
        let q5 = PolynomialIdentity.expandInInput(kernels: k, height: 1, width: 5, padding: .circular)!
        let confirmed = s2.contains { $0 != 0 } && q3.isZero && !q5.isZero
        return CheckResult(id: id, name: "the specification's 'H, W ≥ k' is not enough for circular padding: S ≢ 0 yet orthogonal on every input at L = k = 3",
                           kind: .refute, evidence: .proof, passed: confirmed, trials: 3, maxDiscrepancy: 0, bound: 0,
                           details: [("2S(d), d = -2…2", .text(s2.map(\.description).joined(separator: ", "))),
                                     ("<F_0,F_1> at L = 3", .text(q3.description)), ("at L = 4", .text(q4.description)),
                                     ("at L = 5", .text(q5.description))])
    }

}
