import ConvSimCore
import ConvSimIO

/// A dataset summarized once, in shards, and reused (Documentation/Theory.md#stats): the patch
/// statistics of consecutive blocks of `blockSize` images (`𝐆^P_b`, its bound, `𝐑_b`, the first
/// moments `μ_b` of the patches and their output positions), folded in block order when used. Merging files concatenates their blocks, so shards whose image counts
/// (all but the last) are multiples of the block size merge into the bytes of one pass.
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

    private func close() {
        guard current.images > 0 else { return }
        let p = current.result()
        blocks.append(StatsFile.Block(images: p.images, positions: moments.positions,
                                      values: p.matrix + p.bound + p.toeplitz + moments.mu + moments.absMu))
        current = PatchGramAccumulator(channels: channels, kernelHeight: kernelHeight, kernelWidth: kernelWidth, padding: padding)
        moments = PatchMoments(order: channels * kernelHeight * kernelWidth)
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
    /// `Σ|patch|` and the positions summed in block order. Each `μ_b` errs by at most
    /// `γ_{P_b}·A_b` (`A_b = Σ|patch|` of the block, `P_b` its positions) and the fold adds
    /// `γ_N Σ_b |μ̂_b|`; since `(1 + γ_a)(1 + γ_b) ≤ 1 + γ_{a+b}`, the whole error is at most
    /// `γ_{max P_b + N}·A`, which `terms` carries to the bound.
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
            largest = max(largest, b.positions)
        }
        out.terms = largest + s.blocks.count
        return out
    }
}
