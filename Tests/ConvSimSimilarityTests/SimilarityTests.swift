import ConvSimTestSupport
import Testing
import PropertyBased
import ConvSimCore
import ConvSimCorrelation
@testable import ConvSimSimilarity

/// Random data for the tests, reproducible from a seed.

@Suite struct FastVersusDirectTests {

    /// fast == direct within the sum of the two certified bounds, for the value and
    /// every gradient entry; random M, C, kh, kw (odd and even, 1-D when kh = 1).
    @Test func fastEqualsDirectWithinCertifiedBound() async {
        await propertyCheck(count: 120,
                            input: Gen.int(in: 1...6), Gen.int(in: 1...4), Gen.int(in: 1...5), Gen.int(in: 1...5),
                            Gen.int(in: 0...2), Gen.int(in: 0...1_000_000)) { m, c, kh, kw, vIndex, seed in
            let variant = CSVariant.allCases[vIndex]
            let bank = Fixtures.gaussianBank(m, c, kh, kw, seed: seed)
            let fast = try FastSimilarity(shapeOf: bank).evaluate(bank, variant: variant, gradient: true)
            let direct = DirectSimilarity.evaluate(bank, variant: variant, gradient: true)
            let diff = abs(fast.value - direct.value)
            #expect(diff <= fast.bound + direct.bound,
                    "\(variant) M\(m) C\(c) \(kh)×\(kw): fast \(fast.value) direct \(direct.value) diff \(diff) > \(fast.bound) + \(direct.bound)")
            // Not vacuous: far below the value's scale.
            #expect(fast.bound <= 1e-10 * (direct.value + 1))
            let len = bank.kernelLength
            for t in 0..<bank.values.count {
                let i = t / len
                let d = abs(fast.gradient![t] - direct.gradient![t])
                let b = fast.gradientBound![i] + direct.gradientBound![i]
                #expect(d <= b, "\(variant) grad[\(t)] fast \(fast.gradient![t]) direct \(direct.gradient![t]) diff \(d) > \(b)")
            }
        }
    }

    /// Both branches of the symmetric algorithm (A = Σ k kᵀ when C ≤ M, Z = K Kᴴ when M < C) agree with direct.
    @Test func symmetricBothBranches() throws {
        for (m, c) in [(2, 5), (5, 2), (3, 3), (1, 4), (6, 1)] {
            let bank = Fixtures.gaussianBank(m, c, 3, 2, seed: 7 * m + c)
            let f = try FastSimilarity(shapeOf: bank).evaluate(bank, variant: .symmetric, gradient: true)
            let d = DirectSimilarity.evaluate(bank, variant: .symmetric, gradient: true)
            #expect(abs(f.value - d.value) <= f.bound + d.bound)
            for t in 0..<bank.values.count {
                #expect(abs(f.gradient![t] - d.gradient![t]) <= f.gradientBound![t / bank.kernelLength] + d.gradientBound![t / bank.kernelLength])
            }
        }
    }

    /// Integer kernels: the direct value and gradient are computed exactly (all
    /// intermediate values are integers or quarters far below 2⁵³), and the fast value
    /// rounds to it when its certified bound is below 1/8.
    @Test func integerKernelsExactDirect() async {
        await propertyCheck(count: 40, input: Gen.int(in: 2...5), Gen.int(in: 1...3), Gen.int(in: 1...4),
                            Gen.int(in: 1...4), Gen.int(in: 0...2), Gen.int(in: 0...1_000_000)) { m, c, kh, kw, vi, seed in
            let v = CSVariant.allCases[vi]
            let bank = Fixtures.integerBank(m, c, kh, kw, seed: seed)
            let d = DirectSimilarity.evaluate(bank, variant: v, gradient: true)
            #expect(d.value * 4 == (d.value * 4).rounded())
            let f = try FastSimilarity(shapeOf: bank).evaluate(bank, variant: v)
            #expect(f.bound < 0.125)
            #expect((f.value * 4).rounded() == d.value * 4)
        }
    }
}

