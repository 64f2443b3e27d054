import ConvSimCore
import ConvSimIO
import ConvSimReport
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

/// What one experiment produced: the report (Markdown + figures, written by the caller),
/// the `--json` summary and a few lines for the terminal.
public struct ExperimentOutcome {
    public var id: String
    public var report: MarkdownReport
    public var summary: [(String, JSON)]
    public var lines: [String]
    /// One row per run: every per-run value the statistics and figures are computed from
    /// (`--export csv|jsonl` writes it as `runs.csv` / `runs.jsonl`).
    public var runs = DataTable(columns: [])

    public init(id: String, report: MarkdownReport, summary: [(String, JSON)], lines: [String],
                runs: DataTable = DataTable(columns: [])) {
        self.id = id; self.report = report; self.summary = summary; self.lines = lines; self.runs = runs
    }
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
        case "4.1": return Experiment41.outcome(Experiment41.runs(reps, seed: seed, progress: progress), seed: seed)
        case "4.3": return Experiment43.outcome(Experiment43.runs(reps, seed: seed, progress: progress), seed: seed)
        case "4.4": return Experiment44.outcome(Experiment44.runs(reps, seed: seed, progress: progress), seed: seed)
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

/// Report fragments shared by the three experiments.
enum ReportKit {
    static let header = ["quantity", "n", "mean", "median", "2.5%", "97.5%", "min", "max"]

    static func row(_ label: String, _ d: Distribution, digits: Int = 4) -> [String] {
        [label, String(d.n), Fmt.f(d.mean, digits), Fmt.f(d.median, digits), Fmt.f(d.q025, digits), Fmt.f(d.q975, digits),
         Fmt.f(d.min, digits), Fmt.f(d.max, digits)]
    }

    static func percent(_ x: Double) -> String { Fmt.f(100 * x, 1) + "%" }

    /// A histogram over the data range (widened when all values coincide).
    /// Relative changes of every run: the bins span the data (widened when all values
    /// coincide), and a reference line marks 0 (no change) when it is in range.
    static func histogram(_ series: [(String, [Double])], title: String, xLabel: String) -> Figure {
        let all = series.flatMap { $0.1 }.filter { $0.isFinite }
        var lo = all.min() ?? 0, hi = all.max() ?? 1
        if hi - lo < 1e-12 * max(1, abs(hi)) { let pad = max(abs(hi) * 1e-3, 1e-9); lo -= pad; hi += pad }
        let pad = (hi - lo) * 1e-6
        return SVG.histogram(series.map { (label: $0.0, values: $0.1) }, lo: lo - pad, hi: hi + pad, bins: 40,
                             title: title, xLabel: xLabel, references: [.x(0, "no change")])
    }

    static func matrixTable(_ m: [[Double]], digits: Int = 4) -> (header: [String], rows: [[String]]) {
        let n = m.count
        return (["", ] + (1...n).map { "K\($0)" },
                (0..<n).map { i in ["K\(i + 1)"] + (0..<n).map { j in Fmt.f(m[i][j], digits) } })
    }

    static func matrixText(_ m: [[Double]], digits: Int = 4) -> [String] {
        m.map { row in "    " + row.map { let s = Fmt.f($0, digits); return String(repeating: " ", count: max(0, 10 - s.count)) + s }.joined(separator: " ") }
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
