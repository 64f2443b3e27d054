import ConvSimTestSupport
import Foundation
import Testing
import PropertyBased
import ConvSimCore
@testable import ConvSimSimilarity

/// The gradient handed to a `GradientSink` while it is computed, and the gradient written over
/// the bank's own storage (`ConvolutionalSimilarity.evaluateGradient(reusing:)`): the same bytes
/// as `evaluate(…, gradient: true)`, for every variant, shape, chunking and thread count.
@Suite struct GradientStreamingTests {
    /// Collects the pieces a sink receives, in order.
    final class Collector: GradientSink, @unchecked Sendable {
        var values: [Double] = []
        var pieces = 0
        func write(_ piece: UnsafeBufferPointer<Double>) throws {
            values.append(contentsOf: piece)
            pieces += 1
        }
    }

    /// Fails on its `failOn`-th piece (1-based).
    final class FailingSink: GradientSink, @unchecked Sendable {
        struct Refused: Error {}
        let failOn: Int
        var calls = 0
        init(failOn: Int) { self.failOn = failOn }
        func write(_ piece: UnsafeBufferPointer<Double>) throws {
            calls += 1
            if calls == failOn { throw Refused() }
        }
    }

    static func bits(_ a: [Double]) -> [UInt64] { a.map(\.bitPattern) }

    /// Through the library entry points: streamed pieces, the reused storage, kernels computed on
    /// where the caller holds them (`evaluateGradient(inPlace:)`, a mapped file in the CLI: no
    /// gradient kept) and the plain evaluation agree bit for bit (value, bound, gradient and its
    /// bounds), for every variant, with groups, normalization and 1 or 2 threads; the pieces
    /// cover the gradient exactly once, in order.
    @Test func streamedAndReusedEqualPlain() async {
        await propertyCheck(count: 60, input: Gen.int(in: 1...24), Gen.int(in: 1...200), Gen.int(in: 1...4), Gen.int(in: 1...4),
                            Gen.int(in: 0...2), Gen.int(in: 0...7), Gen.int(in: 0...1_000_000)) { m, c, kh, kw, vi, flags, seed in
            let variant = [CSVariant.pairs, .adjacent, .symmetric][vi]
            let normalize = flags & 1 == 1, threads = flags & 2 == 0 ? 1 : 2
            let groups = flags & 4 == 4 && m % 2 == 0 ? 2 : 1
            let bank = Fixtures.gaussianBank(m, c, kh, kw, seed: seed)
            try Parallel.withThreads(threads) {
                let plain = try ConvolutionalSimilarity.evaluate(bank, variant: variant, groups: groups, normalize: normalize, gradient: true)
                let sink = Collector()
                let streamed = try ConvolutionalSimilarity.evaluate(bank, variant: variant, groups: groups, normalize: normalize,
                                                                    gradientTo: sink)
                let inPlaceSink = Collector()
                let inPlace = try bank.values.withUnsafeBufferPointer {
                    try ConvolutionalSimilarity.evaluateGradient(inPlace: $0, count: m, channels: c, kernelHeight: kh, kernelWidth: kw,
                                                                 variant: variant, groups: groups, normalize: normalize,
                                                                 describedAs: "the test bank", gradientTo: inPlaceSink)
                }
                let kept = bank.values   // the caller keeps the bank: reuse must copy it, not overwrite it
                let reused = try ConvolutionalSimilarity.evaluateGradient(reusing: bank, variant: variant, groups: groups,
                                                                          normalize: normalize)
                let what = "\(variant) M\(m) C\(c) \(kh)×\(kw) groups \(groups) normalize \(normalize) threads \(threads)"
                for r in [streamed, reused] {
                    #expect(r.value.bitPattern == plain.value.bitPattern, "\(what)")
                    #expect(r.bound.bitPattern == plain.bound.bitPattern, "\(what)")
                    #expect(Self.bits(r.gradient ?? []) == Self.bits(plain.gradient ?? [1]), "\(what)")
                    #expect((r.gradientBound ?? []).map(\.bitPattern) == (plain.gradientBound ?? [1]).map(\.bitPattern), "\(what)")
                }
                #expect(Self.bits(sink.values) == Self.bits(plain.gradient ?? [1]), "\(what): the pieces")
                #expect(inPlace.value.bitPattern == plain.value.bitPattern && inPlace.bound.bitPattern == plain.bound.bitPattern, "\(what): in place")
                #expect((inPlace.gradientBound ?? []).map(\.bitPattern) == (plain.gradientBound ?? [1]).map(\.bitPattern), "\(what): in place")
                #expect(Self.bits(inPlaceSink.values) == Self.bits(plain.gradient ?? [1]) && inPlace.gradient == nil, "\(what): in place, the pieces")
                #expect(sink.pieces >= 1)
                #expect(Self.bits(kept) == Self.bits(bank.values), "\(what): the caller's bank")
            }
        }
    }

