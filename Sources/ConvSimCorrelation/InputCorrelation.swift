import ConvSimCore

/// The window of lags `d = (dy, dx)`, `|dy| ≤ maxLagY`, `|dx| ≤ maxLagX`, that a
/// `kh×kw` kernel needs (`maxLag = k − 1` per axis, Documentation/Theory.md#correlations).
public struct LagWindow: Sendable, Equatable {
    public let maxLagY: Int
    public let maxLagX: Int
    public init(maxLagY: Int, maxLagX: Int) { self.maxLagY = maxLagY; self.maxLagX = maxLagX }
    public init(kernelHeight: Int, kernelWidth: Int) { self.init(maxLagY: kernelHeight - 1, maxLagX: kernelWidth - 1) }
    public var height: Int { 2 * maxLagY + 1 }
    public var width: Int { 2 * maxLagX + 1 }
    public var count: Int { height * width }
    @inlinable public func index(_ dy: Int, _ dx: Int) -> Int { (dy + maxLagY) * width + (dx + maxLagX) }
}

/// Input cross-correlations `R_cc'(d) = Σ_q X_c(q)·X_c'(q + d)` (linear: zero
/// outside the image) or `R°` (circular: `q + d` mod `(H, W)`), for all channel
/// pairs at the lags of a `LagWindow`, summed over every image added, each with
/// a certified bound on its rounding error (`FFTErrorModel`).
public struct InputCorrelations: Sendable {
    public let channels: Int
    public let lags: LagWindow
    public let circular: Bool
    /// `values[(c·C + c')·lags.count + lags.index(dy, dx)]`.
    public var values: [Double]
    /// Entrywise a-priori error bound, same layout.
    public var bound: [Double]
    public var images: Int

    @inlinable public func index(_ c: Int, _ c2: Int, _ dy: Int, _ dx: Int) -> Int {
        (c * channels + c2) * lags.count + lags.index(dy, dx)
    }
    @inlinable public func value(_ c: Int, _ c2: Int, _ dy: Int, _ dx: Int) -> Double { values[index(c, c2, dy, dx)] }

    public static func zero(channels: Int, lags: LagWindow, circular: Bool) -> InputCorrelations {
        let n = channels * channels * lags.count
        return InputCorrelations(channels: channels, lags: lags, circular: circular,
                                 values: [Double](repeating: 0, count: n),
                                 bound: [Double](repeating: 0, count: n), images: 0)
    }

    /// Sum of two correlation sets (images of different sizes); bounds add, plus one rounding.
    public static func + (a: InputCorrelations, b: InputCorrelations) -> InputCorrelations {
        precondition(a.channels == b.channels && a.lags == b.lags && a.circular == b.circular)
        var r = a
        let u = FloatingPointBounds.unitRoundoff
        for t in 0..<a.values.count {
            r.values[t] = a.values[t] + b.values[t]
            r.bound[t] = (a.bound[t] + b.bound[t] + u * abs(r.values[t])) * (1 + 2 * u)
        }
        r.images = a.images + b.images
        return r
    }

    /// The direct reference, `O(C²·H·W·|lags|)`, for tests and cross-checks.
    public static func direct(_ inputs: [Signal], lags: LagWindow, circular: Bool) -> InputCorrelations {
        let c = inputs[0].channels
        var r = zero(channels: c, lags: lags, circular: circular)
        for x in inputs {
            let h = x.height, w = x.width
            for a in 0..<c { for b in 0..<c {
                for dy in -lags.maxLagY...lags.maxLagY { for dx in -lags.maxLagX...lags.maxLagX {
                    var s = 0.0
                    for qy in 0..<h { for qx in 0..<w {
                        var y2 = qy + dy, x2 = qx + dx
                        if circular { y2 = ((y2 % h) + h) % h; x2 = ((x2 % w) + w) % w }
                        if y2 < 0 || y2 >= h || x2 < 0 || x2 >= w { continue }
                        s += x.values[(a * h + qy) * w + qx] * x.values[(b * h + y2) * w + x2]
                    } }
                    r.values[r.index(a, b, dy, dx)] += s
                } }
            } }
            r.images += 1
        }
        return r
    }
}

