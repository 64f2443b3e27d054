/// Kernel cross-correlations `T_ab,cc'(d) = Σ_u K[a,c](u)·K[b,c'](u + d)`
/// (Documentation/Theory.md#correlations) at the lags `|dy| ≤ kh−1`, `|dx| ≤ kw−1`: the one
/// implementation, generic over the numbers — binary64 for the correlation engine
/// (`KernelCorrelation`) and the direct CS (`DirectSimilarity`), `Int`/`BigInt` for the exact
/// certificates (`ExactInstance`). The closed forms of the theorem checks (`ClosedForms`) keep
/// their own, over polynomial rings: they are the independent side those checks compare against.
public enum KernelCrossCorrelation {
    /// `T(d) = Σ_u a(u)·b(u + d)` for two `kh×kw` kernel channels stored row-major in `k` from
    /// offsets `a` and `b`. Each lag's sum, over `uy` then `ux`, of `term(a(u), b(u + d))` (the
    /// product, or its magnitude for error bounds) is passed to `store(index, value)`, lags in
    /// the order `dy`, then `dx`, index `(dy + kh − 1)·(2kw − 1) + dx + kw − 1`.
    @inlinable
    public static func channelPair<T: AdditiveArithmetic>(_ k: UnsafeBufferPointer<T>, a: Int, b: Int,
                                                          kernelHeight kh: Int, kernelWidth kw: Int,
                                                          term: (T, T) -> T, store: (Int, T) -> Void) {
        let lw = 2 * kw - 1
        for dy in -(kh - 1)...(kh - 1) {
            for dx in -(kw - 1)...(kw - 1) {
                var s = T.zero
                for uy in max(0, -dy)..<min(kh, kh - dy) {
                    for ux in max(0, -dx)..<min(kw, kw - dx) {
                        s += term(k[a + uy * kw + ux], k[b + (uy + dy) * kw + ux + dx])
                    }
                }
                store((dy + kh - 1) * lw + dx + kw - 1, s)
            }
        }
    }

    /// Every channel pair of kernels `i` and `j` of an OIHW bank (`values`, `C` channels):
    /// `t[(c·C + c')·L + lag]`, `L = (2kh − 1)(2kw − 1)`, lag index as in `channelPair`.
    @inlinable
    public static func kernelPair<T: AdditiveArithmetic>(_ values: [T], _ i: Int, _ j: Int, channels c: Int,
                                                         kernelHeight kh: Int, kernelWidth kw: Int,
                                                         term: (T, T) -> T) -> [T] {
        let kk = kh * kw, nl = (2 * kh - 1) * (2 * kw - 1)
        var t = [T](repeating: .zero, count: c * c * nl)
        values.withUnsafeBufferPointer { k in
            for p in 0..<c { for q in 0..<c {
                let base = (p * c + q) * nl
                channelPair(k, a: (i * c + p) * kk, b: (j * c + q) * kk, kernelHeight: kh, kernelWidth: kw, term: term) { t[base + $0] = $1 }
            } }
        }
        return t
    }
}
