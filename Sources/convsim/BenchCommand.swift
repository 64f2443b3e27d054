import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that print ratios against baselines measured in the same run.",
        subcommands: [BenchGramCommand.self, BenchSearchCommand.self, BenchCSCommand.self, BenchGramWorkerCommand.self])
}