/// Accumulates `R` (or `R°`) over many images of one size in the frequency
/// domain: each image costs `C` forward transforms and `C(C+1)/2` spectrum
/// products; memory is fixed (one spectrum per channel pair), whatever the
/// number of images. `result()` makes one inverse transform per channel pair.
///
/// Linear correlations use transforms of size `n ≥ H + kh − 1` (per axis), so
/// lags `|d| ≤ k − 1` never wrap; circular ones use exactly `H×W`.
///
/// Large images with small lag windows (linear correlations only) are summed directly in the
/// lag domain instead (`LagCorrelation`: no transform, a tighter bound), when
/// `LagCorrelation.prefersLagDomain` says it costs less; `algorithm` overrides the rule.
public final class CorrelationAccumulator {
    /// How the correlations are computed.
    public enum Algorithm: String, Sendable, CaseIterable {
        /// `lagDomain` when `LagCorrelation.prefersLagDomain` says it costs less (never for
        /// circular correlations), else `fourier`.
        case automatic
        /// Through FFTW: spectra summed, one inverse transform per channel pair.
        case fourier
        /// Direct sums at each lag (`LagCorrelation`); linear correlations only.
        case lagDomain
    }

    public let channels: Int
    public let height: Int
    public let width: Int
    public let lags: LagWindow
    public let circular: Bool
    public private(set) var images = 0
    /// Whether this accumulator sums in the lag domain (`LagCorrelation`) instead of the spectra.
    public let lagDomain: Bool
    /// Lag-domain sums (layout of `InputCorrelations.values`, entries `a ≤ b` only); empty for
    /// the Fourier path.
    let lagSums: ZeroedDoubles
    let fft: RealFFT2D
    /// One transform per worker: `ffts[0]` is `fft`; large images get one more per thread, and
    /// their channels (then their channel pairs) are transformed in parallel — each channel's
    /// and pair's arithmetic is the same whichever worker does it, so the bytes are too.
    let ffts: [RealFFT2D]
    /// Doubles per half spectrum (interleaved re, im).
    let spec: Int
    /// Per pair `c ≤ c'`, at `pairIndex(c, c')·spec`: the summed cross-power half spectrum.
    /// One zeroed buffer for all pairs (on huge pages when large: a 512×512 image's is 13 MB).
    let sums: ZeroedDoubles
    /// Per channel, at `c·spec`: the current image's half spectrum.
    let channelSpectra: ZeroedDoubles
    var normProducts: [Double]    // per pair: Σ ‖x_c‖‖x_c'‖

    /// - Throws: `invalidArgument` for `.lagDomain` with circular correlations; `outOfMemory`.
    public init(channels: Int, height: Int, width: Int, lags: LagWindow, circular: Bool,
                algorithm: Algorithm = .automatic) throws {
        self.channels = channels
        self.height = height
        self.width = width
        self.lags = lags
        self.circular = circular
        let n1 = circular ? height : RealFFT2D.smoothSize(atLeast: height + lags.maxLagY)
        let n2 = circular ? width : RealFFT2D.smoothSize(atLeast: width + lags.maxLagX)
        switch algorithm {
        case .automatic:
            lagDomain = !circular && LagCorrelation.prefersLagDomain(channels: channels, height: height, width: width,
                                                                     lags: lags, transform: n1, n2)
        case .fourier: lagDomain = false
        case .lagDomain:
            guard !circular else { throw ConvSimError.invalidArgument("circular correlations are computed through the transforms only") }
            lagDomain = true
        }
        let pairs = channels * (channels + 1) / 2
        if lagDomain {
            // A 1×1 placeholder transform: `result()` of the lag domain never uses it.
            fft = try RealFFT2D(1, 1)
            ffts = [fft]
            spec = 0
        } else {
            fft = try RealFFT2D(n1, n2)
            let workers = n1 * n2 >= CorrelationAccumulator.parallelSize ? min(pairs, max(1, Parallel.threads)) : 1
            var ffts = [fft]
            for _ in 1..<max(1, workers) { ffts.append(try RealFFT2D(n1, n2)) }
            self.ffts = ffts
            spec = 2 * n1 * fft.halfWidth
        }
        guard let sums = ZeroedDoubles(count: pairs * spec), let channelSpectra = ZeroedDoubles(count: channels * spec),
              let lagSums = ZeroedDoubles(count: lagDomain ? channels * channels * lags.count : 0) else {
            throw ConvSimError.outOfMemory(what: "the spectra of \(channels)-channel \(height)×\(width) images (\(8 * (pairs + channels) * spec) bytes)")
        }
        self.sums = sums
        self.channelSpectra = channelSpectra
        self.lagSums = lagSums
        normProducts = [Double](repeating: 0, count: pairs)
    }

    @inline(__always) func pairIndex(_ a: Int, _ b: Int) -> Int { Self.pairIndex(a, b, channels: channels) }
    /// The slot of channel pair `a ≤ b` among the `C(C+1)/2` pairs, in the order (0,0), (0,1), …
    @inline(__always) static func pairIndex(_ a: Int, _ b: Int, channels: Int) -> Int { a * channels - a * (a - 1) / 2 + (b - a) }
    /// The channel pairs `a ≤ b`, in `pairIndex` order.
    static func pairs(channels c: Int) -> [(Int, Int)] { (0..<c).flatMap { a in (a..<c).map { (a, $0) } } }

