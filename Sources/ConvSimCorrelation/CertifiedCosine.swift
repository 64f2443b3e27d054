import ConvSimCore

/// A certified interval for a feature-map cosine `G_ij/√(G_ii G_jj)` computed
/// from a Gram `g` whose entries carry error bounds `b` (as `GramResult` and the
/// direct reference return them).
public enum CertifiedCosine {
    /// The computed cosine and a half-width `h` with `|cos_exact − value| ≤ h`.
    ///
    /// The exact cosine lies in `[(|g_ij|−b_ij)/√((g_ii+b_ii)(g_jj+b_jj)), (|g_ij|+b_ij)/√((g_ii−b_ii)(g_jj−b_jj))]`
    /// (infinite when a diagonal bound reaches its entry); the half-width is the
    /// larger distance from `|value|` to an end, inflated for the roundings of the
    /// ends, plus `4u|value|` for the rounding of the quotient `value` itself.
    public static func interval(_ g: Matrix, _ b: Matrix, _ i: Int, _ j: Int) -> (value: Double, halfWidth: Double) {
        let c = g[i, j] / (g[i, i] * g[j, j]).squareRoot()
        guard g[i, i] > b[i, i], g[j, j] > b[j, j] else { return (c, .infinity) }
        let hi = (abs(g[i, j]) + b[i, j]) / ((g[i, i] - b[i, i]) * (g[j, j] - b[j, j])).squareRoot()
        let lo = (abs(g[i, j]) - b[i, j]) / ((g[i, i] + b[i, i]) * (g[j, j] + b[j, j])).squareRoot()
        return (c, FloatingPointBounds.inflate(max(hi - abs(c), abs(c) - lo), operations: 8)
                    + 4 * FloatingPointBounds.unitRoundoff * abs(c))
    }
}
