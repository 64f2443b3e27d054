import ConvSimCertificates
import Foundation
import ConvSimCore

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

/// The resumable state of one strategy: how many units are done, the RNG state, and what
/// the strategy has collected — typed, one Codable struct per strategy (`StrategyData`).
public struct StrategyState: Codable, Sendable, Equatable {
    public var done = 0
    public var rng: UInt64
    public var data: StrategyData
    public init(seed: UInt64, data: StrategyData) { rng = seed; self.data = data }
}

/// What each strategy collects (its own typed state). A checkpoint stores these; on resume
/// `SearchStrategy.validate` checks them against the run before any use.
public enum StrategyData: Codable, Sendable, Equatable {
    case adversarial(AdversarialState)
    case random(RandomState)
    case gradient(GradientState)
    case paper41(Paper41State)
    case channel(ChannelState)
    case symmetric(SymmetricState)

    // Written by hand, as `{"random": {…}}`: the synthesized form leaves the case out of the
    // encoder's coding path, and `Series` keys the log by that path.
    enum CodingKeys: String, CodingKey { case adversarial, random, gradient, paper41, channel, symmetric }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .adversarial(let s): try c.encode(s, forKey: .adversarial)
        case .random(let s): try c.encode(s, forKey: .random)
        case .gradient(let s): try c.encode(s, forKey: .gradient)
        case .paper41(let s): try c.encode(s, forKey: .paper41)
        case .channel(let s): try c.encode(s, forKey: .channel)
        case .symmetric(let s): try c.encode(s, forKey: .symmetric)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.allKeys.count == 1, let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "a strategy state names exactly one strategy kind"))
        }
        switch key {
        case .adversarial: self = .adversarial(try c.decode(AdversarialState.self, forKey: key))
        case .random: self = .random(try c.decode(RandomState.self, forKey: key))
        case .gradient: self = .gradient(try c.decode(GradientState.self, forKey: key))
        case .paper41: self = .paper41(try c.decode(Paper41State.self, forKey: key))
        case .channel: self = .channel(try c.decode(ChannelState.self, forKey: key))
        case .symmetric: self = .symmetric(try c.decode(SymmetricState.self, forKey: key))
        }
    }
}

/// An append-only list of values (one per unit, or per unit and input). In a checkpoint its
/// values live in the append-only log (`CheckpointStore`) and the head states only its length.
public struct Series: Codable, Sendable, Equatable {
    public private(set) var values: [Double] = []
    public init(_ values: [Double] = []) { self.values = values }
    public mutating func append(_ x: Double) { values.append(x) }
    public var count: Int { values.count }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let key = SeriesLog.key, let log = encoder.userInfo[key] as? SeriesLog {
            log.collect(path: SeriesLog.path(encoder.codingPath), values: values)
            try c.encode(values.count)
        } else {
            try c.encode(values)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let key = SeriesLog.key, let log = decoder.userInfo[key] as? SeriesLog {
            let n = try c.decode(Int.self)
            values = try log.take(path: SeriesLog.path(decoder.codingPath), count: n)
        } else {
            values = try c.decode([Double].self)
        }
    }
}

/// A kernel pair and the feature-map |cosine| it reached.
public struct BestPair: Codable, Sendable, Equatable {
    public var cosine: Double
    public var a: [Double], b: [Double]
}

/// Checks shared by the strategies' `validate`: throw a message naming the strategy and the field.
struct StateCheck {
    let strategy: String
    func fail(_ what: String) -> ConvSimError {
        .invalidArgument("the checkpoint's state of strategy '\(strategy)' is damaged (\(what)); run without --resume to start again")
    }
    func finite(_ v: [Double], _ what: String) throws {
        guard v.allSatisfy(\.isFinite) else { throw fail("\(what) holds a non-finite value") }
    }
    func finite(_ v: Double, _ what: String) throws {
        guard v.isFinite else { throw fail("\(what) = \(v)") }
    }
    func length(_ v: [Double], _ n: Int, _ what: String) throws {
        guard v.count == n else { throw fail("\(what) has \(v.count) values, expected \(n)") }
        try finite(v, what)
    }
    func series(_ s: Series, _ what: String, count expected: ClosedRange<Int>) throws {
        guard expected.contains(s.count) else { throw fail("\(what) has \(s.count) values, expected \(expected.lowerBound)…\(expected.upperBound) for the units done") }
        try finite(s.values, what)
    }
    func pair(_ p: BestPair?, order n: Int, _ what: String) throws {
        guard let p else { return }
        try finite(p.cosine, "\(what).cosine")
        try length(p.a, n, "\(what).a"); try length(p.b, n, "\(what).b")
    }
    /// How many inputs of the run carry this name (records of same-named inputs are shared).
    func multiplicity(_ name: String, _ context: SearchContext) -> Int { context.stats.filter { $0.name == name }.count }
    /// Every per-input key names an input of the run.
    func inputs<V>(_ d: [String: V], _ context: SearchContext) throws {
        let names = Set(context.stats.map(\.name))
        for k in d.keys where !names.contains(k) { throw fail("a record for input '\(k)', which this run does not have") }
    }
}

extension StrategyState {
    /// `done` within the run's units and the data of the strategy's own kind, then the
    /// strategy's checks of its typed fields.
    public func validate(for s: any SearchStrategy, context: SearchContext) throws {
        let check = StateCheck(strategy: s.name)
        guard (0...s.units(context)).contains(done) else { throw check.fail("done = \(done) outside 0…\(s.units(context))") }
        try s.validate(self, context: context)
    }
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
    /// Findings (shrunk) and what the strategy measured, typed (`Measurements`); the report
    /// module renders them.
    func finish(_ state: StrategyState, context: SearchContext) -> (findings: [Finding], measured: Measurements)
    /// The state a run starts from.
    func initialData(_ context: SearchContext) -> StrategyData
    /// Checks a state read from a checkpoint (its kind, every length, range and value) before
    /// any use; throws a message naming the field (`StateCheck`).
    func validate(_ state: StrategyState, context: SearchContext) throws
}

public enum Strategies {
    public static let all: [any SearchStrategy] = [
        AdversarialStrategy(), RandomStrategy(), GradientStrategy(), Paper41Strategy(),
        ChannelStrategy(), SymmetricStrategy(),
    ]
    public static var names: [String] { all.map(\.name) }
    public static func named(_ n: String) -> (any SearchStrategy)? { all.first { $0.name == n } }
}

/// The statistics of the search's series; the computation is `SampleStatistics`' (type-7
/// quantiles, as NumPy's default).
public enum Stats {
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double { SampleStatistics.quantile(sorted: sorted, q) }
    public static func mean(_ v: [Double]) -> Double { SampleStatistics.mean(v) }
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
