import ConvSimCore
import Foundation

/// The direct reference for the Convolutional Similarity (Documentation/Theory.md#cs): every
/// kernel cross-correlation `T_ij,cc'(d) = Σ_u K[i,c](u)·K[j,c'](u+d)` is summed
/// from its definition, no transform. Cost `O(P·C·(kh·kw)²)` for `adjacent`/`pairs`
/// and `O(P·C²·(kh·kw)²)` for `symmetric` (`P` the number of kernel pairs).
///
/// Gradients (derived from the definitions, `S_ij = ½(T_ij + T_ji)` symmetric in `i, j`):
/// - `pairs`/`adjacent`: `∂CS/∂K[a,e](w) = 2 Σ_{j ~ a} Σ_d T_aj,ee(d)·K[j,e](w+d)`
///   over the partners `j` of `a` in the variant's pair set;
/// - `symmetric`: `∂CS/∂K[a,e](w) = 2 Σ_{j≠a} Σ_{c'} Σ_d S_aj,ec'(d)·K[j,c'](w+d)`.
///
/// **Error bound.** Every computed quantity is a sum of monomials in the kernel
/// entries, each carried through at most `n` roundings, so (Higham Lemma 3.1)
/// `|CŜ − CS| ≤ γ_n · CS(|K|)` and `|∂̂ − ∂| ≤ γ_{n'} · ∂CS(|K|)` entrywise, where
/// `CS(|K|)`, `∂CS(|K|)` are the same expressions on the absolute values of the
/// kernels (all terms then non-negative). With `kk = kh·kw`, `D = (2kh−1)(2kw−1)`,
/// `P` pairs: `n = 4kk + 3 + D·C + C + P + 64` and `n' = 2kk + 3 + D·C + M + 64`
/// (the 64 covers the merge of per-thread partial sums).
public enum DirectSimilarity {

    /// The value (and gradient) with its certified bound. The bound evaluates the
    /// same direct sums on `|K|` (doubling the cost).
    public static func evaluate(_ bank: KernelBank, variant: CSVariant, gradient: Bool = false,
                                withBound: Bool = true) -> CSResult {
        let r = compute(bank, variant: variant, gradient: gradient)
        var result = CSResult(variant: variant, value: r.value, bound: .nan, gradient: r.gradient)
        if withBound {
            let a = compute(bank.magnitudes, variant: variant, gradient: gradient)
            let b = bounds(shape: bank, variant: variant, absValue: a.value, absGradient: a.gradient)
            result.bound = b.value
            result.gradientBound = b.gradient
        }
        return result
    }

    /// Operation counts `(n, n')` of the error analysis above.
    public static func operationCounts(shape k: KernelBank, variant: CSVariant) -> (value: Int, gradient: Int) {
        let kk = k.taps, d = (2 * k.kernelHeight - 1) * (2 * k.kernelWidth - 1)
        let p = variant.pairs(count: k.count).count
        return (4 * kk + 3 + d * k.channels + k.channels + p + 64, 2 * kk + 3 + d * k.channels + k.count + 64)
    }

    /// Certified bounds from the computed `CS(|K|)` and `∂CS(|K|)` (floating-point
    /// values of non-negative sums, inflated to upper bounds of their exact values).
    /// The gradient bound is per kernel: `γ_{n'}·‖∂CS(|K|)_i‖₂`.
    public static func bounds(shape k: KernelBank, variant: CSVariant, absValue: Double,
                              absGradient: [Double]?) -> (value: Double, gradient: [Double]?) {
        let (n, ng) = operationCounts(shape: k, variant: variant)
        let vb = FloatingPointBounds.gamma(n) * FloatingPointBounds.inflate(absValue, operations: n)
        let gb: [Double]? = absGradient.map { g in
            (0..<k.count).map { i in
                var s = 0.0
                for t in (i * k.kernelLength)..<((i + 1) * k.kernelLength) {
                    let x = FloatingPointBounds.inflate(g[t], operations: ng)
                    s += x * x
                }
                return FloatingPointBounds.gamma(ng) * FloatingPointBounds.inflate(s, operations: k.kernelLength + 2).squareRoot()
                    * (1 + 2 * FloatingPointBounds.unitRoundoff)
            }
        }
        return (vb, gb)
    }