@Suite struct GradientFiniteDifferenceTests {

    /// CS is a polynomial of degree 4 in every entry, so along a coordinate
    /// `f(x+t) = f + t f' + t²/2 f'' + t³/6 f''' + t⁴/24 f''''` exactly and the
    /// five-point stencil `[8(f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))]/(12h)` equals
    /// `f'` exactly (the `h²/6·f'''` error of the central difference cancels, and
    /// there is no higher odd term). With integer kernels and `h = 1` the direct
    /// values are exact, so the stencil is exact up to its final division (≤ u·|fd|).
    @Test func gradientEqualsExactFiniteDifferenceOnIntegers() async {
        await propertyCheck(count: 30, input: Gen.int(in: 2...4), Gen.int(in: 1...3), Gen.int(in: 1...3),
                            Gen.int(in: 1...3), Gen.int(in: 0...2), Gen.int(in: 0...1_000_000)) { m, c, kh, kw, vi, seed in
            let v = CSVariant.allCases[vi]
            let bank = Fixtures.integerBank(m, c, kh, kw, seed: seed)
            let d = DirectSimilarity.compute(bank, variant: v, gradient: true)
            let f = try FastSimilarity(shapeOf: bank).evaluate(bank, variant: v, gradient: true)
            for t in 0..<bank.values.count {
                func val(_ h: Double) -> Double {
                    var b = bank; b.values[t] += h
                    return DirectSimilarity.compute(b, variant: v, gradient: false).value
                }
                let num = 8 * (val(1) - val(-1)) - (val(2) - val(-2))
                let fd = num / 12
                #expect(abs(fd - d.gradient![t]) <= FloatingPointBounds.unitRoundoff * abs(fd))
                #expect(abs(fd - f.gradient![t]) <= f.gradientBound![t / bank.kernelLength] + FloatingPointBounds.unitRoundoff * abs(fd))
            }
        }
    }

    /// Real-valued (dyadic) kernels, `h = 1/16` so `x ± h, x ± 2h` are exact: the
    /// stencil is still exact in exact arithmetic; its floating-point error is at
    /// most `(8(b₊+b₋) + b₊₊ + b₋₋)/(12h)` from the certified bounds `b` of the four
    /// direct values, plus the rounding of the stencil itself (`γ₄·(8|Δ₁| + |Δ₂|)/(12h)`, then `u`).
    @Test func gradientEqualsFiniteDifferenceWithinBound() async {
        await propertyCheck(count: 25, input: Gen.int(in: 2...4), Gen.int(in: 1...3), Gen.int(in: 1...4),
                            Gen.int(in: 1...4), Gen.int(in: 0...2), Gen.int(in: 0...1_000_000)) { m, c, kh, kw, vi, seed in
            let v = CSVariant.allCases[vi]
            let bank = Fixtures.dyadicBank(m, c, kh, kw, seed: seed)
            let h = 1.0 / 16
            let f = try FastSimilarity(shapeOf: bank).evaluate(bank, variant: v, gradient: true)
            let u = FloatingPointBounds.unitRoundoff
            for t in Swift.stride(from: 0, to: bank.values.count, by: max(1, bank.values.count / 12)) {
                func val(_ s: Double) -> CSResult {
                    var b = bank; b.values[t] += s * h
                    return DirectSimilarity.evaluate(b, variant: v)
                }
                let p1 = val(1), m1 = val(-1), p2 = val(2), m2 = val(-2)
                let d1 = p1.value - m1.value, d2 = p2.value - m2.value
                let fd = (8 * d1 - d2) / (12 * h)
                let evalErr = (8 * (p1.bound + m1.bound) + p2.bound + m2.bound) / (12 * h)
                let stencilErr = FloatingPointBounds.gamma(4) * (8 * abs(d1) + abs(d2)) / (12 * h) + u * abs(fd)
                let b = FloatingPointBounds.inflate(evalErr + stencilErr, operations: 8) + f.gradientBound![t / bank.kernelLength]
                #expect(abs(fd - f.gradient![t]) <= b, "\(v) entry \(t): fd \(fd) grad \(f.gradient![t]) bound \(b)")
            }
        }
    }
}

