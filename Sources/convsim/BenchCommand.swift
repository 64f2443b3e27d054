import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let name = "bench"
    static let configuration = CommandConfiguration(
        commandName: name, _superCommandName: ConvSim.name,
        abstract: "Benchmarks that print ratios against baselines measured in the same run.",
        discussion: """
        Speed and memory goals are measured here, never asserted in tests: every ratio is \
        against a baseline timed in the same invocation.

        Examples:
          convsim bench gram --n 1000 --memory-n 10000
          convsim bench search --trials 200000
          convsim bench cs
        """,
        subcommands: [BenchGramCommand.self, BenchSearchCommand.self, BenchCSCommand.self, BenchGramWorkerCommand.self])
}
