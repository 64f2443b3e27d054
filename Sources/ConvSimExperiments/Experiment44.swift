import ConvSimCore
import ConvSimIO
import ConvSimReport
import ConvSimSimilarity

/// The paper's Experiment 4.4 (Documentation/Theory.md#exp-4-4; the authors' script steps the pairs one after
/// another, Documentation/Theory.md#errata-11): four kernels K1…K4 ~ U[0,1)^9 and an input
/// x ~ U[0,1)^64 (drawn in that order), plain SGD with learning rate 0.01 on the
/// `adjacent` Convolutional Similarity `‖K1⋆K2‖² + ‖K2⋆K3‖² + ‖K3⋆K4‖²` (value and
/// gradient from `DirectSimilarity`), and the 4×4 matrix of pairwise CS `‖K_i ⋆ K_j‖²`
/// before and after.
///
/// **The protocol of "10 rounds"** (Documentation/Theory.md#errata-11): the authors' script
/// keeps one optimizer per adjacent pair and, in each round, steps the pairs (1,2), (2,3),
/// (3,4) one after another — each step on that pair's `‖K_i ⋆ K_j‖²`, from the kernels as the
/// previous step left them (`sequentialStep`). Every run also replays the other reading, one
/// step per round on the summed adjacent loss (`summedStep`), from the same draws, and the
/// report gives how far the two end apart.
public enum Experiment44 {
    public static let kernels = 4, kernelLength = 9, signalLength = 64, rounds = 10, learningRate = 0.01
    public static let variant = CSVariant.adjacent
    /// Zero-based index pairs.
    public static let adjacentPairs = [(0, 1), (1, 2), (2, 3)]
    public static let nonAdjacentPairs = [(0, 2), (0, 3), (1, 3)]

    /// One round of the authors' protocol: plain SGD on `‖K_i ⋆ K_j‖²` for each adjacent pair in
    /// turn (only that pair's two kernels move); returns the adjacent CS before the round.
    @discardableResult
    public static func sequentialStep(_ bank: inout KernelBank, learningRate lr: Double = learningRate) -> Double {
        let before = DirectSimilarity.compute(bank, variant: variant, gradient: false).value
        let n = bank.kernelLength
        for (i, j) in adjacentPairs {
            let r = DirectSimilarity.compute(bank.selecting([i, j]), variant: .pairs, gradient: true)
            guard let g = r.gradient else { continue }
            for t in 0..<n { bank.values[i * n + t] -= lr * g[t]; bank.values[j * n + t] -= lr * g[n + t] }
        }
        return before
    }

    /// One SGD step on the summed adjacent CS (all kernels from the gradient at the current
    /// point); returns the loss before the step.
    @discardableResult
    public static func summedStep(_ bank: inout KernelBank, learningRate lr: Double = learningRate) -> Double {
        let r = DirectSimilarity.compute(bank, variant: variant, gradient: true)
        let g = r.gradient!
        for t in 0..<bank.values.count { bank.values[t] -= lr * g[t] }
        return r.value
    }

    /// `S_ij = ‖K_i ⋆ K_j‖²` over all lags (the diagonal is the autocorrelation energy);
    /// computed for `i ≤ j` and mirrored (`‖K_j ⋆ K_i‖² = ‖K_i ⋆ K_j‖²`, the lags reversed).
    public static func csMatrix(_ bank: KernelBank) -> [[Double]] {
        let n = bank.count
        var m = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n { for j in i..<n {
            m[i][j] = DirectSimilarity.compute(bank.selecting([i, j]), variant: .pairs, gradient: false).value
            m[j][i] = m[i][j]
        } }
        return m
    }

    /// Feature-map cosines on `x` (valid 1-D correlation).
    public static func featureCosines(_ bank: KernelBank, _ x: [Double]) -> [[Double]] {
        let f = (0..<bank.count).map { OneD.features(Array(bank.kernel($0)), x) }
        return f.map { a in f.map { b in OneD.cosine(a, b) } }
    }

    public struct Run: Sendable {
        public var before: KernelBank, after: KernelBank
        public var x: [Double]
        public var csBefore: [[Double]], csAfter: [[Double]]
        public var featureBefore: [[Double]], featureAfter: [[Double]]
        /// Adjacent CS before round `t` (last: after round 10).
        public var lossCurve: [Double]
        /// The adjacent CS after 10 rounds of the summed-loss reading, from the same draws.
        public var summedFinalLoss: Double