    /// The same certified bounds with `CS(|K|)` and `∂CS(|K|)` taken from the fast path on
    /// `|K|` plus its own certified bound (upper bounds of the exact values): cheap, used
    /// when the direct path itself is the expensive reference being timed.
    public static func bounds(shape k: KernelBank, variant: CSVariant, fastOnAbs f: CSResult) -> (value: Double, gradient: [Double]?) {
        let (n, ng) = operationCounts(shape: k, variant: variant)
        let vb = FloatingPointBounds.gamma(n) * FloatingPointBounds.inflate(f.value + f.bound, operations: 4)
        let gb: [Double]? = f.gradient.map { g in
            (0..<k.count).map { i in
                var s = 0.0
                for t in (i * k.kernelLength)..<((i + 1) * k.kernelLength) { s += g[t] * g[t] }
                let norm = FloatingPointBounds.inflate(s, operations: k.kernelLength + 2).squareRoot() * (1 + 2 * FloatingPointBounds.unitRoundoff)
                let bi = f.gradientBound!.count == k.count ? f.gradientBound![i] : f.gradientBound![0]
                return FloatingPointBounds.gamma(ng) * FloatingPointBounds.inflate(norm + bi, operations: 4)
            }
        }
        return (vb, gb)
    }

    /// The value and gradient without a bound (the timed reference of `bench cs`).
    /// Parallel over the first kernel index when the work is large.
    public static func compute(_ bank: KernelBank, variant: CSVariant, gradient: Bool) -> (value: Double, gradient: [Double]?) {
        let m = bank.count
        if m < 2 { return (0, gradient ? [Double](repeating: 0, count: bank.values.count) : nil) }
        let c = bank.channels, kk = bank.taps
        let work = Double(variant.pairs(count: m).count) * Double(variant.crossChannel ? c * c : c) * Double(kk * kk)
        let chunks = work > 2e7 ? min(m, 64) : 1
        // Distribute first indices round-robin so chunks get similar numbers of pairs.
        let kt = variant.crossChannel ? transposed(bank) : []
        let partial = Parallel.map(blocks: chunks) { t in
            let firsts = Array(stride(from: t, to: m, by: chunks))
            return variant.crossChannel
                ? symmetricPart(bank, kt, firsts: firsts, gradient: gradient)
                : sameChannelPart(bank, variant: variant, firsts: firsts, gradient: gradient)
        }
        var value = 0.0
        var grad: [Double]? = gradient ? [Double](repeating: 0, count: bank.values.count) : nil
        for (v, g) in partial {
            value += v
            if let g { for t in 0..<g.count { grad![t] += g[t] } }
        }
        return (value, grad)
    }

    /// `Kt[j][v][c] = K[j,c](v)`: channels contiguous per tap.
    static func transposed(_ k: KernelBank) -> [Double] {
        let m = k.count, c = k.channels, kk = k.taps
        var t = [Double](repeating: 0, count: k.values.count)
        for j in 0..<m { for ch in 0..<c { for v in 0..<kk { t[(j * kk + v) * c + ch] = k.values[(j * c + ch) * kk + v] } } }
        return t
    }

    /// Pairs `(i, j)` with `i` in `firsts`, same-channel correlations.
    static func sameChannelPart(_ k: KernelBank, variant: CSVariant, firsts: [Int], gradient: Bool) -> (Double, [Double]?) {
        let m = k.count, cc = k.channels, kh = k.kernelHeight, kw = k.kernelWidth, kk = kh * kw
        let lw = 2 * kw - 1, nd = (2 * kh - 1) * lw
        var grad: [Double] = gradient ? [Double](repeating: 0, count: k.values.count) : []
        var tBuf = [Double](repeating: 0, count: nd)
        var total = 0.0
        k.values.withUnsafeBufferPointer { kv in
            tBuf.withUnsafeMutableBufferPointer { tb in
                grad.withUnsafeMutableBufferPointer { gb in
                    for i in firsts {
                        let partners: [Int] = variant == .adjacent ? (i + 1 < m ? [i + 1] : []) : Array((i + 1)..<max(i + 1, m))
                        for j in partners {
                            var pairSum = 0.0
                            for c in 0..<cc {
                                let a = kv.baseAddress! + (i * cc + c) * kk
                                let b = kv.baseAddress! + (j * cc + c) * kk
                                // T(d) = Σ_u a(u) b(u+d)
                                var chanSum = 0.0
                                KernelCrossCorrelation.channelPair(kv, a: (i * cc + c) * kk, b: (j * cc + c) * kk,
                                                                   kernelHeight: kh, kernelWidth: kw, term: *) { t, s in
                                    tb[t] = s
                                    chanSum += s * s
                                }
                                pairSum += chanSum
                                if gradient {
                                    // ∂/∂a(w) = 2 Σ_d T(d) b(w+d);  ∂/∂b(w) = 2 Σ_d T(d) a(w−d)
                                    let ga = gb.baseAddress! + (i * cc + c) * kk
                                    let gbj = gb.baseAddress! + (j * cc + c) * kk
                                    for wy in 0..<kh { for wx in 0..<kw {
                                        var sa = 0.0, sb = 0.0
                                        for dy in -(kh - 1)...(kh - 1) {
                                            for dx in -(kw - 1)...(kw - 1) {
                                                let t = tb[(dy + kh - 1) * lw + dx + kw - 1]
                                                let py = wy + dy, px = wx + dx
                                                if py >= 0 && py < kh && px >= 0 && px < kw { sa += t * b[py * kw + px] }
                                                let qy = wy - dy, qx = wx - dx
                                                if qy >= 0 && qy < kh && qx >= 0 && qx < kw { sb += t * a[qy * kw + qx] }
                                            }
                                        }
                                        ga[wy * kw + wx] += 2 * sa
                                        gbj[wy * kw + wx] += 2 * sb
                                    } }
                                }
                            }
                            total += pairSum
                        }
                    }
                }
            }
        }
        return (total, gradient ? grad : nil)
    }

