import ConvSimIO
import ConvSimCertificates
import ConvSimCore
import Foundation

/// What a checker needs: how many random instances, the seed, whether to insist on
/// exact arithmetic, and the natural images given with `--input`.
public struct VerificationContext: Sendable {
    public var trials: Int
    public var seed: UInt64
    /// `--exact`: the exact level runs the full number of trials (otherwise a quarter,
    /// at least 4) and the float level also draws integer data only.
    public var exact: Bool
    public var images: [NamedSignal]
    /// The command line, stored in certificates.
    public var command: String

    public init(trials: Int, seed: UInt64, exact: Bool = false, images: [NamedSignal] = [], command: String = "convsim verify") {
        precondition(trials > 0, "trials must be positive")
        self.trials = trials; self.seed = seed; self.exact = exact; self.images = images; self.command = command
    }

    /// A generator for one check of one theorem: same seed, theorem and check ⇒ same numbers.
    public func rng(_ id: String, _ check: String) -> SeededRandom {
        SeededRandom(seed: seed ^ stableHash(id + "/" + check))
    }

    /// Trials of the exact level.
    public var exactTrials: Int { exact ? trials : max(4, trials / 4) }
}

/// A theorem of Documentation/Theory.md#theorems: its statement (Markdown with the formula), its
/// hypotheses, its checker over random instances, and a way to re-check a stored
/// counterexample. Adding a theorem means adding one file with a type conforming to
/// this protocol and listing it in `TheoremRegistry.all`.
public protocol Theorem: Sendable {
    var id: String { get }
    var title: String { get }
    /// Markdown, with the formula.
    var statement: String { get }
    var hypotheses: [String] { get }
    /// Whether the theorem is about given data (then it also runs on `--input` images).
    var dataDependent: Bool { get }
    /// Every check at every evidence level, confirmations and refutations.
    func check(_ context: VerificationContext) -> [CheckResult]
}

public enum TheoremRegistry {
    /// Every theorem, in the order of Documentation/Theory.md#theorems.
    public static let all: [any Theorem] = [
        CorrelationIdentityTheorem(), BoundaryCorrectionTheorem(), SymmetricPartTheorem(), TwoKernelLimitTheorem(),
        WielandtTheorem(), SimilarityBoundTheorem(), DataAwareOrthogonalityTheorem(),
    ]

    public static var ids: [String] { all.map(\.id) }

    public static func theorem(id: String) -> (any Theorem)? {
        all.first { $0.id.caseInsensitiveCompare(id) == .orderedSame }
    }

    /// Runs the theorems with the given ids (all when empty). Throws on an unknown id,
    /// listing the known ones.
    public static func run(ids requested: [String], context: VerificationContext,
                           progress: ((String) -> Void)? = nil) throws -> [CheckResult] {
        var chosen: [any Theorem] = []
        for r in requested {
            guard let t = theorem(id: r) else {
                throw ConvSimError.invalidArgument("unknown theorem id '\(r)'; known: \(ids.joined(separator: ", "))")
            }
            if !chosen.contains(where: { $0.id == t.id }) { chosen.append(t) }
        }
        if chosen.isEmpty { chosen = all }
        var out: [CheckResult] = []
        for t in chosen {
            progress?("checking \(t.id): \(t.title)")
            out += t.check(context)
        }
        return out
    }

    /// The certificate of an instance on which theorem `id` fails (every stated number
    /// from exact arithmetic; `TheoremCertificates`).
    public static func certificate(id: String, instance: TheoremInstance, context: VerificationContext) -> Certificate {
        let stmt = theorem(id: id).map { "\($0.id) (\($0.title)) fails on this instance: \($0.hypotheses.joined(separator: "; "))" } ?? id
        return TheoremCertificates.certificate(
            id: id, instance: instance,
            provenance: Provenance(command: context.command, seed: String(context.seed), statement: stmt, inputDescription: instance.origin))
    }
}
