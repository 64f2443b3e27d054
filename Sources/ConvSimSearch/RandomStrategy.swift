import ConvSimCore
import ConvSimExperiments
import ConvSimReport

/// `random`: Haar-random orthogonal kernel pairs (and random Gaussian pairs
/// for comparison); the distribution of feature-map |cosine| through the
/// patch Gram, `O((C·k²)²)` per trial.
public struct RandomStrategy: SearchStrategy {
    public let name = "random"
    public let summary = "Haar-random orthogonal pairs vs random Gaussian pairs: distribution of feature-map |cos|"
    public init() {}

    public func units(_ context: SearchContext) -> Int { context.config.trials }

    public func advance(_ state: inout StrategyState, context: SearchContext, count: Int) {
        var rng = SeededRandom(seed: state.rng)
        for _ in 0..<count {
            for st in context.stats {
                let (a, b) = rng.orthonormalPair(st.order)
                let c = abs(st.featureCosine(a, b))
                state.series["orth|\(st.name)", default: []].append(c)
                if c > state.best["orth|\(st.name)", default: -1] {
                    state.best["orth|\(st.name)"] = c
                    state.vectors["a|\(st.name)"] = a
                    state.vectors["b|\(st.name)"] = b
                }
                let g1 = (0..<st.order).map { _ in rng.gaussian() }, g2 = (0..<st.order).map { _ in rng.gaussian() }
                state.series["gauss|\(st.name)", default: []].append(abs(st.featureCosine(g1, g2)))
                state.series["gaussk|\(st.name)", default: []].append(abs(OneD.cosine(g1, g2)))
            }
            state.done += 1
        }
        state.rng = rng.state
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
        for (idx, st) in context.stats.enumerated() {
            let o = state.series["orth|\(st.name)"] ?? [], g = state.series["gauss|\(st.name)"] ?? []
            rows.append(Stats.summaryRow("orthogonal pairs — \(st.name)", o))
            rows.append(Stats.summaryRow("Gaussian pairs — \(st.name)", g))
            rows.append(Stats.summaryRow("Gaussian pairs, kernel |cos| — \(st.name)", state.series["gaussk|\(st.name)"] ?? []))
            let over = o.filter { $0 >= tau }.count
            section.paragraphs.append("\(st.name): \(over) of \(o.count) orthogonal pairs (\(Fmt.f(100 * Double(over) / Double(max(o.count, 1)), 2))%) have feature-map |cos| ≥ \(tau).")
            section.figures.append((name: "random-histogram-\(idx)",
                                    svg: SVG.histogram([("orthogonal kernels", o), ("Gaussian kernels", g)], lo: 0, hi: 1, bins: 40,
                                                       title: "Feature-map |cos| of random kernel pairs — \(st.name)", xLabel: "|cos(F_a, F_b)|"),
                                    caption: "Feature-map |cosine| of \(o.count) Haar-orthogonal and \(g.count) Gaussian kernel pairs on \(st.name)."))
            guard let a = state.vectors["a|\(st.name)"], let b = state.vectors["b|\(st.name)"] else { continue }
            let best = state.best["orth|\(st.name)"] ?? 0
            let claimTau = ClaimThreshold.capped(context.config, best: best)
            let k = context.config.kernelSize
            if let r = Shrinker.shrink(input: st.input, name: st.name, padding: context.config.padding, kernelSizes: [k],
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

    public func vectorLengths(_ context: SearchContext) -> [String: Int] {
        Dictionary(context.stats.flatMap { st in [("a|\(st.name)", st.order), ("b|\(st.name)", st.order)] }, uniquingKeysWith: { a, _ in a })
    }
}
