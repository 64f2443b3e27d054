import ConvSimCore
import ConvSimExperiments
import ConvSimIO

/// An experiment rendered: the report (Markdown + figures, written by the caller), the `--json`
/// summary and the lines for the terminal.
public struct ExperimentRendering {
    public var report: MarkdownReport
    public var summary: [(String, JSON)]
    public var lines: [String]
}

/// Renders an experiment's typed outcome (`ConvSimExperiments.ExperimentOutcome`): the same
/// report, JSON keys and terminal lines for the same runs.
public enum ExperimentReportRenderer {
    public static func render(_ outcome: ExperimentOutcome) -> ExperimentRendering {
        switch outcome.result {
        case .e41(let runs, let s): return render41(runs, s, seed: outcome.seed)
        case .e43(let runs, let s): return render43(runs, s, seed: outcome.seed)
        case .e44(let runs, let s): return render44(runs, s, seed: outcome.seed)
        }
    }

    static let protocolText41 = "Protocol (Documentation/Theory.md#exp-4-1, the authors' script): two kernels K1, K2 ~ U[0,1)^9 and an input x ~ U[0,1)^64 per run (drawn in that order from one seeded stream), valid 1-D correlation (feature maps of length 56), plain SGD with learning rate 0.1 for 300 steps on cos(K1, K2)²."

    static func render41(_ runs: [Experiment41.Run], _ s: Experiment41.Statistics, seed: UInt64) -> ExperimentRendering {
        var rep = MarkdownReport(title: "Experiment 4.1 — kernel orthogonalization by SGD on cos², \(runs.count) runs (seed \(seed))")
        rep.paragraph(protocolText41)
        rep.paragraph("Reductions: relative `(|c₀| − |c₁|)/|c₀|` (1 = the cosine vanished, negative = it rose) and absolute `|c₀| − |c₁|`, c₀ before and c₁ after the 300 steps. The interval is the central 95% of the runs (2.5% and 97.5% quantiles, linear interpolation).")
        rep.paragraph("**Finding.** The kernel cosine fell by a median of \(ReportKit.percent(s.kernelReduction.median)) (to |cos| \(Fmt.e(s.kernelAfter.median))); the feature-map cosine fell by a median of only \(ReportKit.percent(s.featureReduction.median)) (95% of runs: \(ReportKit.percent(s.featureReduction.q025)) … \(ReportKit.percent(s.featureReduction.q975))) and **rose in \(ReportKit.percent(s.fractionFeatureRose)) of the runs**; after orthogonalization the median feature-map |cos| is still \(Fmt.f(s.featureAfter.median)).")
        rep.table(ReportKit.header, [
            ReportKit.row("kernel-cosine reduction (relative)", s.kernelReduction),
            ReportKit.row("feature-map cosine reduction (relative)", s.featureReduction),
            ReportKit.row("kernel-cosine reduction (absolute)", s.kernelReductionAbsolute),
            ReportKit.row("feature-map cosine reduction (absolute)", s.featureReductionAbsolute),
            ReportKit.row("feature-map |cos| before", s.featureBefore),
            ReportKit.row("feature-map |cos| after", s.featureAfter),
        ])
        rep.figure("exp41-feature-reduction",
                   figure: ReportKit.histogram([("feature-map cosine", runs.map { Reduction.relative(before: $0.featureCosineBefore, after: $0.featureCosineAfter) })],
                                            title: "Experiment 4.1: relative reduction of the feature-map cosine", xLabel: "(|c0| − |c1|)/|c0|"),
                   caption: "Relative reduction of the feature-map cosine over \(runs.count) runs (negative = similarity rose).")
        ReportKit.kernelReductionFigure(&rep, experiment: "4.1", runs.map { ($0.kernelCosineBefore, $0.kernelCosineAfter) })
        let shown = Array(runs.prefix(6).enumerated())
        rep.figure("exp41-curves",
                   figure: SVG.lines(shown.flatMap { r in [("run \(r.offset + 1) feature", r.element.featureCurve), ("run \(r.offset + 1) kernel", r.element.kernelCurve)] }
                                    .prefix(6).map { (label: $0.0, values: $0.1) },
                                  title: "Experiment 4.1: cosines during SGD (first runs)", xLabel: "SGD step", yLabel: "cosine",
                                  references: [.y(0, "0")]),
                   caption: "Feature-map and kernel cosine against the SGD step for the first three runs.")
        let summary: [(String, JSON)] = [
            ("experiment", .string("4.1")), ("seed", .uint(seed)), ("reps", .int(runs.count)),
            ("kernel_cosine_reduction", s.kernelReduction.summary),
            ("feature_cosine_reduction", s.featureReduction.summary),
            ("kernel_cosine_reduction_absolute", s.kernelReductionAbsolute.summary),
            ("feature_cosine_reduction_absolute", s.featureReductionAbsolute.summary),
            ("fraction_feature_similarity_rose", .number(s.fractionFeatureRose)),
            ("feature_cosine_after", s.featureAfter.summary),
        ]
        let lines = [
            "experiment 4.1 — \(runs.count) runs, seed \(seed) (SGD lr 0.1, 300 steps on cos(K1,K2)²)",
            "  kernel-cosine reduction       median \(ReportKit.percent(s.kernelReduction.median))  mean \(ReportKit.percent(s.kernelReduction.mean))  95% [\(ReportKit.percent(s.kernelReduction.q025)), \(ReportKit.percent(s.kernelReduction.q975))]",
            "  feature-map cosine reduction  median \(ReportKit.percent(s.featureReduction.median))  mean \(ReportKit.percent(s.featureReduction.mean))  95% [\(ReportKit.percent(s.featureReduction.q025)), \(ReportKit.percent(s.featureReduction.q975))]",
            "  feature-map similarity rose in \(ReportKit.percent(s.fractionFeatureRose)) of runs; median feature |cos| after \(Fmt.f(s.featureAfter.median))",
        ]
        return ExperimentRendering(report: rep, summary: summary, lines: lines)
    }

