import ConvSimTestSupport
import Testing
import PropertyBased
import ConvSimCertificates
import ConvSimCore
@testable import ConvSimCorrelation

/// T1 / T1b as implemented by the FFT engine: the Gram from correlations equals
/// the direct Gram for every padding, within certified bounds.
@Suite struct CorrelationGramTests {

    @Test func fftGramEqualsDirectGramWithinCertifiedBound() async {
        await propertyCheck(count: 60,
                            input: Gen.int(in: 1...4), Gen.int(in: 1...9), Gen.int(in: 1...12),
                            Gen.int(in: 1...4), Gen.int(in: 1...4), Gen.int(in: 0...3),
                            Gen.int(in: 1...3), Gen.int(in: 0...1_000_000)) { c, h, w, kh0, kw, pIndex, m, seed in
            let padding = Padding.allCases[pIndex]
            // 1-D signals come with 1-row kernels.
            let kh = h == 1 ? 1 : kh0
            if padding == .valid && (kh > h || kw > w) { return }
            var rng = SeededRandom(seed: UInt64(seed))
            let inputs = (0..<2).map { _ in Fixtures.gaussianSignal(c, h, w, &rng) }
            let bank = Fixtures.gaussianBank(m, c, kh, kw, &rng)
            let fast = try! CorrelationGram.gram(inputs: inputs, kernels: bank, padding: padding)
            let direct = DirectConvolution.certifiedGram(inputs: inputs, kernels: bank, padding: padding)
            for i in 0..<m {
                for j in 0..<m {
                    let diff = abs(fast.gram[i, j] - direct.gram[i, j])
                    let bound = fast.bound[i, j] + direct.bound[i, j]
                    #expect(diff <= bound, "G[\(i)][\(j)] fft \(fast.gram[i, j]) direct \(direct.gram[i, j]) diff \(diff) > bound \(bound)")
                    // The bound is not vacuous: far below the size of the terms.
                    let scale = (direct.gram[i, i] * direct.gram[j, j]).squareRoot() + 1
                    #expect(bound <= 1e-9 * scale * Double(c * kh * kw))
                }
            }
        }
    }

    @Test func fftCorrelationsEqualDirectCorrelationsWithinBound() async {
        await propertyCheck(count: 60,
                            input: Gen.int(in: 1...3), Gen.int(in: 1...10), Gen.int(in: 1...10),
                            Gen.int(in: 0...3), Gen.int(in: 0...3), Gen.bool, Gen.int(in: 0...1_000_000)) { c, h, w, ly, lx, circular, seed in
            var rng = SeededRandom(seed: UInt64(seed))
            let xs = (0..<3).map { _ in Fixtures.gaussianSignal(c, h, w, &rng) }
            let lags = LagWindow(maxLagY: h == 1 ? 0 : ly, maxLagX: lx)
            let acc = try CorrelationAccumulator(channels: c, height: h, width: w, lags: lags, circular: circular)
            for x in xs { acc.add(x) }
            let fast = acc.result()
            let slow = InputCorrelations.direct(xs, lags: lags, circular: circular)
            for t in 0..<fast.values.count {
                // direct side: a sum of H·W·N products, |error| ≤ γ_{HWN} Σ|x||y| ≤ γ·(Σ‖x‖²)
                let directBound = FloatingPointBounds.gamma(h * w * 3) * xs.reduce(0) { s, x in
                    s + (0..<c).map { x.channelNorm($0) }.reduce(0) { $0 + $1 * $1 } }
                #expect(abs(fast.values[t] - slow.values[t]) <= fast.bound[t] + directBound)
            }
        }
    }

