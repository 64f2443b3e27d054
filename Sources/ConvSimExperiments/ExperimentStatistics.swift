/// Summary statistics of a sample, as the experiment reports print them.
///
/// Quantiles interpolate linearly between order statistics (Hyndman–Fan type 7,
/// NumPy's default): with `x₀ ≤ … ≤ x_{n−1}` and `h = q·(n−1)`,
/// `Q(q) = x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋)`. The median is `Q(0.5)`; the
/// "95% interval" is `[Q(0.025), Q(0.975)]`, the central 95% of the runs (an
/// empirical range of the distribution, not a confidence interval of the mean).
public enum ExperimentStats {
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

/// The distribution of one quantity over the runs of an experiment.
public struct Distribution: Sendable, Equatable {
    public var n: Int
    public var mean: Double
    public var median: Double
    /// 2.5% and 97.5% quantiles: the central 95% of the runs.
    public var q025: Double
    public var q975: Double
    public var min: Double
    public var max: Double

    public init(_ values: [Double]) {
        let s = values.sorted()
        n = s.count
        mean = ExperimentStats.mean(values)
        median = ExperimentStats.quantile(sorted: s, 0.5)
        q025 = ExperimentStats.quantile(sorted: s, 0.025)
        q975 = ExperimentStats.quantile(sorted: s, 0.975)
        min = s.first ?? .nan
        max = s.last ?? .nan
    }

    /// `{n, mean, median, q025, q975, min, max}` for the JSON summary.
    public var summary: SummaryValue {
        .object([("n", .int(n)), ("mean", .number(mean)), ("median", .number(median)), ("q025", .number(q025)),
                 ("q975", .number(q975)), ("min", .number(min)), ("max", .number(max))])
    }
}

/// A JSON-like value for the `--json` summary (ordered keys; the command renders it).
public indirect enum SummaryValue: Sendable {
    case number(Double)
    case int(Int)
    case uint(UInt64)
    case string(String)
    case bool(Bool)
    case array([SummaryValue])
    case object([(String, SummaryValue)])

    public static func matrix(_ m: [[Double]]) -> SummaryValue { .array(m.map { .array($0.map { .number($0) }) }) }
}