    static let protocolText43 = "Protocol (Documentation/Theory.md#exp-4-3, the authors' script): as Experiment 4.1 — K1, K2 ~ U[0,1)^9, x ~ U[0,1)^64 per run, valid 1-D correlation — but plain SGD with learning rate 0.01 for 300 steps on the `pairs` Convolutional Similarity ‖K1 ⋆ K2‖² (all 17 lags; value and gradient from the direct definition). Activations: ReLU, ELU (α = 1), LeakyReLU (slope 0.01), applied to the feature maps."

    static func render43(_ runs: [Experiment43.Run], _ s: Experiment43.Statistics, seed: UInt64) -> ExperimentRendering {
        var rep = MarkdownReport(title: "Experiment 4.3 — SGD on the Convolutional Similarity, \(runs.count) runs (seed \(seed))")
        rep.paragraph(protocolText43)
        rep.paragraph("Reductions are relative, `(|c₀| − |c₁|)/|c₀|` (negative = the similarity rose). After an activation two versions are reported: **script** — as the authors' script computes it, the activated final cosine c₁ = cos(act(F1'), act(F2')) measured against the *pre-activation* initial cosine c₀ = cos(F1, F2); **consistent** — the activation applied before and after, c₀ = cos(act(F1), act(F2)). The interval is the central 95% of the runs.")
        rep.paragraph("**Finding.** The CS fell by a median of \(ReportKit.percent(s.csReduction.median)); the feature-map cosine fell by a median of \(ReportKit.percent(s.featureReduction.median)) (95% of runs: \(ReportKit.percent(s.featureReduction.q025)) … \(ReportKit.percent(s.featureReduction.q975))) and rose in \(ReportKit.percent(s.fractionFeatureRose)) of the runs; the kernel cosine fell by a median of \(ReportKit.percent(s.kernelReduction.median)).")
        var rows = [ReportKit.row("CS ‖K1 ⋆ K2‖² reduction", s.csReduction),
                    ReportKit.row("kernel-cosine reduction", s.kernelReduction),
                    ReportKit.row("feature-map cosine reduction (no activation)", s.featureReduction)]
        for a in Activation.allCases {
            rows.append(ReportKit.row("after \(a.rawValue), script (vs pre-activation c₀)", s.script[a]!))
            rows.append(ReportKit.row("after \(a.rawValue), consistent", s.consistent[a]!))
        }
        rep.table(ReportKit.header, rows)
        rep.paragraph(s.runsScriptDiffers == 0
            ? "**The two measures coincide in every run here:** kernels and input are drawn from U[0,1), so the initial feature maps are positive and ReLU, ELU and LeakyReLU are the identity on them — the initial activated cosine equals the pre-activation one, and the script's quirk has no effect under this protocol (it would with signed initial kernels or inputs). The activations matter only after training, when the kernels have negative taps."
            : "In \(s.runsScriptDiffers) of \(runs.count) runs an activation changed the initial cosine, so the script's measure differs from the consistent one there.")
        rep.table(["activation", "rose (script)", "rose (consistent)", "median script − median consistent"],
                  [["none", ReportKit.percent(s.fractionFeatureRose), ReportKit.percent(s.fractionFeatureRose), "0"]] +
                  Activation.allCases.map { a in [a.rawValue, ReportKit.percent(s.fractionRoseScript[a]!), ReportKit.percent(s.fractionRoseConsistent[a]!),
                                                  Fmt.f(s.script[a]!.median - s.consistent[a]!.median)] })
        rep.figure("exp43-feature-reduction",
                   figure: ReportKit.histogram([("no activation", runs.map { Reduction.relative(before: $0.featureCosineBefore, after: $0.featureCosineAfter) })] +
                                            Activation.allCases.map { a in ("\(a.rawValue) (consistent)", runs.map { $0.consistentReduction(a) }) },
                                            title: "Experiment 4.3: relative reduction of the feature-map cosine", xLabel: "(|c0| − |c1|)/|c0|"),
                   caption: "Relative reduction of the feature-map cosine, before activation and after each activation (consistent version), over \(runs.count) runs.")
        rep.figure("exp43-script-vs-consistent",
                   figure: ReportKit.histogram(Activation.allCases.map { a in ("\(a.rawValue) (script)", runs.map { $0.scriptReduction(a) }) },
                                            title: "Experiment 4.3: activated reductions as the script measures them", xLabel: "(|c0 pre-activation| − |c1 activated|)/|c0|"),
                   caption: "The authors' measure: activated final cosine against the pre-activation initial cosine.")
        ReportKit.kernelReductionFigure(&rep, experiment: "4.3", runs.map { ($0.kernelCosineBefore, $0.kernelCosineAfter) })
        let shown = Array(runs.prefix(3).enumerated())
        rep.figure("exp43-curves",
                   figure: SVG.lines(shown.flatMap { r in [(label: "run \(r.offset + 1) feature", values: r.element.featureCurve),
                                                        (label: "run \(r.offset + 1) kernel", values: r.element.kernelCurve)] },
                                  title: "Experiment 4.3: cosines during SGD on the CS (first runs)", xLabel: "SGD step", yLabel: "cosine"),
                   caption: "Feature-map and kernel cosine against the SGD step for the first three runs.")
        rep.figure("exp43-cs-curves",
                   figure: SVG.lines(shown.map { (label: "run \($0.offset + 1)", values: $0.element.csCurve) },
                                  title: "Experiment 4.3: ‖K1 ⋆ K2‖² during SGD", xLabel: "SGD step", yLabel: "CS", logY: true),
                   caption: "The pairs CS against the SGD step for the first three runs.")
        var summary: [(String, JSON)] = [
            ("experiment", .string("4.3")), ("seed", .uint(seed)), ("reps", .int(runs.count)),
            ("cs_reduction", s.csReduction.summary),
            ("kernel_cosine_reduction", s.kernelReduction.summary),
            ("feature_cosine_reduction", s.featureReduction.summary),
            ("fraction_feature_similarity_rose", .number(s.fractionFeatureRose)),
            ("runs_script_measure_differs", .int(s.runsScriptDiffers)),
        ]
        summary.append(("activations", .object(Activation.allCases.map { a in
            (a.key, .object([("feature_cosine_reduction_script", s.script[a]!.summary),
                             ("feature_cosine_reduction_consistent", s.consistent[a]!.summary),
                             ("fraction_feature_similarity_rose_script", .number(s.fractionRoseScript[a]!)),
                             ("fraction_feature_similarity_rose_consistent", .number(s.fractionRoseConsistent[a]!))]))
        })))
        var lines = [
            "experiment 4.3 — \(runs.count) runs, seed \(seed) (SGD lr 0.01, 300 steps on ‖K1 ⋆ K2‖²)",
            "  CS reduction                  median \(ReportKit.percent(s.csReduction.median))",
            "  kernel-cosine reduction       median \(ReportKit.percent(s.kernelReduction.median))  mean \(ReportKit.percent(s.kernelReduction.mean))  95% [\(ReportKit.percent(s.kernelReduction.q025)), \(ReportKit.percent(s.kernelReduction.q975))]",
            "  feature-map cosine reduction  median \(ReportKit.percent(s.featureReduction.median))  mean \(ReportKit.percent(s.featureReduction.mean))  95% [\(ReportKit.percent(s.featureReduction.q025)), \(ReportKit.percent(s.featureReduction.q975))]  rose in \(ReportKit.percent(s.fractionFeatureRose))",
        ]
        for a in Activation.allCases {
            lines.append("  after \(a.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) script median \(ReportKit.percent(s.script[a]!.median)) (rose \(ReportKit.percent(s.fractionRoseScript[a]!))), consistent median \(ReportKit.percent(s.consistent[a]!.median)) 95% [\(ReportKit.percent(s.consistent[a]!.q025)), \(ReportKit.percent(s.consistent[a]!.q975))] (rose \(ReportKit.percent(s.fractionRoseConsistent[a]!)))")
        }
        return ExperimentRendering(report: rep, summary: summary, lines: lines)
    }

