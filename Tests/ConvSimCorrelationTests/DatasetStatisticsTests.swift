import ConvSimCore
import ConvSimCorrelation
import ConvSimIO
import ConvSimTestSupport
import Foundation
import Testing

/// Mergeable dataset statistics (Documentation/Theory.md#stats).
@Suite struct DatasetStatisticsTests {
    static func build(_ xs: [Signal], padding: Padding) throws -> StatsFile {
        let b = StatsBuilder(channels: xs[0].channels, kernelHeight: 2, kernelWidth: 3, padding: padding)
        for (n, x) in xs.enumerated() { try b.add(x, name: "x\(n)") }
        return b.finish()
    }

    /// Shards cut at a multiple of the block size merge into the bytes of one build; the file
    /// reads back to itself; the folded patch Gram agrees with the one-pass accumulator within
    /// both certified bounds; any changed byte, a cut or an extended file is refused.
    @Test(arguments: Padding.allCases)
    func mergeIsExactAndFilesAreChecked(padding: Padding) throws {
        var rng = SeededRandom(seed: 44)
        let xs = (0..<(2 * PatchGramAccumulator.blockSize + 9)).map { n in Fixtures.gaussianSignal(2, 5 + n % 2, 7, &rng) }
        let whole = try Self.build(xs, padding: padding)
        let cut = PatchGramAccumulator.blockSize
        let merged = try DatasetStatistics.merge([("a", try Self.build(Array(xs[..<cut]), padding: padding)),
                                                   ("b", try Self.build(Array(xs[cut...]), padding: padding))])
        #expect(merged.encode() == whole.encode())
        let bytes = whole.encode()
        #expect(try StatsFile.decode(bytes, path: "s") == whole)
        let folded = try DatasetStatistics.patchGram(whole)
        let serial = PatchGramAccumulator(channels: 2, kernelHeight: 2, kernelWidth: 3, padding: padding)
        for (n, x) in xs.enumerated() { try serial.add(x, name: "x\(n)") }
        let s = serial.result()
        #expect(folded.images == xs.count)
        for k in s.matrix.indices { #expect(abs(folded.matrix[k] - s.matrix[k]) <= folded.bound[k] + s.bound[k]) }
        // First moments: the fold against one pass, within both a-priori bounds; the same positions.
        let mFold = try DatasetStatistics.moments(whole)
        var mOne = PatchMoments(order: 12)
        for x in xs { mOne.add(x, kernelHeight: 2, kernelWidth: 3, padding: padding) }
        #expect(mFold.positions == mOne.positions && mFold.positions > 0)
        #expect(mFold.terms == (whole.blocks.map(\.terms).max() ?? 0) + whole.blocks.count)
        let gFold = FloatingPointBounds.gamma(max(mFold.positions, mFold.terms)), gOne = FloatingPointBounds.gamma(max(mOne.positions, mOne.terms))
        for t in 0..<12 {
            #expect(abs(mFold.mu[t] - mOne.mu[t]) <= gFold * mFold.absMu[t] + gOne * mOne.absMu[t])
            #expect(abs(mFold.absMu[t] - mOne.absMu[t]) <= 2 * gFold * mOne.absMu[t])
        }
        // A file of the first format (no first moments) is refused with the fix.
        let v1 = Data(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: StatsFile.format, with: "convsimkit-stats/1").utf8)
        #expect { try StatsFile.decode(v1, path: "old.stats") } throws: { "\($0)".contains("rebuild") }
        var flips = 0
        for _ in 0..<100 {
            var b = [UInt8](bytes)
            let i = rng.integer(in: 0...(b.count - 1))
            b[i] ^= UInt8(1 << rng.integer(in: 0...7))
            if (try? StatsFile.decode(Data(b), path: "s")) == nil { flips += 1 }
        }
        #expect(flips == 100)
        #expect(throws: ConvSimError.self) { try StatsFile.decode(bytes.dropLast(), path: "s") }
        #expect(throws: ConvSimError.self) { try StatsFile.decode(bytes + Data([0]), path: "s") }
        // Files of other shapes do not merge.
        let other = StatsBuilder(channels: 2, kernelHeight: 3, kernelWidth: 3, padding: padding)
        try other.add(xs[0], name: "x")
        #expect(throws: ConvSimError.self) { try DatasetStatistics.merge([("a", whole), ("b", other.finish())]) }
    }

