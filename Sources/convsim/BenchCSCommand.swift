import ArgumentParser

struct BenchCSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cs", abstract: "Benchmark the fast Convolutional Similarity against the direct one (not yet implemented).")
    func run() throws { throw ValidationError("convsim bench cs is not implemented yet") }
}