    /// The lag-domain form in many chunks (down to one kernel a chunk): the same bytes as one
    /// chunk, with and without reusing the storage, and from borrowed kernels through two chunk
    /// buffers (`lagDomainStreaming`, which keeps no gradient); every chunk but the last in two
    /// pieces (its halves), the last in one, in order.
    @Test func chunkedLagDomainEqualsOneChunk() async {
        await propertyCheck(count: 50, input: Gen.int(in: 2...40), Gen.int(in: 1...130), Gen.int(in: 1...3), Gen.int(in: 1...3),
                            Gen.int(in: 0...1), Gen.int(in: 1...5), Gen.int(in: 0...1_000_000)) { m, c, kh, kw, vi, per, seed in
            let variant: CSVariant = vi == 0 ? .pairs : .adjacent
            let bank = Fixtures.gaussianBank(m, c, kh, kw, seed: seed)
            let len = c * kh * kw
            let one = try FastSimilarity.lagDomain(bank, variant: variant, gradient: true)
            for mode in ["whole", "reuse", "borrowed"] {
                for threads in [1, 2] {
                    let sink = Collector()
                    let chunked = try Parallel.withThreads(threads) {
                        if mode == "borrowed" {
                            return try bank.values.withUnsafeBufferPointer {
                                try FastSimilarity.lagDomainStreaming(kernels: $0.baseAddress!, count: m, channels: c, kernelHeight: kh,
                                                                      kernelWidth: kw, variant: variant, sink: sink,
                                                                      checkFinite: variant == .pairs, chunkValues: per * len)
                            }
                        }
                        return try FastSimilarity.lagDomain(bank, variant: variant, gradient: true, sink: sink, reuseStorage: mode == "reuse",
                                                            chunkValues: per * len)
                    }
                    let what = "\(variant) M\(m) C\(c) \(kh)×\(kw), \(per) kernel(s) a chunk, \(mode), threads \(threads)"
                    #expect(chunked.value.bitPattern == one.value.bitPattern && chunked.bound.bitPattern == one.bound.bitPattern, "\(what)")
                    #expect((chunked.gradientBound ?? []).map(\.bitPattern) == (one.gradientBound ?? [1]).map(\.bitPattern), "\(what)")
                    #expect(Self.bits(chunked.gradient ?? []) == (mode == "borrowed" ? [] : Self.bits(one.gradient ?? [1])), "\(what)")
                    #expect(Self.bits(sink.values) == Self.bits(one.gradient ?? [1]), "\(what): the pieces")
                    let sizes = stride(from: 0, to: m, by: per).map { (min(m, $0 + per) - $0) * len }
                    #expect(sink.pieces == sizes.dropLast().reduce(1) { $0 + ($1 >= 2 ? 2 : 1) }, "\(what): pieces")
                }
            }
        }
    }

