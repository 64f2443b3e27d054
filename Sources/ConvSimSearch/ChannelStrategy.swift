import BigInt
import ConvSimCore

/// `channel`: the T5 family. Kernel `a` lives on channel `c` only, kernel `b`
/// on channel `c' ≠ c` only: every same-channel correlation `T_ab,cc` has a zero
/// factor, so the paper's Convolutional Similarity (as the authors' code
/// computes it, same channel only) is exactly 0 and `<a, b> = 0` — yet on RGB
/// inputs the channels correlate and the feature maps are nearly parallel.
public struct ChannelStrategy: SearchStrategy {
    public let name = "channel"
    public let summary = "kernels on different channels: paper CS exactly 0, feature maps highly similar (T5)"
    public init() {}

    public func units(_ context: SearchContext) -> Int { context.config.trials }

    static func pair(order m: Int, channels: Int, k: Int, c1: Int, c2: Int, w1: [Double], w2: [Double]) -> ([Double], [Double]) {
        var a = [Double](repeating: 0, count: m), b = a
        for t in 0..<(k * k) { a[c1 * k * k + t] = w1[t]; b[c2 * k * k + t] = w2[t] }
        return (a, b)
    }

    public func initialData(_ context: SearchContext) -> StrategyData { .channel(ChannelState()) }

    public func advance(_ state: inout StrategyState, context: SearchContext, count: Int) {
        guard case .channel(var data) = state.data else { return }   // `validate` refuses another kind
        var rng = SeededRandom(seed: state.rng)
        let k = context.config.kernelSize
        for _ in 0..<count {
            for st in context.stats where st.input.channels >= 2 {
                let c1 = rng.integer(in: 0...(st.input.channels - 1))
                var c2 = rng.integer(in: 0...(st.input.channels - 2)); if c2 >= c1 { c2 += 1 }
                let box = rng.integer(in: 0...2) == 0
                let w1 = (0..<(k * k)).map { _ in box ? 1.0 : Double(rng.integer(in: 0...9)) }
                let w2 = (0..<(k * k)).map { _ in box ? 1.0 : Double(rng.integer(in: 0...9)) }
                guard w1.contains(where: { $0 != 0 }), w2.contains(where: { $0 != 0 }) else { continue }
                let (a, b) = Self.pair(order: st.order, channels: st.input.channels, k: k, c1: c1, c2: c2, w1: w1, w2: w2)
                let c = abs(st.featureCosine(a, b))
                var rec = data.inputs[st.name] ?? ChannelState.Input()
                rec.cosines.append(c)
                if c > (rec.best?.cosine ?? -1) { rec.best = ChannelState.Best(cosine: c, channel1: c1, channel2: c2, a: a, b: b) }
                data.inputs[st.name] = rec
            }
            state.done += 1
        }
        state.rng = rng.state
        state.data = .channel(data)
    }

    public func finish(_ state: StrategyState, context: SearchContext) -> (findings: [Finding], measured: Measurements) {
        var result = ChannelResult(settings: ResultSettings(context.config))
        var findings: [Finding] = []
        let k = context.config.kernelSize
        guard case .channel(let data) = state.data else { return ([], .channel(result)) }
        for (idx, st) in context.stats.enumerated() where st.input.channels >= 2 {
            let rec = data.inputs[st.name] ?? ChannelState.Input()
            let v = rec.cosines.values
            result.inputs.append(.init(index: idx, name: st.name, cosines: v,
                                       atLeastThreshold: v.filter { $0 >= context.config.threshold }.count))
            guard let found = rec.best else { continue }
            let c1 = found.channel1, c2 = found.channel2   // in range and distinct (`validate`)
            // Shrink: smallest box blur on the same two channels that still exceeds the threshold.
            let best = found.cosine
            let claimTau = ClaimThreshold.capped(context.config, best: best)
            if let r = PairShrinker.shrink(input: st.input, name: st.name, padding: context.config.padding, kernelSizes: Array(1...k),
                                       construct: { s in
                                           let kk = s.kernelSize
                                           let ones = [Double](repeating: 1, count: kk * kk)
                                           return Self.pair(order: s.order, channels: s.input.channels, k: kk, c1: c1, c2: c2, w1: ones, w2: ones)
                                       },
                                       holds: { $0.dot == 0 && $0.cosineAtLeast(claimTau) }),
               let f = Finding.exactPair(strategy: name, claim: .zeroPaperCSSimilarFeatureMaps,
                                         refutes: "A zero (same-channel) Convolutional Similarity makes feature maps dissimilar.",
                                         result: r, threshold: claimTau, context: context,
                                         notes: ["best of \(v.count) random different-channel pairs on \(st.name): |cos| \(Fmt.f(best, 6)) (channels \(c1), \(c2))"]) {
                findings.append(f)
            }
        }
        return (findings, .channel(result))
    }

    public func validate(_ state: StrategyState, context: SearchContext) throws {
        let check = StateCheck(strategy: name)
        guard case .channel(let data) = state.data else { throw check.fail("not the state of this strategy") }
        try check.inputs(data.inputs, context)
        for st in context.stats {
            guard let rec = data.inputs[st.name] else { continue }
            guard st.input.channels >= 2 else { throw check.fail("a record for the one-channel input '\(st.name)'") }
            try check.series(rec.cosines, "\(st.name).cosines", count: 0...(state.done * check.multiplicity(st.name, context)))
            guard let b = rec.best else { continue }
            try check.pair(BestPair(cosine: b.cosine, a: b.a, b: b.b), order: st.order, "\(st.name).best")
            let channels = 0..<st.input.channels
            guard channels.contains(b.channel1), channels.contains(b.channel2), b.channel1 != b.channel2 else {
                throw check.fail("\(st.name).best channels \(b.channel1), \(b.channel2): expected two different channels in 0…\(st.input.channels - 1)")
            }
        }
    }
}

/// What `channel` collects per input: the feature-map |cos| of every pair on two different
/// channels, and the most similar pair with its channels.
public struct ChannelState: Codable, Sendable, Equatable {
    public struct Best: Codable, Sendable, Equatable {
        public var cosine: Double
        public var channel1: Int, channel2: Int
        public var a: [Double], b: [Double]
    }
    public struct Input: Codable, Sendable, Equatable {
        public var cosines = Series()
        public var best: Best?
    }
    public var inputs: [String: Input] = [:]
}
