import ConvSimCore
import ConvSimReport
import Foundation

/// The checkpoint of a search: its configuration and each strategy's state.
public struct SearchCheckpoint: Codable, Sendable, Equatable {
    public static let currentFormat = "convsimkit-search-checkpoint/2"
    public var format = SearchCheckpoint.currentFormat
    public var config: SearchConfig
    public var states: [String: StrategyState]
    /// FNV-1a (64-bit) of the canonical JSON of `config` and `states`: a damaged checkpoint
    /// (a changed byte, a truncated value) no longer matches and is refused, never used.
    public var contentHash = ""
    public init(config: SearchConfig, states: [String: StrategyState]) { self.config = config; self.states = states }

    public var computedHash: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in [try? e.encode(config), try? e.encode(states)] {
            for b in part ?? Data() { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        }
        return String(h, radix: 16)
    }

    /// The checkpoint with its hash set, as written to disk.
    public var sealed: SearchCheckpoint { var c = self; c.contentHash = computedHash; return c }

    /// Reads a checkpoint file: the format, the hash and then every strategy's state are
    /// checked before anything is used (`SearchRun` validates the states against the run).
    public static func read(_ data: Data, path: String) throws -> SearchCheckpoint {
        let cp: SearchCheckpoint
        do { cp = try JSONDecoder().decode(SearchCheckpoint.self, from: data) } catch {
            throw ConvSimError.malformedFile(path: path, reason: "not a search checkpoint (\(error)); run without --resume to start again")
        }
        guard cp.format == currentFormat else {
            throw ConvSimError.malformedFile(path: path, reason: "checkpoint format '\(cp.format)', expected '\(currentFormat)'; run without --resume to start again")
        }
        guard cp.contentHash == cp.computedHash else {
            throw ConvSimError.malformedFile(path: path, reason: "the checkpoint is damaged (its content hash does not match); run without --resume to start again")
        }
        return cp
    }
}

/// Runs strategies in chunks, checkpointing after every chunk, and produces
/// the findings and report sections. Deterministic: the same configuration
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
    /// Seconds between checkpoints (one is always written when a strategy completes). A
    /// checkpoint holds every strategy's collected values, so writing one after every chunk
    /// would make the cost of a long run grow quadratically; by time it stays linear.
    public var checkpointInterval: Double = 5

    public init(context: SearchContext, strategies: [any SearchStrategy], resumeFrom: SearchCheckpoint? = nil) throws {
        self.context = context
        self.strategies = strategies
        if let r = resumeFrom {
            guard r.config == context.config else {
                throw ConvSimError.invalidArgument("the checkpoint was made with different settings (\(r.config.strategies.joined(separator: ",")), seed \(r.config.seed), trials \(r.config.trials), inputs \(r.config.inputs.joined(separator: ", "))); run without --resume or with the same flags")
            }
            for s in strategies {
                guard let st = r.states[s.name] else {
                    throw ConvSimError.invalidArgument("the checkpoint has no state for strategy '\(s.name)'; run without --resume to start again")
                }
                try st.validate(for: s, context: context)
            }
            checkpoint = r
        } else {
            var states: [String: StrategyState] = [:]
            for (i, s) in strategies.enumerated() {
                // Independent streams per strategy, derived from the seed.
                var mix = SeededRandom(seed: context.config.seed &+ UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15)
                states[s.name] = StrategyState(seed: mix.next())
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

    /// Shrinks and collects findings and sections.
    public func finish() -> [(strategy: String, findings: [Finding], section: Section)] {
        strategies.compactMap { s in
            guard let state = checkpoint.states[s.name] else { return nil }   // `run` refuses a checkpoint without it
            let r = s.finish(state, context: context)
            return (s.name, r.findings, r.section)
        }
    }
}
