/// Standard floating-point error analysis constants (Higham, *Accuracy and
/// Stability of Numerical Algorithms*, 2nd ed., §2–3), for IEEE binary64 with
/// round-to-nearest.
public enum FloatingPointBounds {
    /// Unit roundoff `u = 2⁻⁵³`.
    public static let unitRoundoff: Double = 0x1p-53

    /// `γ_n = n·u / (1 − n·u)` (Higham Lemma 3.1): if `|δ_i| ≤ u` then
    /// `∏(1+δ_i)^{±1} = 1 + θ_n` with `|θ_n| ≤ γ_n`. A recursive sum or dot
    /// product of length `n` satisfies `|ŝ − s| ≤ γ_n Σ|a_i b_i|` (Higham (3.5)).
    /// Returns `+∞` when `n·u ≥ 1` (no bound).
    @inlinable public static func gamma(_ n: Int) -> Double {
        let nu = Double(n) * unitRoundoff
        return nu < 1 ? nu / (1 - nu) : .infinity
    }

    /// An upper bound on an exact non-negative quantity whose floating-point
    /// evaluation by `n` roundings gave `computed`: `exact ≤ computed / (1 − γ_n)`.
    /// Used so that bounds computed in floating point are themselves upper bounds.
    @inlinable public static func inflate(_ computed: Double, operations n: Int) -> Double {
        let g = gamma(n)
        return g < 1 ? computed / (1 - g) * (1 + 2 * unitRoundoff) : .infinity
    }
}
