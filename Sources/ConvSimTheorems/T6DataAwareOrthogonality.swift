import BigInt
import ConvSimCore
import ConvSimCorrelation
import Foundation

/// **T6 — data-aware orthogonality.**
public struct DataAwareOrthogonalityTheorem: Theorem {
    public init() {}
    public var id: String { "T6" }
    public var title: String { "K = Q𝐆^{−1/2} gives exactly orthogonal feature maps on the data behind 𝐆" }
    public var statement: String {
        """
        `vec(K_i)ᵀ 𝐆^P vec(K_j) = <F_i, F_j>` on the data behind `𝐆^P` (an image or a dataset), so
        the rows of `K = Q 𝐆^{−1/2}` (`Q` with orthonormal rows, `M ≤ rank 𝐆^P`) give orthonormal
        feature maps: `K𝐆Kᵀ = QQᵀ = I`. This needs `𝐆` positive definite; in general at most
        `rank 𝐆^P` non-zero pairwise orthogonal feature maps exist (the original specification said `M ≤ C·kh·kw`,
        which is the bound only when `𝐆` is non-singular: Documentation/Theory.md#errata-6). The exact level uses `K = L^{−1}`
        (`𝐆 = LLᵀ`), which is `Q𝐆^{−1/2}` with `Q = L^{−1}𝐆^{1/2}` orthogonal, computed as a
        fraction-free Gram–Schmidt in the `𝐆` inner product.
        """
    }
    public var hypotheses: [String] { ["M ≤ rank 𝐆^P (= C·kh·kw when 𝐆^P is positive definite)"] }
    public var dataDependent: Bool { true }

    /// `K = Q Λ̂^{−1/2} V̂ᵀ` from LAPACK, `Q` the first `M` rows of a random orthogonal matrix.
    static func whiteningBank(_ p: PatchGram, count requested: Int, rng: inout SeededRandom) throws -> (bank: KernelBank, lmin: Double, lmax: Double, tol: Double) {
        let m = p.order
        let eig = try LinearAlgebra.symmetricEigen(p.matrix, order: m)
        let lmax = eig.values[m - 1]
        // Rank-deficient 𝐆: only the range of 𝐆 carries feature maps; banks exist for M ≤ rank 𝐆
        // (Documentation/Theory.md#errata-6). Eigenvalues at rounding level (≤ 16·m·u·λmax) count as zero.
        let keep = (0..<m).filter { eig.values[$0] > 16 * Double(m) * 0x1p-53 * lmax }
        guard let first = keep.first else { return (KernelBank(count: 1, channels: 1, kernelHeight: 1, kernelWidth: 1, values: [0]), 0, lmax, .infinity) }
        let lmin = eig.values[first], r = keep.count, mm = min(requested, r)
        // Random orthonormal rows in ℝ^r by modified Gram–Schmidt.
        var q: [[Double]] = []
        while q.count < mm {
            var v = (0..<r).map { _ in rng.gaussian() }
            for _ in 0..<2 { for w in q { let d = zip(v, w).map(*).reduce(0, +); for t in 0..<r { v[t] -= d * w[t] } } }
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            q.append(v.map { $0 / n })
        }
        // W = Λ_r^{-1/2} V_rᵀ (rows of eig.vectors are eigenvectors; the kept ones), K = Q W.
        var w = [Double](repeating: 0, count: r * m)
        for (row, a) in keep.enumerated() { let s = 1 / eig.values[a].squareRoot(); for b in 0..<m { w[row * m + b] = s * eig.vectors[a * m + b] } }
        let k = LinearAlgebra.multiply(q.flatMap { $0 }, rows: mm, inner: r, w, columns: m)
        // A-posteriori tolerance on |K𝐆Kᵀ − I| (first order): E = 𝐆 − V̂ᵀΛ̂V̂, O = V̂V̂ᵀ − I (Frobenius),
        // dev ≤ (‖E‖_F + ‖Δ𝐆‖_F + 3λ̂max‖O‖_F)/λ̂min + 2γ_{2m}·m·λ̂max/λ̂min; cosine error ≤ 2dev/(1−dev).
        var e2 = 0.0, o2 = 0.0, d2 = 0.0
        for a in 0..<m { for b in 0..<m {
            var s = 0.0, o = 0.0
            for t in 0..<m { s += eig.vectors[t * m + a] * eig.values[t] * eig.vectors[t * m + b]; o += eig.vectors[a * m + t] * eig.vectors[b * m + t] }
            let e = p.matrix[a * m + b] - s
            e2 += e * e; o2 += (o - (a == b ? 1 : 0)) * (o - (a == b ? 1 : 0)); d2 += p.bound[a * m + b] * p.bound[a * m + b]
        } }
        let g = FloatingPointBounds.gamma(2 * m + 2)
        let dev = (e2.squareRoot() * (1 + g) + g * Double(m) * lmax + d2.squareRoot() + 3 * lmax * o2.squareRoot()) / lmin
            + 2 * g * Double(m) * lmax / lmin
        let tol = dev < 0.5 ? 2 * dev / (1 - dev) : .infinity
        return (KernelBank(count: mm, channels: p.channels, kernelHeight: p.kernelHeight, kernelWidth: p.kernelWidth, values: k), lmin, lmax, tol)
    }