    /// Transforms of at least this many samples (256×256) run on several threads.
    static let parallelSize = 1 << 16

    /// Adds one image (its shape must match the accumulator's).
    public func add(_ x: Signal) {
        precondition(x.channels == channels && x.height == height && x.width == width, "shape mismatch")
        let channels = channels, height = height, width = width
        let norms = UnsafeMutablePointer<Double>.allocate(capacity: max(channels, 1))
        defer { norms.deallocate() }
        norms.initialize(repeating: 0, count: max(channels, 1))
        let shared = Shared(norms: norms, all: channelSpectra.pointer, sums: sums.pointer)
        let pairs = Self.pairs(channels: channels)
        if lagDomain {
            x.values.withUnsafeBufferPointer { xv in
                guard let base = xv.baseAddress else { return }
                for c in 0..<channels { norms[c] = Self.norm(base + c * height * width, count: height * width) }
                LagCorrelation.add(base, channels: channels, height: height, width: width, lags: lags, into: lagSums.pointer)
            }
        } else {
            addSpectra(x, shared: shared, pairs: pairs)
        }
        for (a, b) in pairs { normProducts[pairIndex(a, b)] += norms[a] * norms[b] }
        images += 1
    }

    /// The Fourier path of `add`: each channel's transform and norm bound (into `shared.norms`),
    /// then each pair's cross-power spectrum added to its sum.
    private func addSpectra(_ x: Signal, shared: Shared, pairs: [(Int, Int)]) {
        let n1 = fft.n1, n2 = fft.n2, spec = spec, channels = channels, height = height, width = width
        let ffts = ffts
        x.values.withUnsafeBufferPointer { xv in
            guard let base = xv.baseAddress else { return }
            let input = SharedInput(values: base)
            // Each channel's transform (worker k takes channels k, k + w, …).
            Parallel.forEach(blocks: ffts.count) { k in
                let f = ffts[k]
                for c in stride(from: k, to: channels, by: ffts.count) {
                    let buf = f.real
                    buf.update(repeating: 0, count: n1 * n2)
                    var s2 = 0.0
                    let base = c * height * width
                    for y in 0..<height {
                        for xx in 0..<width {
                            let v = input.values[base + y * width + xx]
                            buf[y * n2 + xx] = v
                            s2 += v * v
                        }
                    }
                    shared.norms[c] = Self.normBound(s2, count: height * width)
                    f.forward()
                    (shared.all + c * spec).update(from: f.spectrum, count: spec)
                }
            }
        }
        // Each channel pair's cross-power spectrum, added to its sum (worker k takes pairs k, k + w, …).
        Parallel.forEach(blocks: ffts.count) { k in
            for q in stride(from: k, to: pairs.count, by: ffts.count) {
                let (a, b) = pairs[q]
                let sa = shared.all + a * spec, sb = shared.all + b * spec
                let acc = shared.sums + Self.pairIndex(a, b, channels: channels) * spec
                var t = 0
                while t < spec {
                    let ar = sa[t], ai = sa[t + 1], br = sb[t], bi = sb[t + 1]
                    // conj(a)·b
                    acc[t] += ar * br + ai * bi
                    acc[t + 1] += ar * bi - ai * br
                    t += 2
                }
            }
        }
    }

    /// An upper bound of `‖x‖₂` from `s2 = fl(Σ x²)` over `count` samples.
    static func normBound(_ s2: Double, count: Int) -> Double {
        FloatingPointBounds.inflate(s2, operations: count).squareRoot() * (1 + FloatingPointBounds.unitRoundoff)
    }

    /// `normBound` of `count` samples at `p`, summed in `LagCorrelation.dot`'s 8 lanes (any
    /// summation order is within `normBound`'s `γ_count`).
    static func norm(_ p: UnsafePointer<Double>, count: Int) -> Double {
        normBound(LagCorrelation.dot(p, p, count), count: count)
    }

    /// Buffers shared with the workers, each writing only its own channels' and pairs' parts.
    struct Shared: @unchecked Sendable {
        let norms: UnsafeMutablePointer<Double>
        let all: UnsafeMutablePointer<Double>
        let sums: UnsafeMutablePointer<Double>
    }
    struct SharedInput: @unchecked Sendable { let values: UnsafePointer<Double> }