    /// Exact mode: integer data, integer direct Gram, FFT Gram rounded only when
    /// its certified bound is below 1/2 — then equal to the last digit.
    @Test func integerDataGivesExactEquality() async {
        await propertyCheck(count: 50,
                            input: Gen.int(in: 1...3), Gen.int(in: 1...8), Gen.int(in: 2...10),
                            Gen.int(in: 1...4), Gen.int(in: 1...4), Gen.int(in: 0...3),
                            Gen.int(in: 0...1_000_000)) { c, h, w, kh0, kw, pIndex, seed in
            let padding = Padding.allCases[pIndex]
            let kh = h == 1 ? 1 : kh0
            if padding == .valid && (kh > h || kw > w) { return }
            var rng = SeededRandom(seed: UInt64(seed))
            let inputs = (0..<2).map { _ in Fixtures.integerSignal(c, h, w, range: 0...255, &rng) }
            let bank = Fixtures.integerBank(3, c, kh, kw, range: -4...4, &rng)
            let exact = try! ExactInstance.gram(inputs: inputs, kernels: bank, padding: padding)
            let fast = try! CorrelationGram.gram(inputs: inputs, kernels: bank, padding: padding)
            for i in 0..<3 {
                for j in 0..<3 {
                    #expect(fast.bound[i, j] < 0.5, "bound \(fast.bound[i, j]) too large to round")
                    #expect(Rational(exactly: fast.gram[i, j].rounded()) == exact[i][j])
                }
            }
        }
    }

    /// The paper's Toeplitz form is exact for full/circular padding and off for
    /// valid/same on data with energy near the border (T1b) — the check can tell.
    @Test(arguments: Padding.allCases)
    func paperFormDiscrepancyOnlyForValidAndSame(padding: Padding) throws {
        var rng = SeededRandom(seed: 7)
        let x = Fixtures.integerSignal(2, 12, 10, range: 1...9, &rng)
        let bank = Fixtures.integerBank(3, 2, 3, 3, range: 1...5, &rng)
        let r = try CorrelationGram.gram(inputs: [x], kernels: bank, padding: padding)
        var beyond = false
        for i in 0..<3 { for j in 0..<3 {
            let d = abs(r.paperForm[i, j] - r.gram[i, j])
            // The paper form and the Gram come from the same computation except for B^P, so
            // a difference beyond both bounds is a real boundary term.
            if d > 2 * r.bound[i, j] { beyond = true }
        } }
        #expect(beyond == !padding.correlationIdentityIsExact)
    }

    /// A hand-computed value: X = (1, 2, 3), kernels (1, 1) and (1, −1), valid:
    /// F₁ = (3, 5), F₂ = (−1, −1): G = [[34, −8], [−8, 2]].
    @Test func pinnedOneDimensionalValue() throws {
        let x = Signal(oneDimensional: [[1, 2, 3]])
        let bank = KernelBank(oneDimensional: [[[1, 1]], [[1, -1]]])
        let r = try CorrelationGram.gram(inputs: [x], kernels: bank, padding: .valid)
        #expect(abs(r.gram[0, 0] - 34) <= r.bound[0, 0])
        #expect(abs(r.gram[0, 1] + 8) <= r.bound[0, 1])
        #expect(abs(r.gram[1, 1] - 2) <= r.bound[1, 1])
        // full: F₁ = (1,3,5,3), F₂ = (−1,−1,−1,3) → <F₁,F₂> = −1−3−5+9 = 0 (Haar pair).
        let f = try CorrelationGram.gram(inputs: [x], kernels: bank, padding: .full)
        #expect(abs(f.gram[0, 1]) <= f.bound[0, 1])
        #expect(abs(f.gram[0, 0] - 44) <= f.bound[0, 0])
    }

