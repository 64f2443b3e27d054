import ConvSimCore
@testable import ConvSimCorrelation
import ConvSimTestSupport
import Testing

/// Parallel dataset accumulation: fixed blocks merged in block order.
@Suite struct ParallelAccumulationTests {
    /// The same bytes on 1, 2 and 3 threads, for every padding and mixed image sizes; equal to
    /// the one-by-one accumulation within the certified bounds; merging two one-block halves
    /// equals one pass byte for byte.
    @Test(arguments: Padding.allCases)
    func sameBytesForAnyThreadCount(padding: Padding) throws {
        var rng = SeededRandom(seed: 21)
        let images: [(signal: Signal, name: String)] = (0..<(2 * PatchGramAccumulator.blockSize + 5)).map { n in
            (Fixtures.gaussianSignal(2, 6 + n % 3, 7, &rng), "x\(n)")
        }
        let results = try [1, 2, 3].map { t in try Parallel.withThreads(t) {
            let acc = PatchGramAccumulator(channels: 2, kernelHeight: 2, kernelWidth: 3, padding: padding)
            try acc.add(contentsOf: images)
            return acc.result()
        } }
        #expect(results[0].matrix == results[1].matrix && results[1].matrix == results[2].matrix)
        #expect(results[0].bound == results[1].bound && results[0].images == images.count)
        // One by one: the same quantity up to rounding, inside both bounds.
        let serial = PatchGramAccumulator(channels: 2, kernelHeight: 2, kernelWidth: 3, padding: padding)
        for x in images { try serial.add(x.signal, name: x.name) }
        let s = serial.result(), p = results[0]
        for i in s.matrix.indices { #expect(abs(s.matrix[i] - p.matrix[i]) <= s.bound[i] + p.bound[i]) }
        // Two one-block halves, merged: the bytes of one pass over both blocks (a pass merges
        // its blocks into an empty accumulator in order, and adding to zero is exact).
        let half = PatchGramAccumulator.blockSize
        let both = PatchGramAccumulator(channels: 2, kernelHeight: 2, kernelWidth: 3, padding: padding)
        try both.add(contentsOf: Array(images[..<(2 * half)]))
        let a = PatchGramAccumulator(channels: 2, kernelHeight: 2, kernelWidth: 3, padding: padding)
        try a.add(contentsOf: Array(images[..<half]))
        let b = PatchGramAccumulator(channels: 2, kernelHeight: 2, kernelWidth: 3, padding: padding)
        try b.add(contentsOf: Array(images[half..<(2 * half)]))
        try a.merge(b)
        #expect(a.result().matrix == both.result().matrix && a.result().bound == both.result().bound)
        // First moments in the same pass: the same bytes for any thread count, and within both
        // bounds of the one-by-one sum.
        let moments = try [1, 2, 3].map { t in try Parallel.withThreads(t) { () throws -> PatchMoments in
            let acc = PatchGramAccumulator(channels: 2, kernelHeight: 2, kernelWidth: 3, padding: padding)
            var mo: PatchMoments? = PatchMoments(order: 12)
            try acc.add(count: images.count, moments: &mo) { images[$0] }
            #expect(acc.result().matrix == results[0].matrix)
            return mo ?? PatchMoments(order: 0)
        } }
        #expect(moments[0].mu == moments[1].mu && moments[1].mu == moments[2].mu && moments[0].terms == moments[2].terms)
        var one = PatchMoments(order: 12)
        for x in images { one.add(x.signal, kernelHeight: 2, kernelWidth: 3, padding: padding) }
        #expect(moments[0].positions == one.positions)
        let g1 = FloatingPointBounds.gamma(max(one.positions, one.terms)), g2 = FloatingPointBounds.gamma(max(moments[0].positions, moments[0].terms))
        for t in 0..<12 { #expect(abs(one.mu[t] - moments[0].mu[t]) <= g1 * one.absMu[t] + g2 * moments[0].absMu[t]) }
    }

    /// A large image (256×256 and more) on the Fourier path (which the rule would leave for the
    /// lag domain here; `LagCorrelationTests` covers that) takes the per-channel parallel transforms: the same
    /// bytes on 1, 2 and 3 threads (linear and circular), and the direct correlations inside
    /// the certified bounds.
    @Test(arguments: [false, true])
    func largeImageSameBytesAndWithinBounds(circular: Bool) throws {
        var rng = SeededRandom(seed: 5)
        let x = Fixtures.gaussianSignal(3, 256, 257, &rng)
        let lags = LagWindow(kernelHeight: 2, kernelWidth: 3)
        let results = try [1, 2, 3].map { t in try Parallel.withThreads(t) {
            let acc = try CorrelationAccumulator(channels: 3, height: 256, width: 257, lags: lags, circular: circular, algorithm: .fourier)
            #expect(acc.ffts.count == min(6, t))
            acc.add(x); acc.add(x)
            return acc.result()
        } }
        #expect(results[0].values == results[1].values && results[1].values == results[2].values)
        #expect(results[0].bound == results[1].bound && results[1].bound == results[2].bound)
        let direct = InputCorrelations.direct([x, x], lags: lags, circular: circular)
        for i in direct.values.indices {
            #expect(abs(direct.values[i] - results[1].values[i]) <= results[1].bound[i])
        }
    }
}
