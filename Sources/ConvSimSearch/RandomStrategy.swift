import ConvSimCore

/// `random`: Haar-random orthogonal kernel pairs (and random Gaussian pairs
/// for comparison); the distribution of feature-map |cosine| through the
/// patch Gram, `O((C·k²)²)` per trial.
public struct RandomStrategy: SearchStrategy {
    public let name = "random"
    public let summary = "Haar-random orthogonal pairs vs random Gaussian pairs: distribution of feature-map |cos|"
    public init() {}

    public func units(_ context: SearchContext) -> Int { context.config.trials }

    public func initialData(_ context: SearchContext) -> StrategyData { .random(RandomState()) }

    public func advance(_ state: inout StrategyState, context: SearchContext, count: Int) {
        guard case .random(var data) = state.data else { return }   // `validate` refuses another kind
        var rng = SeededRandom(seed: state.rng)
        for _ in 0..<count {
            for st in context.stats {
                var rec = data.inputs[st.name] ?? RandomState.Input()
                let (a, b) = rng.orthonormalPair(st.order)
                let c = abs(st.featureCosine(a, b))
                rec.orthogonal.append(c)
                if c > (rec.best?.cosine ?? -1) { rec.best = BestPair(cosine: c, a: a, b: b) }
                let g1 = (0..<st.order).map { _ in rng.gaussian() }, g2 = (0..<st.order).map { _ in rng.gaussian() }
                rec.gaussian.append(abs(st.featureCosine(g1, g2)))
                rec.gaussianKernel.append(abs(OneD.cosine(g1, g2)))
                data.inputs[st.name] = rec
            }
            state.done += 1
        }
        state.rng = rng.state
        state.data = .random(data)
    }

    public func finish(_ state: StrategyState, context: SearchContext) -> (findings: [Finding], measured: Measurements) {
        var result = RandomResult(settings: ResultSettings(context.config))
        let tau = context.config.threshold
        var findings: [Finding] = []
        guard case .random(let data) = state.data else { return ([], .random(result)) }
        for (idx, st) in context.stats.enumerated() {
            let rec = data.inputs[st.name] ?? RandomState.Input()
            let o = rec.orthogonal.values
            result.inputs.append(.init(index: idx, name: st.name, orthogonal: o, gaussian: rec.gaussian.values,
                                       gaussianKernel: rec.gaussianKernel.values, atLeastThreshold: o.filter { $0 >= tau }.count,
                                       wielandtBound: st.wielandtBound))
            guard let bestPair = rec.best else { continue }
            let a = bestPair.a, b = bestPair.b, best = bestPair.cosine
            let claimTau = ClaimThreshold.capped(context.config, best: best)
            let k = context.config.kernelSize
            if let r = PairShrinker.shrink(input: st.input, name: st.name, padding: context.config.padding, kernelSizes: [k],
                                       construct: { s in s.kernelSize == k ? (a, b) : nil },
                                       holds: { $0.dot == 0 && $0.cosineAtLeast(claimTau) }),
               let f = Finding.exactPair(strategy: name, refutes: Claims.orthogonalityBelief, result: r,
                                         threshold: claimTau, context: context,
                                         notes: ["best of \(o.count) Haar-random orthogonal pairs on \(st.name): |cos| \(Fmt.f(best, 6))"]) {
                findings.append(f)
            }
        }
        return (findings, .random(result))
    }

    public func validate(_ state: StrategyState, context: SearchContext) throws {
        let check = StateCheck(strategy: name)
        guard case .random(let data) = state.data else { throw check.fail("not the state of this strategy") }
        try check.inputs(data.inputs, context)
        for st in context.stats {
            guard let rec = data.inputs[st.name] else {
                if state.done > 0 { throw check.fail("no record for input '\(st.name)'") }
                continue
            }
            for (s, what) in [(rec.orthogonal, "orthogonal"), (rec.gaussian, "gaussian"), (rec.gaussianKernel, "gaussianKernel")] {
                let n = state.done * check.multiplicity(st.name, context)
                try check.series(s, "\(st.name).\(what)", count: n...n)
            }
            try check.pair(rec.best, order: st.order, "\(st.name).best")
        }
    }
}

/// What `random` collects, per input: the feature-map |cos| of every Haar-orthogonal pair and
/// of every Gaussian pair, the Gaussian pairs' kernel |cos|, and the most similar orthogonal pair.
public struct RandomState: Codable, Sendable, Equatable {
    public struct Input: Codable, Sendable, Equatable {
        public var orthogonal = Series(), gaussian = Series(), gaussianKernel = Series()
        public var best: BestPair?
    }
    public var inputs: [String: Input] = [:]
}
