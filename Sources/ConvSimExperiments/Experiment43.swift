import ConvSimCore
import ConvSimIO
import ConvSimSimilarity

/// The paper's Experiment 4.3 (Documentation/Theory.md#exp-4-3): the setup of 4.1 (K1, K2 ~ U[0,1)^9,
/// x ~ U[0,1)^64, drawn in that order; valid 1-D correlation), but plain SGD with
/// learning rate 0.01 for 300 steps on the `pairs` Convolutional Similarity — for two
/// 1-D kernels `‖K1 ⋆ K2‖²` summed over all 17 lags. Loss and gradient come from
/// `DirectSimilarity` (the reference definition; exact on integer data).
///
/// Feature-map cosine reductions are reported before activation and after ReLU, ELU (α = 1)
/// and LeakyReLU (slope 0.01), in two versions:
/// - **as the authors' script measures it**: `(|c₀| − |c₁^act|)/|c₀|` with `c₀` the
///   *pre-activation* initial cosine and `c₁^act = cos(act(F1'), act(F2'))` after training;
/// - **consistent**: `(|c₀^act| − |c₁^act|)/|c₀^act|`, the activation applied before and after.
public enum Experiment43 {
    public static let kernelLength = 9, signalLength = 64, steps = 300, learningRate = 0.01
    public static let variant = CSVariant.pairs

    /// A two-kernel 1-D bank `(2, 1, 1, 9)`.
    public static func bank(_ k1: [Double], _ k2: [Double]) -> KernelBank {
        KernelBank(count: 2, channels: 1, kernelHeight: 1, kernelWidth: k1.count, values: k1 + k2)
    }

    /// The loss `‖K1 ⋆ K2‖²` and its gradient, from `DirectSimilarity` (the definition).
    public static func lossAndGradient(_ bank: KernelBank) -> (value: Double, gradient: [Double]) {
        let r = DirectSimilarity.compute(bank, variant: variant, gradient: true)
        return (r.value, r.gradient!)
    }

    /// One SGD step on the `pairs` CS; returns the loss at the point before the step.
    @discardableResult
    public static func sgdStep(_ bank: inout KernelBank, learningRate lr: Double = learningRate) -> Double {
        let r = lossAndGradient(bank)
        let g = r.gradient
        for t in 0..<bank.values.count { bank.values[t] -= lr * g[t] }
        return r.value
    }

    public struct Run: Sendable {
        public var before: KernelBank, after: KernelBank
        public var x: [Double]
        /// Cosines and CS before step `t` (last entry: after step 300).
        public var featureCurve: [Double], kernelCurve: [Double], csCurve: [Double]
        /// Per activation: cosine of the activated feature maps before and after training.
        public var activated: [Activation: (before: Double, after: Double)]

        public var featureCosineBefore: Double { featureCurve.first! }
        public var featureCosineAfter: Double { featureCurve.last! }
        public var kernelCosineBefore: Double { kernelCurve.first! }
        public var kernelCosineAfter: Double { kernelCurve.last! }

        /// The authors' measure: against the pre-activation initial cosine.
        public func scriptReduction(_ a: Activation) -> Double {
            Reduction.relative(before: featureCosineBefore, after: activated[a]!.after)
        }
        /// The consistent measure: activation before and after.
        public func consistentReduction(_ a: Activation) -> Double {
            Reduction.relative(before: activated[a]!.before, after: activated[a]!.after)
        }
    }

    static func cosines(_ b: KernelBank, _ x: [Double]) -> (feature: Double, kernel: Double, f1: [Double], f2: [Double]) {
        let k1 = Array(b.kernel(0)), k2 = Array(b.kernel(1))
        let f1 = OneD.features(k1, x), f2 = OneD.features(k2, x)
        return (OneD.cosine(f1, f2), OneD.cosine(k1, k2), f1, f2)
    }

