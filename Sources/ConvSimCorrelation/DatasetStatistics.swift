import ConvSimCore
import ConvSimIO

/// A dataset summarized once, in shards, and reused (Documentation/Theory.md#stats): the patch
/// statistics of consecutive blocks of `blockSize` images (`𝐆^P_b`, its bound, `𝐑_b`, the first
/// moments `μ_b` of the patches and their output positions), folded in block order when used.
/// Merging files concatenates their blocks, so shards whose image counts (all but the last) are
/// multiples of the block size merge into the bytes of one pass; `add(count:input:progress:)`
/// closes full blocks on the workers, the same bytes for any thread count.
///
/// Fold bound: every entry is a sum over `N` blocks, `Σ_b v_b` computed left to right, so
/// `|Δ| ≤ Σ_b bound_b + γ_N Σ_b |v_b|`, evaluated upward and inflated.
public final class StatsBuilder {
    public let channels: Int, kernelHeight: Int, kernelWidth: Int
    public let padding: Padding
    public let blockSize: Int
    private var current: PatchGramAccumulator
    private var moments: PatchMoments
    private var blocks: [StatsFile.Block] = []

    public init(channels: Int, kernelHeight: Int, kernelWidth: Int, padding: Padding, blockSize: Int = PatchGramAccumulator.blockSize) {
        self.channels = channels; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.padding = padding; self.blockSize = blockSize
        current = PatchGramAccumulator(channels: channels, kernelHeight: kernelHeight, kernelWidth: kernelWidth, padding: padding)
        moments = PatchMoments(order: channels * kernelHeight * kernelWidth)
    }

    /// Adds one image; a full block is closed into its statistics.
    public func add(_ x: Signal, name: String) throws {
        try current.add(x, name: name)
        moments.add(x, kernelHeight: kernelHeight, kernelWidth: kernelWidth, padding: padding)
        if current.images == blockSize { close() }
    }

    /// Adds `count` images that `input(i)` produces when asked, on `Parallel.threads` threads: the
    /// images up to the next block boundary here, then each full block on a worker (its own
    /// accumulators, exactly as `add` would fill them), appended in block order, and the rest
    /// here. The same bytes as adding them one by one, for any thread count; the first error, in
    /// image order, is thrown. `progress(done)` is called on this thread after each wave.
    public func add(count: Int, input: @Sendable (Int) throws -> (signal: Signal, name: String),
                    progress: ((Int) -> Void)? = nil) throws {
        var i = 0
        while i < count && current.images > 0 { let x = try input(i); try add(x.signal, name: x.name); i += 1 }
        let full = (count - i) / blockSize
        let (c, kh, kw, p, b, first) = (channels, kernelHeight, kernelWidth, padding, blockSize, i)
        try Parallel.foldInWaves(blocks: full, wave: max(1, Parallel.threads) * 2, { k -> StatsFile.Block in
            let acc = PatchGramAccumulator(channels: c, kernelHeight: kh, kernelWidth: kw, padding: p)
            var mo = PatchMoments(order: c * kh * kw)
            for j in (first + k * b)..<(first + (k + 1) * b) {
                let x = try input(j)
                try acc.add(x.signal, name: x.name)
                mo.add(x.signal, kernelHeight: kh, kernelWidth: kw, padding: p)
            }
            return Self.block(acc, mo)
        }, fold: { blocks.append($0) }, afterWave: { progress?(first + $0 * b) })
        for j in (first + full * b)..<count { let x = try input(j); try add(x.signal, name: x.name) }
        progress?(count)
    }

    private func close() {
        guard current.images > 0 else { return }
        blocks.append(Self.block(current, moments))
        current = PatchGramAccumulator(channels: channels, kernelHeight: kernelHeight, kernelWidth: kernelWidth, padding: padding)
        moments = PatchMoments(order: channels * kernelHeight * kernelWidth)
    }

