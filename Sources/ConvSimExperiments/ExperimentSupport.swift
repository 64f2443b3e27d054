import ConvSimCore
import ConvSimIO
import Foundation

/// The activations of Experiment 4.3 (PyTorch defaults).
public enum Activation: String, CaseIterable, Sendable {
    /// `max(0, x)`
    case relu = "ReLU"
    /// `x` for `x > 0`, else `α(eˣ − 1)`, `α = 1`
    case elu = "ELU"
    /// `x` for `x ≥ 0`, else `0.01·x`
    case leakyReLU = "LeakyReLU"

    public static let eluAlpha = 1.0
    public static let leakySlope = 0.01

    public func apply(_ x: Double) -> Double {
        switch self {
        case .relu: return x > 0 ? x : 0
        case .elu: return x > 0 ? x : Activation.eluAlpha * (Foundation.expm1(x))
        case .leakyReLU: return x >= 0 ? x : Activation.leakySlope * x
        }
    }

    public func apply(_ v: [Double]) -> [Double] { v.map(apply) }

    /// JSON key.
    public var key: String {
        switch self { case .relu: return "relu"; case .elu: return "elu"; case .leakyReLU: return "leaky_relu" }
    }
}

/// Relative and absolute reductions of a cosine: `|c₀| − |c₁|` and `(|c₀| − |c₁|)/|c₀|`
/// (positive = the similarity fell; a negative value means it rose).
public enum Reduction {
    public static func absolute(before c0: Double, after c1: Double) -> Double { abs(c0) - abs(c1) }
    public static func relative(before c0: Double, after c1: Double) -> Double { (abs(c0) - abs(c1)) / abs(c0) }
}

/// What one experiment produced, typed: its runs and their statistics (`ExperimentResult`) and
/// the per-run table. No report text: `ConvSimReport.ExperimentReportRenderer` renders the
/// report, the `--json` summary and the terminal lines from it.
public struct ExperimentOutcome: Sendable {
    public var id: String
    public var seed: UInt64
    public var result: ExperimentResult
    /// One row per run: every per-run value the statistics and figures are computed from
    /// (`--export csv|jsonl` writes it as `runs.csv` / `runs.jsonl`).
    public var runs: DataTable

    public init(id: String, seed: UInt64, result: ExperimentResult, runs: DataTable) {
        self.id = id; self.seed = seed; self.result = result; self.runs = runs
    }
}

/// The runs of an experiment (the first `Experiments.shownRuns` with their whole curves) and
/// their statistics.
public enum ExperimentResult: Sendable {
    case e41(runs: [Experiment41.Run], statistics: Experiment41.Statistics)
    case e43(runs: [Experiment43.Run], statistics: Experiment43.Statistics)
    case e44(runs: [Experiment44.Run], statistics: Experiment44.Statistics)
}

/// The registry of experiments: `convsim experiment ID`.
public enum Experiments {
    public static let ids = ["4.1", "4.3", "4.4"]
    public static let defaultReps = 200

    /// Runs experiment `id` over `reps` repetitions drawn from one `SeededRandom(seed)` stream
    /// (repetition `r` continues the stream of repetition `r−1`): same seed, same bytes.
    /// - Throws: `ConvSimError.invalidArgument` for an unknown id or `reps ≤ 0`.
    public static func run(id: String, reps: Int, seed: UInt64, progress: ((Int, Int) -> Void)? = nil) throws -> ExperimentOutcome {
        guard reps > 0 else { throw ConvSimError.invalidArgument("--reps must be positive (got \(reps))") }
        switch id {
        case "4.1":
            let runs = Experiment41.runs(reps, seed: seed, progress: progress)
            return ExperimentOutcome(id: id, seed: seed, result: .e41(runs: runs, statistics: .init(runs)), runs: Experiment41.runsTable(runs))
        case "4.3":
            let runs = Experiment43.runs(reps, seed: seed, progress: progress)
            return ExperimentOutcome(id: id, seed: seed, result: .e43(runs: runs, statistics: .init(runs)), runs: Experiment43.runsTable(runs))
        case "4.4":
            let runs = Experiment44.runs(reps, seed: seed, progress: progress)
            return ExperimentOutcome(id: id, seed: seed, result: .e44(runs: runs, statistics: .init(runs)), runs: Experiment44.runsTable(runs))
        default: throw ConvSimError.invalidArgument("unknown experiment '\(id)'; known: \(ids.joined(separator: ", "))")
        }
    }

    /// Runs `body` for `reps` repetitions from one stream, reporting progress (runs done, runs asked) after each.
    /// Runs whose whole curves are kept for the figures; every later run keeps its summary
    /// only (`CompactableRun.compacted`), so memory grows by about 1 KB per run.
    public static let shownRuns = 12

    static func repeated<R: CompactableRun>(_ reps: Int, seed: UInt64, label: String, progress: ((Int, Int) -> Void)?,
                                            _ body: (inout SeededRandom) -> R) -> [R] {
        var rng = SeededRandom(seed: seed)
        var out: [R] = []   // grows with the runs done: nothing is reserved for what is asked
        progress?(0, reps)
        for r in 0..<reps {
            let run = body(&rng)
            out.append(r < shownRuns ? run : run.compacted())
            progress?(r + 1, reps)
        }
        return out
    }
}

/// A repetition's result that can drop its per-step curves, keeping what the statistics use
/// (each curve's first and last values, the final matrices and vectors).
protocol CompactableRun {
    func compacted() -> Self
}

extension Array where Element == Double {
    /// The first and last values (what a statistic over a curve uses).
    var ends: [Double] { count <= 2 ? self : [self[0], self[count - 1]] }
}
