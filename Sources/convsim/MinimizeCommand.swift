import ArgumentParser

struct MinimizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "minimize", abstract: "Minimize the Convolutional Similarity of a bank (not yet implemented).")
    func run() throws { throw ValidationError("convsim minimize is not implemented yet") }
}