    /// A block's statistics: its patch Gram, bound and `𝐑`, then its first moments.
    static func block(_ acc: PatchGramAccumulator, _ mo: PatchMoments) -> StatsFile.Block {
        let p = acc.result()
        return StatsFile.Block(images: p.images, positions: mo.positions, terms: mo.terms,
                               values: p.matrix + p.bound + p.toeplitz + mo.mu + mo.absMu)
    }

    /// The statistics of every image added (the last block may be partial).
    public func finish() -> StatsFile {
        close()
        return StatsFile(channels: channels, kernelHeight: kernelHeight, kernelWidth: kernelWidth, padding: padding,
                         blockSize: blockSize, blocks: blocks)
    }
}

public enum DatasetStatistics {
    /// The files' blocks, in order (all of the same shape).
    /// - Throws: `invalidArgument` naming the first file of another shape.
    public static func merge(_ files: [(path: String, stats: StatsFile)]) throws -> StatsFile {
        guard var out = files.first?.stats else { throw ConvSimError.invalidArgument("stats merge needs at least one file") }
        for f in files.dropFirst() {
            guard f.stats.sameShape(as: out) else {
                throw ConvSimError.invalidArgument("\(f.path) holds statistics of another shape (channels, kernel size, padding or block size) than \(files[0].path)")
            }
            out.blocks += f.stats.blocks
        }
        return out
    }

    /// The dataset's patch Gram: the blocks folded in order, with the fold's bound.
    /// - Throws: `noInputs` for a file without images.
    public static func patchGram(_ s: StatsFile) throws -> PatchGram {
        guard !s.blocks.isEmpty else { throw ConvSimError.invalidArgument("the statistics file holds no image") }
        let mm = s.order * s.order
        var g = [Double](repeating: 0, count: mm), e = g, t = g, absSum = g
        for b in s.blocks {
            for k in 0..<mm {
                g[k] += b.values[k]
                e[k] += b.values[mm + k]
                t[k] += b.values[2 * mm + k]
                absSum[k] += abs(b.values[k])
            }
        }
        let n = s.blocks.count, gamma = FloatingPointBounds.gamma(max(n, 1))
        let bound = (0..<mm).map { FloatingPointBounds.inflate(e[$0] + gamma * absSum[$0], operations: n + 2) }
        return PatchGram(channels: s.channels, kernelHeight: s.kernelHeight, kernelWidth: s.kernelWidth, padding: s.padding,
                         matrix: g, bound: bound, toeplitz: t, images: s.images)
    }

    /// The dataset's first moments (for a layer's bias, `PatchMoments.biased`): `μ = Σ_b μ_b`,
    /// `Σ|patch|` and the positions summed in block order. Each sample reached `μ_b` through at
    /// most `t_b` additions (the block's `terms`) and the fold adds at most `N` more, so the
    /// depth is at most `max_b t_b + N`, which `terms` carries to the bound (`|Δμ| ≤ γ_terms·A`).
    /// - Throws: `invalidArgument` for a file without images or whose positions overflow.
    public static func moments(_ s: StatsFile) throws -> PatchMoments {
        guard !s.blocks.isEmpty else { throw ConvSimError.invalidArgument("the statistics file holds no image") }
        let m = s.order, base = 3 * m * m
        var out = PatchMoments(order: m)
        var largest = 0
        for b in s.blocks {
            for t in 0..<m { out.mu[t] += b.values[base + t]; out.absMu[t] += b.values[base + m + t] }
            let (p, o) = out.positions.addingReportingOverflow(b.positions)
            guard !o else { throw ConvSimError.invalidArgument("the statistics' output positions overflow a 64-bit count") }
            out.positions = p
            largest = max(largest, b.terms)
        }
        let (t, o) = largest.addingReportingOverflow(s.blocks.count)
        guard !o else { throw ConvSimError.invalidArgument("the statistics' summation depth overflows a 64-bit count") }
        out.terms = t
        return out
    }
}
