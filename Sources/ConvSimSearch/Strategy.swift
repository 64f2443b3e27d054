import ConvSimCertificates
import Foundation
import ConvSimCore
import ConvSimExperiments
import ConvSimReport

/// What a search run is asked to do (stored in the checkpoint; a resume must match it).
public struct SearchConfig: Codable, Sendable, Equatable {
    public var strategies: [String]
    public var inputs: [String]
    public var kernelSize: Int
    public var padding: Padding
    public var trials: Int
    public var seed: UInt64
    /// A pair is "redundant" when its feature-map |cosine| is at least this (the double
    /// nearest to `exactThreshold`, for statistics and display).
    public var threshold: Double
    /// The threshold as an exact rational `p/q` (claims are checked against this).
    public var thresholdExact: String
    /// Bank size for the gradient strategy.
    public var bankSize: Int

    public init(strategies: [String], inputs: [String], kernelSize: Int, padding: Padding, trials: Int,
                seed: UInt64, threshold: Rational, bankSize: Int) {
        self.strategies = strategies; self.inputs = inputs; self.kernelSize = kernelSize; self.padding = padding
        self.trials = trials; self.seed = seed; self.bankSize = bankSize
        self.threshold = threshold.approximate; self.thresholdExact = threshold.description
    }

    /// The exact threshold (claims hold exactly at it or are not written).
    public var exactThreshold: Rational {
        if case .success(let r) = Rational.parse(thresholdExact) { return r }
        return Rational(exactly: threshold) ?? .one
    }
}

/// The data a strategy works on: the inputs and their exact patch statistics.
public struct SearchContext: Sendable {
    public let config: SearchConfig
    public let inputs: [(name: String, signal: Signal)]
    public let stats: [PatchStatistics]
    /// The command line that reproduces the run (for certificates).
    public let command: String

    public init(config: SearchConfig, inputs: [(name: String, signal: Signal)], command: String) throws {
        self.config = config
        self.inputs = inputs
        self.command = command
        stats = try inputs.map { try PatchStatistics(name: $0.name, input: $0.signal, kernelSize: config.kernelSize, padding: config.padding) }
    }
}

/// The resumable state of one strategy: how many units are done, the RNG
/// state, and what has been collected. Plain data, so a checkpoint is JSON.
public struct StrategyState: Codable, Sendable, Equatable {
    public var done = 0
    public var rng: UInt64
    public var series: [String: [Double]] = [:]
    public var best: [String: Double] = [:]
    public var vectors: [String: [Double]] = [:]
    public init(seed: UInt64) { rng = seed }
}

extension StrategyState {
    /// Checks a state read from a checkpoint before any strategy uses it: `done` within the
    /// run's units, every number finite, every vector of the length its strategy writes and
    /// no unknown vector. Throws a message naming the strategy and the key.
    public func validate(for s: any SearchStrategy, context: SearchContext) throws {
        func bad(_ what: String) -> ConvSimError {
            .invalidArgument("the checkpoint's state of strategy '\(s.name)' is damaged (\(what)); run without --resume to start again")
        }
        guard (0...s.units(context)).contains(done) else { throw bad("done = \(done) outside 0…\(s.units(context))") }
        for (k, v) in best where !v.isFinite { throw bad("best[\(k)] = \(v)") }
        for (k, v) in series { if v.contains(where: { !$0.isFinite }) { throw bad("series[\(k)] holds a non-finite value") } }
        let lengths = s.vectorLengths(context)
        for (k, v) in vectors {
            guard let n = lengths[k] else { throw bad("unknown vector \(k)") }
            guard v.count == n else { throw bad("vector \(k) has \(v.count) values, expected \(n)") }
            guard v.allSatisfy(\.isFinite) else { throw bad("vector \(k) holds a non-finite value") }
        }
    }
}

/// A report section produced by a strategy.
public struct Section {
    public var title: String
    public var paragraphs: [String] = []
    public var tables: [(header: [String], rows: [[String]])] = []
    public var figures: [(name: String, svg: String, caption: String)] = []
    public var json: [(String, Double)] = []
    public init(title: String) { self.title = title }
}

/// A search strategy (as Hypothesis has strategies): it advances in units
/// (trials, starts, repetitions), and at the end shrinks what it found.
public protocol SearchStrategy: Sendable {
    var name: String { get }
    var summary: String { get }
    /// Number of units this run will do.
    func units(_ context: SearchContext) -> Int
    /// Does `count` more units.
    func advance(_ state: inout StrategyState, context: SearchContext, count: Int)
    /// Findings (shrunk) and the report section.
    func finish(_ state: StrategyState, context: SearchContext) -> (findings: [Finding], section: Section)
    /// The lengths the state's vectors must have (by key), for validating a checkpoint.
    func vectorLengths(_ context: SearchContext) -> [String: Int]
}

public enum Strategies {
    public static let all: [any SearchStrategy] = [
        AdversarialStrategy(), RandomStrategy(), GradientStrategy(), Paper41Strategy(),
        ChannelStrategy(), SymmetricStrategy(),
    ]
    public static var names: [String] { all.map(\.name) }
    public static func named(_ n: String) -> (any SearchStrategy)? { all.first { $0.name == n } }
}

/// Summary rows used in the search reports; the statistics themselves are
/// `ExperimentStats`' (type-7 quantiles, as NumPy's default).
public enum Stats {
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double { ExperimentStats.quantile(sorted: sorted, q) }
    public static func mean(_ v: [Double]) -> Double { ExperimentStats.mean(v) }
    public static func summaryRow(_ label: String, _ v: [Double]) -> [String] {
        let s = v.sorted()
        return [label, String(v.count), Fmt.f(mean(v)), Fmt.f(quantile(s, 0.5)), Fmt.f(quantile(s, 0.025)),
                Fmt.f(quantile(s, 0.975)), Fmt.f(s.last ?? .nan)]
    }
    public static let summaryHeader = ["series", "n", "mean", "median", "2.5%", "97.5%", "max"]
}

extension SeededRandom {
    /// A unit vector uniformly distributed on the sphere in `ℝ^n`.
    public mutating func unitVector(_ n: Int) -> [Double] {
        var v = (0..<n).map { _ in gaussian() }
        let s = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for i in 0..<n { v[i] /= s }
        return v
    }

    /// A Haar-random orthonormal pair in `ℝ^n` (Gram–Schmidt on two Gaussian vectors).
    public mutating func orthonormalPair(_ n: Int) -> ([Double], [Double]) {
        let a = unitVector(n)
        var b = (0..<n).map { _ in gaussian() }
        let d = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        for i in 0..<n { b[i] -= d * a[i] }
        let s = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return (a, b.map { $0 / s })
    }
}

/// Helpers to view flattened kernels as heatmap panels.
enum Panels {
    static func of(_ v: [Double], channels c: Int, k: Int, label: String) -> [(caption: String, rows: Int, cols: Int, values: [Double])] {
        let names = c == 3 ? ["R", "G", "B"] : (0..<c).map { "c\($0)" }
        return (0..<c).map { ch in (caption: "\(label) \(names[ch])", rows: k, cols: k, values: Array(v[(ch * k * k)..<((ch + 1) * k * k)])) }
    }
}