@Suite struct PinnedValueTests {
    static let box = [[1.0, 1, 1], [1, 1, 1], [1, 1, 1]]
    static let gaussian = [[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]
    static let sobel = [[1.0, 0, -1], [2, 0, -2], [1, 0, -1]]

    /// T5: 3×3 box on R only vs the same box on G only. Same-channel CS ignores the
    /// pair (pairs = adjacent = 0 exactly) though the feature maps are similar; the
    /// symmetric CS is `2·¼‖b⋆b‖² = ½·19² = 180.5` (`b⋆b` = outer product of
    /// `[1,2,3,2,1]`, squared norm `19²`), and `361/13122 ≈ 0.027511` for the
    /// normalized `1/9` box (the 0.0275 of Documentation/Theory.md#t5).
    @Test func t5BoxOnDifferentChannels() throws {
        let bank = Fixtures.pair(Self.box, on: 0, Self.box, on: 1, channels: 3)
        for (v, expected) in [(CSVariant.pairs, 0.0), (.adjacent, 0), (.symmetric, 180.5)] {
            let d = DirectSimilarity.evaluate(bank, variant: v)
            #expect(d.value == expected)
            let f = try FastSimilarity(shapeOf: bank).evaluate(bank, variant: v)
            #expect(abs(f.value - expected) <= f.bound)
        }
        var ninth = bank
        ninth.values = bank.values.map { $0 / 9 }
        let d = DirectSimilarity.evaluate(ninth, variant: .symmetric)
        // 361/13122 is not a binary64 number: its rounding adds at most u·(361/13122).
        #expect(abs(d.value - 361.0 / 13122) <= d.bound + FloatingPointBounds.unitRoundoff * (361.0 / 13122))
        #expect(abs(d.value - 0.0275) < 5e-5)
    }

    /// T2: Gaussian vs Sobel (centrally symmetric vs antisymmetric): symmetric CS = 0
    /// exactly; pairs = adjacent = ‖[1,4,6,4,1]‖²·‖[1,2,0,−2,−1]‖² = 70·10 = 700.
    @Test func t2GaussianVersusSobel() throws {
        let bank = Fixtures.pair(Self.gaussian, on: 0, Self.sobel, on: 0, channels: 1)
        for (v, expected) in [(CSVariant.pairs, 700.0), (.adjacent, 700), (.symmetric, 0)] {
            let d = DirectSimilarity.evaluate(bank, variant: v, gradient: true)
            #expect(d.value == expected)
            let f = try FastSimilarity(shapeOf: bank).evaluate(bank, variant: v)
            #expect(abs(f.value - expected) <= f.bound)
        }
        // With three channels (kernel on channel 0 only) nothing changes.
        let b3 = Fixtures.pair(Self.gaussian, on: 0, Self.sobel, on: 0, channels: 3)
        #expect(DirectSimilarity.evaluate(b3, variant: .symmetric).value == 0)
        #expect(DirectSimilarity.evaluate(b3, variant: .pairs).value == 700)
    }

    /// 1-D Haar-like triple (1,1), (1,−1), (1,1): T01 = (1,0,−1), T02 = (1,2,1),
    /// T12 = (−1,0,1): pairs = 2+6+2 = 10, adjacent = 2+2 = 4, symmetric = 6 (only the
    /// symmetric T02 survives symmetrization).
    @Test func haarTriple() throws {
        let bank = KernelBank(oneDimensional: [[[1, 1]], [[1, -1]], [[1, 1]]])
        for (v, expected) in [(CSVariant.pairs, 10.0), (.adjacent, 4), (.symmetric, 6)] {
            #expect(DirectSimilarity.evaluate(bank, variant: v).value == expected)
            let f = try FastSimilarity(shapeOf: bank).evaluate(bank, variant: v)
            #expect(abs(f.value - expected) <= f.bound)
        }
    }

    /// One channel: `‖S_ij‖² ≤ ‖T_ij‖²`, so symmetric ≤ pairs (T5's remark).
    @Test func symmetricBelowPairsForOneChannel() async {
        await propertyCheck(count: 30, input: Gen.int(in: 2...5), Gen.int(in: 1...4), Gen.int(in: 0...100_000)) { m, k, seed in
            let bank = Fixtures.gaussianBank(m, 1, k, k, seed: seed)
            let s = DirectSimilarity.evaluate(bank, variant: .symmetric), p = DirectSimilarity.evaluate(bank, variant: .pairs)
            #expect(s.value <= p.value + s.bound + p.bound)
        }
    }

    @Test func normalizeRejectsZeroKernels() throws {
        var bank = Fixtures.gaussianBank(4, 2, 3, 3, seed: 3)
        for t in 0..<18 { bank.values[18 + t] = 0 }     // kernel 1
        for t in 0..<18 { bank.values[54 + t] = 0 }     // kernel 3
        #expect(throws: ConvSimError.zeroKernels(indices: [1, 3])) {
            _ = try ConvolutionalSimilarity.evaluate(bank, variant: .pairs, normalize: true)
        }
        var bad = bank
        bad.values[0] = .nan
        #expect(throws: ConvSimError.self) { _ = try ConvolutionalSimilarity.evaluate(bad, variant: .pairs) }
    }