    /// T2 examples: a symmetric and an antisymmetric kernel give exactly orthogonal
    /// feature maps for full and circular padding on any input (Gaussian/Sobel, Haar).
    @Test func symmetricAntisymmetricPairsAreOrthogonalForFullAndCircular() async {
        let gaussian: [[Double]] = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
        let sobel: [[Double]] = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]
        let haarA: [[Double]] = [[1, 1]], haarB: [[Double]] = [[1, -1]]
        await propertyCheck(count: 30, input: Gen.int(in: 3...20), Gen.int(in: 3...20), Gen.int(in: 0...1_000_000)) { h, w, seed in
            var rng = SeededRandom(seed: UInt64(seed))
            let x = Fixtures.integerSignal(1, h, w, range: 0...255, &rng)
            for bank in [Fixtures.pair(gaussian, sobel), Fixtures.pair(haarA, haarB)] {
                for padding in [Padding.full, .circular] {
                    let r = try! CorrelationGram.gram(inputs: [x], kernels: bank, padding: padding)
                    #expect(abs(r.gram[0, 1]) <= r.bound[0, 1])
                    let exact = try! ExactInstance.gram(inputs: [x], kernels: bank, padding: padding)
                    #expect(exact[0][1] == .zero)
                }
            }
        }
    }

    /// Memory is independent of N: accumulating images one by one equals the
    /// direct Gram of the whole set, for mixed image sizes.
    @Test func datasetAccumulationOverMixedSizes() throws {
        var rng = SeededRandom(seed: 11)
        let xs = [Fixtures.gaussianSignal(3, 8, 8, &rng), Fixtures.gaussianSignal(3, 5, 9, &rng),
                  Fixtures.gaussianSignal(3, 8, 8, &rng)]
        let bank = Fixtures.gaussianBank(4, 3, 2, 3, &rng)
        for padding in Padding.allCases {
            let fast = try CorrelationGram.gram(inputs: xs, kernels: bank, padding: padding)
            let direct = DirectConvolution.certifiedGram(inputs: xs, kernels: bank, padding: padding)
            for i in 0..<4 { for j in 0..<4 {
                #expect(abs(fast.gram[i, j] - direct.gram[i, j]) <= fast.bound[i, j] + direct.bound[i, j])
            } }
            #expect(fast.images == 3)
        }
    }

    @Test func channelMismatchAndOversizedKernelAreRefused() throws {
        var rng = SeededRandom(seed: 1)
        let x = Fixtures.gaussianSignal(3, 4, 4, &rng)
        #expect(throws: ConvSimError.self) {
            try CorrelationGram.gram(inputs: [x], kernels: Fixtures.gaussianBank(2, 1, 3, 3, &rng), padding: .same)
        }
        #expect(throws: ConvSimError.self) {
            try CorrelationGram.gram(inputs: [x], kernels: Fixtures.gaussianBank(2, 3, 5, 5, &rng), padding: .valid)
        }
    }

    /// The T1 sum `Σ T·R` (explicit kernel correlations) equals the direct Gram for full/circular.
    @Test func explicitT1SumMatchesDirect() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...3), Gen.int(in: 2...8), Gen.int(in: 2...8),
                            Gen.int(in: 1...3), Gen.bool, Gen.int(in: 0...1_000_000)) { c, h, w, k, circular, seed in
            var rng = SeededRandom(seed: UInt64(seed))
            let x = Fixtures.gaussianSignal(c, h, w, &rng)
            let bank = Fixtures.gaussianBank(2, c, k, k, &rng)
            let lags = LagWindow(kernelHeight: k, kernelWidth: k)
            let acc = try CorrelationAccumulator(channels: c, height: h, width: w, lags: lags, circular: circular)
            acc.add(x)
            let t = KernelCorrelation(bank: bank, 0, 1)
            let (v, b) = t.pairedWith(acc.result())
            let d = DirectConvolution.certifiedGram(inputs: [x], kernels: bank, padding: circular ? .circular : .full)
            #expect(abs(v - d.gram[0, 1]) <= b + d.bound[0, 1])
        }
    }
}

@Suite struct GramOverflow {
    @Test("inputs whose products overflow binary64 are refused, never reported as NaN")
    func overflowIsRefused() throws {
        let x = Signal(channels: 1, height: 8, width: 8, values: (0..<64).map { Double($0 % 5) * 1e154 })
        let k = KernelBank(count: 2, channels: 1, kernelHeight: 3, kernelWidth: 3, values: (0..<18).map { Double($0 % 3) - 1 })
        #expect(throws: ConvSimError.self) { try CorrelationGram.gram(inputs: [x], kernels: k, padding: .same).requireFinite() }
        let small = Signal(channels: 1, height: 8, width: 8, values: x.values.map { $0 / 1e154 })
        #expect(throws: Never.self) { try CorrelationGram.gram(inputs: [small], kernels: k, padding: .same).requireFinite() }
    }
}
