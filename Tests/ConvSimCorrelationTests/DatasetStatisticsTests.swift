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
        #expect(mFold.terms == (whole.blocks.map(\.positions).max() ?? 0) + whole.blocks.count)
        let gFold = FloatingPointBounds.gamma(max(mFold.positions, mFold.terms)), gOne = FloatingPointBounds.gamma(mOne.positions)
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
}
