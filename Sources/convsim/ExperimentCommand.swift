import ConvSimIO
import ArgumentParser
import ConvSimCore
import ConvSimExperiments
import ConvSimReport
import Foundation

/// `convsim experiment 4.1|4.3|4.4`: the paper's experiments (Documentation/Theory.md#experiments) over many seeds.
struct ExperimentCommand: ParsableCommand {
    static let name = "experiment"
    static let configuration = CommandConfiguration(
        commandName: name, _superCommandName: ConvSim.name,
        abstract: "Reproduce the paper's Experiments 4.1, 4.3 and 4.4 over many seeds and write a report.",
        discussion: """
        Experiments (Documentation/Theory.md#experiments; 1-D, kernel length 9, signal length 64, U[0,1) draws):
          4.1  SGD lr 0.1, 300 steps on cos(K1,K2)²: kernel- and feature-map cosine reductions
          4.3  SGD lr 0.01, 300 steps on the pairs CS ‖K1⋆K2‖²: reductions, also after ReLU, ELU,
               LeakyReLU (the authors' measure against the pre-activation cosine, and the consistent one)
          4.4  four kernels, 10 rounds of SGD lr 0.01 on the adjacent CS: the 4×4 CS matrix before/after
               and what happens to the non-adjacent pairs 1-3, 1-4, 2-4
        Each repetition draws fresh kernels and input from one seeded stream; --out DIR receives \
        report.md and figures/*.svg (same seed ⇒ same bytes). --json prints the summary statistics \
        (mean, median, q025, q975 of each reduction, fractions of runs where similarity rose).

        Examples:
          convsim experiment 4.1
          convsim experiment 4.3 --reps 1000 --seed 7 --out exp43 --json
        """)

    @Argument(help: "Experiment id: \(Experiments.ids.joined(separator: ", ")).") var id: String
    @Option(parsing: .unconditional, help: "Repetitions (independent draws), 1…1000000 (every run's summary, about 1 KB, is kept for the quantiles).") var reps = Experiments.defaultReps
    @Option(help: "Seed of the random stream.") var seed: UInt64 = 1
    @Option(help: "Output folder for report.md and figures (default experiment-<id>).") var out: String?
    @Flag(help: "Write into --out even if it holds files convsim did not write.") var force = false
    @Flag(help: "No progress on stderr.") var quiet = false
    @Flag(help: "Print a JSON summary on stdout.") var json = false

    @OptionGroup var figures: FigureOption

    @OptionGroup var exporting: ExportOption

    func validate() throws {
        if !Experiments.ids.contains(id) {
            throw ValidationError("unknown experiment '\(id)'; known: \(Experiments.ids.joined(separator: ", "))")
        }
        try ArgumentLimits.check(reps, "--reps", 1...1_000_000, "every run's summary is kept for exact quantiles (about 1 KB each)")
    }

    func run() throws {
        figures.apply()
        do {
            let dir = out ?? "experiment-\(id)"
            try OutputFolder.claim(dir, force: force)
            let meter = ProgressMeter("experiment", quiet: quiet)
            let outcome = try Experiments.run(id: id, reps: reps, seed: seed, progress: { meter.update(id, $0, $1) })
            let rendering = ExperimentReportRenderer.render(outcome)
            var report = rendering.report
            if let format = exporting.export {
                report.attach("runs.\(format.fileExtension)", data: Data(outcome.runs.render(format).utf8))
            }
            try report.write(to: dir)
            if !quiet { progress("experiment \(id): report written to \(dir)/report.md") }
            if json {
                JSON.object(rendering.summary + [("report", .string(dir + "/report.md"))]).printLine()
            } else {
                for l in rendering.lines { print(l) }
                print("report: \(dir)/report.md")
            }
        }
    }
}
