import ConvSimCore
import ConvSimIO

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
