import ArgumentParser
import ConvSimCore
import ConvSimIO
import Foundation

@main
struct ConvSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: name,
        abstract: "Check what convolution kernels do to the similarity of the feature maps they produce.",
        discussion: """
        Exact feature-map inner products from kernel and input correlations (FFTW), \
        certified checks of the closed-form relations, and the Convolutional Similarity.

        Examples:
          convsim gram --input data/images/astronaut.png --kernels data/weights/mtcnn.safetensors --layer pnet.conv1.weight
          convsim bench gram --n 1000
        """,
        version: ConvSim.version,
        subcommands: commands.map(\.type))

    static let name = "convsim"

    /// The subcommands in the order of `--help`, each with its own `name` (its `commandName`):
    /// `parseSubcommand` finds a command by name here without building every command's
    /// configuration (`search`'s lists its strategies, ~0.2 ms).
    static let commands: [(name: String, type: ParsableCommand.Type)] = [
        (SearchCommand.name, SearchCommand.self), (ReplayCommand.name, ReplayCommand.self),
        (ExperimentCommand.name, ExperimentCommand.self), (GramCommand.name, GramCommand.self),
        (VerifyCommand.name, VerifyCommand.self), (CSCommand.name, CSCommand.self),
        (MinimizeCommand.name, MinimizeCommand.self), (AnalyzeCommand.name, AnalyzeCommand.self),
        (NotebookCommand.name, NotebookCommand.self), (StatsCommand.name, StatsCommand.self),
        (BenchCommand.name, BenchCommand.self),
    ]
}

extension ConvSim {
    /// The toolkit's version (`convsim --version`).
    static let version = "0.1.0"

    /// Parses, runs, and reports errors in one place: every command throws (never exits). A
    /// bad-input error (`ConvSimError` and the library's other errors) prints `error: MESSAGE`
    /// on stderr, without a stack trace, and exits with status 1; `ExitCode(n)` exits with `n`;
    /// argument errors, `--help` and `--version` go through swift-argument-parser.
    static func main() {
        // `convsim --version` answered before the parser is built, from the C arguments: the
        // tree of every command's arguments (type metadata, protocol-conformance lookups) and
        // even `CommandLine.arguments` are most of a short run's start-up. Same output as the
        // parser's.
        if CommandLine.argc == 2, let first = CommandLine.unsafeArgv[1], strcmp(first, "--version") == 0 {
            print(version)
            return
        }
        let arguments = Array(CommandLine.arguments.dropFirst())
        HugePages.keepFreedMemory()
        // `gram` multiplies matrices: OpenBLAS's `dlopen` (~2.5 ms) runs on the other core
        // while this one parses, instead of after. After `keepFreedMemory`, whose `dlsym`
        // would wait for that `dlopen` (both take the loader's lock; 1–2.5 ms lost before).
        if arguments.first == GramCommand.name { OpenBLAS.preload() }
        // `cs` reads one kernel file: a float64 .npy is mapped (`MappedNPY`, well under a
        // millisecond), anything else read, on a thread of its own while this one parses
        // (~2 ms: the longer job stays here, where no thread start delays it; the loader uses the
        // early read only for the file the parser settles on). That thread then starts the
        // worker pool, which the mapped bank's computation would otherwise start itself.
        if arguments.first == CSCommand.name, let path = CSCommand.kernelPath(in: arguments) {
            KernelLoader.prefetch(path: path, thenStartPool: true)
        }
        do {
            var command = try parse(arguments)
            try command.run()
        } catch let e as ConvSimError {
            report(e.description)
        } catch let e where e is ExitCode || e is CleanExit || e is ValidationError || String(reflecting: type(of: e)).hasPrefix("ArgumentParser.") {
            exit(withError: e)
        } catch {
            report("\(error)")
        }
    }

    /// The command line parsed: by its subcommand alone where that succeeds (`parseSubcommand`),
    /// else from the root (every message and usage line the root's).
    static func parse(_ arguments: [String]) throws -> ParsableCommand {
        try parseSubcommand(arguments) ?? parseAsRoot(arguments)
    }

    /// The command line parsed by the subcommand its first word names, alone: the same
    /// swift-argument-parser parse (options, defaults, `validate()`), without first building
    /// the tree of every command's arguments — type metadata and protocol-conformance lookups,
    /// about 1.3 ms of a 25 ms `gram` or `cs`. Nil when the first word names no subcommand or
    /// the parse fails in any way (`--help` included); the caller then parses from the root,
    /// so every message and usage line is the root's (`convsim cs …`). A parse that yields
    /// anything but one of the subcommand's own command types (`--help` yields the parser's
    /// help command) counts as failed too. Every subcommand names `convsim` as its
    /// `_superCommandName`: the parser then skips, for a subcommand parsed as root, its check for
    /// `--generate-completion-script` (two more argument sets built by reflection, ~0.5 ms of a
    /// `gram`); that flag, like every other failure, falls through to the root's parse, which
    /// checks it as before. (The name is read only for help and usage text of a root command, and
    /// the root here is `convsim` itself.)
    static func parseSubcommand(_ arguments: [String]) -> ParsableCommand? {
        guard let name = arguments.first,
              let sub = commands.first(where: { $0.name == name })?.type,
              let command = try? sub.parseAsRoot(Array(arguments.dropFirst())) else { return nil }
        func owns(_ c: ParsableCommand.Type) -> Bool {
            c == type(of: command) || c.configuration.subcommands.contains(where: owns)
        }
        return owns(sub) ? command : nil
    }

    static func report(_ message: String) -> Never {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
        Foundation.exit(1)
    }
}

/// Writes progress lines to stderr (never to stdout, which carries results).
func progress(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Progress of a long run on stderr: on a terminal one updating line with elapsed time and
/// ETA; otherwise (a log, CI) a plain line at most every 10 s and at the end of each part.
final class ProgressMeter {
    let label: String
    let quiet: Bool
    let terminal = isatty(2) != 0
    var part = "", started = Date(), lastLine = Date.distantPast
    /// Units done at the first update of a part (callers report where they start, so a resumed
    /// run's ETA uses the rate since it resumed).
    var base = 0

    init(_ label: String, quiet: Bool) { self.label = label; self.quiet = quiet }

    static func duration(_ s: Double) -> String {
        guard s.isFinite, let t = Int(exactly: s.rounded()) else { return "?" }
        if t >= 3600 { return "\(t / 3600)h\(Fmt.d(t / 60 % 60, width: 2, zeroPadded: true))m" }
        return t >= 60 ? "\(t / 60)m\(Fmt.d(t % 60, width: 2, zeroPadded: true))s" : "\(t)s"
    }

    func update(_ name: String, _ done: Int, _ total: Int) {
        guard !quiet else { return }
        let now = Date()
        if name != part { part = name; started = now; base = done }
        let elapsed = now.timeIntervalSince(started)
        let eta = done > base ? elapsed * Double(total - done) / Double(done - base) : .nan
        let line = "\(label): \(name) \(done)/\(total) (\(total > 0 ? 100 * done / total : 100)%)  elapsed \(Self.duration(elapsed))  ETA \(done == total ? "0s" : Self.duration(eta))"
        if terminal {
            guard done == total || now.timeIntervalSince(lastLine) >= 0.1 else { return }   // at most 10 redraws a second
            lastLine = now
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + (done == total ? "\n" : "")).utf8))
        } else if done == total || now.timeIntervalSince(lastLine) >= 10 {
            lastLine = now
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