        /// Relative change `(after − before)/before` of the CS of the given pairs.
        public func csChange(_ pairs: [(Int, Int)]) -> [Double] {
            pairs.map { (csAfter[$0.0][$0.1] - csBefore[$0.0][$0.1]) / csBefore[$0.0][$0.1] }
        }
        /// Relative reduction of the feature-map |cosine| of the given pairs.
        public func featureReduction(_ pairs: [(Int, Int)]) -> [Double] {
            pairs.map { Reduction.relative(before: featureBefore[$0.0][$0.1], after: featureAfter[$0.0][$0.1]) }
        }
    }

    public static func run(_ rng: inout SeededRandom) -> Run {
        let ks = (0..<kernels).map { _ in OneD.uniform(kernelLength, &rng) }
        let x = OneD.uniform(signalLength, &rng)
        var b = KernelBank(count: kernels, channels: 1, kernelHeight: 1, kernelWidth: kernelLength, values: ks.flatMap { $0 })
        let start = b
        var losses: [Double] = []
        for _ in 0..<rounds { losses.append(sequentialStep(&b)) }
        losses.append(DirectSimilarity.compute(b, variant: variant, gradient: false).value)
        var summed = start
        for _ in 0..<rounds { summedStep(&summed) }
        return Run(before: start, after: b, x: x, csBefore: csMatrix(start), csAfter: csMatrix(b),
                   featureBefore: featureCosines(start, x), featureAfter: featureCosines(b, x), lossCurve: losses,
                   summedFinalLoss: DirectSimilarity.compute(summed, variant: variant, gradient: false).value)
    }

    public static func runs(_ reps: Int, seed: UInt64, progress: ((Int, Int) -> Void)? = nil) -> [Run] {
        Experiments.repeated(reps, seed: seed, label: "4.4", progress: progress) { run(&$0) }
    }

    public struct Statistics: Sendable {
        /// Relative CS change of every adjacent / non-adjacent entry over all runs (3 per run).
        public var adjacentChange: Distribution, nonAdjacentChange: Distribution
        /// Per pair (1-3, 1-4, 2-4), relative CS change.
        public var perNonAdjacent: [Distribution]
        public var perAdjacent: [Distribution]
        public var fractionAdjacentFell: Double
        public var fractionNonAdjacentRose: Double
        /// Runs in which at least one non-adjacent entry rose.
        public var fractionRunsAnyNonAdjacentRose: Double
        public var lossReduction: Distribution
        /// `(summed − sequential)/initial` of the final adjacent CS: how far the two readings end
        /// apart, relative to the adjacent CS before the first round.
        public var protocolDifference: Distribution
        public var featureReductionAdjacent: Distribution, featureReductionNonAdjacent: Distribution

        public init(_ runs: [Run]) {
            let a = runs.flatMap { $0.csChange(adjacentPairs) }, n = runs.flatMap { $0.csChange(nonAdjacentPairs) }
            adjacentChange = Distribution(a); nonAdjacentChange = Distribution(n)
            perAdjacent = adjacentPairs.map { p in Distribution(runs.map { $0.csChange([p])[0] }) }
            perNonAdjacent = nonAdjacentPairs.map { p in Distribution(runs.map { $0.csChange([p])[0] }) }
            fractionAdjacentFell = SampleStatistics.fraction(a) { $0 < 0 }
            fractionNonAdjacentRose = SampleStatistics.fraction(n) { $0 > 0 }
            fractionRunsAnyNonAdjacentRose = SampleStatistics.fraction(runs.map { $0.csChange(nonAdjacentPairs).max()! }) { $0 > 0 }
            lossReduction = Distribution(runs.map { ($0.lossCurve.first! - $0.lossCurve.last!) / $0.lossCurve.first! })
            protocolDifference = Distribution(runs.map { ($0.summedFinalLoss - $0.lossCurve.last!) / $0.lossCurve.first! })
            featureReductionAdjacent = Distribution(runs.flatMap { $0.featureReduction(adjacentPairs) })
            featureReductionNonAdjacent = Distribution(runs.flatMap { $0.featureReduction(nonAdjacentPairs) })
        }
    }

    static let protocolText = "Protocol (Documentation/Theory.md#exp-4-4, the authors' script): four kernels K1…K4 ~ U[0,1)^9 and an input x ~ U[0,1)^64 per run (for the feature-map cosines; valid 1-D correlation), plain SGD with learning rate 0.01 on the adjacent pairs' Convolutional Similarity ‖K1⋆K2‖², ‖K2⋆K3‖², ‖K3⋆K4‖² (values and gradients from the direct definition); CS matrix entries S_ij = ‖K_i ⋆ K_j‖² over all 17 lags."
    static let roundsText = "**The 10 rounds, as the authors' script runs them:** one optimizer per adjacent pair; in each round the pairs (1,2), (2,3), (3,4) are stepped one after another, each from the kernels as the previous step left them (Documentation/Theory.md#errata-11). Every run also replays the other reading — one step per round on the summed adjacent loss — from the same draws; the last table row says how far the two end apart."

