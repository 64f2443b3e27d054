import ArgumentParser

struct CSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cs", abstract: "Convolutional Similarity of a kernel bank (not yet implemented).")
    func run() throws { throw ValidationError("convsim cs is not implemented yet") }
}
