import ConvSimCore
import ConvSimCorrelation
import Foundation

/// **T4 — orthogonality guarantees nothing beyond the condition number (Wielandt).**
public struct WielandtTheorem: Theorem {
    public init() {}
    public var id: String { "T4" }
    public var title: String { "Wielandt bound on the feature cosine of orthogonal kernels" }
    public var statement: String {
        """
        For kernels with `<a, b> = 0` and the patch Gram `𝐆^P` of the data:
        `|cos(F_a, F_b)| ≤ (λ_max − λ_min)/(λ_max + λ_min)`,
        with equality at `a = v_max + v_min`, `b = v_max − v_min` (unit eigenvectors).
        """
    }
    public var hypotheses: [String] { ["<a, b> = 0", "𝐆^P positive definite (λ_min > 0)"] }
    public var dataDependent: Bool { true }

    /// The analysis of one data set.
    public struct Analysis: Sendable {
        public var bound: Double           // β̂ = (λ̂max − λ̂min)/(λ̂max + λ̂min)
        public var attained: Double        // cosine of (v_max+v_min, v_max−v_min), engine Gram
        public var attainedBound: Double   // certified half-width of the attained cosine
        public var eigenTolerance: Double  // a-posteriori eigen term (see `analyze`)
        public var randomMax: Double       // largest |cos| over random orthogonal pairs
        public var randomMean: Double
        public var randomViolations: Int
        public var lambdaMax: Double, lambdaMin: Double
    }

    /// Certified cosine of the pair (0, 1): `CertifiedCosine.interval` (ConvSimCorrelation).
    static func cosine(_ g: Matrix, _ b: Matrix) -> (value: Double, halfWidth: Double) {
        CertifiedCosine.interval(g, b, 0, 1)
    }

    /// Eigen-decomposition of `𝐆^P` (LAPACK `dsyevd`), the maximizing pair, its attained cosine
    /// from the engine's certified Gram, and `randomPairs` random orthogonal pairs.
    ///
    /// Tolerance of the equality `attained = β̂` (a-posteriori, first order in the residuals):
    /// with `r_i = 𝐆v_i − λ̂_i v_i` (computed, plus `γ_{m+1}(|𝐆||v_i| + |λ̂_i||v_i|)` for its
    /// rounding and `Δ𝐆|v_i|` for the certified error of `𝐆`), `η_i = ‖r_i‖₂`,
    /// `e = λ̂_min|v_maxᵀv_min| + η_min` (the coupling `v_maxᵀ𝐆v_min`) and `δ = |‖v_max‖² − ‖v_min‖²|`:
    /// `τ = 2(λ̂_min η_max + λ̂_max η_min)/(λ̂_max+λ̂_min)² + 4e²/(λ̂_max+λ̂_min)² + 2δ + 4u` plus the
    /// certified half-width of the attained cosine. Random pairs are allowed `β̂ + τ + their own
    /// half-width + 2κ|<a,b>|/(‖a‖‖b‖)` (`κ = λ̂max/λ̂min`, the effect of the rounding of `<a,b>`).
    public static func analyze(_ p: PatchGram, randomPairs: Int, rng: inout SeededRandom) throws -> Analysis {
        let m = p.order
        let eig = try LinearAlgebra.symmetricEigen(p.matrix, order: m)
        let lmin = eig.values[0], lmax = eig.values[m - 1]
        let vmin = Array(eig.vectors[0..<m]), vmax = Array(eig.vectors[((m - 1) * m)..<(m * m)])
        func residual(_ v: [Double], _ l: Double) -> Double {
            var s = 0.0
            for a in 0..<m {
                var r = -l * v[a], e = abs(l * v[a])
                for b in 0..<m { r += p.matrix[a * m + b] * v[b]; e += (abs(p.matrix[a * m + b]) + p.bound[a * m + b]) * abs(v[b]) }
                let t = abs(r) + FloatingPointBounds.gamma(m + 1) * e + zip(p.bound[(a * m)..<((a + 1) * m)], v).map { $0 * abs($1) }.reduce(0, +)
                s += t * t
            }
            return FloatingPointBounds.inflate(s, operations: m + 2).squareRoot()
        }
        let etaMax = residual(vmax, lmax), etaMin = residual(vmin, lmin)
        let dotV = abs(zip(vmax, vmin).map(*).reduce(0, +))
        let n1 = vmax.reduce(0) { $0 + $1 * $1 }, n2 = vmin.reduce(0) { $0 + $1 * $1 }
        let sum = lmax + lmin
        let e = abs(lmin) * dotV + etaMin
        let u = FloatingPointBounds.unitRoundoff
        let tau = 2 * (abs(lmin) * etaMax + abs(lmax) * etaMin) / (sum * sum) + 4 * e * e / (sum * sum) + 2 * abs(n1 - n2) + 4 * u
        let beta = Wielandt.bound(lambdaMin: lmin, lambdaMax: lmax) ?? .nan
        func cosOf(_ a: [Double], _ b: [Double]) -> (Double, Double) {
            let bank = KernelBank(count: 2, channels: p.channels, kernelHeight: p.kernelHeight, kernelWidth: p.kernelWidth, values: a + b)
            let g = CorrelationGram.gram(kernels: bank, patchGram: p)
            return cosine(g.gram, g.bound)
        }
        let (a, b) = Wielandt.pair(vMin: vmin, vMax: vmax)
        let (att, attB) = cosOf(a, b)
        var rmax = 0.0, rsum = 0.0, viol = 0
        for _ in 0..<randomPairs {
            let x = (0..<m).map { _ in rng.gaussian() }
            var y = (0..<m).map { _ in rng.gaussian() }
            let xx = x.reduce(0) { $0 + $1 * $1 }, xy = zip(x, y).map(*).reduce(0, +)
            for t in 0..<m { y[t] -= xy / xx * x[t] }
            let dot = abs(zip(x, y).map(*).reduce(0, +))
            let nx = xx.squareRoot(), ny = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let (c, cb) = cosOf(x, y)
            rmax = max(rmax, abs(c)); rsum += abs(c)
            let kappa = lmin > 0 ? lmax / lmin : .infinity
            if abs(c) > beta + tau + cb + 2 * kappa * (dot + FloatingPointBounds.gamma(m) * nx * ny) / (nx * ny) { viol += 1 }
        }
        return Analysis(bound: beta, attained: abs(att), attainedBound: attB, eigenTolerance: tau,
                        randomMax: rmax, randomMean: randomPairs > 0 ? rsum / Double(randomPairs) : 0, randomViolations: viol,
                        lambdaMax: lmax, lambdaMin: lmin)
    }

