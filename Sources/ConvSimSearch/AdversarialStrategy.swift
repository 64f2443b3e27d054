import ConvSimCore
import ConvSimCorrelation

/// `adversarial`: the Wielandt pair of T4 (Documentation/Theory.md#t4). For the patch Gram `𝐆`
/// of the input, `a = v_max + v_min` and `b = v_max − v_min` are orthogonal
/// (`‖v_max‖ = ‖v_min‖ = 1`) and their feature maps reach
/// `cos = (λmax − λmin)/(λmax + λmin)`, the largest cosine any orthogonal pair
/// can have on these data.
public struct AdversarialStrategy: SearchStrategy {
    public let name = "adversarial"
    public let summary = "Wielandt pair: orthogonal kernels with the most similar feature maps the input allows (T4)"
    public init() {}

    public func units(_ context: SearchContext) -> Int { context.stats.count }

    static func pair(_ st: PatchStatistics) -> ([Double], [Double])? {
        guard st.order >= 2, (st.eigenvalues.last ?? 0) > 0 else { return nil }
        let p = Wielandt.pair(vMin: st.eigenvector(0), vMax: st.eigenvector(st.order - 1))
        return (p.a, p.b)
    }

    public func initialData(_ context: SearchContext) -> StrategyData { .adversarial(AdversarialState()) }

    public func advance(_ state: inout StrategyState, context: SearchContext, count: Int) {
        guard case .adversarial(var data) = state.data else { return }   // `validate` refuses another kind
        for _ in 0..<count where state.done < context.stats.count {
            let st = context.stats[state.done]
            if let (a, b) = Self.pair(st) {
                data.inputs[st.name] = AdversarialState.Pair(cosine: st.featureCosine(a, b), bound: st.wielandtBound,
                                                             kernelDot: zip(a, b).reduce(0) { $0 + $1.0 * $1.1 })
            }
            state.done += 1
        }
        state.data = .adversarial(data)
    }

    public func finish(_ state: StrategyState, context: SearchContext) -> (findings: [Finding], measured: Measurements) {
        var result = AdversarialResult(settings: ResultSettings(context.config))
        let exactTau = context.config.exactThreshold
        var findings: [Finding] = []
        guard case .adversarial(let data) = state.data else { return ([], .adversarial(result)) }
        for st in context.stats {
            let pair = data.inputs[st.name]
            let cos = pair?.cosine ?? .nan, bound = pair?.bound ?? .nan
            let sizes = Array((st.input.channels >= 2 ? 1 : 2)...context.config.kernelSize)
            var found = false
            if let r = PairShrinker.shrink(input: st.input, name: st.name, padding: context.config.padding, kernelSizes: sizes,
                                       construct: Self.pair, holds: { $0.dot == 0 && $0.cosineAtLeast(exactTau) }),
               var f = Finding.exactPair(strategy: name, refutes: Claims.orthogonalityBelief, result: r, threshold: exactTau,
                                         context: context, bound: r.stats.wielandtBound,
                                         notes: ["full-size Wielandt pair on \(st.name): cosine \(Fmt.f(cos, 6)) = bound \(Fmt.f(bound, 6))"]) {
                f.extra["full_size_cosine"] = cos
                f.extra["full_size_bound"] = bound
                findings.append(f)
                found = true
            }
            result.inputs.append(.init(name: st.name, channels: st.input.channels, eigenvalues: st.eigenvalues, bound: bound,
                                       attainedCosine: cos, kernelDot: pair?.kernelDot ?? .nan, exactPairFound: found))
        }
        return (findings, .adversarial(result))
    }

    public func validate(_ state: StrategyState, context: SearchContext) throws {
        let check = StateCheck(strategy: name)
        guard case .adversarial(let data) = state.data else { throw check.fail("not the state of this strategy") }
        try check.inputs(data.inputs, context)
        for (k, p) in data.inputs {
            try check.finite(p.cosine, "\(k).cosine"); try check.finite(p.bound, "\(k).bound"); try check.finite(p.kernelDot, "\(k).kernelDot")
        }
    }
}

/// What `adversarial` records per input: the Wielandt pair's feature-map cosine, the bound
/// `(λmax−λmin)/(λmax+λmin)` and the pair's kernel dot product (float, eigenvector rounding).
public struct AdversarialState: Codable, Sendable, Equatable {
    public struct Pair: Codable, Sendable, Equatable {
        public var cosine: Double, bound: Double, kernelDot: Double
    }
    public var inputs: [String: Pair] = [:]
}
