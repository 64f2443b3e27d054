import ConvSimCore
import ConvSimIO
import ConvSimReport

/// The paper's Experiment 4.1 (Documentation/Theory.md#exp-4-1, from the authors' script): two kernels
/// `U[0,1)^9`, an input `U[0,1)^64` (drawn in that order: K1, K2, x), valid 1-D
/// correlation; plain SGD (`p ← p − lr·g`, PyTorch) with learning rate 0.1 for 300 steps
/// on `L = cos(K1, K2)²`, where `∂cos/∂K1 = K2/(‖K1‖‖K2‖) − cos·K1/‖K1‖²` (and
/// symmetrically for K2), so `∂L/∂K1 = 2cos·∂cos/∂K1`. Tracks the feature-map cosine.
///
/// This is the single implementation of the protocol: `convsim search --strategy paper-4.1`
/// (`Paper41Strategy`) and `convsim experiment 4.1` both call `run`.
public enum Experiment41 {
    public static let kernelLength = OrthogonalizationProtocol.kernelLength, signalLength = OrthogonalizationProtocol.signalLength,
        steps = OrthogonalizationProtocol.steps, learningRate = OrthogonalizationProtocol.learningRate

    /// One repetition (`OrthogonalizationProtocol.Run`, in ConvSimCore beside the SGD step it uses).
    public typealias Run = OrthogonalizationProtocol.Run

    /// One repetition of the protocol, drawing K1, K2, x from `rng`.
    public static func run(_ rng: inout SeededRandom) -> Run { OrthogonalizationProtocol.run(&rng) }

    public static func runs(_ reps: Int, seed: UInt64, progress: ((Int, Int) -> Void)? = nil) -> [Run] {
        Experiments.repeated(reps, seed: seed, label: "4.1", progress: progress) { run(&$0) }
    }

    /// Statistics over runs.
    public struct Statistics: Sendable {
        public var kernelReduction: Distribution          // relative
        public var featureReduction: Distribution         // relative
        public var kernelReductionAbsolute: Distribution
        public var featureReductionAbsolute: Distribution
        public var featureBefore: Distribution             // |cos|
        public var featureAfter: Distribution
        public var kernelAfter: Distribution
        public var fractionFeatureRose: Double

        public init(_ runs: [Run]) {
            let kb = runs.map(\.kernelCosineBefore), ka = runs.map(\.kernelCosineAfter)
            let fb = runs.map(\.featureCosineBefore), fa = runs.map(\.featureCosineAfter)
            kernelReduction = Distribution(zip(kb, ka).map { Reduction.relative(before: $0, after: $1) })
            featureReduction = Distribution(zip(fb, fa).map { Reduction.relative(before: $0, after: $1) })
            kernelReductionAbsolute = Distribution(zip(kb, ka).map { Reduction.absolute(before: $0, after: $1) })
            featureReductionAbsolute = Distribution(zip(fb, fa).map { Reduction.absolute(before: $0, after: $1) })
            featureBefore = Distribution(fb.map(abs)); featureAfter = Distribution(fa.map(abs)); kernelAfter = Distribution(ka.map(abs))
            fractionFeatureRose = SampleStatistics.fraction(zip(fb, fa).map { abs($1) - abs($0) }) { $0 > 0 }
        }
    }

    static let protocolText = "Protocol (Documentation/Theory.md#exp-4-1, the authors' script): two kernels K1, K2 ~ U[0,1)^9 and an input x ~ U[0,1)^64 per run (drawn in that order from one seeded stream), valid 1-D correlation (feature maps of length 56), plain SGD with learning rate 0.1 for 300 steps on cos(K1, K2)²."

    static func outcome(_ runs: [Run], seed: UInt64) -> ExperimentOutcome {
        let s = Statistics(runs)
        var rep = MarkdownReport(title: "Experiment 4.1 — kernel orthogonalization by SGD on cos², \(runs.count) runs (seed \(seed))")
        rep.paragraph(protocolText)
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
        rep.figure("exp41-kernel-reduction",
                   figure: ReportKit.histogram([("kernel cosine", runs.map { Reduction.relative(before: $0.kernelCosineBefore, after: $0.kernelCosineAfter) })],
                                            title: "Experiment 4.1: relative reduction of the kernel cosine", xLabel: "(|c0| − |c1|)/|c0|"),
                   caption: "Relative reduction of the kernel cosine over \(runs.count) runs.")
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
        return ExperimentOutcome(id: "4.1", report: rep, summary: summary, lines: lines, runs: runsTable(runs))
    }
}

extension Experiment41 {
    /// Valid 1-D correlation (the protocol's feature maps).
    public static func features(_ k: [Double], _ x: [Double]) -> [Double] { OneD.features(k, x) }
}

extension Experiment41.Run: CompactableRun {
    func compacted() -> Self {
        var r = self
        r.featureCurve = featureCurve.ends
        r.kernelCurve = kernelCurve.ends
        return r
    }
}

extension Experiment41 {
    /// Per run: the kernel and feature-map cosines before and after, and their relative reductions.
    public static func runsTable(_ runs: [Run]) -> DataTable {
        var t = DataTable(columns: ["run", "kernel_cos_before", "kernel_cos_after", "feature_cos_before", "feature_cos_after",
                                    "kernel_reduction", "feature_reduction"])
        for (i, r) in runs.enumerated() {
            t.append([.integer(i + 1), .number(r.kernelCosineBefore), .number(r.kernelCosineAfter),
                      .number(r.featureCosineBefore), .number(r.featureCosineAfter),
                      .number(Reduction.relative(before: r.kernelCosineBefore, after: r.kernelCosineAfter)),
                      .number(Reduction.relative(before: r.featureCosineBefore, after: r.featureCosineAfter))])
        }
        return t
    }
}
