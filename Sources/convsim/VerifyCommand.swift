import ArgumentParser

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check the theorems of THEORY.md (not yet implemented).")
    func run() throws { throw ValidationError("convsim verify is not implemented yet") }
}
