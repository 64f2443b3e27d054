/// Wielandt's inequality for the feature maps of orthogonal kernels
/// (Documentation/Theory.md#t4): for `aᵀb = 0` and a positive semi-definite patch Gram `𝐆`,
/// `|cos(F_a, F_b)| ≤ (λmax − λmin)/(λmax + λmin)`, with equality at `a = v_max + v_min`,
/// `b = v_max − v_min` (unit eigenvectors). The one implementation of the bound and the pair.
public enum Wielandt {
    /// `(λmax − λmin)/(λmax + λmin)`. A negative `λmin` can only be rounding (𝐆 is positive
    /// semi-definite), so it is taken as 0 (the bound is then 1: a singular 𝐆 allows parallel
    /// feature maps). `nil` when `λmax + λmin ≤ 0` (𝐆 = 0: no feature map is non-zero) or a value
    /// is not finite.
    public static func bound(lambdaMin: Double, lambdaMax: Double) -> Double? {
        guard lambdaMin.isFinite, lambdaMax.isFinite else { return nil }
        let lo = max(lambdaMin, 0), hi = lambdaMax
        return hi + lo > 0 ? (hi - lo) / (hi + lo) : nil
    }

    /// The bound from eigenvalues in ascending order (as LAPACK returns them).
    public static func bound(ascendingEigenvalues values: [Double]) -> Double? {
        guard let lo = values.first, let hi = values.last else { return nil }
        return bound(lambdaMin: lo, lambdaMax: hi)
    }

    /// The bound for kernels at any angle (Bauer–Householder; Documentation/Theory.md#t4-angle):
    /// for kernels `a, b` with `|cos(a, b)| ≤ c` (`0 ≤ c ≤ 1`),
    /// `|cos(F_a, F_b)| ≤ (ρ(1 + c) − (1 − c)) / (ρ(1 + c) + (1 − c))`, `ρ = λmax/λmin`;
    /// `c = 0` gives `bound(lambdaMin:lambdaMax:)`, `λmax = λmin` gives `c`. Written as
    /// `(λmax(1 + c) − λmin(1 − c)) / (λmax(1 + c) + λmin(1 − c))` so `λmin = 0` gives 1.
    /// A negative `λmin` is taken as 0, as above; `nil` when `λmax + λmin ≤ 0`, `c` is outside
    /// `[0, 1]` or a value is not finite. Floating-point evaluation: a few ulps.
    public static func bound(kernelCosine c: Double, lambdaMin: Double, lambdaMax: Double) -> Double? {
        guard c.isFinite, (0...1).contains(c), lambdaMin.isFinite, lambdaMax.isFinite else { return nil }
        let lo = max(lambdaMin, 0), hi = lambdaMax
        guard hi + lo > 0 else { return nil }
        let p = hi * (1 + c), q = lo * (1 - c)
        return (p - q) / (p + q)
    }

    /// The pair that attains the bound: `(v_max + v_min, v_max − v_min)`.
    public static func pair(vMin: [Double], vMax: [Double]) -> (a: [Double], b: [Double]) {
        (zip(vMax, vMin).map(+), zip(vMax, vMin).map(-))
    }
}
