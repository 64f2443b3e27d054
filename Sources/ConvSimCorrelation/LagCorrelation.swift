import ConvSimCore

/// Linear input correlations `R_ab(d) = Σ_q X_a(q)·X_b(q + d)` of one image summed directly
/// in the lag domain, for large images and small lag windows, where they cost less than the
/// transforms (Documentation/Theory.md#correlations).
///
/// **Cost.** `(C(C−1)/2·|L| + C·(|L|+1)/2)·H·W` multiply-adds per image for a window of `|L|`
/// lags (same-channel correlations are even, `R_aa(−d) = R_aa(d)`, so half the window), against
/// `C` forward transforms of `n ≥ (H+kh−1)(W+kw−1)` samples plus `C(C+1)/2` spectrum products
/// for the Fourier path. `prefersLagDomain` is the rule.
///
/// **Order of summation (fixed).** The image is cut into bands of `band` rows. Per channel
/// pair `a ≤ b`, band and lag, each row's dot product is summed in 8 lanes (two 4-wide
/// accumulators over `⌊n/8⌋` steps, then `(s₀ + s₁)` and its lanes pairwise, then the `< 8`
/// tail summed on its own and added last); the rows of a band are added in order; the bands
/// of the image in order; the images in the order added (blocks merged in block order). Each
/// `(pair, band)` is one unit of work writing only its own slot, so the bytes do not depend
/// on the thread count.
///
/// **Bound.** Every product goes through at most `k = 1 + (⌈W/8⌉ + 8) + band + ⌈H/band⌉ + N`
/// roundings (the multiplication, its lane and the lane reduction or the tail, the rows of
/// its band, the bands, the images), so (Higham, *Accuracy and Stability*, §3.1, for any
/// summation tree) `|fl(R) − R| ≤ γ_k Σ|X_a(q) X_b(q+d)| ≤ γ_k Σ_images ‖x_a‖₂‖x_b‖₂` by
/// Cauchy–Schwarz. No `√n·log n` growth as for the transforms, and no division by `n`.
public enum LagCorrelation {
    /// Rows per band (the unit of parallel work along the image).
    public static let band = 64

    /// The rule of `CorrelationAccumulator`: the lag domain when the image has at least `2¹⁶`
    /// pixels and its multiply-adds per pixel, `C(C−1)/2·|L| + C(|L|+1)/2`, are at most
    /// `4·C·log₂ n` (`n = n1·n2`, the padded transform). Calibrated on this toolkit's benchmark
    /// (`bench gram --n 1 --crop S`, 2 cores): a lag-domain multiply-add costs about 0.1 ns here
    /// and a transform about 0.8 ns per sample and `log₂ n` once the image leaves the cache;
    /// the factor 4 (not 8) leaves the transforms the cases near the line. Smaller images are
    /// transformed in cache, where the transforms win: at 32×32 the FFT path is at the floor.
    /// Selected: 3×3 kernels on RGB images from 256×256 (512×512: 114 multiply-adds a pixel,
    /// 2.9 ms of CPU, against 12 ms for the transforms alone); not 5×5 (366 > 228) nor larger.
    public static func prefersLagDomain(channels c: Int, height h: Int, width w: Int, lags: LagWindow,
                                        transform n1: Int, _ n2: Int) -> Bool {
        guard h * w >= 1 << 16, c >= 1 else { return false }
        let l = lags.count
        let direct = Double(c * (c - 1) / 2 * l + c * (l + 1) / 2)
        let fourier = 4 * Double(c) * Double((n1 * n2).bitWidth - (n1 * n2).leadingZeroBitCount)
        return direct <= fourier
    }

    /// The roundings charged to each entry after `images` images of height `h`, width `w`
    /// (`k` above).
    public static func roundings(height h: Int, width w: Int, images: Int) -> Int {
        1 + ((w + 7) / 8 + 8) + band + (h + band - 1) / band + images
    }

    /// Adds one image's correlations to `sums` (layout of `InputCorrelations.values`, only the
    /// entries `a ≤ b` — and for `a = b` the lags `d ⪰ 0` — written; the rest mirrored later).
    /// `x` is `(C, H, W)` row-major.
    static func add(_ x: UnsafePointer<Double>, channels c: Int, height h: Int, width w: Int,
                    lags: LagWindow, into sums: UnsafeMutablePointer<Double>) {
        let pairs = CorrelationAccumulator.pairs(channels: c), l = lags.count
        let bands = (h + band - 1) / band
        let units = pairs.count * bands
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(units * l, 1))
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: max(units * l, 1))
        let shared = Shared(x: x, scratch: scratch)
        let my = lags.maxLagY, mx = lags.maxLagX
        Parallel.forEach(blocks: units) { unit in
            let (a, b) = pairs[unit / bands]
            let y0 = (unit % bands) * band, y1 = min(h, y0 + band)
            let out = shared.scratch + unit * l
            let xa = shared.x + a * h * w, xb = shared.x + b * h * w
            for y in y0..<y1 {
                for dy in -my...my {
                    let y2 = y + dy
                    if y2 < 0 || y2 >= h || (a == b && dy < 0) { continue }
                    let rowA = xa + y * w, rowB = xb + y2 * w
                    for dx in -mx...mx {
                        if a == b && dy == 0 && dx < 0 { continue }
                        let n = w - abs(dx)
                        if n <= 0 { continue }
                        out[lags.index(dy, dx)] += dot(rowA + max(0, -dx), rowB + max(0, dx), n)
                    }
                }
            }
        }
        for (q, (a, b)) in pairs.enumerated() {
            for t in 0..<l {
                var s = 0.0
                for k in 0..<bands { s += scratch[(q * bands + k) * l + t] }
                sums[(a * c + b) * l + t] += s
            }
        }
    }

    /// `Σ p[i]·q[i]`, `i < n`, in the order stated above.
    @inline(__always) static func dot(_ p: UnsafePointer<Double>, _ q: UnsafePointer<Double>, _ n: Int) -> Double {
        let rp = UnsafeRawPointer(p), rq = UnsafeRawPointer(q)
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        var i = 0
        while i + 8 <= n {
            s0 += rp.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
                * rq.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
            s1 += rp.loadUnaligned(fromByteOffset: 8 * i + 32, as: SIMD4<Double>.self)
                * rq.loadUnaligned(fromByteOffset: 8 * i + 32, as: SIMD4<Double>.self)
            i += 8
        }
        var tail = 0.0
        while i < n { tail += p[i] * q[i]; i += 1 }
        let s = s0 + s1
        return ((s[0] + s[1]) + (s[2] + s[3])) + tail
    }

    struct Shared: @unchecked Sendable {
        let x: UnsafePointer<Double>
        let scratch: UnsafeMutablePointer<Double>
    }
}
