import ArgumentParser
import ConvSimCore
import Foundation

@main
struct ConvSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convsim",
        abstract: "Check what convolution kernels do to the similarity of the feature maps they produce.",
        discussion: """
        Exact feature-map inner products from kernel and input correlations (FFTW), \
        certified checks of the closed-form relations, and the Convolutional Similarity.

        Examples:
          convsim gram --input data/images/astronaut.png --kernels data/weights/mtcnn.safetensors --layer pnet.conv1.weight
          convsim bench gram --n 1000
        """,
        version: "0.1.0",
        subcommands: [SearchCommand.self, ReplayCommand.self, ExperimentCommand.self, GramCommand.self, VerifyCommand.self, CSCommand.self, MinimizeCommand.self, AnalyzeCommand.self, NotebookCommand.self, BenchCommand.self])
}

/// Prints a user error to stderr and exits with status 1, without a stack trace.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(("error: " + message + "\n").data(using: .utf8)!)
    Foundation.exit(1)
}

/// Runs `body`, turning `ConvSimError` into a clean message and a non-zero exit.
func runReportingErrors<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch let e as ConvSimError {
        fail(e.description)
    } catch let e as ExitCode {
        Foundation.exit(e.rawValue)
    } catch {
        fail("\(error)")
    }
}

/// Writes progress lines to stderr (never to stdout, which carries results).
func progress(_ message: String) {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
}