    public func check(_ ctx: VerificationContext) -> [CheckResult] {
        var out: [CheckResult] = []
        var rng = ctx.rng(id, "float")
        var tally = FloatTally()
        var singular = 0
        var plain: [Double] = []
        let paddings: [Padding] = [.full, .same, .circular, .valid]
        for t in 0..<ctx.trials {
            let kind = InstanceGenerator.kind(trial: t, hasImages: !ctx.images.isEmpty, exactOnly: false)
            var sizes = InstanceSizes(); sizes.kernel = 1...3; sizes.extra = 3...8
            let inst = InstanceGenerator.make(kind == .adversarial ? .uniform : kind, padding: paddings[t % 4], sizes: sizes, images: ctx.images, rng: &rng)
            guard let p = try? WielandtTheorem.patchGram(inst.input, kh: inst.kernels.kernelHeight, kw: inst.kernels.kernelWidth, padding: inst.padding),
                  let wb = try? Self.whiteningBank(p, count: p.order, rng: &rng), wb.tol.isFinite else { singular += 1; continue }
            let d = DirectConvolution.certifiedGram(inputs: [inst.input], kernels: wb.bank, padding: inst.padding)
            var worst = 0.0, worstBound = 0.0, worstRatio = -1.0
            for i in 0..<wb.bank.count { for j in (i + 1)..<max(i + 1, wb.bank.count) {
                let (c, cb) = CertifiedCosine.interval(d.gram, d.bound, i, j)
                let ratio = abs(c) / (cb + wb.tol)
                if ratio > worstRatio || ratio.isNaN { worstRatio = ratio; worst = abs(c); worstBound = cb + wb.tol }
            } }
            var ti = inst; ti.kernels = wb.bank
            tally.add(discrepancy: worst, bound: worstBound, instance: ti)
            // Hypothesis dropped: orthonormal kernels without 𝐆^{−1/2}.
            if p.order >= 2 {
                var q = (0..<(2 * p.order)).map { _ in rng.gaussian() }
                let m = p.order
                let aa = q[0..<m].reduce(0) { $0 + $1 * $1 }, ab = zip(q[0..<m], q[m..<(2 * m)]).map(*).reduce(0, +)
                for u in 0..<m { q[m + u] -= ab / aa * q[u] }
                let bank = KernelBank(count: 2, channels: p.channels, kernelHeight: p.kernelHeight, kernelWidth: p.kernelWidth, values: q)
                let g = CorrelationGram.gram(kernels: bank, patchGram: p)
                let (c, cb) = WielandtTheorem.cosine(g.gram, g.bound)
                plain.append(max(0, abs(c) - cb))
            }
        }
        out.append(CheckResult(id: id, name: "K = Q𝐆^{−1/2} (LAPACK) gives pairwise |cos| ≈ 0 (a-posteriori bound)", evidence: .float,
                               passed: tally.failures == 0 && tally.trials > 0, trials: tally.trials,
                               maxDiscrepancy: tally.worstDiscrepancy, bound: tally.worstBound,
                               details: [("singular_or_ill_conditioned_skipped", .int(singular))], counterexample: tally.firstFailure))
        out.append(exactCheck(ctx))
        let sortedPlain = plain.sorted()
        out.append(CheckResult(id: id, name: "hypothesis dropped (orthogonal kernels, no 𝐆^{−1/2}): feature maps are not orthogonal",
                               kind: .refute, evidence: .float, passed: (sortedPlain.last ?? 0) > 0, trials: plain.count,
                               maxDiscrepancy: sortedPlain.last ?? 0, bound: 0,
                               details: [("median_certified_|cos|", .number(sortedPlain.isEmpty ? 0 : sortedPlain[sortedPlain.count / 2]))]))
        if !ctx.images.isEmpty { out.append(images(ctx)) }
        return out
    }

