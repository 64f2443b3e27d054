import Testing
import PropertyBased
import ConvSimCore
import ConvSimSimilarity
@testable import ConvSimExperiments

@Suite struct ExperimentStatisticsTests {
    @Test func quantilesPinned() {
        // Type-7 quantiles: h = q(n−1), linear between order statistics.
        #expect(SampleStatistics.median([3, 1, 2]) == 2)
        #expect(SampleStatistics.median([4, 1, 3, 2]) == 2.5)
        #expect(SampleStatistics.median([7]) == 7)
        #expect(SampleStatistics.median([]).isNaN)
        #expect(SampleStatistics.quantile([10, 0, 30, 20, 40], 0.25) == 10)
        #expect(SampleStatistics.quantile([10, 0, 30, 20, 40], 0.375) == 15)
        #expect(SampleStatistics.quantile([0, 8], 0.25) == 2)
        #expect(SampleStatistics.quantile([5, 1], 0) == 1 && SampleStatistics.quantile([5, 1], 1) == 5)
        let d = Distribution((0...40).map { Double(40 - $0) })     // h = 0.025·40 = 1, 0.975·40 = 39
        #expect(d.n == 41 && d.mean == 20 && d.median == 20 && d.q025 == 1 && d.q975 == 39 && d.min == 0 && d.max == 40)
        #expect(SampleStatistics.fraction([1, -1, 2, -3], where: { $0 > 0 }) == 0.5)
    }

    /// Quantiles are monotone in q and lie within [min, max].
    @Test func quantileMonotone() async {
        await propertyCheck(count: 60, input: Gen.int(in: -50...50).array(of: 1...12), Gen.int(in: 0...100), Gen.int(in: 0...100)) { xs, a, b in
            let v = xs.map(Double.init)
            let (lo, hi) = (Double(min(a, b)) / 100, Double(max(a, b)) / 100)
            let qlo = SampleStatistics.quantile(v, lo), qhi = SampleStatistics.quantile(v, hi)
            #expect(qlo <= qhi)
            #expect(v.min()! <= qlo && qhi <= v.max()!)
        }
    }
}