    @Test func normalizeGivesUnitKernelsAndScaleInvariance() throws {
        let bank = Fixtures.gaussianBank(3, 2, 3, 3, seed: 11)
        let n = try Normalization.unitNorm(bank)
        for i in 0..<3 { #expect(abs(n.norm(i) - 1) <= FloatingPointBounds.gamma(2 * bank.kernelLength + 8)) }
        var scaled = bank
        scaled.values = bank.values.map { $0 * 8 }    // exact scaling
        let a = try ConvolutionalSimilarity.evaluate(bank, variant: .symmetric, normalize: true)
        let b = try ConvolutionalSimilarity.evaluate(scaled, variant: .symmetric, normalize: true)
        #expect(a.value == b.value)
    }
}

@Suite struct OptimizerTests {
    let u = FloatingPointBounds.unitRoundoff

    @Test func sgdOneStep() throws {
        var o = Optimizer(kind: .sgd, learningRate: 0.5)
        var p = [1.0, -2.0]
        o.apply(&p, gradient: [0.25, -1])
        #expect(p == [0.875, -1.5])          // exact: 1 − 0.125, −2 + 0.5
    }

    @Test func momentumTwoSteps() throws {
        var o = Optimizer(kind: .momentum, learningRate: 0.5)
        var p = [1.0]
        o.apply(&p, gradient: [1])           // buffer = 1, p = 0.5
        #expect(p == [0.5])
        o.apply(&p, gradient: [1])           // buffer = 0.9 + 1 = 1.9, p = 0.5 − 0.95 = −0.45
        #expect(abs(p[0] - (-0.45)) <= 4 * u)
    }

