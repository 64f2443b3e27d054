import ConvSimCore
import Foundation

/// The patch Gram `𝐆^P` of a dataset for one padding, obtained from the input
/// correlations (T1, T1b): `𝐆^P = 𝐑 − B^P` with `𝐑[(c,u),(c',v)] = R_cc'(v−u)`
/// (`R°` for circular padding, `B = 0` for full and circular). Every
/// `<F_i,F_j> = vec(K_i)ᵀ 𝐆^P vec(K_j)` then follows for any bank.
public struct PatchGram: Sendable {
    public let channels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let padding: Padding
    /// Order `m = C·kh·kw`.
    public var order: Int { channels * kernelHeight * kernelWidth }
    /// Exact-in-exact-arithmetic `𝐆^P`, row-major `m×m`.
    public var matrix: [Double]
    /// Entrywise a-priori bound on the rounding error of `matrix`.
    public var bound: [Double]
    /// The paper's Toeplitz form `𝐑` (linear `R` for zero padding, `R°` for circular).
    public var toeplitz: [Double]
    /// Number of images accumulated.
    public var images: Int

    /// Builds `𝐑` from correlations: entry `((c,uy,ux),(c',vy,vx))` is `R_cc'(vy−uy, vx−ux)`.
    public static func toeplitz(_ r: InputCorrelations, kernelHeight kh: Int, kernelWidth kw: Int)
        -> (matrix: [Double], bound: [Double]) {
        let c = r.channels
        let m = c * kh * kw
        var g = [Double](repeating: 0, count: m * m)
        var e = g
        for a in 0..<c { for uy in 0..<kh { for ux in 0..<kw {
            let row = (a * kh + uy) * kw + ux
            for b in 0..<c { for vy in 0..<kh { for vx in 0..<kw {
                let col = (b * kh + vy) * kw + vx
                let t = r.index(a, b, vy - uy, vx - ux)
                g[row * m + col] = r.values[t]
                e[row * m + col] = r.bound[t]
            } } }
        } } }
        return (g, e)
    }
}

/// Accumulates the patch Gram of a dataset of images of any sizes (one
/// correlation accumulator and one boundary accumulator per image size), in
/// memory independent of the number of images.
public final class PatchGramAccumulator {
    public let channels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let padding: Padding
    struct SizeKey: Hashable { let h: Int; let w: Int }
    private var accumulators: [SizeKey: CorrelationAccumulator] = [:]
    private var sizeOrder: [SizeKey] = []
    private var boundary: BoundaryAccumulator?
    public private(set) var images = 0

    public init(channels: Int, kernelHeight: Int, kernelWidth: Int, padding: Padding) {
        self.channels = channels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.padding = padding
        if padding == .valid || padding == .same {
            boundary = BoundaryAccumulator(channels: channels, kernelHeight: kernelHeight,
                                           kernelWidth: kernelWidth, padding: padding)
        }
    }

    /// Adds one image. Throws on a channel mismatch or, in valid padding, a
    /// kernel larger than the image.
    public func add(_ x: Signal, name: String = "input") throws {
        guard x.channels == channels else {
            throw ConvSimError.channelMismatch(inputChannels: x.channels, kernelChannels: channels, input: name)
        }
        if padding == .valid && (kernelHeight > x.height || kernelWidth > x.width) {
            throw ConvSimError.kernelLargerThanInput(kernel: (kernelHeight, kernelWidth),
                                                     input: (x.height, x.width), padding: padding)
        }
        let key = SizeKey(h: x.height, w: x.width)
        let acc: CorrelationAccumulator
        if let a = accumulators[key] { acc = a } else {
            acc = try CorrelationAccumulator(channels: channels, height: x.height, width: x.width,
                                         lags: LagWindow(kernelHeight: kernelHeight, kernelWidth: kernelWidth),
                                         circular: padding == .circular)
            accumulators[key] = acc
            sizeOrder.append(key)
        }
        acc.add(x)
        boundary?.add(x)
        images += 1
    }

    /// Adds what `other` (same channels, kernel size and padding) accumulated, as if its images
    /// had been added here after this one's: per image size, then the border term.
    public func merge(_ other: PatchGramAccumulator) throws {
        guard other.channels == channels, other.kernelHeight == kernelHeight, other.kernelWidth == kernelWidth,
              other.padding == padding else {
            throw ConvSimError.invalidArgument("cannot merge patch statistics of different shapes or paddings")
        }
        for key in other.sizeOrder {
            guard let theirs = other.accumulators[key] else { continue }
            if let mine = accumulators[key] { mine.merge(theirs) } else {
                let fresh = try CorrelationAccumulator(channels: channels, height: key.h, width: key.w,
                                                       lags: LagWindow(kernelHeight: kernelHeight, kernelWidth: kernelWidth),
                                                       circular: padding == .circular)
                fresh.merge(theirs)
                accumulators[key] = fresh
                sizeOrder.append(key)
            }
        }
        if let b = boundary, let ob = other.boundary { b.merge(ob) }
        images += other.images
    }

