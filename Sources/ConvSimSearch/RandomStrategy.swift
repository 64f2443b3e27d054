import ConvSimCore
import ConvSimReport

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

    public func finish(_ state: StrategyState, context: SearchContext) -> (findings: [Finding], section: Section) {
        var section = Section(title: "random — Haar-random orthogonal pairs")
        let tau = context.config.threshold
        section.paragraphs.append("""
        **Claim refuted:** \(Claims.orthogonalityBelief) Kernel pairs drawn uniformly (Haar) among orthonormal pairs \
        in ℝ^(C·k²), compared with independent Gaussian pairs. Each trial costs one `aᵀ𝐆b` (no convolution).
        """)
        var rows: [[String]] = []
        var findings: [Finding] = []
        guard case .random(let data) = state.data else { return ([], section) }
        for (idx, st) in context.stats.enumerated() {
            let rec = data.inputs[st.name] ?? RandomState.Input()
            let o = rec.orthogonal.values, g = rec.gaussian.values
            rows.append(Stats.summaryRow("orthogonal pairs — \(st.name)", o))
            rows.append(Stats.summaryRow("Gaussian pairs — \(st.name)", g))
            rows.append(Stats.summaryRow("Gaussian pairs, kernel |cos| — \(st.name)", rec.gaussianKernel.values))
            let over = o.filter { $0 >= tau }.count
            let sortedO = o.sorted(), sortedG = g.sorted()
            section.json += [("\(st.name)|orthogonal_pairs", Double(o.count)),
                             ("\(st.name)|fraction_at_least_threshold", Double(over) / Double(max(o.count, 1))),
                             ("\(st.name)|orthogonal_median_abs_cosine", Stats.quantile(sortedO, 0.5)),
                             ("\(st.name)|orthogonal_max_abs_cosine", sortedO.last ?? .nan),
                             ("\(st.name)|gaussian_median_abs_cosine", Stats.quantile(sortedG, 0.5)),
                             ("\(st.name)|wielandt_bound", st.wielandtBound)]
            section.paragraphs.append("\(st.name): \(over) of \(o.count) orthogonal pairs (\(Fmt.f(100 * Double(over) / Double(max(o.count, 1)), 2))%) have feature-map |cos| ≥ \(tau).")
            section.figures.append((name: "random-histogram-\(idx)",
                                    figure: SVG.histogram([("orthogonal kernels", o), ("Gaussian kernels", g)], lo: 0, hi: 1, bins: 40,
                                                       title: "Feature-map |cos| of random kernel pairs — \(st.name)", xLabel: "|cos(F_a, F_b)|",
                                                       references: [.x(tau, "threshold \(Fmt.g(context.config.threshold))"), .x(st.wielandtBound, "T4 bound")]),
                                    caption: "Feature-map |cosine| of \(o.count) Haar-orthogonal and \(g.count) Gaussian kernel pairs on \(st.name)."))
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
        section.tables.append((Stats.summaryHeader, rows))
        return (findings, section)
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