    static func patchGram(_ x: Signal, kh: Int, kw: Int, padding: Padding) throws -> PatchGram {
        let acc = PatchGramAccumulator(channels: x.channels, kernelHeight: kh, kernelWidth: kw, padding: padding)
        try acc.add(x)
        return acc.result()
    }

    public func check(_ ctx: VerificationContext) -> [CheckResult] {
        var rng = ctx.rng(id, "random")
        var data: [(String, PatchGram)] = []
        let paddings: [Padding] = [.same, .valid, .full, .circular]
        for t in 0..<ctx.trials {
            let kind = InstanceGenerator.kind(trial: t, hasImages: !ctx.images.isEmpty, exactOnly: false)
            var sizes = InstanceSizes(); sizes.kernel = 2...3; sizes.extra = 4...10
            let inst = InstanceGenerator.make(kind == .integer ? .uniform : kind, padding: paddings[t % 4], sizes: sizes, images: ctx.images, rng: &rng)
            if let p = try? Self.patchGram(inst.input, kh: inst.kernels.kernelHeight, kw: inst.kernels.kernelWidth, padding: inst.padding) {
                data.append(("\(inst.origin) \(inst.input.channels)×\(inst.input.height)×\(inst.input.width) k=\(inst.kernels.kernelHeight)×\(inst.kernels.kernelWidth) \(inst.padding.rawValue)", p))
            }
        }
        var out = summarize(data, name: "random data (Gaussian, uniform, crops, adversarial)", rng: &rng)
        if !ctx.images.isEmpty {
            var imgs: [(String, PatchGram)] = []
            for img in ctx.images where img.signal.height >= 3 && img.signal.width >= 3 {
                if let p = try? Self.patchGram(img.signal, kh: 3, kw: 3, padding: .same) { imgs.append((img.name + " k=3×3 same", p)) }
            }
            out += summarize(imgs, name: "the --input images", rng: &rng)
        }
        // White noise: E[𝐆] ∝ I under full/circular padding, nearly so under the same padding used
        // here (Documentation/Theory.md#errata-8), so the bound is small; natural-like smooth data: the bound is ~1.
        var info: [(String, DetailValue)] = []
        for (label, smooth) in [("white_noise_64x64", false), ("smooth_1/f-like_64x64", true)] {
            var v = (0..<(64 * 64)).map { _ in rng.gaussian() }
            if smooth { for _ in 0..<3 { v = boxSmooth(v, n: 64) } }
            if let p = try? Self.patchGram(Signal(channels: 1, height: 64, width: 64, values: v), kh: 3, kw: 3, padding: .same),
               let a = try? Self.analyze(p, randomPairs: 0, rng: &rng) { info.append((label + "_bound", .number(a.bound))) }
        }
        out.append(CheckResult(id: id, name: "input statistics: the bound for white noise vs smooth data", kind: .estimate, evidence: .float,
                               passed: true, trials: 2, maxDiscrepancy: 0, bound: 0, details: info))
        // Hypothesis dropped: non-orthogonal kernels exceed the bound (a = b gives |cos| = 1).
        var worst = 0.0, exceeded = 0
        for (_, p) in data {
            guard let a = try? Self.analyze(p, randomPairs: 0, rng: &rng), a.bound < 1 else { continue }
            let m = p.order
            let v = (0..<m).map { _ in rng.gaussian() }
            let w = zip(v, (0..<m).map { _ in rng.gaussian() }).map { $0 + 0.01 * $1 }   // nearly parallel, <v,w> ≠ 0
            let bank = KernelBank(count: 2, channels: p.channels, kernelHeight: p.kernelHeight, kernelWidth: p.kernelWidth, values: v + w)
            let g = CorrelationGram.gram(kernels: bank, patchGram: p)
            let (c, cb) = Self.cosine(g.gram, g.bound)
            if abs(c) - cb > a.bound + a.eigenTolerance { exceeded += 1; worst = max(worst, abs(c) - a.bound) }
        }
        out.append(CheckResult(id: id, name: "hypothesis dropped (<a,b> ≠ 0): nearly parallel kernels exceed the bound",
                               kind: .refute, evidence: .float, passed: exceeded > 0, trials: data.count,
                               maxDiscrepancy: worst, bound: 0, details: [("instances_exceeding", .int(exceeded))]))
        return out
    }