    /// Images per block of `add(contentsOf:)`: fixed, so that results do not depend on the
    /// thread count.
    public static let blockSize = 64

    /// Adds many images on `Parallel.threads` threads: consecutive blocks of `blockSize`
    /// images (counted from this call's first image), each accumulated on its own, then merged
    /// here in block order. The result is the same bytes for any thread count; it differs
    /// from adding the images one by one only by rounding within the certified bounds.
    /// (Callers that stream a dataset in several calls keep the same bytes when each call but
    /// the last holds a multiple of `blockSize` images.)
    public func add(contentsOf inputs: [(signal: Signal, name: String)]) throws {
        try add(count: inputs.count) { inputs[$0] }
    }

    /// As `add(contentsOf:)`, for `count` images that `input(i)` produces when asked — on the
    /// worker thread of image `i`'s block, so that a dataset is decoded in parallel and never
    /// held in memory whole (`InputSet`). The first error, in image order, is thrown.
    public func add(count: Int, input: @Sendable (Int) throws -> (signal: Signal, name: String)) throws {
        var none: PatchMoments? = nil
        try add(count: count, moments: &none, input: input)
    }

    /// As `add(count:input:)`; with `moments`, each block also sums the first moments of its
    /// patches (a layer's bias), merged in block order (`PatchMoments.merge`): one pass over the
    /// images for both, the same bytes for any thread count.
    public func add(count: Int, moments: inout PatchMoments?,
                    input: @Sendable (Int) throws -> (signal: Signal, name: String)) throws {
        let b = Self.blockSize
        let blocks = (count + b - 1) / b
        guard blocks > 1 else {
            for i in 0..<count {
                let x = try input(i)
                try add(x.signal, name: x.name)
                moments?.add(x.signal, kernelHeight: kernelHeight, kernelWidth: kernelWidth, padding: padding)
            }
            return
        }
        let wantsMoments = moments != nil
        let (c, kh, kw, p) = (channels, kernelHeight, kernelWidth, padding)
        var merged = moments
        // Waves of blocks bound the memory (one accumulator per block in flight).
        try Parallel.foldInWaves(blocks: blocks, wave: max(1, Parallel.threads) * 4, { block -> (PatchGramAccumulator, PatchMoments?) in
            let acc = PatchGramAccumulator(channels: c, kernelHeight: kh, kernelWidth: kw, padding: p)
            var mo: PatchMoments? = wantsMoments ? PatchMoments(order: c * kh * kw) : nil
            for i in (block * b)..<min((block + 1) * b, count) {
                let x = try input(i)
                try acc.add(x.signal, name: x.name)
                mo?.add(x.signal, kernelHeight: kh, kernelWidth: kw, padding: p)
            }
            return (acc, mo)
        }, fold: { acc, mo in
            try merge(acc)
            if let mo { merged?.merge(mo) }
        })
        moments = merged
    }

    /// The input correlations summed over all images (all sizes).
    public func correlations() -> InputCorrelations {
        var total = InputCorrelations.zero(channels: channels,
                                           lags: LagWindow(kernelHeight: kernelHeight, kernelWidth: kernelWidth),
                                           circular: padding == .circular)
        for key in sizeOrder { total = total + accumulators[key]!.result() }
        return total
    }

    /// The patch Gram with its certified bound.
    public func result() -> PatchGram {
        let r = correlations()
        let (t, tBound) = PatchGram.toeplitz(r, kernelHeight: kernelHeight, kernelWidth: kernelWidth)
        var g = t
        var e = tBound
        if let b = boundary?.result() {
            let u = FloatingPointBounds.unitRoundoff
            for idx in 0..<g.count {
                g[idx] = t[idx] - b.matrix[idx]
                let rounding: Double = u * (abs(t[idx]) + abs(b.matrix[idx]))
                let sum: Double = tBound[idx] + b.bound[idx] + rounding
                e[idx] = sum * (1 + 2 * u)
            }
        }
        return PatchGram(channels: channels, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                         padding: padding, matrix: g, bound: e, toeplitz: t, images: images)
    }
}
