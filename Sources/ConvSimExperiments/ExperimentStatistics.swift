import ConvSimCore
import ConvSimIO
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
        mean = SampleStatistics.mean(values)
        median = SampleStatistics.quantile(sorted: s, 0.5)
        q025 = SampleStatistics.quantile(sorted: s, 0.025)
        q975 = SampleStatistics.quantile(sorted: s, 0.975)
        min = s.first ?? .nan
        max = s.last ?? .nan
    }

    /// `{n, mean, median, q025, q975, min, max}` for the JSON summary.
    public var summary: JSON {
        .object([("n", .int(n)), ("mean", .number(mean)), ("median", .number(median)), ("q025", .number(q025)),
                 ("q975", .number(q975)), ("min", .number(min)), ("max", .number(max))])
    }
}

