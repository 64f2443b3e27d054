import BigInt
import Foundation
import PropertyBased
import ConvSimTestSupport
import Testing
import ConvSimCertificates
import ConvSimCore
@testable import ConvSimSearch

@Suite struct SearchTests {

    /// Fraction-free re-orthogonalization always gives an exactly orthogonal integer pair.
    @Test func integerPairsAreExactlyOrthogonal() async {
        await propertyCheck(count: 200, input: Gen.int(in: 2...30), Gen.int(in: 0...6), Gen.int(in: 0...1_000_000)) { n, si, seed in
            var rng = SeededRandom(seed: UInt64(seed))
            let (a, b) = rng.orthonormalPair(n)
            guard let (ai, bi) = IntegerPairs.orthogonal(a, b, scale: PairShrinker.scales[si]) else { return }
            #expect(ExactArithmetic.dot(ai, bi) == 0)
            #expect(ai.allSatisfy { $0 == $0.rounded() } && bi.allSatisfy { $0 == $0.rounded() })
        }
    }

    /// T4 (Wielandt), checked exactly: no exactly orthogonal integer pair beats
    /// (λmax−λmin)/(λmax+λmin). The eigenvalues come from LAPACK `dsyevd`, whose
    /// computed eigenvalues satisfy |λ̂ − λ| ≤ p(n)·u·‖𝐆‖₂ (LAPACK Users' Guide §4.7;
    /// we take p(n) = n); the bound is evaluated at the ends of those intervals,
    /// rounded up to a fraction P/Q, and `Q²·G_ab² ≤ P²·G_aa·G_bb` is decided in integers.
    @Test func wielandtBoundHoldsExactly() async throws {
        await propertyCheck(count: 25, input: Gen.int(in: 1...3), Gen.int(in: 1...3), Gen.int(in: 0...3), Gen.int(in: 0...100_000)) { c, k, pi, seed in
            let padding = Padding.allCases[pi]
            let x = integerImage(c, 9, 11, seed: UInt64(seed))
            guard let st = try? PatchStatistics(name: "t", input: x, kernelSize: k, padding: padding), st.order >= 2 else { return }
            let lmax = st.eigenvalues.last!, lmin = st.eigenvalues.first!
            let delta = Double(st.order) * FloatingPointBounds.unitRoundoff * lmax
            let hi = lmax + delta, lo = max(lmin - delta, 0)
            let upper = (hi - lo) / (hi + lo)
            let q = BigInt(1_000_000), p = BigInt(Int((upper * 1_000_000).rounded(.up)) + 1)
            var rng = SeededRandom(seed: UInt64(seed) ^ 77)
            var pairs: [([Double], [Double])] = (0..<30).map { _ in rng.orthonormalPair(st.order) }
            if let adv = AdversarialStrategy.pair(st) { pairs.append(adv) }
            for (a, b) in pairs {
                guard let (ai, bi) = IntegerPairs.orthogonal(a, b, scale: 1000),
                      let e = IntegerPairs.exact(ai, bi, on: st), e.gaa > 0, e.gbb > 0 else { continue }
                #expect(e.dot == 0)
                #expect(q * q * e.gab * e.gab <= p * p * e.gaa * e.gbb,
                        "orthogonal pair beats the Wielandt bound \(upper): cos \(e.featureCosine)")
            }
        }
    }

    /// The T2 construction gives S ≡ 0 exactly, a positive paper CS, and an exactly
    /// zero feature-map inner product for full and circular padding on any input.
    @Test func symmetricConstructionIsOrthogonalForEveryInput() async {
        await propertyCheck(count: 40, input: Gen.int(in: 1...3), Gen.int(in: 1...3), Gen.int(in: 0...1_000_000)) { c, k, seed in
            var rng = SeededRandom(seed: UInt64(seed))
            let a0 = (0..<(c * k * k)).map { _ in rng.integer(in: -3...3) }
            guard a0.contains(where: { $0 != 0 }) else { return }
            let h = SymmetricStrategy.antisymmetric(&rng)
            let (a, b) = SymmetricStrategy.construct(a0: a0, h: h, channels: c, k: k)
            let e = SymmetricStrategy.exactMeasures(a, b, channels: c, n: k + 2)
            #expect(e.sym.isZero)
            #expect(e.dot.isZero)
            #expect(e.paper.sign > 0)
            let bank = KernelBank(count: 2, channels: c, kernelHeight: k + 2, kernelWidth: k + 2, values: a + b)
            let x = integerImage(c, 6 + k, 7, seed: UInt64(seed))
            for p in [Padding.full, .circular] {
                #expect(ExactInstance(kernels: bank, input: x, padding: p).gram(0, 1).isZero)
            }
        }
    }

    /// A random (non-T2) pair is generally not orthogonal for every input: the exact
    /// symmetric CS is positive — so the S ≡ 0 check above can fail.
    @Test func genericPairHasPositiveSymmetricCS() {
        let a: [Double] = [1, 2, 0, -1], b: [Double] = [0, 1, 1, 2]
        let e = ExactInstance(kernels: KernelBank(count: 2, channels: 1, kernelHeight: 2, kernelWidth: 2, values: a + b))
        #expect(e.symmetricCS(0, 1).sign > 0)
    }

    func context(strategies: [String], trials: Int) throws -> SearchContext {
        let x = integerImage(3, 24, 24, seed: 5)
        let cfg = SearchConfig(strategies: strategies, inputs: ["synthetic"], kernelSize: 3, padding: .same,
                               trials: trials, seed: 9, threshold: Rational(9, 10), bankSize: 3)
        return try SearchContext(config: cfg, inputs: [("synthetic", x)], command: "test")
    }

    /// Every strategy's certificate replays from the file contents alone, and a
    /// tampered certificate is rejected.
    @Test func certificatesReplayAndTamperingIsCaught() throws {
        let ctx = try context(strategies: Strategies.names, trials: 100)
        var run = try SearchRun(context: ctx, strategies: Strategies.all)
        try run.run()
        let checker = CertificateChecker(SearchClaimVerifiers.all)
        var count = 0
        for r in run.finish() {
            for f in r.findings {
                let cert = try #require(f.certificate)
                let back = try Certificate.decode(cert.encoded(), path: r.strategy)
                #expect(back == cert)
                let outcome = try checker.verify(back, path: r.strategy)
                #expect(outcome.holds, "\(r.strategy): \(outcome.checks.filter { !$0.passed })")
                count += 1
                // Tamper: make the claimed pair identical (the last kernel becomes a copy of the one before it);
                // every claim (orthogonal kernels, S ≡ 0, orthogonalized pair) must then fail.
                var bad = back
                let per = bad.kernels.kernelLength
                let last = bad.kernels.count - 1
                for t in 0..<per { bad.kernels.values[last * per + t] = bad.kernels.values[(last - 1) * per + t] }
                #expect(try !checker.verify(bad, path: "tampered").holds, "tampered \(r.strategy) certificate still holds")
            }
        }
        #expect(count >= 5)
    }

    /// Interrupting after any chunk and resuming from the checkpoint gives the
    /// same final state as an uninterrupted run (nothing lost or duplicated).
    @Test func resumeFromCheckpointIsLossless() throws {
        let ctx = try context(strategies: ["random", "channel", "symmetric"], trials: 120)
        let strategies = ctx.config.strategies.compactMap(Strategies.named)
        var full = try SearchRun(context: ctx, strategies: strategies)
        full.chunk = 50
        full.checkpointInterval = 0   // a checkpoint after every chunk, to resume from each
        var saved: [SearchCheckpoint] = []
        full.onCheckpoint = { saved.append($0) }
        try full.run()
        #expect(saved.count > 3)
        for cp in saved.dropLast() {
            // Round-trip through the file format as the CLI does.
            let restored = try CheckpointStore.read(blob: try CheckpointStore.blob(cp), path: "cp")
            #expect(restored == cp)
            var resumed = try SearchRun(context: ctx, strategies: strategies, resumeFrom: restored)
            resumed.chunk = 50
            try resumed.run()
            #expect(resumed.checkpoint == full.checkpoint)
        }
        // A checkpoint from other settings is refused.
        var other = ctx.config
        other.seed = 10
        let ctx2 = try SearchContext(config: other, inputs: ctx.inputs, command: "test")
        #expect(throws: ConvSimError.self) { try SearchRun(context: ctx2, strategies: strategies, resumeFrom: saved[0]) }
    }

    /// A damaged checkpoint is refused with a message, never trapped on and never used: any
    /// changed byte of the head or of the log breaks a hash; a resealed one with a damaged state
    /// (wrong vector length, a non-finite value, `done` out of range, an unknown vector, a
    /// missing strategy) is refused by the validation.
    @Test func damagedCheckpointsAreRefused() throws {
        let ctx = try context(strategies: Strategies.names, trials: 60)
        let strategies = Strategies.all
        var run = try SearchRun(context: ctx, strategies: strategies)
        try run.run()
        let good = run.checkpoint
        let bytes = try CheckpointStore.blob(good)
        #expect(try CheckpointStore.read(blob: bytes, path: "cp") == good)
        // Byte flips anywhere (head, separator, log): refused, never accepted.
        var rng = SeededRandom(seed: 5)
        var refused = 0
        for _ in 0..<300 {
            var b = [UInt8](bytes)
            let i = rng.integer(in: 0...(b.count - 1))
            b[i] = b[i] == UInt8(ascii: "7") ? UInt8(ascii: "3") : UInt8(ascii: "7")
            if (try? CheckpointStore.read(blob: Data(b), path: "cp")) == nil { refused += 1 }
        }
        #expect(refused == 300)
        // A log cut short, or one byte longer than the head covers (a killed run's tail: ignored).
        #expect(throws: ConvSimError.self) { try CheckpointStore.read(blob: bytes.dropLast(), path: "cp") }
        #expect(try CheckpointStore.read(blob: bytes + Data([1]), path: "cp") == good)
        // Resealed, semantically damaged states.
        func damaged(_ change: (inout [String: StrategyState]) -> Void) -> SearchCheckpoint {
            var c = good
            change(&c.states)
            return c
        }
        func edit(_ name: String, _ change: (inout StrategyData) -> Void) -> SearchCheckpoint {
            damaged { s in if var st = s[name] { change(&st.data); s[name] = st } }
        }
        let cases: [(String, SearchCheckpoint)] = [
            ("random best vector cut", edit("random") { d in
                if case .random(var r) = d, var rec = r.inputs["synthetic"], var b = rec.best { b.a.removeLast(); rec.best = b; r.inputs["synthetic"] = rec; d = .random(r) } }),
            ("random series one value short", edit("random") { d in
                if case .random(var r) = d, var rec = r.inputs["synthetic"] { rec.orthogonal = Series(rec.orthogonal.values.dropLast()); r.inputs["synthetic"] = rec; d = .random(r) } }),
            ("random record for an unknown input", edit("random") { d in
                if case .random(var r) = d { r.inputs["elsewhere"] = r.inputs["synthetic"]; d = .random(r) } }),
            ("paper-4.1 bank cut", edit("paper-4.1") { d in
                if case .paper41(var p) = d { p.mostSimilar = Paper41State.Run(score: 1, kernels: [1, 2, 3], input: []); d = .paper41(p) } }),
            ("paper-4.1 curve missing", edit("paper-4.1") { d in
                if case .paper41(var p) = d { p.curves.removeLast(); d = .paper41(p) } }),
            ("channel index out of range", edit("channel") { d in
                if case .channel(var c) = d, var rec = c.inputs["synthetic"], var b = rec.best { b.channel1 = 7; rec.best = b; c.inputs["synthetic"] = rec; d = .channel(c) } }),
            ("channel indices equal", edit("channel") { d in
                if case .channel(var c) = d, var rec = c.inputs["synthetic"], var b = rec.best { b.channel2 = b.channel1; rec.best = b; c.inputs["synthetic"] = rec; d = .channel(c) } }),
            ("NaN best", edit("channel") { d in
                if case .channel(var c) = d, var rec = c.inputs["synthetic"], var b = rec.best { b.cosine = .nan; rec.best = b; c.inputs["synthetic"] = rec; d = .channel(c) } }),
            ("infinite series value", edit("random") { d in
                if case .random(var r) = d, var rec = r.inputs["synthetic"] { var v = rec.orthogonal.values; v[0] = .infinity; rec.orthogonal = Series(v); r.inputs["synthetic"] = rec; d = .random(r) } }),
            ("symmetric zero count too large", edit("symmetric") { d in
                if case .symmetric(var y) = d { y.symmetricPartZero = y.paperCSNormalized.count + 1; d = .symmetric(y) } }),
            ("gradient bank cut", edit("gradient") { d in
                if case .gradient(var g) = d, var rec = g.inputs["synthetic"], var b = rec.best { b.kernels.removeLast(); rec.best = b; g.inputs["synthetic"] = rec; d = .gradient(g) } }),
            ("another strategy's state", edit("adversarial") { d in d = .symmetric(SymmetricState()) }),
            ("done negative", damaged { s in s["gradient"]?.done = -1 }),
            ("done too large", damaged { s in s["symmetric"]?.done = 1_000_000 }),
            ("missing strategy", damaged { s in s["channel"] = nil }),
        ]
        for (label, cp) in cases { #expect(cp != good, "\(label): the damage did not apply") }
        for (label, cp) in cases {
            // Through the file format where it can carry the damage (JSON cannot carry NaN or ∞).
            let back = (try? CheckpointStore.blob(cp)).flatMap { try? CheckpointStore.read(blob: $0, path: "cp") } ?? cp
            #expect(throws: ConvSimError.self, "\(label)") { try SearchRun(context: ctx, strategies: strategies, resumeFrom: back) }
        }
    }

    /// Saving costs what was added: the second save of a grown checkpoint appends only the new
    /// values, and reading head and log back gives the grown checkpoint.
    @Test func checkpointLogIsAppendOnly() throws {
        let ctx = try context(strategies: ["random"], trials: 400)
        var run = try SearchRun(context: ctx, strategies: [RandomStrategy()])
        run.chunk = 200
        run.checkpointInterval = 0
        var store = CheckpointStore()
        var log = Data(), sizes: [Int] = []
        var head = Data()
        run.onCheckpoint = { cp in
            let (offset, append, h) = try store.save(cp)
            #expect(offset == log.count)
            log += append; head = h; sizes.append(append.count)
        }
        try run.run()
        #expect(sizes.count == 2)
        // Three series (orthogonal, Gaussian, Gaussian kernel cosines), 8 bytes a value: the
        // second save appends 200·3·8 bytes and three record headers (path and count, under
        // 100 bytes each), not the whole state.
        #expect(sizes[1] >= 200 * 3 * 8 && sizes[1] < 200 * 3 * 8 + 300)
        let (back, _) = try CheckpointStore.read(head: head, log: log, path: "cp")
        #expect(back == run.checkpoint)
    }

    /// `--resume` with a larger `--trials` extends a finished run to exactly what one run of the
    /// larger count gives; a smaller count is refused.
    @Test func extendingAFinishedRunEqualsOneRun() throws {
        let names = ["random", "gradient", "channel", "symmetric", "paper-4.1"]
        let short = try context(strategies: names, trials: 130)
        let long = try context(strategies: names, trials: 310)
        var first = try SearchRun(context: short, strategies: names.compactMap(Strategies.named))
        first.chunk = 50
        try first.run()
        let saved = try CheckpointStore.read(blob: try CheckpointStore.blob(first.checkpoint), path: "cp")
        var extended = try SearchRun(context: long, strategies: names.compactMap(Strategies.named), resumeFrom: saved)
        extended.chunk = 70
        try extended.run()
        var once = try SearchRun(context: long, strategies: names.compactMap(Strategies.named))
        try once.run()
        #expect(extended.checkpoint == once.checkpoint)
        #expect(throws: ConvSimError.self) {
            try SearchRun(context: short, strategies: names.compactMap(Strategies.named), resumeFrom: once.checkpoint)
        }
    }

    /// The results are a pure function of the configuration: same seed, same typed results.
    @Test func resultsAreDeterministic() throws {
        func results(seed: UInt64) throws -> [StrategyResult] {
            var ctx = try context(strategies: ["adversarial", "random", "symmetric"], trials: 60)
            var cfg = ctx.config; cfg.seed = seed
            ctx = try SearchContext(config: cfg, inputs: ctx.inputs, command: "test")
            var run = try SearchRun(context: ctx, strategies: ctx.config.strategies.compactMap(Strategies.named))
            try run.run()
            return run.finish()
        }
        let a = try results(seed: 9)
        #expect(try a == results(seed: 9))
        #expect(try a != results(seed: 10))
        #expect(a.map(\.strategy) == ["adversarial", "random", "symmetric"])
    }

    /// What each strategy measured, checked on the typed results against the statistics they
    /// come from: one record per input, series of one value per unit, counts over the threshold,
    /// the T4 bound attained by the Wielandt pair.
    @Test func typedResultsHoldWhatWasMeasured() throws {
        let ctx = try context(strategies: Strategies.names, trials: 120)
        var run = try SearchRun(context: ctx, strategies: Strategies.all)
        try run.run()
        let results = run.finish()
        #expect(results.map(\.strategy) == Strategies.names)
        let st = ctx.stats[0]
        for r in results {
            switch r.measured {
            case .adversarial(let m):
                #expect(m.inputs.count == 1)
                let x = try #require(m.inputs.first)
                #expect(x.name == "synthetic" && x.channels == 3 && x.eigenvalues == st.eigenvalues)
                #expect(abs(x.bound - st.wielandtBound) < 1e-12)
                #expect(abs(x.attainedCosine - x.bound) < 1e-9)
                #expect(x.exactPairFound == !r.findings.isEmpty)
            case .random(let m):
                let x = try #require(m.inputs.first)
                #expect(x.orthogonal.count == 120 && x.gaussian.count == 120 && x.gaussianKernel.count == 120)
                #expect(x.atLeastThreshold == x.orthogonal.filter { $0 >= 0.9 }.count)
                #expect(x.orthogonal.allSatisfy { $0 <= st.wielandtBound + 1e-9 })
            case .gradient(let m):
                #expect(m.bankSize == 3 && m.starts == 1 && m.steps == GradientStrategy.steps)
                let x = try #require(m.inputs.first)
                #expect(x.finalMeanCosine.count == 1 && x.curves.count == 1 && x.curves[0].count == GradientStrategy.steps + 1)
                #expect(x.bestMeanCosine == x.finalMeanCosine.max())
            case .paper41(let m):
                #expect(m.runs == 120)
                for s in [m.kernelBefore, m.kernelAfter, m.featureBefore, m.featureAfter, m.featureChange] { #expect(s.count == 120) }
                #expect(m.rose == zip(m.featureBefore, m.featureAfter).filter { abs($1) > abs($0) }.count)
                #expect(m.kernelAfter.allSatisfy { abs($0) < 1e-6 })
            case .channel(let m):
                let x = try #require(m.inputs.first)
                #expect(x.cosines.count <= 120 && x.cosines.count > 100)
                #expect(x.atLeastThreshold == x.cosines.filter { $0 >= 0.9 }.count)
            case .symmetric(let m):
                #expect(m.paperCSNormalized.count <= 120 && m.symmetricPartZero == m.paperCSNormalized.count)
                let best = try #require(m.best)
                #expect(best.normalizedPaperCS == m.paperCSNormalized.max())
                #expect(best.paddings.map(\.padding) == Padding.allCases)
                // T2: full and circular padding make the pair's feature maps orthogonal on every input.
                for p in best.paddings where p.padding == .full || p.padding == .circular { #expect(abs(p.cosine) < 1e-9) }
            }
        }
    }

    /// Shrinking reaches the simplest instance: for the adversarial pair on an RGB
    /// image, a 1×1 kernel (3 channels) already refutes the claim.
    @Test func adversarialShrinksToSmallKernel() throws {
        let x = integerImage(3, 32, 32, seed: 3)
        let r = try #require(PairShrinker.shrink(input: x, name: "s", padding: .same, kernelSizes: [1, 2, 3],
                                             construct: AdversarialStrategy.pair,
                                             holds: { $0.dot == 0 && $0.cosineAtLeast(Rational(9, 10)) }))
        #expect(r.stats.kernelSize == 1)
        #expect(r.exact.dot == 0)
        #expect(r.exact.cosineAtLeast(Rational(9, 10)))
    }
}