    /// Pairs `(i, j)`, `i` in `firsts`, `j > i`, all channel pairs. Row `c` of the pair:
    /// `X[d][c'] = T_ij,cc'(d) + T_ji,cc'(d) = 2 S_ij,cc'(d)`, so `Σ S² = ¼ Σ X²` and the
    /// gradient contributions are `Σ_{d,c'} X[d][c']·K[j,c'](w+d)` (for `i`) and
    /// `Σ_{d,c'} X[d][c']·K[i,c'](w+d)` (for `j`).
    static func symmetricPart(_ k: KernelBank, _ kt: [Double], firsts: [Int], gradient: Bool) -> (Double, [Double]?) {
        let m = k.count, cc = k.channels, kh = k.kernelHeight, kw = k.kernelWidth, kk = kh * kw
        let lw = 2 * kw - 1, nd = (2 * kh - 1) * lw
        var grad: [Double] = gradient ? [Double](repeating: 0, count: k.values.count) : []
        var xBuf = [Double](repeating: 0, count: nd * cc)
        var total = 0.0
        k.values.withUnsafeBufferPointer { kvb in
            kt.withUnsafeBufferPointer { ktb in
                xBuf.withUnsafeMutableBufferPointer { xb in
                    grad.withUnsafeMutableBufferPointer { gb in
                        let kv = kvb.baseAddress!, ktp = ktb.baseAddress!, x = xb.baseAddress!
                        for i in firsts {
                            for j in (i + 1)..<max(i + 1, m) {
                                var pairSum = 0.0
                                for c in 0..<cc {
                                    x.update(repeating: 0, count: nd * cc)
                                    for (src, other) in [(i, j), (j, i)] {
                                        let a = kv + (src * cc + c) * kk
                                        let o = ktp + other * kk * cc
                                        for uy in 0..<kh { for ux in 0..<kw {
                                            let av = a[uy * kw + ux]
                                            for vy in 0..<kh {
                                                for vx in 0..<kw {
                                                    let dIdx = (vy - uy + kh - 1) * lw + (vx - ux + kw - 1)
                                                    let row = x + dIdx * cc
                                                    let ov = o + (vy * kw + vx) * cc
                                                    for t in 0..<cc { row[t] += av * ov[t] }
                                                }
                                            }
                                        } }
                                    }
                                    var rowSum = 0.0
                                    for t in 0..<(nd * cc) { rowSum += x[t] * x[t] }
                                    pairSum += 0.25 * rowSum
                                    if gradient {
                                        let gi = gb.baseAddress! + (i * cc + c) * kk
                                        let gj = gb.baseAddress! + (j * cc + c) * kk
                                        let oj = ktp + j * kk * cc, oi = ktp + i * kk * cc
                                        for wy in 0..<kh { for wx in 0..<kw {
                                            var si = 0.0, sj = 0.0
                                            for vy in 0..<kh { for vx in 0..<kw {
                                                // v = w + d
                                                let dIdx = (vy - wy + kh - 1) * lw + (vx - wx + kw - 1)
                                                let row = x + dIdx * cc
                                                let pj = oj + (vy * kw + vx) * cc, pi = oi + (vy * kw + vx) * cc
                                                var a1 = 0.0, a2 = 0.0
                                                for t in 0..<cc { a1 += row[t] * pj[t]; a2 += row[t] * pi[t] }
                                                si += a1; sj += a2
                                            } }
                                            gi[wy * kw + wx] += si
                                            gj[wy * kw + wx] += sj
                                        } }
                                    }
                                }
                                total += pairSum
                            }
                        }
                    }
                }
            }
        }
        return (total, gradient ? grad : nil)
    }
}
