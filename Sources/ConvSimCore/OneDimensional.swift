/// 1-D signals and sample statistics shared by the paper's experiments and the search
/// (Documentation/Theory.md#experiments).

/// 1-D helpers shared by the paper's experiments and the search (Documentation/Theory.md#conventions: a CNN "convolution"
/// is a cross-correlation; valid padding).
public enum OneD {
    /// Valid 1-D correlation `F(p) = Σ_u k(u)·x(p+u)`, `p = 0 … |x|−|k|`.
    public static func features(_ k: [Double], _ x: [Double]) -> [Double] {
        (0...(x.count - k.count)).map { p in (0..<k.count).reduce(0.0) { $0 + k[$1] * x[p + $1] } }
    }

    /// `cos(a, b) = <a,b>/(‖a‖‖b‖)` (NaN when a vector is zero).
    public static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<a.count { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i] }
        return ab / (aa.squareRoot() * bb.squareRoot())
    }

    /// `n` draws from `U[0,1)`.
    public static func uniform(_ n: Int, _ rng: inout SeededRandom) -> [Double] { (0..<n).map { _ in rng.uniform() } }
}

/// Summary statistics of a sample (the experiments' and the search's reports).
///
/// Quantiles interpolate linearly between order statistics (Hyndman–Fan type 7,
/// NumPy's default): with `x₀ ≤ … ≤ x_{n−1}` and `h = q·(n−1)`,
/// `Q(q) = x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋)`. The median is `Q(0.5)`; the
/// "95% interval" is `[Q(0.025), Q(0.975)]`, the central 95% of the runs (an
/// empirical range of the distribution, not a confidence interval of the mean).
public enum SampleStatistics {
    /// `Q(q)` of an ascending sample (NaN for an empty one).
    public static func quantile(sorted s: [Double], _ q: Double) -> Double {
        guard !s.isEmpty else { return .nan }
        precondition(q >= 0 && q <= 1, "quantile level must be in [0, 1]")
        let h = q * Double(s.count - 1)
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, s.count - 1)
        return s[lo] + (s[hi] - s[lo]) * (h - Double(lo))
    }

    /// `Q(q)` of an unsorted sample.
    public static func quantile(_ v: [Double], _ q: Double) -> Double { quantile(sorted: v.sorted(), q) }

    public static func median(_ v: [Double]) -> Double { quantile(v, 0.5) }

    /// Arithmetic mean, summed left to right (NaN for an empty sample).
    public static func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }

    /// Fraction of entries satisfying `predicate` (NaN for an empty sample).
    public static func fraction(_ v: [Double], where predicate: (Double) -> Bool) -> Double {
        v.isEmpty ? .nan : Double(v.filter(predicate).count) / Double(v.count)
    }
}