    func boxSmooth(_ v: [Double], n: Int) -> [Double] {
        var o = v
        for y in 0..<n { for x in 0..<n {
            var s = 0.0
            for dy in -2...2 { for dx in -2...2 { s += v[((y + dy + n) % n) * n + (x + dx + n) % n] } }
            o[y * n + x] = s / 25
        } }
        return o
    }

    func summarize(_ data: [(String, PatchGram)], name: String, rng: inout SeededRandom) -> [CheckResult] {
        var eq = FloatTally()
        var viol = 0, pairs = 0, skipped = 0
        var rmax = 0.0, bounds: [Double] = [], attained: [Double] = []
        for (_, p) in data {
            guard let a = try? Self.analyze(p, randomPairs: 20, rng: &rng), a.lambdaMin > 0 else { skipped += 1; continue }
            eq.add(discrepancy: abs(a.attained - a.bound), bound: a.attainedBound + a.eigenTolerance,
                   instance: TheoremInstance(kernels: KernelBank(count: 1, channels: 1, kernelHeight: 1, kernelWidth: 1, values: [1]),
                                             input: Signal(channels: 1, height: 1, width: 1), padding: p.padding, origin: name))
            viol += a.randomViolations; pairs += 20
            rmax = max(rmax, a.randomMax)
            bounds.append(a.bound); attained.append(a.attained)
        }
        var checks = [
            CheckResult(id: id, name: "\(name): attained cosine of (v_max+v_min, v_max−v_min) = (λmax−λmin)/(λmax+λmin)",
                        evidence: .float, passed: eq.failures == 0, trials: eq.trials,
                        maxDiscrepancy: eq.worstDiscrepancy, bound: eq.worstBound,
                        details: [("bounds", .numbers(bounds)), ("attained", .numbers(attained)), ("singular_skipped", .int(skipped))]),
            CheckResult(id: id, name: "\(name): random orthogonal pairs never exceed the bound", evidence: .float,
                        passed: viol == 0, trials: pairs, maxDiscrepancy: rmax, bound: bounds.max() ?? 0,
                        details: [("violations", .int(viol))]),
        ]
        if eq.trials == 0 {
            let why = skipped > 0 ? "every patch Gram is singular (λmin = 0: the bound is 1, there is nothing to attain)" : "no data"
            for i in checks.indices { checks[i].notRunReason = why }
        }
        return checks
    }

}