    /// Adam's first step from zero state: m̂ = g, v̂ = g², so p ← p − lr·g/(|g| + ε).
    @Test func adamOneStep() throws {
        var o = Optimizer(kind: .adam, learningRate: 0.002)
        var p = [1.0, 0.0, -3.0]
        let g = [0.5, -4.0, 1e-9]
        o.apply(&p, gradient: g)
        let expected = [1 - 0.002 * 0.5 / (0.5 + 1e-8), 0 + 0.002 * 4 / (4 + 1e-8), -3 - 0.002 * 1e-9 / (1e-9 + 1e-8)]
        for t in 0..<3 { #expect(abs(p[t] - expected[t]) <= FloatingPointBounds.gamma(16) * (abs(expected[t]) + 0.002)) }
        // Second step, hand-computed: m = 0.9·0.05 + 0.1·0.5 = 0.095, v = 0.999·0.00025 + 0.001·0.25 = 0.00049975,
        // m̂ = 0.095/0.19 = 0.5, v̂ = 0.00049975/0.001999 = 0.25 → the same step again.
        var q = [1.0]
        var o2 = Optimizer(kind: .adam, learningRate: 0.002)
        o2.apply(&q, gradient: [0.5]); o2.apply(&q, gradient: [0.5])
        #expect(abs(q[0] - (1 - 2 * 0.002 * 0.5 / (0.5 + 1e-8))) <= FloatingPointBounds.gamma(32))
    }
}

@Suite struct MinimizeTests {
    @Test func adamDecreasesTheLoss() throws {
        for v in CSVariant.allCases {
            let bank = Fixtures.gaussianBank(4, 2, 3, 3, seed: 5)
            let r = try Minimizer.minimize(bank, variant: v, optimizer: .adam, learningRate: 0.01, steps: 60)
            #expect(!r.stoppedNonFinite)
            #expect(r.losses.count == 61)
            #expect(r.losses.last! < 0.9 * r.losses.first!)
        }
        let bank = Fixtures.gaussianBank(3, 1, 3, 3, seed: 9)
        for o in [OptimizerKind.sgd, .momentum] {
            let r = try Minimizer.minimize(bank, variant: .pairs, optimizer: o, learningRate: 1e-3, steps: 30)
            #expect(r.losses.last! < r.losses.first!)
        }
    }

    /// A huge learning rate blows the quartic up: the run stops, keeps the last bank
    /// whose loss was finite, and says so.
    @Test("a bank whose quartic loss overflows from the start is refused with a message, not a trap")
    func overflowingInitialBankIsRefused() {
        let bank = KernelBank(count: 2, channels: 1, kernelHeight: 2, kernelWidth: 2, values: [1e200, 0, 0, 1e200, 1e200, 1e200, 0, 0])
        #expect(throws: ConvSimError.self) { try Minimizer.minimize(bank, variant: .pairs, steps: 3) }
    }

