import ConvSimCore

/// Kernel cross-correlations `T_ij,cc'(d) = Σ_u K[i,c](u)·K[j,c'](u + d)`
/// (Documentation/Theory.md#correlations) at lags `|dy| ≤ kh−1`, `|dx| ≤ kw−1`, computed directly
/// (`O(C²·kh²·kw²)` per pair — kernels are small) by `KernelCrossCorrelation`, ConvSimCore's one
/// implementation.
public struct KernelCorrelation: Sendable {
    public let channels: Int
    public let lags: LagWindow
    /// `values[(c·C + c')·lags.count + lags.index(dy,dx)]` for one pair `(i, j)`.
    public var values: [Double]
    /// `Σ_u |K[i,c](u)|·|K[j,c'](u+d)|`, same layout (for error bounds).
    public var absValues: [Double]

    @inlinable public func value(_ c: Int, _ c2: Int, _ dy: Int, _ dx: Int) -> Double {
        values[(c * channels + c2) * lags.count + lags.index(dy, dx)]
    }

    public init(bank k: KernelBank, _ i: Int, _ j: Int) {
        let c = k.channels, kh = k.kernelHeight, kw = k.kernelWidth
        lags = LagWindow(kernelHeight: kh, kernelWidth: kw)
        channels = c
        values = KernelCrossCorrelation.kernelPair(k.values, i, j, channels: c, kernelHeight: kh, kernelWidth: kw, term: *)
        absValues = KernelCrossCorrelation.kernelPair(k.values, i, j, channels: c, kernelHeight: kh, kernelWidth: kw) { abs($0 * $1) }
    }

    /// The right side of T1: `Σ_{c,c'} Σ_d T_ij,cc'(d)·R_cc'(d)`, with an
    /// a-priori bound on its error given the bound on `R`:
    /// `Σ |T||ΔR| + γ_{L+kh·kw}(Σ |T|abs·(|R̂| + ΔR))`, `L` the number of terms.
    public func pairedWith(_ r: InputCorrelations) -> (value: Double, bound: Double) {
        precondition(r.channels == channels && r.lags == lags)
        var s = 0.0, e = 0.0, a = 0.0
        for t in 0..<values.count {
            s += values[t] * r.values[t]
            e += abs(values[t]) * r.bound[t]
            a += absValues[t] * (abs(r.values[t]) + r.bound[t])
        }
        let n = values.count + lags.count
        let g = FloatingPointBounds.gamma(n)
        return (s, FloatingPointBounds.inflate(e + g * a, operations: n))
    }
}
