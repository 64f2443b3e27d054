import ConvSimCore
import Foundation

/// The checkpoint of a search: its configuration and each strategy's state (in memory; on
/// disk it is `CheckpointStore`'s two files).
public struct SearchCheckpoint: Sendable, Equatable {
    public var config: SearchConfig
    public var states: [String: StrategyState]
    public init(config: SearchConfig, states: [String: StrategyState]) { self.config = config; self.states = states }
}

/// Runs strategies in chunks, checkpointing after every chunk, and produces
/// the findings and what each strategy measured (`StrategyResult`). Deterministic: the same configuration
/// gives the same results whether or not it was interrupted and resumed.
public struct SearchRun {
    public let context: SearchContext
    public let strategies: [any SearchStrategy]
    public var checkpoint: SearchCheckpoint
    /// Called after each chunk with the checkpoint to persist.
    public var onCheckpoint: (SearchCheckpoint) throws -> Void = { _ in }
    /// Called after each chunk: strategy name, units done, units in all.
    public var onProgress: (String, Int, Int) -> Void = { _, _, _ in }
    public var chunk = 250
    /// Seconds between checkpoints (one is always written when a strategy completes). Saving
    /// costs what was added since the last one (`CheckpointStore`); the interval bounds the
    /// work a kill loses and keeps the number of file writes small.
    public var checkpointInterval: Double = 2

    public init(context: SearchContext, strategies: [any SearchStrategy], resumeFrom: SearchCheckpoint? = nil) throws {
        self.context = context
        self.strategies = strategies
        if let r = resumeFrom {
            // The same settings, except that --trials may grow: a finished or interrupted run is
            // extended to what one run of the larger count gives (units draw from the strategy's
            // own stream, one after the other, so nothing depends on where a run stopped).
            var asked = context.config
            asked.trials = r.config.trials
            guard asked == r.config else {
                throw ConvSimError.invalidArgument("the checkpoint was made with different settings (\(r.config.strategies.joined(separator: ",")), seed \(r.config.seed), trials \(r.config.trials), inputs \(r.config.inputs.joined(separator: ", "))); run without --resume or with the same flags")
            }
            guard context.config.trials >= r.config.trials else {
                throw ConvSimError.invalidArgument("--resume: the checkpoint has --trials \(r.config.trials); a run can be extended (a larger --trials), not shortened; run without --resume for \(context.config.trials) trials")
            }
            for s in strategies {
                guard let st = r.states[s.name] else {
                    throw ConvSimError.invalidArgument("the checkpoint has no state for strategy '\(s.name)'; run without --resume to start again")
                }
                try st.validate(for: s, context: context)
            }
            checkpoint = SearchCheckpoint(config: context.config, states: r.states)
        } else {
            var states: [String: StrategyState] = [:]
            for (i, s) in strategies.enumerated() {
                // Independent streams per strategy, derived from the seed.
                var mix = SeededRandom(seed: context.config.seed &+ UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15)
                states[s.name] = StrategyState(seed: mix.next(), data: s.initialData(context))
            }
            checkpoint = SearchCheckpoint(config: context.config, states: states)
        }
    }

    /// Advances every strategy to completion.
    public mutating func run() throws {
        for s in strategies {
            let total = s.units(context)
            guard var state = checkpoint.states[s.name] else {
                throw ConvSimError.invalidArgument("the checkpoint has no state for strategy '\(s.name)'; run without --resume to start again")
            }
            var lastCheckpoint = Date()
            onProgress(s.name, state.done, total)   // where this part starts (a resumed run: not at 0)
            while state.done < total {
                let n = min(chunk, total - state.done)
                s.advance(&state, context: context, count: n)
                checkpoint.states[s.name] = state
                if state.done == total || Date().timeIntervalSince(lastCheckpoint) >= checkpointInterval {
                    try onCheckpoint(checkpoint)
                    lastCheckpoint = Date()
                }
                onProgress(s.name, state.done, total)
            }
        }
    }

    /// Shrinks and collects the findings and measurements of each strategy.
    public func finish() -> [StrategyResult] {
        strategies.compactMap { s in
            guard let state = checkpoint.states[s.name] else { return nil }   // `run` refuses a checkpoint without it
            let r = s.finish(state, context: context)
            return StrategyResult(strategy: s.name, findings: r.findings, measured: r.measured)
        }
    }
}