    /// Adds what `other` (same shape) accumulated: the sums of its spectra (or lag-domain sums)
    /// and norm products. A sum of `N` images in any grouping has at most `N − 1` additions per
    /// entry, so the bound of `result()` (built for `images` images) still holds. Both must use
    /// the same algorithm — always so for accumulators made with `.automatic` (the rule depends
    /// on the shape only); mixing explicit algorithms is a programming error.
    public func merge(_ other: CorrelationAccumulator) {
        precondition(other.lagDomain == lagDomain, "merging a lag-domain and a Fourier correlation accumulator")
        let src = other.sums.pointer, dst = sums.pointer
        for t in 0..<min(sums.count, other.sums.count) { dst[t] += src[t] }
        let lagSrc = other.lagSums.pointer, lagDst = lagSums.pointer
        for t in 0..<min(lagSums.count, other.lagSums.count) { lagDst[t] += lagSrc[t] }
        for p in normProducts.indices { normProducts[p] += other.normProducts[p] }
        images += other.images
    }

    /// The accumulated correlations with their certified bounds. The channel pairs' inverse
    /// transforms run in parallel for large images (each pair writes only its own entries,
    /// `(a, b, ·)` and `(b, a, ·)`, in the same order as on one thread).
    public func result() -> InputCorrelations {
        if lagDomain { return lagResult() }
        var r = InputCorrelations.zero(channels: channels, lags: lags, circular: circular)
        r.images = images
        let n1 = fft.n1, n2 = fft.n2, spec = spec, lags = lags, channels = channels
        let n = Double(n1 * n2)
        let factor = FFTErrorModel.correlationFactor(n1, n2, images: images)
        let u = FloatingPointBounds.unitRoundoff
        let pairs = Self.pairs(channels: channels)
        let ffts = ffts, sums = SharedInput(values: UnsafePointer(self.sums.pointer)), normProducts = normProducts
        let index: @Sendable (Int, Int, Int, Int) -> Int = { a, b, dy, dx in (a * channels + b) * lags.count + lags.index(dy, dx) }
        r.values.withUnsafeMutableBufferPointer { values in
            r.bound.withUnsafeMutableBufferPointer { bound in
                guard let v = values.baseAddress, let e = bound.baseAddress else { return }
                let out = SharedOutput(values: v, bound: e)
                Parallel.forEach(blocks: ffts.count) { k in
                    let f = ffts[k]
                    for q in stride(from: k, to: pairs.count, by: ffts.count) {
                        let (a, b) = pairs[q]
                        let p = Self.pairIndex(a, b, channels: channels)
                        f.spectrum.update(from: sums.values + p * spec, count: spec)
                        f.backward()
                        let pairBound = FloatingPointBounds.inflate(n.squareRoot() * normProducts[p] * factor, operations: 4)
                        for dy in -lags.maxLagY...lags.maxLagY {
                            for dx in -lags.maxLagX...lags.maxLagX {
                                let iy = ((dy % n1) + n1) % n1, ix = ((dx % n2) + n2) % n2
                                let v = f.real[iy * n2 + ix] / n
                                let e = pairBound + u * abs(v)
                                out.values[index(a, b, dy, dx)] = v
                                out.bound[index(a, b, dy, dx)] = e
                                // R_ba(d) = R_ab(−d)
                                out.values[index(b, a, -dy, -dx)] = v
                                out.bound[index(b, a, -dy, -dx)] = e
                            }
                        }
                    }
                }
            }
        }
        return r
    }

    /// The lag-domain sums with their bound `γ_k · Σ_images ‖x_a‖‖x_b‖` (`LagCorrelation`),
    /// mirrored: `R_ba(d) = R_ab(−d)`.
    func lagResult() -> InputCorrelations {
        var r = InputCorrelations.zero(channels: channels, lags: lags, circular: circular)
        r.images = images
        let k = LagCorrelation.roundings(height: height, width: width, images: images)
        let gamma = FloatingPointBounds.gamma(k)
        let sums = lagSums.pointer
        for a in 0..<channels { for b in a..<channels {
            // normProducts: `images` products of upper bounds, summed (inflated for that rounding).
            let e = FloatingPointBounds.inflate(gamma * normProducts[pairIndex(a, b)], operations: images + 4)
            for dy in -lags.maxLagY...lags.maxLagY { for dx in -lags.maxLagX...lags.maxLagX {
                // Same channel: only d ⪰ 0 was summed; R_aa(d) = R_aa(−d).
                let stored = a == b && (dy < 0 || (dy == 0 && dx < 0)) ? lags.index(-dy, -dx) : lags.index(dy, dx)
                let v = sums[(a * channels + b) * lags.count + stored]
                r.values[r.index(a, b, dy, dx)] = v
                r.bound[r.index(a, b, dy, dx)] = e
                r.values[r.index(b, a, -dy, -dx)] = v
                r.bound[r.index(b, a, -dy, -dx)] = e
            } }
        } }
        return r
    }

    struct SharedOutput: @unchecked Sendable {
        let values: UnsafeMutablePointer<Double>
        let bound: UnsafeMutablePointer<Double>
    }
}