    /// A sink's error stops the writes that follow and is what `evaluate` throws; on every form.
    @Test func sinkErrorIsThrown() throws {
        let bank = Fixtures.gaussianBank(12, 5, 3, 3, seed: 4)
        for failOn in [1, 2, 5] {
            let sink = FailingSink(failOn: failOn)
            #expect(throws: FailingSink.Refused.self) {
                try FastSimilarity.lagDomain(bank, variant: .pairs, gradient: true, sink: sink, chunkValues: 45)
            }
            #expect(sink.calls == failOn, "no write after the failing one")
        }
        for variant in [CSVariant.pairs, .adjacent, .symmetric] {
            #expect(throws: FailingSink.Refused.self) {
                try ConvolutionalSimilarity.evaluate(bank, variant: variant, gradientTo: FailingSink(failOn: 1))
            }
        }
    }

    /// A NaN or ±∞ entry is refused with the index of the first one, by every entry point and
    /// form — the streamed `pairs` checks after its first pass instead of before — and no piece
    /// of a gradient reaches the sink. (A bank whose products overflow is not refused.)
    @Test func nonFiniteEntriesAreRefusedWithTheirIndex() async {
        await propertyCheck(count: 60, input: Gen.int(in: 2...20), Gen.int(in: 1...70), Gen.int(in: 1...3),
                            Gen.int(in: 0...2), Gen.int(in: 0...3), Gen.int(in: 0...1_000_000)) { m, c, k, vi, flags, seed in
            let variant = [CSVariant.pairs, .adjacent, .symmetric][vi]
            var bank = Fixtures.gaussianBank(m, c, k, k, seed: seed)
            var rng = SeededRandom(seed: UInt64(seed))
            let n = bank.values.count
            let first = rng.integer(in: 0...(n - 1)), second = rng.integer(in: first...(n - 1))
            let bad: [Double] = [.nan, .infinity, -.infinity]
            bank.values[first] = bad[rng.integer(in: 0...2)]
            bank.values[second] = bad[rng.integer(in: 0...2)]
            let normalize = flags & 1 == 1
            func check(_ what: String, _ body: () throws -> Void) {
                do { try body(); Issue.record("\(what): accepted a non-finite bank") } catch let e as ConvSimError {
                    guard case .nonFinite(_, let index) = e else { Issue.record("\(what): \(e)"); return }
                    #expect(index == first, "\(what)")
                } catch { Issue.record("\(what): \(error)") }
            }
            let what = "\(variant) M\(m) C\(c) \(k)×\(k) normalize \(normalize) NaN/∞ at \(first), \(second)"
            let sink = Collector()
            check("\(what), streamed") { _ = try ConvolutionalSimilarity.evaluate(bank, variant: variant, normalize: normalize, gradientTo: sink) }
            #expect(sink.pieces == 0, "\(what): a piece reached the sink")
            let reusedSink = Collector()
            check("\(what), reusing") {
                _ = try ConvolutionalSimilarity.evaluateGradient(reusing: bank, variant: variant, normalize: normalize, gradientTo: reusedSink)
            }
            #expect(reusedSink.pieces == 0, "\(what): a piece reached the sink")
            check("\(what), plain") { _ = try ConvolutionalSimilarity.evaluate(bank, variant: variant, normalize: normalize, gradient: flags & 2 == 2) }
        }
        // Finite entries whose fourth powers overflow: not refused for being non-finite.
        let huge = KernelBank(count: 3, channels: 2, kernelHeight: 2, kernelWidth: 2, values: Array(repeating: 1e100, count: 24))
        do { _ = try ConvolutionalSimilarity.evaluate(huge, variant: .pairs, gradientTo: Collector()) } catch let e as ConvSimError {
            if case .nonFinite = e { Issue.record("a finite bank was refused as non-finite") }
        } catch { Issue.record("\(error)") }
    }

    /// In place, a NaN or ±∞ entry is refused with the index of the first one and the caller's
    /// description, by every variant (`pairs` after its first pass, the others before), and no
    /// piece reaches the sink; a shape that does not hold the values is refused, not trapped on.
    @Test func inPlaceRefusesNonFiniteEntriesAndWrongShapes() async {
        await propertyCheck(count: 40, input: Gen.int(in: 2...20), Gen.int(in: 1...70), Gen.int(in: 1...3),
                            Gen.int(in: 0...2), Gen.int(in: 0...1_000_000)) { m, c, k, vi, seed in
            let variant = [CSVariant.pairs, .adjacent, .symmetric][vi]
            var values = Fixtures.gaussianBank(m, c, k, k, seed: seed).values
            var rng = SeededRandom(seed: UInt64(seed))
            let first = rng.integer(in: 0...(values.count - 1)), second = rng.integer(in: first...(values.count - 1))
            values[first] = [Double.nan, .infinity, -.infinity][rng.integer(in: 0...2)]
            values[second] = .nan
            let sink = Collector()
            do {
                _ = try values.withUnsafeBufferPointer {
                    try ConvolutionalSimilarity.evaluateGradient(inPlace: $0, count: m, channels: c, kernelHeight: k, kernelWidth: k,
                                                                 variant: variant, describedAs: "layer 'x' in y.npy", gradientTo: sink)
                }
                Issue.record("\(variant): accepted a non-finite bank")
            } catch let e as ConvSimError {
                guard case .nonFinite(let what, let index) = e else { Issue.record("\(e)"); return }
                #expect(index == first && what == "layer 'x' in y.npy", "\(variant) \(e)")
            }
            #expect(sink.pieces == 0, "\(variant): a piece reached the sink")
        }
        let values = [Double](repeating: 1, count: 12)
        for (m, c, kh, kw) in [(2, 2, 1, 2), (0, 1, 3, 4), (Int.max, 2, 2, 2), (-2, -6, 1, 1)] {
            #expect(throws: ConvSimError.self) {
                try values.withUnsafeBufferPointer {
                    try ConvolutionalSimilarity.evaluateGradient(inPlace: $0, count: m, channels: c, kernelHeight: kh, kernelWidth: kw,
                                                                 variant: .pairs, describedAs: "x", gradientTo: Collector())
                }
            }
        }
    }

    /// The storage really is reused when nobody else holds it (the point of the entry point):
    /// the gradient comes back in the array the bank's values were in.
    @Test func storageIsReusedWhenUnshared() throws {
        func make() -> KernelBank { Fixtures.gaussianBank(16, 9, 3, 3, seed: 11) }
        var bank = make()
        let address = bank.values.withUnsafeMutableBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let r = try ConvolutionalSimilarity.evaluateGradient(reusing: consume bank, variant: .pairs)
        let after = r.gradient?.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        #expect(after == address)
        let plain = try ConvolutionalSimilarity.evaluate(make(), variant: .pairs, gradient: true)
        #expect(Self.bits(r.gradient ?? []) == Self.bits(plain.gradient ?? [1]))
    }
}
