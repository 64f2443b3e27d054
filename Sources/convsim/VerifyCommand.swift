import ConvSimIO
import ArgumentParser
import ConvSimCore
import ConvSimTheorems
import Foundation

struct VerifyCommand: ParsableCommand {
    static let name = "verify"
    static let configuration = CommandConfiguration(
        commandName: name, _superCommandName: ConvSim.name,
        abstract: "Check the theorems of Documentation/Theory.md at three levels of evidence (certified float, exact, proof).",
        discussion: """
        Every theorem (T1, T1b, T2, T3, T4, T5, T6) is checked on random instances (Gaussian, uniform [0,1), \
        integer, crops of the --input images, adversarial), in certified floating point, in exact integer \
        arithmetic, and by polynomial identity testing and symbolic expansion; each theorem is also checked \
        with a hypothesis dropped, where it must break. Exit status 1 if any check fails; the smallest \
        failing instance is printed and written as a replayable certificate (convsim replay FILE).

        Examples:
          convsim verify
          convsim verify --theorem T1 --theorem T2 --trials 50 --seed 7 --json
          convsim verify --input data/images/astronaut.png --report verify.md
        """)

    @Option(name: .customLong("theorem"), help: "Theorem id to check (repeatable; default: all). Known: \(TheoremRegistry.ids.joined(separator: ", ")).")
    var theorems: [String] = []
    @Option(parsing: .unconditional, help: "Random instances per check, 1…10⁶.") var trials: Int = 6
    @Option(help: "Seed of the random instances (same seed ⇒ same output).") var seed: UInt64 = 1
    @Flag(help: "Exact arithmetic everywhere it applies: integer data only, full trial count at the exact level.") var exact = false
    @Option(name: .customLong("input"), help: "Image(s) or .npy file(s)/directories: the data-dependent theorems (T1b, T4, T6) also run on them, and crops feed the generators.")
    var inputs: [String] = []
    @Option(help: "Write a Markdown report to this file (atomically).") var report: String?
    @Option(name: .customLong("certificates"), help: "Directory for the certificates of failing instances.") var certificateDirectory = "certificates"
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        try ArgumentLimits.check(trials, "--trials", 1...1_000_000)
        for t in theorems where TheoremRegistry.theorem(id: t) == nil {
            throw ValidationError("unknown theorem id '\(t)'; known theorems: \(TheoremRegistry.ids.joined(separator: ", "))")
        }
    }

    var commandLine: String {
        var parts = ["convsim verify"]
        for t in theorems { parts.append("--theorem \(t)") }
        parts.append("--trials \(trials)"); parts.append("--seed \(seed)")
        if exact { parts.append("--exact") }
        for i in inputs { parts.append("--input \(i)") }
        return parts.joined(separator: " ")
    }

    func run() throws {
        let results: [CheckResult] = try {
            var images: [NamedSignal] = []
            for path in inputs { images += try InputLoader.loadNamedSignals(path: path) }
            let ctx = VerificationContext(trials: trials, seed: seed, exact: exact, images: images, command: commandLine)
            var results = try TheoremRegistry.run(ids: theorems, context: ctx, progress: progress)
            try VerifyOutput.writeCertificates(&results, directory: certificateDirectory)
            return results
        }()
        let chosen = theorems.isEmpty ? TheoremRegistry.ids : theorems.compactMap { TheoremRegistry.theorem(id: $0)?.id }
        if json {
            VerifyOutput.json(results, seed: seed, trials: trials).printLine()
        } else {
            print(VerifyOutput.text(results, seed: seed, trials: trials), terminator: "")
        }
        if let report {
            do {
                try VerifyOutput.writeAtomically(VerifyOutput.markdown(results, theorems: chosen, seed: seed, trials: trials, command: commandLine), to: report)
            }
        }
        if results.contains(where: { !$0.passed && $0.notRunReason == nil }) { throw ExitCode(1) }
    }
}