    static func pairName(_ p: (Int, Int)) -> String { "\(p.0 + 1)-\(p.1 + 1)" }

    static func outcome(_ runs: [Run], seed: UInt64) -> ExperimentOutcome {
        let s = Statistics(runs)
        let first = runs[0]
        var rep = MarkdownReport(title: "Experiment 4.4 — adjacent-pair CS minimization, \(runs.count) runs (seed \(seed))")
        rep.paragraph(protocolText)
        rep.paragraph(roundsText)
        rep.paragraph("Changes are relative, `(S_after − S_before)/S_before` (negative = fell). The interval is the central 95% of the entries.")
        rep.paragraph("**Finding.** The adjacent entries fell in \(ReportKit.percent(s.fractionAdjacentFell)) of cases (median change \(ReportKit.percent(s.adjacentChange.median))); the non-adjacent pairs 1-3, 1-4, 2-4, which the loss does not contain, changed by a median of \(ReportKit.percent(s.nonAdjacentChange.median)) (95%: \(ReportKit.percent(s.nonAdjacentChange.q025)) … \(ReportKit.percent(s.nonAdjacentChange.q975))); a non-adjacent entry rose in \(ReportKit.percent(s.fractionNonAdjacentRose)) of cases (in \(ReportKit.percent(s.fractionRunsAnyNonAdjacentRose)) of runs at least one did).")
        rep.heading("The first run (seed \(seed), run 1)")
        let tb = ReportKit.matrixTable(first.csBefore), ta = ReportKit.matrixTable(first.csAfter)
        rep.paragraph("CS matrix ‖K_i ⋆ K_j‖² before:")
        rep.table(tb.header, tb.rows)
        rep.paragraph("after \(rounds) rounds:")
        rep.table(ta.header, ta.rows)
        rep.table(["pair", "kind", "CS before", "CS after", "change", "feature cos before", "feature cos after"],
                  (adjacentPairs.map { ($0, "adjacent") } + nonAdjacentPairs.map { ($0, "non-adjacent") }).map { p, kind in
                      [pairName(p), kind, Fmt.f(first.csBefore[p.0][p.1]), Fmt.f(first.csAfter[p.0][p.1]),
                       ReportKit.percent(first.csChange([p])[0]), Fmt.f(first.featureBefore[p.0][p.1]), Fmt.f(first.featureAfter[p.0][p.1])]
                  })
        rep.heading("Over \(runs.count) runs")
        rep.table(ReportKit.header,
                  [ReportKit.row("adjacent CS loss reduction", s.lossReduction),
                   ReportKit.row("summed-loss reading − the authors': final adjacent CS, relative to the initial", s.protocolDifference),
                   ReportKit.row("change of adjacent entries", s.adjacentChange),
                   ReportKit.row("change of non-adjacent entries", s.nonAdjacentChange)] +
                  zip(adjacentPairs, s.perAdjacent).map { ReportKit.row("change of S\(pairName($0.0))", $0.1) } +
                  zip(nonAdjacentPairs, s.perNonAdjacent).map { ReportKit.row("change of S\(pairName($0.0))", $0.1) } +
                  [ReportKit.row("feature-cos reduction, adjacent pairs", s.featureReductionAdjacent),
                   ReportKit.row("feature-cos reduction, non-adjacent pairs", s.featureReductionNonAdjacent)])
        rep.figure("exp44-cs-change",
                   figure: ReportKit.histogram([("adjacent (1-2, 2-3, 3-4)", runs.flatMap { $0.csChange(adjacentPairs) }),
                                             ("non-adjacent (1-3, 1-4, 2-4)", runs.flatMap { $0.csChange(nonAdjacentPairs) })],
                                            title: "Experiment 4.4: relative change of the pairwise CS", xLabel: "(S_after − S_before)/S_before"),
                   caption: "Relative change of the CS entries after \(rounds) rounds, adjacent vs non-adjacent pairs, over \(runs.count) runs.")
        rep.figure("exp44-feature-reduction",
                   figure: ReportKit.histogram([("adjacent", runs.flatMap { $0.featureReduction(adjacentPairs) }),
                                             ("non-adjacent", runs.flatMap { $0.featureReduction(nonAdjacentPairs) })],
                                            title: "Experiment 4.4: relative reduction of the feature-map cosine", xLabel: "(|c0| − |c1|)/|c0|"),
                   caption: "Relative reduction of the feature-map cosine per pair kind.")
        rep.figure("exp44-loss-curves",
                   figure: SVG.lines(runs.prefix(6).enumerated().map { (label: "run \($0.offset + 1)", values: $0.element.lossCurve) },
                                  title: "Experiment 4.4: adjacent CS during SGD (first runs)", xLabel: "round", yLabel: "adjacent CS"),
                   caption: "The adjacent CS against the round for the first six runs.")
        let summary: [(String, JSON)] = [
            ("experiment", .string("4.4")), ("seed", .uint(seed)), ("reps", .int(runs.count)),
            ("rounds_reading", .string("the authors': one SGD step per adjacent pair in turn per round")),
            ("summed_reading_final_cs_relative_difference", s.protocolDifference.summary),
            ("first_run", .object([("cs_before", .matrix(first.csBefore)), ("cs_after", .matrix(first.csAfter)),
                                   ("feature_cosine_before", .matrix(first.featureBefore)), ("feature_cosine_after", .matrix(first.featureAfter))])),
            ("adjacent_loss_reduction", s.lossReduction.summary),
            ("adjacent_cs_change", s.adjacentChange.summary),
            ("non_adjacent_cs_change", s.nonAdjacentChange.summary),
            ("non_adjacent_cs_change_per_pair", .object(zip(nonAdjacentPairs, s.perNonAdjacent).map { (pairName($0.0), $0.1.summary) })),
            ("fraction_adjacent_entries_fell", .number(s.fractionAdjacentFell)),
            ("fraction_non_adjacent_entries_rose", .number(s.fractionNonAdjacentRose)),
            ("fraction_runs_any_non_adjacent_rose", .number(s.fractionRunsAnyNonAdjacentRose)),
            ("feature_cosine_reduction_adjacent", s.featureReductionAdjacent.summary),
            ("feature_cosine_reduction_non_adjacent", s.featureReductionNonAdjacent.summary),
        ]
        var lines = ["experiment 4.4 — \(runs.count) runs, seed \(seed) (\(rounds) rounds of SGD lr 0.01, the adjacent pairs stepped in turn)",
                     "  run 1, CS matrix ‖K_i ⋆ K_j‖² before:"]
        lines += ReportKit.matrixText(first.csBefore)
        lines.append("  after:")
        lines += ReportKit.matrixText(first.csAfter)
        lines += [
            "  adjacent entries:     median change \(ReportKit.percent(s.adjacentChange.median))  95% [\(ReportKit.percent(s.adjacentChange.q025)), \(ReportKit.percent(s.adjacentChange.q975))]  fell in \(ReportKit.percent(s.fractionAdjacentFell))",
            "  the summed-loss reading ends \(ReportKit.percent(s.protocolDifference.median)) of the initial adjacent CS away from the authors' (median; 95% [\(ReportKit.percent(s.protocolDifference.q025)), \(ReportKit.percent(s.protocolDifference.q975))])",
            "  non-adjacent entries: median change \(ReportKit.percent(s.nonAdjacentChange.median))  95% [\(ReportKit.percent(s.nonAdjacentChange.q025)), \(ReportKit.percent(s.nonAdjacentChange.q975))]  rose in \(ReportKit.percent(s.fractionNonAdjacentRose)) (runs with any rise \(ReportKit.percent(s.fractionRunsAnyNonAdjacentRose)))",
        ]
        return ExperimentOutcome(id: "4.4", report: rep, summary: summary, lines: lines, runs: runsTable(runs))
    }
}

