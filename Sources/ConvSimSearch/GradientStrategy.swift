import ConvSimCore

/// `gradient`: maximize the feature-map similarity of a bank of `M ≥ 2`
/// kernels kept exactly orthonormal (rows of `K`, `KKᵀ = I`), by projected
/// gradient ascent from random starts. The objective is
/// `Φ(K) = Σ_{i<j} cos²(F_i, F_j)`, `cos_ij = G_ij/√(G_ii G_jj)`, `G = K𝐆Kᵀ`, with
/// `∂cos_ij/∂k_i = 𝐆k_j/√(G_ii G_jj) − cos_ij 𝐆k_i/G_ii`. Each step moves along
/// the normalized gradient and re-orthonormalizes the rows (Gram–Schmidt).
/// For `M = 2` the optimum is the Wielandt bound of T4.
public struct GradientStrategy: SearchStrategy {
    public let name = "gradient"
    public let summary = "projected gradient ascent of feature-map similarity over orthonormal banks of M kernels"
    public static let steps = 150
    public init() {}

    /// One start per 100 trials (at least one), on every input.
    public func units(_ context: SearchContext) -> Int { max(1, context.config.trials / 100) }

    static func orthonormalize(_ k: inout [[Double]]) {
        for i in 0..<k.count {
            for j in 0..<i {
                let d = zip(k[i], k[j]).reduce(0) { $0 + $1.0 * $1.1 }
                for t in 0..<k[i].count { k[i][t] -= d * k[j][t] }
            }
            let s = k[i].reduce(0) { $0 + $1 * $1 }.squareRoot()
            for t in 0..<k[i].count { k[i][t] /= s }
        }
    }

    /// Runs one ascent; returns the final bank and the curve of mean |cos| over pairs.
    static func ascend(_ st: PatchStatistics, m: Int, rng: inout SeededRandom) -> (bank: [[Double]], curve: [Double]) {
        ascend(gram: st.gram, order: st.order, m: m, rng: &rng)
    }

    /// One ascent on a row-major `n×n` patch Gram (an input's, or a dataset's: `search --stats`).
    static func ascend(gram: [Double], order n: Int, m: Int, rng: inout SeededRandom) -> (bank: [[Double]], curve: [Double]) {
        var k = (0..<m).map { _ in rng.unitVector(n) }
        orthonormalize(&k)
        var curve: [Double] = []
        for step in 0...steps {
            let gk = k.map { v in (0..<n).map { i in (0..<n).reduce(0.0) { $0 + gram[i * n + $1] * v[$1] } } }
            var g = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
            for i in 0..<m { for j in 0..<m { g[i][j] = zip(k[i], gk[j]).reduce(0) { $0 + $1.0 * $1.1 } } }
            var meanCos = 0.0
            var grad = [[Double]](repeating: [Double](repeating: 0, count: n), count: m)
            for i in 0..<m { for j in 0..<m where j != i {
                let den = (g[i][i] * g[j][j]).squareRoot()
                let c = g[i][j] / den
                if j > i { meanCos += abs(c) }
                for t in 0..<n { grad[i][t] += 2 * c * (gk[j][t] / den - c * gk[i][t] / g[i][i]) }
            } }
            curve.append(meanCos / Double(m * (m - 1) / 2))
            if step == steps { break }
            let norm = grad.flatMap { $0 }.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm == 0 || !norm.isFinite { break }
            let eta = 0.2 * (1 - Double(step) / Double(steps)) + 0.005
            for i in 0..<m { for t in 0..<n { k[i][t] += eta * grad[i][t] / norm } }
            orthonormalize(&k)
        }
        return (k, curve)
    }

    /// Starts whose whole ascent curve is kept for the figure.
    static let shownCurves = 6

    public func initialData(_ context: SearchContext) -> StrategyData { .gradient(GradientState()) }

    public func advance(_ state: inout StrategyState, context: SearchContext, count: Int) {
        guard case .gradient(var data) = state.data else { return }   // `validate` refuses another kind
        var rng = SeededRandom(seed: state.rng)
        let m = max(2, context.config.bankSize)
        for _ in 0..<count {
            for st in context.stats where st.order >= m {
                let (bank, curve) = Self.ascend(st, m: m, rng: &rng)
                let final = curve.last ?? 0
                var rec = data.inputs[st.name] ?? GradientState.Input()
                rec.finalMeanCosine.append(final)
                if state.done < Self.shownCurves { rec.curves.append(curve) }
                if final > (rec.best?.meanCosine ?? -1) { rec.best = GradientState.Bank(meanCosine: final, kernels: bank.flatMap { $0 }) }
                data.inputs[st.name] = rec
            }
            state.done += 1
        }
        state.rng = rng.state
        state.data = .gradient(data)
    }