    @Test func nonFiniteLossStopsAndKeepsLastFiniteBank() throws {
        let bank = Fixtures.gaussianBank(4, 2, 3, 3, seed: 5)
        let r = try Minimizer.minimize(bank, variant: .pairs, optimizer: .sgd, learningRate: 1e6, steps: 50)
        #expect(r.stoppedNonFinite)
        #expect(r.message != nil)
        #expect(r.bank.values.allSatisfy { $0.isFinite })
        #expect(r.losses.allSatisfy { $0.isFinite })
        #expect(r.stepsTaken < 50)
        let check = try FastSimilarity(shapeOf: r.bank).evaluate(r.bank, variant: .pairs)
        #expect(check.value == r.losses.last!)
    }
}

@Suite struct InitializationTests {
    /// z_init: every output K[i,c] has unit norm (|‖v‖ − 1| ≤ γ_{2kk+4}); kernel 0 is
    /// only normalized; after the last projection, kernel i ⟂ the last shift of kernel i−1's channel.
    @Test func shiftGramSchmidtUnitNorms() async {
        await propertyCheck(count: 30, input: Gen.int(in: 1...5), Gen.int(in: 1...3), Gen.int(in: 2...4),
                            Gen.int(in: 0...100_000)) { m, c, k, seed in
            let bank = Fixtures.gaussianBank(m, c, k, k, seed: seed)
            let z = try! ShiftGramSchmidt.apply(bank)
            let kk = k * k
            for i in 0..<m { for ch in 0..<c {
                let v = Array(z.values[((i * c + ch) * kk)..<((i * c + ch + 1) * kk)])
                let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                #expect(abs(n - 1) <= FloatingPointBounds.gamma(2 * kk + 4))
            } }
            // kernel 0 is the normalized input
            for ch in 0..<c {
                let v0 = Array(bank.values[(ch * kk)..<((ch + 1) * kk)])
                let n0 = v0.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for t in 0..<kk { #expect(abs(z.values[ch * kk + t] - v0[t] / n0) <= FloatingPointBounds.gamma(kk + 4)) }
            }
        }
    }

    /// 1×1 kernels: the single shift of kernel 0 spans everything, so kernel 1 becomes
    /// exactly zero and cannot be normalized — a clear error, not NaN.
    @Test func shiftGramSchmidtOneByOneFails() throws {
        let bank = Fixtures.gaussianBank(2, 1, 1, 1, seed: 1)
        #expect(throws: ConvSimError.self) { _ = try ShiftGramSchmidt.apply(bank) }
    }

    @Test func rollConvention() throws {
        #expect(ShiftGramSchmidt.roll([1, 2, 3, 4], 1) == [4, 1, 2, 3])
        #expect(ShiftGramSchmidt.roll([1, 2, 3, 4], -1) == [2, 3, 4, 1])
    }

    /// T6: K = Q 𝐆^{−1/2} gives feature maps orthogonal on the data: every computed
    /// off-diagonal Gram entry is within CorrelationGram's certified bound of zero
    /// (so the exact Gram of the returned bank satisfies |G_ij| ≤ 2·bound_ij).
    @Test func dataOrthogonalFeatureMapsAreOrthogonal() async throws {
        await propertyCheck(count: 12, input: Gen.int(in: 1...3), Gen.int(in: 2...3), Gen.int(in: 0...3), Gen.int(in: 0...10_000)) { c, k, pIndex, seed in
            var rng = SeededRandom(seed: UInt64(seed))
            let padding = Padding.allCases[pIndex]
            let inputs = (0..<2).map { _ in Signal(channels: c, height: 12, width: 13, values: (0..<(c * 156)).map { _ in rng.gaussian() }) }
            let m = min(c * k * k, 6)
            let bank = Fixtures.gaussianBank(m, c, k, k, seed: seed + 1)
            let acc = PatchGramAccumulator(channels: c, kernelHeight: k, kernelWidth: k, padding: padding)
            for x in inputs { try! acc.add(x) }
            let pg = acc.result()
            let before = CorrelationGram.gram(kernels: bank, patchGram: pg)
            let ortho = try! DataOrthogonalInit.apply(bank, patchGram: pg)
            let g = CorrelationGram.gram(kernels: ortho, patchGram: pg)
            for i in 0..<m {
                // Rescaling v·(‖b‖/‖v‖) and the two norms: each a dot product of length n plus a few roundings.
                #expect(abs(ortho.norm(i) - bank.norm(i)) <= FloatingPointBounds.gamma(4 * bank.kernelLength + 8) * bank.norm(i))
                for j in 0..<m where i != j {
                    #expect(abs(g.gram[i, j]) <= g.bound[i, j], "G[\(i)][\(j)] = \(g.gram[i, j]) > bound \(g.bound[i, j])")
                }
            }
            let stats = FeatureCosineStatistics(gram: g)
            #expect(m < 2 || stats.maxAbs < FeatureCosineStatistics(gram: before).maxAbs)
        }
    }

    @Test func dataOrthogonalRejectsTooManyKernels() throws {
        let bank = Fixtures.gaussianBank(10, 1, 3, 3, seed: 1)
        let acc = PatchGramAccumulator(channels: 1, kernelHeight: 3, kernelWidth: 3, padding: .same)
        try! acc.add(Signal(channels: 1, height: 8, width: 8, values: (0..<64).map { Double($0 % 7) }))
        #expect(throws: ConvSimError.self) { _ = try DataOrthogonalInit.apply(bank, patchGram: acc.result()) }
    }
}
