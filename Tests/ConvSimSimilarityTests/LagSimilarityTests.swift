import ConvSimTestSupport
import Testing
import PropertyBased
import ConvSimCore
import ConvSimCorrelation
@testable import ConvSimSimilarity

/// The lag-domain form of `pairs` / `adjacent` (`LagSimilarity.swift`).
@Suite struct LagSimilarityTests {
    static func engine(_ bank: KernelBank, _ algorithm: SameChannelAlgorithm) throws -> FastSimilarity {
        let e = try FastSimilarity(shapeOf: bank)
        e.sameChannelAlgorithm = algorithm
        return e
    }

    /// Integer kernels: every product and partial sum is an integer far below 2⁵³, so both
    /// the lag form and the direct definition are exact and must agree bit for bit — value
    /// and every gradient entry (this pins the gradient formula, factor 2 included).
    @Test func lagEqualsDirectExactlyOnIntegers() async {
        await propertyCheck(count: 80, input: Gen.int(in: 1...6), Gen.int(in: 1...4), Gen.int(in: 1...4), Gen.int(in: 1...5),
                            Gen.int(in: 0...1), Gen.int(in: 0...1_000_000)) { m, c, kh, kw, vi, seed in
            let variant: CSVariant = vi == 0 ? .pairs : .adjacent
            let bank = Fixtures.integerBank(m, c, kh, kw, seed: seed)
            let lag = try Self.engine(bank, .lagDomain).evaluate(bank, variant: variant, gradient: true)
            let direct = DirectSimilarity.evaluate(bank, variant: variant, gradient: true)
            #expect(lag.value == direct.value, "\(variant) M\(m) C\(c) \(kh)×\(kw)")
            #expect(lag.gradient! == direct.gradient!, "\(variant) M\(m) C\(c) \(kh)×\(kw) gradient")
        }
    }

    /// Real data: lag vs direct within the sum of the certified bounds; the bound is not vacuous.
    @Test func lagEqualsDirectWithinCertifiedBound() async {
        await propertyCheck(count: 80, input: Gen.int(in: 2...7), Gen.int(in: 1...4), Gen.int(in: 1...4), Gen.int(in: 1...6),
                            Gen.int(in: 0...1), Gen.int(in: 0...1_000_000)) { m, c, kh, kw, vi, seed in
            let variant: CSVariant = vi == 0 ? .pairs : .adjacent
            let bank = Fixtures.gaussianBank(m, c, kh, kw, seed: seed)
            let lag = try Self.engine(bank, .lagDomain).evaluate(bank, variant: variant, gradient: true)
            let direct = DirectSimilarity.evaluate(bank, variant: variant, gradient: true)
            #expect(abs(lag.value - direct.value) <= lag.bound + direct.bound)
            #expect(lag.bound <= 1e-10 * (direct.value + 1))
            let len = bank.kernelLength
            for t in 0..<bank.values.count {
                let i = t / len
                #expect(abs(lag.gradient![t] - direct.gradient![t]) <= lag.gradientBound![i] + direct.gradientBound![i])
            }
        }
    }

    /// The lag form and the Fourier form agree within their bounds (and so do both variants).
    @Test func lagAgreesWithFourier() throws {
        for (m, c, k) in [(5, 3, 3), (4, 2, 5), (3, 1, 1), (64, 70, 3)] {
            let bank = Fixtures.gaussianBank(m, c, k, k, seed: m * 100 + k)
            for variant in [CSVariant.pairs, .adjacent] {
                let lag = try Self.engine(bank, .lagDomain).evaluate(bank, variant: variant, gradient: true)
                let fft = try Self.engine(bank, .fourier).evaluate(bank, variant: variant, gradient: true)
                #expect(abs(lag.value - fft.value) <= lag.bound + fft.bound, "\(variant) \(m)×\(c)×\(k)")
                let len = bank.kernelLength
                for t in 0..<bank.values.count {
                    #expect(abs(lag.gradient![t] - fft.gradient![t]) <= lag.gradientBound![t / len] + fft.gradientBound![t / len])
                }
            }
        }
    }

    /// Large banks run in fixed channel groups in parallel: repeated evaluations give the same
    /// bits, and so does a fresh engine (no state carried over).
    @Test func deterministic() throws {
        let bank = Fixtures.gaussianBank(64, 80, 3, 3, seed: 3)   // M·C ≥ 4096: parallel groups
        let a = try Self.engine(bank, .lagDomain).evaluate(bank, variant: .pairs, gradient: true)
        let e = try Self.engine(bank, .lagDomain)
        for _ in 0..<3 {
            let b = e.evaluate(bank, variant: .pairs, gradient: true)
            #expect(a.value.bitPattern == b.value.bitPattern)
            #expect(a.gradient! == b.gradient!)
        }
    }

    /// The automatic rule: lag domain for small kernels, Fourier for large ones; never for `symmetric`.
    @Test func automaticRule() throws {
        #expect(FastSimilarity.prefersLagDomain(kernelHeight: 3, kernelWidth: 3))
        #expect(FastSimilarity.prefersLagDomain(kernelHeight: 1, kernelWidth: 9))
        #expect(!FastSimilarity.prefersLagDomain(kernelHeight: 15, kernelWidth: 15))
        let e = try FastSimilarity(kernelHeight: 3, kernelWidth: 3)
        #expect(e.usesLagDomain(for: .pairs) && e.usesLagDomain(for: .adjacent) && !e.usesLagDomain(for: .symmetric))
        e.sameChannelAlgorithm = .fourier
        #expect(!e.usesLagDomain(for: .pairs))
    }
}
