import ConvSimCore

/// A-priori rounding-error bounds for correlations computed through FFTW.
///
/// **Transform.** Higham (*Accuracy and Stability*, 2nd ed., Thm 24.2): a
/// Cooley–Tukey FFT of `L` stages whose twiddle factors carry relative error
/// at most `μ` satisfies `‖ŷ − y‖₂ ≤ ε‖y‖₂`, `ε = Lη/(1 − Lη)`,
/// `η = μ + γ₄(√2 + μ)`. We model FFTW's mixed-radix plans as a product of
/// stages and count, per prime factor `p` of each axis length, `⌈log₂ p⌉`
/// stages for `p ≤ 7` and `2⌈log₂ p⌉ + 3` for larger primes (Rader's algorithm:
/// a forward FFT, a pointwise product and an inverse FFT), plus 2 stages for
/// the real-to-complex packing; per stage we take `η = μ + γ₈(√2 + μ)` (a
/// butterfly of radix up to 8 costs at most 8 roundings per output) with
/// `μ = 4u` (FFTW computes twiddles in extended precision, error ≤ 1 ulp).
/// This is the stated model; tests compare it with the direct sums on
/// thousands of random cases and it has never been exceeded.
///
/// **Correlation.** For real `x, y` zero-padded to `n` samples,
/// `r = IDFT(conj(X̂)·Ŷ)/n`. With `‖X̂‖₂ = √n‖x‖₂`, a complex product error of
/// `√2γ₂|a||b|` and `‖a⊙b‖₂ ≤ ‖a‖₂‖b‖₂`, one image gives
/// `‖ΔZ‖₂ ≤ δ₁ n‖x‖‖y‖`, `δ₁ = 2ε + ε² + √2γ₂(1+ε)²`; summing `N` spectra adds
/// `γ_N(1+δ₁) n Σ‖x‖‖y‖`; the inverse transform (norm `√n`) and the division by
/// `n` give, for every lag,
/// `|ΔR(d)| ≤ √n · S · δ_R + u|R(d)|`, `S = Σ_images ‖x‖₂‖y‖₂`,
/// `δ_R = (δ₂ + ε(1 + δ₂))(1 + u)`, `δ₂ = δ₁ + γ_N(1 + δ₁)`.
public enum FFTErrorModel {
    static let u = FloatingPointBounds.unitRoundoff

    /// Number of butterfly stages charged to an FFT of length `n` on one axis.
    public static func stages(axisLength n: Int) -> Int {
        func cost(_ p: Int) -> Int { p <= 7 ? ceilLog2(p) : 2 * ceilLog2(p) + 3 }
        var r = n, s = 0, p = 2
        while r > 1 {
            if p * p > r { s += cost(r); break }
            while r % p == 0 { s += cost(p); r /= p }
            p += 1
        }
        return s
    }

    static func ceilLog2(_ n: Int) -> Int {
        var k = 0
        while (1 << k) < n { k += 1 }
        return k
    }

    /// Relative 2-norm error `ε` of one 2-D real transform of size `n1×n2`.
    public static func transformError(_ n1: Int, _ n2: Int) -> Double {
        let l = Double(stages(axisLength: n1) + stages(axisLength: n2) + 2)
        let mu = 4 * u
        let eta = mu + FloatingPointBounds.gamma(8) * (2.0.squareRoot() + mu)
        let le = l * eta
        return le / (1 - le)
    }

    /// `δ_R` of the correlation bound for an `n1×n2` transform and `images` spectra summed.
    public static func correlationFactor(_ n1: Int, _ n2: Int, images: Int) -> Double {
        let eps = transformError(n1, n2)
        let d1 = 2 * eps + eps * eps + 2.0.squareRoot() * FloatingPointBounds.gamma(2) * (1 + eps) * (1 + eps)
        let d2 = d1 + FloatingPointBounds.gamma(max(images, 1)) * (1 + d1)
        return (d2 + eps * (1 + d2)) * (1 + u)
    }
}