    public func finish(_ state: StrategyState, context: SearchContext) -> (findings: [Finding], measured: Measurements) {
        let m = max(2, context.config.bankSize)
        var result = GradientResult(settings: ResultSettings(context.config), bankSize: m, starts: state.done, steps: Self.steps)
        var findings: [Finding] = []
        guard case .gradient(let data) = state.data else { return ([], .gradient(result)) }
        for (idx, st) in context.stats.enumerated() where st.order >= m {
            let rec = data.inputs[st.name] ?? GradientState.Input()
            result.inputs.append(.init(index: idx, name: st.name, finalMeanCosine: rec.finalMeanCosine.values, curves: rec.curves,
                                       bestMeanCosine: rec.best?.meanCosine, wielandtBound: st.wielandtBound))
            guard let bestBank = rec.best else { continue }
            let flat = bestBank.kernels
            let n = st.order
            let bank = (0..<m).map { Array(flat[($0 * n)..<(($0 + 1) * n)]) }
            // The most similar pair of the best bank becomes the certificate.
            var bi = 0, bj = 1, bc = -1.0
            for i in 0..<m { for j in (i + 1)..<m { let c = abs(st.featureCosine(bank[i], bank[j])); if c > bc { bc = c; bi = i; bj = j } } }
            let claimTau = ClaimThreshold.capped(context.config, best: bc)
            let k = context.config.kernelSize
            if let r = PairShrinker.shrink(input: st.input, name: st.name, padding: context.config.padding, kernelSizes: [k],
                                       construct: { s in s.kernelSize == k ? (bank[bi], bank[bj]) : nil },
                                       holds: { $0.dot == 0 && $0.cosineAtLeast(claimTau) }),
               var f = Finding.exactPair(strategy: name, refutes: Claims.orthogonalityBelief, result: r, threshold: claimTau,
                                         context: context,
                                         notes: ["best bank on \(st.name): mean pairwise |cos| \(Fmt.f(bestBank.meanCosine, 6)); pair (\(bi), \(bj)) |cos| \(Fmt.f(bc, 6)); Wielandt bound \(Fmt.f(st.wielandtBound, 6))"]) {
                f.extra["bank_mean_abs_cosine"] = bestBank.meanCosine
                findings.append(f)
            }
        }
        return (findings, .gradient(result))
    }

    public func validate(_ state: StrategyState, context: SearchContext) throws {
        let check = StateCheck(strategy: name)
        guard case .gradient(let data) = state.data else { throw check.fail("not the state of this strategy") }
        try check.inputs(data.inputs, context)
        let m = max(2, context.config.bankSize)
        for st in context.stats {
            guard let rec = data.inputs[st.name] else {
                if state.done > 0 && st.order >= m { throw check.fail("no record for input '\(st.name)'") }
                continue
            }
            guard st.order >= m else { throw check.fail("a record for input '\(st.name)', too small for banks of \(m)") }
            let times = check.multiplicity(st.name, context)
            try check.series(rec.finalMeanCosine, "\(st.name).finalMeanCosine", count: (state.done * times)...(state.done * times))
            guard rec.curves.count == min(state.done, Self.shownCurves) * times else {
                throw check.fail("\(st.name).curves has \(rec.curves.count) curves, expected \(min(state.done, Self.shownCurves) * times)")
            }
            for (i, c) in rec.curves.enumerated() {
                guard (1...(Self.steps + 1)).contains(c.count) else { throw check.fail("\(st.name).curves[\(i)] has \(c.count) points, expected 1…\(Self.steps + 1)") }
                try check.finite(c, "\(st.name).curves[\(i)]")
            }
            if let b = rec.best {
                try check.finite(b.meanCosine, "\(st.name).best.meanCosine")
                try check.length(b.kernels, m * st.order, "\(st.name).best.kernels")
            }
        }
    }
}

/// What `gradient` collects per input: each start's final mean pairwise |cos|, the ascent curves
/// of the first starts, and the best orthonormal bank (M kernels, flattened).
public struct GradientState: Codable, Sendable, Equatable {
    public struct Bank: Codable, Sendable, Equatable {
        public var meanCosine: Double
        public var kernels: [Double]
    }
    public struct Input: Codable, Sendable, Equatable {
        public var finalMeanCosine = Series()
        public var curves: [[Double]] = []
        public var best: Bank?
    }
    public var inputs: [String: Input] = [:]
}