@Suite struct ExperimentProtocolTests {
    /// 4.1: one SGD step on cos² by hand. K1 = (1, 0), K2 = (1, 1): ‖K1‖ = 1, ‖K2‖ = √2, c = 1/√2,
    /// ∂L/∂K1 = 2c(K2/(‖K1‖‖K2‖) − cK1/‖K1‖²) = (0, 1), ∂L/∂K2 = 2c(K1/(‖K1‖‖K2‖) − cK2/‖K2‖²) = (½, −½);
    /// lr 0.1 ⇒ K1 = (1, −0.1), K2 = (0.95, 1.05). A few dozen roundings on numbers ≤ 2:
    /// each entry within γ₆₄·2 of the exact value.
    @Test func step41ByHand() {
        var k1 = [1.0, 0.0], k2 = [1.0, 1.0]
        OrthogonalizationProtocol.sgdStep(&k1, &k2)
        let tol = 2 * FloatingPointBounds.gamma(64)
        for (got, want) in zip(k1 + k2, [1, -0.1, 0.95, 1.05]) { #expect(abs(got - want) <= tol, "\(got) vs \(want)") }
    }

    /// 4.3: K1 = (1, 2), K2 = (3, 1): T(−1) = 6, T(0) = 5, T(1) = 1, CS = 62;
    /// ∂/∂K1(w) = 2Σ_d T(d)K2(w+d) = (32, 46), ∂/∂K2(w) = 2Σ_d T(d)K1(w−d) = (34, 22) — exact.
    @Test func step43ByHand() {
        var bank = Experiment43.bank([1, 2], [3, 1])
        let r = Experiment43.lossAndGradient(bank)
        #expect(r.value == 62)
        #expect(r.gradient == [32, 46, 34, 22])
        let loss = Experiment43.sgdStep(&bank)
        #expect(loss == 62)
        let lr = 0.01
        let want: [Double] = [1 - lr * 32, 2 - lr * 46, 3 - lr * 34, 1 - lr * 22]
        #expect(bank.values == want)
    }

    /// 4.4 with 1-tap kernels (a, b, c, d) = (1, 2, 3, 1): adjacent CS = a²b² + b²c² + c²d² = 49,
    /// gradient (2ab², 2b(a²+c²), 2c(b²+d²), 2dc²) = (8, 40, 30, 18) — exact.
    @Test func step44ByHand() {
        var bank = KernelBank(count: 4, channels: 1, kernelHeight: 1, kernelWidth: 1, values: [1, 2, 3, 1])
        let loss = Experiment44.summedStep(&bank)
        #expect(loss == 49)
        let lr = 0.01
        let want: [Double] = [1 - lr * 8, 2 - lr * 40, 3 - lr * 30, 1 - lr * 18]
        #expect(bank.values == want)
        let m = Experiment44.csMatrix(KernelBank(count: 4, channels: 1, kernelHeight: 1, kernelWidth: 1, values: [1, 2, 3, 1]))
        #expect(m.nested == [[1, 4, 9, 1], [4, 16, 36, 4], [9, 36, 81, 9], [1, 4, 9, 1]])
    }

    /// The authors' 4.4 round with 1-tap kernels (1, 2, 3, 1) and lr 2⁻⁷ (every number dyadic, so
    /// exact): pair (1,2) steps on a²b², then (2,3) on b²c² from the updated b, then (3,4) on c²d².
    @Test func sequentialRoundByHand() {
        var bank = KernelBank(count: 4, channels: 1, kernelHeight: 1, kernelWidth: 1, values: [1, 2, 3, 1])
        let lr = 0x1p-7
        let before = Experiment44.sequentialStep(&bank, learningRate: lr)
        #expect(before == 49)
        var a = 1.0, b = 2.0, c = 3.0, d = 1.0
        (a, b) = (a - lr * 2 * a * b * b, b - lr * 2 * a * a * b)
        (b, c) = (b - lr * 2 * b * c * c, c - lr * 2 * b * b * c)
        (c, d) = (c - lr * 2 * c * d * d, d - lr * 2 * c * c * d)
        #expect(bank.values == [a, b, c, d])
        // The summed reading moves all four from the same point: a different bank.
        var summed = KernelBank(count: 4, channels: 1, kernelHeight: 1, kernelWidth: 1, values: [1, 2, 3, 1])
        Experiment44.summedStep(&summed, learningRate: lr)
        #expect(summed.values != bank.values)
    }

    /// The pairs-CS gradient used by 4.3 equals the exact one, computed here in integer
    /// arithmetic from the definition T(d) = Σ_u K1(u)K2(u+d), on integer kernels of length 9.
    @Test func gradient43IsExact() async {
        await propertyCheck(count: 60, input: Gen.int(in: -20...20).array(of: 9...9), Gen.int(in: -20...20).array(of: 9...9)) { a, b in
            let n = 9
            var t = [Int](repeating: 0, count: 2 * n - 1)
            for d in -(n - 1)...(n - 1) { for u in 0..<n where u + d >= 0 && u + d < n { t[d + n - 1] += a[u] * b[u + d] } }
            let cs = t.reduce(0) { $0 + $1 * $1 }
            var ga = [Int](repeating: 0, count: n), gb = ga
            for w in 0..<n { for d in -(n - 1)...(n - 1) {
                if w + d >= 0 && w + d < n { ga[w] += 2 * t[d + n - 1] * b[w + d] }
                if w - d >= 0 && w - d < n { gb[w] += 2 * t[d + n - 1] * a[w - d] }
            } }
            let r = Experiment43.lossAndGradient(Experiment43.bank(a.map(Double.init), b.map(Double.init)))
            #expect(r.value == Double(cs))
            #expect(r.gradient == (ga + gb).map(Double.init))
        }
    }

    /// 4.4: the entries the loss contains (adjacent pairs) fall, and so does the loss.
    @Test func adjacentEntriesFall() {
        var rng = SeededRandom(seed: 11)
        for _ in 0..<20 {
            let r = Experiment44.run(&rng)
            for c in r.csChange(Experiment44.adjacentPairs) { #expect(c < 0) }
            #expect(r.lossCurve.last! < r.lossCurve.first!)
            #expect(r.csBefore.rows == 4 && r.csBefore.columns == 4)
            for i in 0..<4 { for j in 0..<4 { #expect(r.csBefore[i, j] == r.csBefore[j, i]) } }
        }
    }

    /// 4.1: the kernels end orthogonal; the curves have steps + 1 entries.
    @Test func run41Shape() {
        var rng = SeededRandom(seed: 5)
        let r = Experiment41.run(&rng)
        #expect(r.featureCurve.count == Experiment41.steps + 1 && r.kernelCurve.count == Experiment41.steps + 1)
        #expect(abs(r.kernelCosineAfter) < 1e-6)
        #expect(r.x.count == 64 && r.k1Before.count == 9)
    }

    /// 4.3 with U[0,1) data: the initial feature maps are positive, so the script's measure and
    /// the consistent one coincide exactly.
    @Test func scriptMeasureCoincidesOnPositiveData() {
        var rng = SeededRandom(seed: 2)
        let r = Experiment43.run(&rng)
        for a in Activation.allCases { #expect(r.scriptReduction(a) == r.consistentReduction(a)) }
        #expect(r.csCurve.last! < r.csCurve.first!)
    }

    @Test func activations() {
        #expect(Activation.relu.apply(-2) == 0 && Activation.relu.apply(3) == 3)
        #expect(Activation.leakyReLU.apply(-2) == -0.02 && Activation.leakyReLU.apply(3) == 3)
        #expect(Activation.elu.apply(0) == 0 && Activation.elu.apply(2) == 2 && Activation.elu.apply(-1) < 0)
    }
}

@Suite struct ExperimentRunnerTests {
    /// Same seed ⇒ the same runs and statistics; another seed ⇒ different numbers. The typed
    /// outcome holds one run per repetition and statistics over all of them.
    @Test(arguments: Experiments.ids) func sameSeedSameRuns(_ id: String) throws {
        let a = try Experiments.run(id: id, reps: 6, seed: 9), b = try Experiments.run(id: id, reps: 6, seed: 9)
        #expect(a.id == id && a.seed == 9)
        #expect(a.runs == b.runs)
        #expect(a.runs.rows.count == 6)
        let c = try Experiments.run(id: id, reps: 6, seed: 10)
        #expect(a.runs != c.runs)
        switch a.result {
        case .e41(let runs, let s):
            #expect(id == "4.1" && runs.count == 6)
            #expect(s.featureBefore.n == 6 && s.kernelReduction.n == 6)
            #expect(s.fractionFeatureRose == Double(runs.filter { abs($0.featureCosineAfter) > abs($0.featureCosineBefore) }.count) / 6)
        case .e43(let runs, let s):
            #expect(id == "4.3" && runs.count == 6)
            #expect(s.csReduction.n == 6 && Set(s.script.keys) == Set(Activation.allCases))
        case .e44(let runs, let s):
            #expect(id == "4.4" && runs.count == 6)
            #expect(s.adjacentChange.n == 6 * Experiment44.adjacentPairs.count)
            #expect(s.perNonAdjacent.count == Experiment44.nonAdjacentPairs.count)
        }
    }

    @Test func badInputRefused() {
        #expect(throws: ConvSimError.self) { try Experiments.run(id: "4.2", reps: 5, seed: 1) }
        #expect(throws: ConvSimError.self) { try Experiments.run(id: "4.1", reps: 0, seed: 1) }
        #expect(throws: ConvSimError.self) { try Experiments.run(id: "4.1", reps: -3, seed: 1) }
    }
}
