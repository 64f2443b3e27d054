import ConvSimCore
import ConvSimIO
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
    public static func csMatrix(_ bank: KernelBank) -> Matrix {
        let n = bank.count
        var m = Matrix(order: n)
        for i in 0..<n { for j in i..<n {
            m[i, j] = DirectSimilarity.compute(bank.selecting([i, j]), variant: .pairs, gradient: false).value
            m[j, i] = m[i, j]
        } }
        return m
    }

    /// Feature-map cosines on `x` (valid 1-D correlation).
    public static func featureCosines(_ bank: KernelBank, _ x: [Double]) -> Matrix {
        let f = (0..<bank.count).map { OneD.features(Array(bank.kernel($0)), x) }
        var c = Matrix(order: f.count)
        for i in f.indices { for j in f.indices { c[i, j] = OneD.cosine(f[i], f[j]) } }
        return c
    }

    public struct Run: Sendable {
        public var before: KernelBank, after: KernelBank
        public var x: [Double]
        public var csBefore: Matrix, csAfter: Matrix
        public var featureBefore: Matrix, featureAfter: Matrix
        /// Adjacent CS before round `t` (last: after round 10).
        public var lossCurve: [Double]
        /// The adjacent CS after 10 rounds of the summed-loss reading, from the same draws.
        public var summedFinalLoss: Double

        /// Relative change `(after − before)/before` of the CS of the given pairs.
        public func csChange(_ pairs: [(Int, Int)]) -> [Double] {
            pairs.map { (csAfter[$0.0, $0.1] - csBefore[$0.0, $0.1]) / csBefore[$0.0, $0.1] }
        }
        /// Relative reduction of the feature-map |cosine| of the given pairs.
        public func featureReduction(_ pairs: [(Int, Int)]) -> [Double] {
            pairs.map { Reduction.relative(before: featureBefore[$0.0, $0.1], after: featureAfter[$0.0, $0.1]) }
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
                row += [.number(r.csBefore[i, j]), .number(r.csAfter[i, j]), .number(r.featureBefore[i, j]), .number(r.featureAfter[i, j])]
            }
            t.append(row)
        }
        return t
    }
}
