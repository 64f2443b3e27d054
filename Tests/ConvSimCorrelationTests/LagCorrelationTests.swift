import ConvSimTestSupport
import Testing
import PropertyBased
import ConvSimCore
@testable import ConvSimCorrelation

/// The lag-domain input correlations (`LagCorrelation`): the direct sums within the stated
/// bound, the same bytes on any thread count, merges equal to one pass, and the rule that
/// chooses them.
@Suite struct LagCorrelationTests {
    /// `γ_{HWN}·Σ_images Σ_c ‖x_c‖²`: a bound on the rounding of the sequential reference sums.
    static func referenceBound(_ xs: [Signal], _ c: Int, _ h: Int, _ w: Int) -> Double {
        FloatingPointBounds.gamma(h * w * xs.count + 2) * xs.reduce(0) { s, x in
            s + (0..<c).map { x.channelNorm($0) }.reduce(0) { $0 + $1 * $1 } }
    }

    /// Random shapes (rows past one band of 64, widths below and above the 8-wide step),
    /// lag windows and image counts: the lag-domain sums equal the reference sums and the
    /// Fourier path within their bounds, and the bound is far below the size of the terms.
    @Test func lagDomainEqualsDirectAndFourierWithinBounds() async {
        await propertyCheck(count: 50,
                            input: Gen.int(in: 1...3), Gen.int(in: 1...140), Gen.int(in: 1...40),
                            Gen.int(in: 0...3), Gen.int(in: 0...3), Gen.int(in: 1...3), Gen.int(in: 0...1_000_000)) { c, h, w, ly, lx, n, seed in
            var rng = SeededRandom(seed: UInt64(seed))
            let xs = (0..<n).map { _ in Fixtures.gaussianSignal(c, h, w, &rng) }
            let lags = LagWindow(maxLagY: ly, maxLagX: lx)
            let lag = try CorrelationAccumulator(channels: c, height: h, width: w, lags: lags, circular: false, algorithm: .lagDomain)
            let fourier = try CorrelationAccumulator(channels: c, height: h, width: w, lags: lags, circular: false, algorithm: .fourier)
            #expect(lag.lagDomain && !fourier.lagDomain)
            for x in xs { lag.add(x); fourier.add(x) }
            let a = lag.result(), f = fourier.result()
            let slow = InputCorrelations.direct(xs, lags: lags, circular: false)
            let reference = Self.referenceBound(xs, c, h, w)
            let energy = xs.reduce(0) { s, x in s + (0..<c).map { x.channelNorm($0) }.reduce(0) { $0 + $1 * $1 } }
            #expect(a.images == n)
            for t in a.values.indices {
                #expect(abs(a.values[t] - slow.values[t]) <= a.bound[t] + reference,
                        "entry \(t): lag \(a.values[t]) direct \(slow.values[t]) bound \(a.bound[t])")
                #expect(abs(a.values[t] - f.values[t]) <= a.bound[t] + f.bound[t])
                #expect(a.bound[t] <= 1e-12 * (energy + 1))
            }
        }
    }

    /// Same-channel correlations are even and cross-channel ones mirror: `R_ab(d) = R_ba(−d)`,
    /// exactly (one stored sum each).
    @Test func mirroredEntriesAreIdentical() throws {
        var rng = SeededRandom(seed: 11)
        let x = Fixtures.gaussianSignal(3, 70, 33, &rng)
        let lags = LagWindow(kernelHeight: 3, kernelWidth: 2)
        let acc = try CorrelationAccumulator(channels: 3, height: 70, width: 33, lags: lags, circular: false, algorithm: .lagDomain)
        acc.add(x)
        let r = acc.result()
        for a in 0..<3 { for b in 0..<3 {
            for dy in -2...2 { for dx in -1...1 {
                #expect(r.value(a, b, dy, dx) == r.value(b, a, -dy, -dx))
            } }
        } }
    }

    /// A 300×290 RGB image with a 3×3 window takes the lag domain by the rule; its bytes are the
    /// same on 1, 2 and 3 threads; two accumulators merged equal one that saw both images; and
    /// its bound is orders of magnitude below the transforms' for the same image.
    @Test func largeImageRuleThreadsMergeAndBound() throws {
        var rng = SeededRandom(seed: 7)
        let x = Fixtures.gaussianSignal(3, 300, 290, &rng), y = Fixtures.gaussianSignal(3, 300, 290, &rng)
        let lags = LagWindow(kernelHeight: 3, kernelWidth: 3)
        let results = try [1, 2, 3].map { t in try Parallel.withThreads(t) {
            let acc = try CorrelationAccumulator(channels: 3, height: 300, width: 290, lags: lags, circular: false)
            #expect(acc.lagDomain, "the rule should choose the lag domain for 300×290×3 and 3×3")
            acc.add(x); acc.add(y)
            return acc.result()
        } }
        #expect(results[0].values == results[1].values && results[1].values == results[2].values)
        #expect(results[0].bound == results[1].bound && results[1].bound == results[2].bound)

        let first = try CorrelationAccumulator(channels: 3, height: 300, width: 290, lags: lags, circular: false)
        let second = try CorrelationAccumulator(channels: 3, height: 300, width: 290, lags: lags, circular: false)
        first.add(x); second.add(y)
        first.merge(second)
        #expect(first.result().values == results[1].values && first.result().bound == results[1].bound)

        let fourier = try CorrelationAccumulator(channels: 3, height: 300, width: 290, lags: lags, circular: false, algorithm: .fourier)
        fourier.add(x); fourier.add(y)
        let f = fourier.result()
        let direct = InputCorrelations.direct([x, y], lags: lags, circular: false)
        let reference = Self.referenceBound([x, y], 3, 300, 290)
        for t in f.values.indices {
            #expect(results[1].bound[t] * 100 < f.bound[t])
            #expect(abs(results[1].values[t] - direct.values[t]) <= results[1].bound[t] + reference)
            #expect(abs(results[1].values[t] - f.values[t]) <= results[1].bound[t] + f.bound[t])
        }
    }

    /// The rule: small images and large windows keep the transforms; circular correlations
    /// refuse the lag domain.
    @Test func ruleAndRefusals() throws {
        let k3 = LagWindow(kernelHeight: 3, kernelWidth: 3), k7 = LagWindow(kernelHeight: 7, kernelWidth: 7)
        #expect(try CorrelationAccumulator(channels: 3, height: 512, width: 512, lags: k3, circular: false).lagDomain)
        #expect(try !CorrelationAccumulator(channels: 3, height: 32, width: 32, lags: k3, circular: false).lagDomain)
        #expect(try !CorrelationAccumulator(channels: 3, height: 512, width: 512, lags: k7, circular: false).lagDomain)
        #expect(try !CorrelationAccumulator(channels: 3, height: 512, width: 512, lags: k3, circular: true).lagDomain)
        #expect(throws: ConvSimError.self) {
            _ = try CorrelationAccumulator(channels: 1, height: 8, width: 8, lags: k3, circular: true, algorithm: .lagDomain)
        }
    }

    /// End to end through the patch Gram: a 320×320 image with same padding (the lag domain
    /// plus the border term) gives the direct Gram within the certified bounds.
    @Test func patchGramOfLargeImageMatchesDirectGram() throws {
        var rng = SeededRandom(seed: 3)
        let x = Fixtures.gaussianSignal(3, 320, 320, &rng)
        let bank = Fixtures.gaussianBank(4, 3, 3, 3, &rng)
        for padding in [Padding.same, .valid, .full] {
            let fast = try CorrelationGram.gram(inputs: [x], kernels: bank, padding: padding)
            let direct = DirectConvolution.certifiedGram(inputs: [x], kernels: bank, padding: padding)
            for i in 0..<4 { for j in 0..<4 {
                #expect(abs(fast.gram[i, j] - direct.gram[i, j]) <= fast.bound[i, j] + direct.bound[i, j])
            } }
        }
    }
}
