import ConvSimTestSupport
import Testing
import ConvSimCore
@testable import ConvSimSimilarity

/// The parallel (channel-block) path of the same-channel variants and the plan reuse.
@Suite struct LargeBankTests {
    /// M·C ≥ 4096 takes the parallel path: still equal to the direct sums within the
    /// certified bounds, and bit-for-bit reproducible.
    @Test func parallelPathMatchesDirectAndIsDeterministic() throws {
        let bank = Fixtures.gaussianBank(64, 70, 3, 3, seed: 42)
        let engine = try FastSimilarity(shapeOf: bank)
        for v in [CSVariant.pairs, .adjacent] {
            let f = engine.evaluate(bank, variant: v, gradient: true)
            let again = engine.evaluate(bank, variant: v, gradient: true)
            #expect(f.value == again.value)
            #expect(f.gradient! == again.gradient!)
            let d = DirectSimilarity.evaluate(bank, variant: v, gradient: true)
            #expect(abs(f.value - d.value) <= f.bound + d.bound)
            let len = bank.kernelLength
            var worst = 0.0
            for t in 0..<bank.values.count {
                let diff = abs(f.gradient![t] - d.gradient![t])
                let b = f.gradientBound![t / len] + d.gradientBound![t / len]
                worst = max(worst, diff / b)
            }
            #expect(worst <= 1)
        }
    }

    /// The thread budget (`--threads`) changes the time only: the parallel paths (Fourier and
    /// lag domain, and the direct sums) give the same bytes on 1, 2 and 3 threads.
    @Test func sameBytesForAnyThreadCount() throws {
        let bank = Fixtures.gaussianBank(64, 70, 3, 3, seed: 7)
        let seen = try [1, 2, 3].map { t in try Parallel.withThreads(t) {
            var out: [Double] = []
            for algorithm in [SameChannelAlgorithm.fourier, .lagDomain] {
                let e = try FastSimilarity(shapeOf: bank)
                e.sameChannelAlgorithm = algorithm
                let r = e.evaluate(bank, variant: .pairs, gradient: true)
                out += [r.value] + r.gradient!
            }
            out.append(DirectSimilarity.compute(Fixtures.gaussianBank(40, 30, 3, 3, seed: 8), variant: .symmetric, gradient: false).value)
            return out
        } }
        #expect(seen[0] == seen[1] && seen[1] == seen[2])
    }

    /// One engine (one FFTW plan) serves many banks of the same kernel shape; the
    /// cheap direct bound from the fast path on |K| is at least the direct one computed on |K| directly
    /// minus the fast bound (both are upper bounds of the same exact quantity).
    @Test func planReuseAndBoundFromFast() throws {
        let engine = try FastSimilarity(kernelHeight: 2, kernelWidth: 3)
        for seed in 0..<5 {
            let bank = Fixtures.gaussianBank(4, 3, 2, 3, seed: seed)
            let f = engine.evaluate(bank, variant: .symmetric, gradient: true)
            var absBank = bank
            absBank.values = bank.values.map { abs($0) }
            let viaFast = DirectSimilarity.bounds(shape: bank, variant: .symmetric,
                                                  fastOnAbs: engine.evaluate(absBank, variant: .symmetric, gradient: true))
            let d = DirectSimilarity.evaluate(bank, variant: .symmetric, gradient: true)
            #expect(abs(f.value - d.value) <= f.bound + viaFast.value)
            #expect(viaFast.value >= 0.99 * d.bound)
        }
    }
}

@Suite struct GroupedSimilarityTests {
    /// The CS of a grouped layer is the sum of its groups' CS (each within its bound), with each
    /// group's gradient in place; a G that does not divide M is refused.
    @Test func groupedCSIsTheSumOverGroups() throws {
        var rng = SeededRandom(seed: 12)
        for g in [1, 2, 3] {
            let bank = KernelBank(count: 6, channels: 2, kernelHeight: 3, kernelWidth: 2, values: (0..<72).map { _ in rng.gaussian() })
            for v in CSVariant.allCases {
                let r = try ConvolutionalSimilarity.evaluate(bank, variant: v, groups: g, gradient: true)
                var sum = 0.0, bounds = 0.0
                for grp in 0..<g {
                    let idx = Array((grp * 6 / g)..<((grp + 1) * 6 / g))
                    let d = DirectSimilarity.evaluate(bank.selecting(idx), variant: v, gradient: true)
                    sum += d.value; bounds += d.bound
                    let len = bank.kernelLength
                    for (k, i) in idx.enumerated() {
                        for t in 0..<len {
                            let diff = abs(r.gradient![i * len + t] - d.gradient![k * len + t])
                            #expect(diff <= r.gradientBound![i] + d.gradientBound![k], "G=\(g) \(v) kernel \(i)")
                        }
                    }
                }
                #expect(abs(r.value - sum) <= r.bound + bounds, "G=\(g) \(v)")
            }
        }
        let bank = KernelBank(count: 3, channels: 1, kernelHeight: 1, kernelWidth: 2, values: [1, 2, 3, 4, 5, 6])
        #expect(throws: ConvSimError.self) { try ConvolutionalSimilarity.evaluate(bank, variant: .pairs, groups: 2) }
    }
}