    public static func run(_ rng: inout SeededRandom) -> Run {
        let k1 = OneD.uniform(kernelLength, &rng), k2 = OneD.uniform(kernelLength, &rng)
        let x = OneD.uniform(signalLength, &rng)
        var b = bank(k1, k2)
        let start = b
        let c0 = cosines(b, x)
        var fc = [c0.feature], kc = [c0.kernel], cs: [Double] = []
        for _ in 0..<steps {
            cs.append(sgdStep(&b))
            let c = cosines(b, x)
            fc.append(c.feature); kc.append(c.kernel)
        }
        cs.append(DirectSimilarity.compute(b, variant: variant, gradient: false).value)
        let c1 = cosines(b, x)
        var act: [Activation: (before: Double, after: Double)] = [:]
        for a in Activation.allCases {
            act[a] = (OneD.cosine(a.apply(c0.f1), a.apply(c0.f2)), OneD.cosine(a.apply(c1.f1), a.apply(c1.f2)))
        }
        return Run(before: start, after: b, x: x, featureCurve: fc, kernelCurve: kc, csCurve: cs, activated: act)
    }

    public static func runs(_ reps: Int, seed: UInt64, progress: ((Int, Int) -> Void)? = nil) -> [Run] {
        Experiments.repeated(reps, seed: seed, label: "4.3", progress: progress) { run(&$0) }
    }

    public struct Statistics: Sendable {
        public var kernelReduction: Distribution
        public var featureReduction: Distribution
        public var csReduction: Distribution
        public var fractionFeatureRose: Double
        public var script: [Activation: Distribution]
        public var consistent: [Activation: Distribution]
        public var fractionRoseScript: [Activation: Double]
        public var fractionRoseConsistent: [Activation: Double]
        /// Runs in which some activation changes the initial cosine (so the script's and the
        /// consistent measure differ).
        public var runsScriptDiffers: Int

        public init(_ runs: [Run]) {
            runsScriptDiffers = runs.filter { r in Activation.allCases.contains { r.activated[$0]!.before != r.featureCosineBefore } }.count
            kernelReduction = Distribution(runs.map { Reduction.relative(before: $0.kernelCosineBefore, after: $0.kernelCosineAfter) })
            let fr = runs.map { Reduction.relative(before: $0.featureCosineBefore, after: $0.featureCosineAfter) }
            featureReduction = Distribution(fr)
            csReduction = Distribution(runs.map { ($0.csCurve.first! - $0.csCurve.last!) / $0.csCurve.first! })
            fractionFeatureRose = SampleStatistics.fraction(fr) { $0 < 0 }
            var s: [Activation: Distribution] = [:], c = s
            var fs: [Activation: Double] = [:], fc = fs
            for a in Activation.allCases {
                let rs = runs.map { $0.scriptReduction(a) }, rc = runs.map { $0.consistentReduction(a) }
                s[a] = Distribution(rs); c[a] = Distribution(rc)
                fs[a] = SampleStatistics.fraction(rs) { $0 < 0 }; fc[a] = SampleStatistics.fraction(rc) { $0 < 0 }
            }
            script = s; consistent = c; fractionRoseScript = fs; fractionRoseConsistent = fc
        }
    }

}

extension Experiment43.Run: CompactableRun {
    func compacted() -> Self {
        var r = self
        r.featureCurve = featureCurve.ends
        r.kernelCurve = kernelCurve.ends
        r.csCurve = csCurve.ends
        return r
    }
}

extension Experiment43 {
    /// Per run: cosines and CS before and after, and per activation the cosine of the activated
    /// feature maps before and after training.
    public static func runsTable(_ runs: [Run]) -> DataTable {
        var columns = ["run", "kernel_cos_before", "kernel_cos_after", "feature_cos_before", "feature_cos_after", "cs_before", "cs_after"]
        for a in Activation.allCases { columns += ["\(a.rawValue)_feature_cos_before", "\(a.rawValue)_feature_cos_after"] }
        var t = DataTable(columns: columns)
        for (i, r) in runs.enumerated() {
            var row: [DataTable.Cell] = [.integer(i + 1), .number(r.kernelCosineBefore), .number(r.kernelCosineAfter),
                                         .number(r.featureCosineBefore), .number(r.featureCosineAfter),
                                         .number(r.csCurve.first ?? .nan), .number(r.csCurve.last ?? .nan)]
            for a in Activation.allCases {
                let v = r.activated[a]
                row += [v.map { .number($0.before) } ?? .missing, v.map { .number($0.after) } ?? .missing]
            }
            t.append(row)
        }
        return t
    }
}
