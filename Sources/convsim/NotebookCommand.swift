import ArgumentParser
import ConvSimCore
import ConvSimReport
import Foundation

/// `convsim notebook run|check FILE`.
struct NotebookCommand: ParsableCommand {
    static let name = "notebook"
    static let configuration = CommandConfiguration(
        commandName: name, _superCommandName: ConvSim.name,
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
            do {
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
            do {
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

    /// Largest notebook read.
    static let maxBytes = 16 << 20

    /// Reads a notebook: a regular file (not a directory, FIFO or device), at most 16 MiB, UTF-8.
    static func load(_ path: String) throws -> Notebook {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ConvSimError.fileNotFound(path: path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            let kind = (st.st_mode & S_IFMT) == S_IFDIR ? "a directory" : ((st.st_mode & S_IFMT) == S_IFIFO ? "a FIFO" : "a device or special file")
            throw ConvSimError.malformedFile(path: path, reason: "is \(kind), expected a Markdown notebook file")
        }
        guard Int(st.st_size) <= maxBytes else { throw ConvSimError.fileTooLarge(path: path, bytes: Int(st.st_size), limit: maxBytes) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConvSimError.malformedFile(path: path, reason: "cannot be read (permission denied?)")
        }
        guard let text = String(validating: [UInt8](data), as: UTF8.self) else {
            throw ConvSimError.malformedFile(path: path, reason: "is not UTF-8 text; save the notebook as UTF-8")
        }
        return Notebook.parse(text)
    }

    /// The running convsim binary (through any symlink on PATH), so blocks run the same build.
    static var executable: URL {
        let proc = URL(fileURLWithPath: "/proc/self/exe")
        if FileManager.default.fileExists(atPath: proc.path) { return proc.resolvingSymlinksInPath() }
        if let b = Bundle.main.executableURL { return b }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    }

    /// Runs one `convsim …` command line in a child process; stdout and stderr are
    /// stored (stderr lines prefixed, progress lines dropped), plus the exit status if not 0.
    static func execute(_ argv: [String]) throws -> String {
        guard let first = argv.first else { return "" }
        guard first == "convsim" else {
            throw ConvSimError.invalidArgument("notebook commands must start with 'convsim' (got '\(first)')")
        }
        // No recursion: a block may not run notebooks (directly, or through a child that does).
        if argv.dropFirst().first == "notebook" || ProcessInfo.processInfo.environment["CONVSIM_IN_NOTEBOOK"] != nil {
            throw ConvSimError.invalidArgument("notebook blocks cannot run 'convsim notebook' (a notebook would run itself); remove the block '\(argv.joined(separator: " "))'")
        }
        let p = Process()
        p.executableURL = Self.executable
        var env = ProcessInfo.processInfo.environment
        env["CONVSIM_IN_NOTEBOOK"] = "1"
        p.environment = env
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