    static let protocolText44 = "Protocol (Documentation/Theory.md#exp-4-4, the authors' script): four kernels K1…K4 ~ U[0,1)^9 and an input x ~ U[0,1)^64 per run (for the feature-map cosines; valid 1-D correlation), plain SGD with learning rate 0.01 on the adjacent pairs' Convolutional Similarity ‖K1⋆K2‖², ‖K2⋆K3‖², ‖K3⋆K4‖² (values and gradients from the direct definition); CS matrix entries S_ij = ‖K_i ⋆ K_j‖² over all 17 lags."
    static let roundsText44 = "**The 10 rounds, as the authors' script runs them:** one optimizer per adjacent pair; in each round the pairs (1,2), (2,3), (3,4) are stepped one after another, each from the kernels as the previous step left them (Documentation/Theory.md#errata-11). Every run also replays the other reading — one step per round on the summed adjacent loss — from the same draws; the last table row says how far the two end apart."
    static func pairName(_ p: (Int, Int)) -> String { "\(p.0 + 1)-\(p.1 + 1)" }

    static func render44(_ runs: [Experiment44.Run], _ s: Experiment44.Statistics, seed: UInt64) -> ExperimentRendering {
        let first = runs[0]
        var rep = MarkdownReport(title: "Experiment 4.4 — adjacent-pair CS minimization, \(runs.count) runs (seed \(seed))")
        rep.paragraph(protocolText44)
        rep.paragraph(roundsText44)
        rep.paragraph("Changes are relative, `(S_after − S_before)/S_before` (negative = fell). The interval is the central 95% of the entries.")
        rep.paragraph("**Finding.** The adjacent entries fell in \(ReportKit.percent(s.fractionAdjacentFell)) of cases (median change \(ReportKit.percent(s.adjacentChange.median))); the non-adjacent pairs 1-3, 1-4, 2-4, which the loss does not contain, changed by a median of \(ReportKit.percent(s.nonAdjacentChange.median)) (95%: \(ReportKit.percent(s.nonAdjacentChange.q025)) … \(ReportKit.percent(s.nonAdjacentChange.q975))); a non-adjacent entry rose in \(ReportKit.percent(s.fractionNonAdjacentRose)) of cases (in \(ReportKit.percent(s.fractionRunsAnyNonAdjacentRose)) of runs at least one did).")
        rep.heading("The first run (seed \(seed), run 1)")
        let tb = ReportKit.matrixTable(first.csBefore), ta = ReportKit.matrixTable(first.csAfter)
        rep.paragraph("CS matrix ‖K_i ⋆ K_j‖² before:")
        rep.table(tb.header, tb.rows)
        rep.paragraph("after \(Experiment44.rounds) rounds:")
        rep.table(ta.header, ta.rows)
        rep.table(["pair", "kind", "CS before", "CS after", "change", "feature cos before", "feature cos after"],
                  (Experiment44.adjacentPairs.map { ($0, "adjacent") } + Experiment44.nonAdjacentPairs.map { ($0, "non-adjacent") }).map { p, kind in
                      [pairName(p), kind, Fmt.f(first.csBefore[p.0, p.1]), Fmt.f(first.csAfter[p.0, p.1]),
                       ReportKit.percent(first.csChange([p])[0]), Fmt.f(first.featureBefore[p.0, p.1]), Fmt.f(first.featureAfter[p.0, p.1])]
                  })
        rep.heading("Over \(runs.count) runs")
        rep.table(ReportKit.header,
                  [ReportKit.row("adjacent CS loss reduction", s.lossReduction),
                   ReportKit.row("summed-loss reading − the authors': final adjacent CS, relative to the initial", s.protocolDifference),
                   ReportKit.row("change of adjacent entries", s.adjacentChange),
                   ReportKit.row("change of non-adjacent entries", s.nonAdjacentChange)] +
                  zip(Experiment44.adjacentPairs, s.perAdjacent).map { ReportKit.row("change of S\(pairName($0.0))", $0.1) } +
                  zip(Experiment44.nonAdjacentPairs, s.perNonAdjacent).map { ReportKit.row("change of S\(pairName($0.0))", $0.1) } +
                  [ReportKit.row("feature-cos reduction, adjacent pairs", s.featureReductionAdjacent),
                   ReportKit.row("feature-cos reduction, non-adjacent pairs", s.featureReductionNonAdjacent)])
        rep.figure("exp44-cs-change",
                   figure: ReportKit.histogram([("adjacent (1-2, 2-3, 3-4)", runs.flatMap { $0.csChange(Experiment44.adjacentPairs) }),
                                             ("non-adjacent (1-3, 1-4, 2-4)", runs.flatMap { $0.csChange(Experiment44.nonAdjacentPairs) })],
                                            title: "Experiment 4.4: relative change of the pairwise CS", xLabel: "(S_after − S_before)/S_before"),
                   caption: "Relative change of the CS entries after \(Experiment44.rounds) rounds, adjacent vs non-adjacent pairs, over \(runs.count) runs.")
        rep.figure("exp44-feature-reduction",
                   figure: ReportKit.histogram([("adjacent", runs.flatMap { $0.featureReduction(Experiment44.adjacentPairs) }),
                                             ("non-adjacent", runs.flatMap { $0.featureReduction(Experiment44.nonAdjacentPairs) })],
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
            ("first_run", .object([("cs_before", .matrix(first.csBefore.nested)), ("cs_after", .matrix(first.csAfter.nested)),
                                   ("feature_cosine_before", .matrix(first.featureBefore.nested)), ("feature_cosine_after", .matrix(first.featureAfter.nested))])),
            ("adjacent_loss_reduction", s.lossReduction.summary),
            ("adjacent_cs_change", s.adjacentChange.summary),
            ("non_adjacent_cs_change", s.nonAdjacentChange.summary),
            ("non_adjacent_cs_change_per_pair", .object(zip(Experiment44.nonAdjacentPairs, s.perNonAdjacent).map { (pairName($0.0), $0.1.summary) })),
            ("fraction_adjacent_entries_fell", .number(s.fractionAdjacentFell)),
            ("fraction_non_adjacent_entries_rose", .number(s.fractionNonAdjacentRose)),
            ("fraction_runs_any_non_adjacent_rose", .number(s.fractionRunsAnyNonAdjacentRose)),
            ("feature_cosine_reduction_adjacent", s.featureReductionAdjacent.summary),
            ("feature_cosine_reduction_non_adjacent", s.featureReductionNonAdjacent.summary),
        ]
        var lines = ["experiment 4.4 — \(runs.count) runs, seed \(seed) (\(Experiment44.rounds) rounds of SGD lr 0.01, the adjacent pairs stepped in turn)",
                     "  run 1, CS matrix ‖K_i ⋆ K_j‖² before:"]
        lines += ReportKit.matrixText(first.csBefore)
        lines.append("  after:")
        lines += ReportKit.matrixText(first.csAfter)
        lines += [
            "  adjacent entries:     median change \(ReportKit.percent(s.adjacentChange.median))  95% [\(ReportKit.percent(s.adjacentChange.q025)), \(ReportKit.percent(s.adjacentChange.q975))]  fell in \(ReportKit.percent(s.fractionAdjacentFell))",
            "  the summed-loss reading ends \(ReportKit.percent(s.protocolDifference.median)) of the initial adjacent CS away from the authors' (median; 95% [\(ReportKit.percent(s.protocolDifference.q025)), \(ReportKit.percent(s.protocolDifference.q975))])",
            "  non-adjacent entries: median change \(ReportKit.percent(s.nonAdjacentChange.median))  95% [\(ReportKit.percent(s.nonAdjacentChange.q025)), \(ReportKit.percent(s.nonAdjacentChange.q975))]  rose in \(ReportKit.percent(s.fractionNonAdjacentRose)) (runs with any rise \(ReportKit.percent(s.fractionRunsAnyNonAdjacentRose)))",
        ]
        return ExperimentRendering(report: rep, summary: summary, lines: lines)
    }
}

/// Report fragments shared by the three experiments.
enum ReportKit {
    /// The histogram of the relative reduction of the kernel cosine (Experiments 4.1 and 4.3).
    static func kernelReductionFigure(_ rep: inout MarkdownReport, experiment: String, _ cosines: [(before: Double, after: Double)]) {
        let id = experiment.replacingOccurrences(of: ".", with: "")
        rep.figure("exp\(id)-kernel-reduction",
                   figure: histogram([("kernel cosine", cosines.map { Reduction.relative(before: $0.before, after: $0.after) })],
                                     title: "Experiment \(experiment): relative reduction of the kernel cosine", xLabel: "(|c0| − |c1|)/|c0|"),
                   caption: "Relative reduction of the kernel cosine over \(cosines.count) runs.")
    }