    /// Exact: integer input, exact `𝐆^P` (BigInt), fraction-free `𝐆`-orthogonalization of the unit
    /// vectors (`k_i ← (k_jᵀ𝐆k_j)k_i − (k_iᵀ𝐆k_j)k_j`, divided by the gcd), then the feature-map Gram
    /// of those integer kernels from the feature maps themselves (BigInt): off-diagonal exactly 0.
    func exactCheck(_ ctx: VerificationContext) -> CheckResult {
        var rng = ctx.rng(id, "exact")
        var tally = ExactTally()
        var ranks: [Double] = []
        for t in 0..<ctx.exactTrials {
            let oneD = t % 2 == 0
            let c = rng.integer(in: 1...2), kh = oneD ? 1 : 2, kw = rng.integer(in: 1...3)
            let h = oneD ? 1 : kh + rng.integer(in: 1...3), w = kw + rng.integer(in: 2...5)
            let p: Padding = [.full, .same, .valid, .circular][t % 4]
            let x = Signal(channels: c, height: h, width: w, values: (0..<(c * h * w)).map { _ in Double(rng.integer(in: -5...5)) })
            let xs = RingSignal<BigInt>(exactly: x)!
            let m = c * kh * kw
            // Exact patch Gram through the feature maps of the unit kernels: 𝐆_ab = <F_{e_a}, F_{e_b}>.
            var units = [Double](repeating: 0, count: m * m)
            for a in 0..<m { units[a * m + a] = 1 }
            let ub = RingBank<BigInt>(exactly: KernelBank(count: m, channels: c, kernelHeight: kh, kernelWidth: kw, values: units))!
            var g = [[BigInt]](repeating: [BigInt](repeating: 0, count: m), count: m)
            for a in 0..<m { for b in a..<m {
                let v = DirectInnerProduct().evaluate(ub, a, b, xs, padding: p, magnitude: false); g[a][b] = v; g[b][a] = v
            } }
            func form(_ u: [BigInt], _ v: [BigInt]) -> BigInt {
                var s = BigInt(0)
                for a in 0..<m where u[a] != 0 { for b in 0..<m where v[b] != 0 { s += u[a] * g[a][b] * v[b] } }
                return s
            }
            var basis: [[BigInt]] = []
            for a in 0..<m {
                var k = [BigInt](repeating: 0, count: m); k[a] = 1
                for j in basis {
                    let jj = form(j, j), kj = form(k, j)
                    k = (0..<m).map { jj * k[$0] - kj * j[$0] }
                    let gcd = k.reduce(BigInt(0)) { $0.greatestCommonDivisor(with: $1) }
                    if gcd > 1 { k = k.map { $0 / gcd } }
                }
                if form(k, k) != 0 { basis.append(k) }   // 𝐆-null directions give zero feature maps
            }
            ranks.append(Double(basis.count))
            let bank = RingBank(count: basis.count, channels: c, kernelHeight: kh, kernelWidth: kw, values: basis.flatMap { $0 })
            var offMax = BigInt(0)
            var diagPositive = true
            for i in 0..<basis.count {
                if DirectInnerProduct().evaluate(bank, i, i, xs, padding: p, magnitude: false) <= 0 { diagPositive = false }
                for j in (i + 1)..<max(i + 1, basis.count) {
                    let v = DirectInnerProduct().evaluate(bank, i, j, xs, padding: p, magnitude: false)
                    if v.magnitude > offMax.magnitude { offMax = v }
                }
            }
            let inst = TheoremInstance(kernels: KernelBank(count: 1, channels: c, kernelHeight: kh, kernelWidth: kw, values: [Double](repeating: 0, count: m)),
                                       input: x, padding: p, origin: "integer data, exact G-orthogonalization")
            tally.add(equal: offMax == 0 && diagPositive, discrepancy: abs(Double(offMax)), instance: inst)
        }
        return CheckResult(id: id, name: "𝐆-orthogonalized integer kernels have exactly orthogonal feature maps (M = rank 𝐆)",
                           evidence: .exact, passed: tally.failures == 0, trials: tally.trials, maxDiscrepancy: tally.maxDiscrepancy,
                           bound: 0, details: [("M_per_trial", .numbers(ranks))], counterexample: tally.firstFailure)
    }

    /// On the `--input` images: `K = Q𝐆^{−1/2}` (3×3, same padding, all channels), feature Gram by
    /// the engine (`CorrelationGram.gram`, certified), largest pairwise |cos|.
    func images(_ ctx: VerificationContext) -> CheckResult {
        var rng = ctx.rng(id, "images")
        var tally = FloatTally()
        var cosines: [Double] = [], ranks: [Double] = []
        for img in ctx.images where img.signal.height >= 3 && img.signal.width >= 3 {
            guard let p = try? WielandtTheorem.patchGram(img.signal, kh: 3, kw: 3, padding: .same),
                  let wb = try? Self.whiteningBank(p, count: p.order, rng: &rng) else { continue }
            let g = CorrelationGram.gram(kernels: wb.bank, patchGram: p)
            var worst = 0.0, wbnd = 0.0
            for i in 0..<wb.bank.count { for j in (i + 1)..<wb.bank.count {
                let (c, cb) = CertifiedCosine.interval(g.gram, g.bound, i, j)
                if abs(c) > worst { worst = abs(c); wbnd = cb + wb.tol }
            } }
            cosines.append(worst); ranks.append(Double(wb.bank.count))
            tally.add(discrepancy: worst, bound: wbnd, instance: TheoremInstance(kernels: wb.bank, input: img.signal, padding: .same, origin: img.name))
        }
        return CheckResult(id: id, name: "on the --input images: K = Q𝐆^{−1/2}, largest pairwise |cos|", evidence: .float,
                           passed: tally.failures == 0, trials: tally.trials, maxDiscrepancy: tally.worstDiscrepancy,
                           bound: tally.worstBound,
                           details: [("max_|cos|_per_image", .numbers(cosines)), ("M_=_rank_𝐆_per_image", .numbers(ranks))])
    }

}