extension Experiment44.Run: CompactableRun {
    func compacted() -> Self {
        var r = self
        r.lossCurve = lossCurve.ends
        return r
    }
}

extension Experiment44 {
    /// Per run: the adjacent CS before and after (both readings), and for every pair `i<j` its CS
    /// entry `‖K_i ⋆ K_j‖²` and feature-map cosine before and after (kernels numbered from 1).
    public static func runsTable(_ runs: [Run]) -> DataTable {
        let pairs = (0..<kernels).flatMap { i in ((i + 1)..<kernels).map { (i, $0) } }
        var columns = ["run", "adjacent_cs_before", "adjacent_cs_after", "adjacent_cs_after_summed_reading"]
        for (i, j) in pairs {
            columns += ["cs_\(i + 1)\(j + 1)_before", "cs_\(i + 1)\(j + 1)_after", "feature_cos_\(i + 1)\(j + 1)_before", "feature_cos_\(i + 1)\(j + 1)_after"]
        }
        var t = DataTable(columns: columns)
        for (k, r) in runs.enumerated() {
            var row: [DataTable.Cell] = [.integer(k + 1), .number(r.lossCurve.first ?? .nan), .number(r.lossCurve.last ?? .nan), .number(r.summedFinalLoss)]
            for (i, j) in pairs {
                row += [.number(r.csBefore[i][j]), .number(r.csAfter[i][j]), .number(r.featureBefore[i][j]), .number(r.featureAfter[i][j])]
            }
            t.append(row)
        }
        return t
    }
}