    static let header = ["quantity", "n", "mean", "median", "2.5%", "97.5%", "min", "max"]

    static func row(_ label: String, _ d: Distribution, digits: Int = 4) -> [String] {
        [label, String(d.n), Fmt.f(d.mean, digits), Fmt.f(d.median, digits), Fmt.f(d.q025, digits), Fmt.f(d.q975, digits),
         Fmt.f(d.min, digits), Fmt.f(d.max, digits)]
    }

    static func percent(_ x: Double) -> String { Fmt.f(100 * x, 1) + "%" }

    /// A histogram over the data range (widened when all values coincide).
    /// Relative changes of every run: the bins span the data (widened when all values
    /// coincide), and a reference line marks 0 (no change) when it is in range.
    static func histogram(_ series: [(String, [Double])], title: String, xLabel: String) -> Figure {
        let all = series.flatMap { $0.1 }.filter { $0.isFinite }
        var lo = all.min() ?? 0, hi = all.max() ?? 1
        if hi - lo < 1e-12 * max(1, abs(hi)) { let pad = max(abs(hi) * 1e-3, 1e-9); lo -= pad; hi += pad }
        let pad = (hi - lo) * 1e-6
        return SVG.histogram(series.map { (label: $0.0, values: $0.1) }, lo: lo - pad, hi: hi + pad, bins: 40,
                             title: title, xLabel: xLabel, references: [.x(0, "no change")])
    }

    static func matrixTable(_ m: Matrix, digits: Int = 4) -> (header: [String], rows: [[String]]) {
        (["", ] + (0..<m.columns).map { "K\($0 + 1)" },
         (0..<m.rows).map { i in ["K\(i + 1)"] + (0..<m.columns).map { j in Fmt.f(m[i, j], digits) } })
    }

    static func matrixText(_ m: Matrix, digits: Int = 4) -> [String] {
        (0..<m.rows).map { i in "    " + m.row(i).map { Fmt.f($0, digits, width: 10) }.joined(separator: " ") }
    }
}