    /// `stats build`'s parallel path: the same bytes as adding the images one by one, on 1, 2
    /// and 3 threads, from a builder that already holds a partial block or not.
    @Test func parallelBuildIsTheSameBytes() throws {
        var rng = SeededRandom(seed: 9)
        let xs = (0..<(3 * 8 + 5)).map { n in Fixtures.gaussianSignal(2, 4 + n % 3, 5, &rng) }
        func serial(_ skip: Int) throws -> Data {
            let b = StatsBuilder(channels: 2, kernelHeight: 2, kernelWidth: 2, padding: .same, blockSize: 8)
            for (n, x) in xs.enumerated() { try b.add(x, name: "x\(n)") }
            return b.finish().encode()
        }
        let want = try serial(0)
        for threads in 1...3 {
            for head in [0, 3] {
                let got = try Parallel.withThreads(threads) { () throws -> Data in
                    let b = StatsBuilder(channels: 2, kernelHeight: 2, kernelWidth: 2, padding: .same, blockSize: 8)
                    for n in 0..<head { try b.add(xs[n], name: "x\(n)") }
                    let rest = Array(xs[head...])
                    var seen: [Int] = []
                    try b.add(count: rest.count, input: { (rest[$0], "x\($0)") }, progress: { seen.append($0) })
                    #expect(seen.last == rest.count && seen == seen.sorted())
                    return b.finish().encode()
                }
                #expect(got == want, "\(threads) thread(s), \(head) image(s) added first")
            }
        }
    }

    /// The first moments of the dense path (rectangle sums) against the definition
    /// `Σ_p X̃_c(p + u − o)`, summed patch by patch: within `γ_terms·Σ|x|` of each other, over
    /// random sizes, channels and every padding — kernels larger than the image included.
    @Test func denseMomentsMatchTheDefinition() {
        var rng = SeededRandom(seed: 71)
        for trial in 0..<120 {
            let padding = Padding.allCases[trial % 4]
            let c = rng.integer(in: 1...3), h = rng.integer(in: 1...9), w = rng.integer(in: 1...9)
            let kh = rng.integer(in: 1...5), kw = rng.integer(in: 1...5)
            if padding == .valid && (kh > h || kw > w) { continue }
            let images = (0..<rng.integer(in: 1...3)).map { _ in Fixtures.gaussianSignal(c, h, w, &rng) }
            var fast = PatchMoments(order: c * kh * kw)
            for x in images { fast.add(x, kernelHeight: kh, kernelWidth: kw, padding: padding) }
            var mu = [Double](repeating: 0, count: c * kh * kw), a = mu
            let ny = padding.outputLength(input: h, kernel: kh), nx = padding.outputLength(input: w, kernel: kw)
            let oy = padding.leftPad(kernel: kh), ox = padding.leftPad(kernel: kw)
            for x in images { for py in 0..<ny { for px in 0..<nx { for ch in 0..<c { for uy in 0..<kh { for ux in 0..<kw {
                var sy = py + uy - oy, sx = px + ux - ox
                if padding == .circular { sy = ((sy % h) + h) % h; sx = ((sx % w) + w) % w }
                guard (0..<h).contains(sy), (0..<w).contains(sx) else { continue }
                let v = x.values[(ch * h + sy) * w + sx]
                mu[(ch * kh + uy) * kw + ux] += v; a[(ch * kh + uy) * kw + ux] += abs(v)
            } } } } } }
            #expect(fast.positions == images.count * ny * nx)
            let g = FloatingPointBounds.gamma(max(fast.positions, fast.terms, 1)), gRef = FloatingPointBounds.gamma(max(fast.positions, 1))
            for t in mu.indices {
                #expect(abs(fast.mu[t] - mu[t]) <= g * fast.absMu[t] * (1 + 2 * g) + gRef * a[t] * (1 + 2 * gRef), "\(padding) \(c)×\(h)×\(w) k \(kh)×\(kw) entry \(t)")
                #expect(abs(fast.absMu[t] - a[t]) <= 4 * g * a[t])
            }
        }
    }
}
