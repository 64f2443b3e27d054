import ArgumentParser
import ConvSimCore
import ConvSimReport
import Foundation

/// `convsim notebook run|check FILE`.
struct NotebookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notebook",
        abstract: "Execute Markdown notebooks (```convsim blocks) and store or check their outputs.",
        discussion: """
        A notebook is Markdown with fenced ```convsim blocks of commands (one per line, run from the \
        current directory without a shell) each followed by a ```output block. `run` rewrites the \
        outputs (atomically); `check` fails when a stored output no longer matches.

        Examples:
          convsim notebook run notebooks-md/01-correlation-identity.md
          convsim notebook check notebooks-md/01-correlation-identity.md
        """,
        subcommands: [Run.self, Check.self])

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run", abstract: "Execute the blocks and rewrite their outputs.",
            discussion: "Example:\n  convsim notebook run notebooks-md/01-correlation-identity.md")
        @Argument(help: "Notebook files.") var files: [String]
        func run() throws {
            runReportingErrors {
                for f in files {
                    let nb = try NotebookCommand.load(f)
                    let (new, changed) = try nb.executed(NotebookCommand.execute)
                    try AtomicFile.write(Data(new.render().utf8), to: f)
                    progress("\(f): \(changed.count) block(s) changed")
                }
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check", abstract: "Execute the blocks and fail if an output differs.",
            discussion: "Example:\n  convsim notebook check notebooks-md/*.md")
        @Argument(help: "Notebook files.") var files: [String]
        func run() throws {
            var failed = false
            runReportingErrors {
                for f in files {
                    let nb = try NotebookCommand.load(f)
                    let (new, changed) = try nb.executed(NotebookCommand.execute)
                    if changed.isEmpty { print("\(f): ok") } else {
                        failed = true
                        print("\(f): \(changed.count) block(s) differ: \(changed.map { "#\($0 + 1)" }.joined(separator: ", "))")
                        let oldCells = nb.parts.compactMap { p -> String? in if case .cell(_, let o) = p { return o ?? "" }; return nil }
                        let newCells = new.parts.compactMap { p -> String? in if case .cell(_, let o) = p { return o ?? "" }; return nil }
                        for c in changed.prefix(3) {
                            print("--- stored #\(c + 1)\n\(oldCells[c])\n+++ now #\(c + 1)\n\(newCells[c])")
                        }
                    }
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    static func load(_ path: String) throws -> Notebook {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConvSimError.fileNotFound(path: path)
        }
        return Notebook.parse(text)
    }

    /// Runs one `convsim …` command line in a child process; stdout and stderr are
    /// stored (stderr lines prefixed, progress lines dropped), plus the exit status if not 0.
    static func execute(_ argv: [String]) throws -> String {
        guard let first = argv.first else { return "" }
        guard first == "convsim" else {
            throw ConvSimError.invalidArgument("notebook commands must start with 'convsim' (got '\(first)')")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        p.arguments = Array(argv.dropFirst())
        let out = Pipe()
        // stderr goes to a file so that a chatty child can never block on a full pipe.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("convsim-nb-\(getpid())-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let errHandle = try FileHandle(forWritingTo: errURL)
        p.standardOutput = out
        p.standardError = errHandle
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        try? errHandle.close()
        let e = (try? Data(contentsOf: errURL)) ?? Data()
        var text = "$ " + argv.joined(separator: " ") + "\n" + String(decoding: o, as: UTF8.self)
        let errLines = String(decoding: e, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("error:") }
        if !errLines.isEmpty { text += (text.hasSuffix("\n") ? "" : "\n") + errLines.joined(separator: "\n") + "\n" }
        if p.terminationStatus != 0 { text += "(exit status \(p.terminationStatus))\n" }
        return text.trimmingCharacters(in: .newlines)
    }
}
