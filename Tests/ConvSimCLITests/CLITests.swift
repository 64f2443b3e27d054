import ArgumentParser
import Foundation
import Testing
import ConvSimCore
import ConvSimIO
import ConvSimCorrelation
import ConvSimSimilarity
@testable import convsim

/// The CLI in-process: every example its help shows parses, bad flags are refused with a message
/// naming them, and commands write what they say (files, exports) when run as a library call.
@Suite struct CLITests {
    /// A scratch folder of one test, the paths in it, and the CLI run in-process on them.
    struct Scratch {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("convsim-cli-\(UInt32.random(in: 0...UInt32.max))")
        init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        func run(_ args: [String]) throws { var c = try ConvSim.parseAsRoot(args); try c.run() }
        func remove() { try? FileManager.default.removeItem(at: dir) }
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every command type, subcommands included.
    static func allCommands(_ c: any ParsableCommand.Type = ConvSim.self) -> [any ParsableCommand.Type] {
        [c] + c.configuration.subcommands.flatMap { allCommands($0) }
    }

    /// `convsim …` lines under "Examples:" in each command's discussion, as argument vectors
    /// (comments after `#` dropped; no shell quoting is used in the examples).
    static func examples() -> [(command: String, args: [String])] {
        allCommands().flatMap { c -> [(command: String, args: [String])] in
            let text = c.configuration.discussion
            guard let start = text.range(of: "Examples:") else { return [] }
            // Lines ending in `\` continue on the next.
            let lines = text[start.upperBound...].replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n")
            return lines.compactMap { line in
                let code = line.split(separator: "#", maxSplits: 1).first.map(String.init) ?? ""
                let words = code.split(separator: " ").map(String.init)
                guard words.first == "convsim" else { return nil }
                return (c.configuration.commandName ?? "convsim", Array(words.dropFirst()))
            }
        }
    }

    /// Every visible command is used in at least one example (its own or its parent's).
    @Test func everyCommandShowsExamples() {
        let leaves = Self.allCommands().filter { $0.configuration.subcommands.isEmpty && $0.configuration.shouldDisplay }
        let used = Set(Self.examples().flatMap { $0.args.prefix(2) })
        for c in leaves {
            let name = c.configuration.commandName ?? "?"
            #expect(used.contains(name), "no example of convsim … \(name) in any --help")
        }
    }

    @Test func everyExampleParses() throws {
        let ex = Self.examples()
        #expect(ex.count >= 20)
        for (command, args) in ex {
            do { _ = try ConvSim.parseAsRoot(args) } catch {
                Issue.record("example of \(command) does not parse: convsim \(args.joined(separator: " ")) — \(ConvSim.message(for: error))")
            }
        }
    }

    /// `ConvSim.parseSubcommand` (the start-up shortcut: the subcommand parses its own words)
    /// gives the same command, field for field, as the parse from the root for every example,
    /// and gives nil — so the root parses and reports — for help, bad flags and unknown words.
    @Test func subcommandParseEqualsTheRootParse() throws {
        func dumped(_ c: any ParsableCommand) -> String { var s = ""; dump(c, to: &s); return s }
        var shortcuts = 0
        for (_, args) in Self.examples() {
            let root = try? ConvSim.parseAsRoot(args)
            guard let sub = ConvSim.parseSubcommand(args) else {
                #expect(root == nil, "convsim \(args.joined(separator: " ")) parses from the root but not by its subcommand")
                continue
            }
            shortcuts += 1
            guard let root else { Issue.record("convsim \(args.joined(separator: " ")): only the shortcut parses"); continue }
            #expect(type(of: sub) == type(of: root))
            #expect(dumped(sub) == dumped(root), "convsim \(args.joined(separator: " "))")
        }
        #expect(shortcuts >= 20)
        for args in [["cs", "--help"], ["cs", "-h"], ["bench", "--help"], ["bench", "gram", "--help"], ["cs", "--kernels", "k.npy", "--bogus"], ["cs"], ["help", "cs"], ["nosuch", "x"], [],
                     ["bench", "gram", "--n", "0"], ["gram", "--input", "x.png", "--kernels", "k.npy", "--threads", "0"]] {
            #expect(ConvSim.parseSubcommand(args) == nil, "convsim \(args.joined(separator: " "))")
        }
    }

    /// The early read's guess of the kernel file (`CSCommand.kernelPath`, before any parsing) is
    /// the path the parser settles on, for every `cs` example; and a guess that is wrong costs
    /// nothing but the early read (the loader checks the path).
    @Test func kernelPathGuessMatchesTheParse() throws {
        var checked = 0
        for (_, args) in Self.examples() where args.first == "cs" {
            guard let parsed = try ConvSim.parseAsRoot(args) as? CSCommand else { continue }
            #expect(CSCommand.kernelPath(in: args) == parsed.kernelOptions.kernels, "convsim \(args.joined(separator: " "))")
            checked += 1
        }
        #expect(checked >= 3)
        #expect(CSCommand.kernelPath(in: ["cs", "--kernels=a.npy", "--kernels", "b.npy"]) == "b.npy")
        #expect(CSCommand.kernelPath(in: ["cs", "--kernels"]) == nil)
        #expect(CSCommand.kernelPath(in: ["cs", "--", "--kernels", "x"]) == nil)
        let twice = try ConvSim.parseAsRoot(["cs", "--kernels=a.npy", "--kernels", "b.npy"]) as? CSCommand
        #expect(twice?.kernelOptions.kernels == "b.npy")
    }

    /// "N" or "NY,NX", each 1…64, blanks around the numbers allowed (as Foundation's
    /// `.whitespaces` allowed them), anything else refused.
    @Test func pairArguments() {
        let good: [(String, Int, Int)] = [("3", 3, 3), ("3,5", 3, 5), (" 3 , 5 ", 3, 5), ("\t64,1", 64, 1), ("\u{00A0}2", 2, 2)]
        for (text, a, b) in good {
            let p = ArgumentLimits.pair(text)
            #expect(p?.0 == a && p?.1 == b, "'\(text)'")
        }
        for text in ["", "0", "65", "3,4,5", "3,", ",3", "a", "3;3", "-1", "3\n", "1e1", "+"] {
            #expect(ArgumentLimits.pair(text) == nil, "'\(text)'")
        }
    }

    @Test func badFlagsAreRefusedByName() {
        let cases: [([String], String)] = [
            (["gram", "--input", "x.png", "--kernels", "k.npy", "--threads", "0"], "threads"),
            (["cs", "--kernels", "k.npy", "--gradient", "g.txt"], "gradient"),
            (["search", "--trials", "-3"], "trials"),
            (["analyze", "m.safetensors", "--padding", "sideways"], "padding"),
        ]
        for (args, flag) in cases {
            #expect(throws: (any Error).self, "convsim \(args.joined(separator: " "))") { _ = try ConvSim.parseAsRoot(args) }
            do { _ = try ConvSim.parseAsRoot(args) } catch {
                #expect(ConvSim.message(for: error).contains(flag), "message for \(args): \(ConvSim.message(for: error))")
            }
        }
    }

    /// `analyze --report --export csv` run in-process: the report, its figures (each with its
    /// CSV) and the pairs table, whose row count is the number of kernel pairs.
    @Test func analyzeWritesReportFiguresAndPairs() throws {
        let scratch = try Scratch(); defer { scratch.remove() }
        let dir = scratch.dir
        let weights = Self.root.appendingPathComponent("data/weights/mtcnn_pnet_conv1.npy").path
        let image = Self.root.appendingPathComponent("data/images/astronaut.png").path
        let report = dir.appendingPathComponent("r.md").path
        var command = try ConvSim.parseAsRoot(["analyze", weights, "--input", image, "--report", report, "--export", "csv"])
        try command.run()
        let md = try String(contentsOfFile: report, encoding: .utf8)
        #expect(md.contains("CS adjacent raw / unit"))
        let figures = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("figures").path)
        for svg in figures where svg.hasSuffix(".svg") {
            #expect(figures.contains(String(svg.dropLast(4)) + ".csv"), "\(svg) has no CSV beside it")
        }
        #expect(figures.contains { $0.contains("kernel-vs-feature") })
        let pairs = try String(contentsOfFile: dir.appendingPathComponent("r.pairs.csv").path, encoding: .utf8)
        let rows = pairs.split(separator: "\n")
        #expect(rows.first == "layer,group,i,j,kernel_cosine,feature_cosine")
        #expect(rows.count == 1 + 10 * 9 / 2)
    }

    /// `cs --gradient` on a float64 bank of 1 MiB or more — computed on in place, the file
    /// mapped — writes the gradient the library computes from the loaded bank, byte for byte,
    /// for every variant with and without `--normalize`; a NaN in such a bank is refused with
    /// the loader's message (layer, file, index), and the gradient file already there is left
    /// as it was.
    @Test func csGradientOnAMappedBank() throws {
        let scratch = try Scratch(); defer { scratch.remove() }
        let (dir, run, p) = (scratch.dir, scratch.run, scratch.path)
        var rng = SeededRandom(seed: 12)
        let bank = KernelBank(count: 64, channels: 256, kernelHeight: 3, kernelWidth: 3,
                              values: (0..<(64 * 256 * 9)).map { _ in rng.gaussian() })
        try NPY.write(bank.values, shape: [64, 256, 3, 3], to: p("big.npy"))
        #expect(try MappedNPY.open(path: p("big.npy")) != nil, "the bank is large enough to be mapped")
        for variant in [CSVariant.pairs, .adjacent, .symmetric] {
            for normalize in [false, true] {
                try run(["cs", "--kernels", p("big.npy"), "--variant", variant.rawValue, "--gradient", p("g.npy")]
                        + (normalize ? ["--normalize"] : []))
                let expected = try ConvolutionalSimilarity.evaluate(bank, variant: variant, normalize: normalize, gradient: true)
                let written = try NPY.read(path: p("g.npy"))
                #expect(written.shape == [64, 256, 3, 3])
                #expect(written.values.map(\.bitPattern) == (expected.gradient ?? []).map(\.bitPattern), "\(variant) normalize \(normalize)")
            }
        }
        var bad = bank.values
        bad[100_000] = .nan
        try NPY.write(bad, shape: [64, 256, 3, 3], to: p("bad.npy"))
        let before = try Data(contentsOf: URL(fileURLWithPath: p("g.npy")))
        for variant in ["pairs", "adjacent", "symmetric"] {
            do {
                try run(["cs", "--kernels", p("bad.npy"), "--variant", variant, "--gradient", p("g.npy")])
                Issue.record("\(variant): a NaN bank was accepted")
            } catch let e as ConvSimError {
                #expect("\(e)" == "\(ConvSimError.nonFinite(what: "layer 'bad' in \(p("bad.npy"))", index: 100_000))", "\(variant): \(e)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: p("g.npy"))) == before, "\(variant): the gradient file changed")
        }
    }

    /// `stats build` of two shards (a multiple of the 64-image block first) then `stats merge`
    /// equals one pass over all the images, byte for byte, run in-process.
    @Test func statsMergeOfShardsEqualsOnePass() throws {
        let scratch = try Scratch(); defer { scratch.remove() }
        let (dir, run, p) = (scratch.dir, scratch.run, scratch.path)
        var rng = SeededRandom(seed: 5)
        let images = (0..<100).map { _ in (0..<(2 * 9 * 7)).map { _ in rng.gaussian() } }
        try NPY.write(images.flatMap { $0 }, shape: [100, 2, 9, 7], to: p("all.npy"))
        try NPY.write(images[0..<64].flatMap { $0 }, shape: [64, 2, 9, 7], to: p("a.npy"))
        try NPY.write(images[64...].flatMap { $0 }, shape: [36, 2, 9, 7], to: p("b.npy"))
        try run(["stats", "build", "--input", p("all.npy"), "--kernel-size", "3", "--padding", "valid", "--out", p("all.stats")])
        try run(["stats", "build", "--input", p("a.npy"), "--kernel-size", "3", "--padding", "valid", "--out", p("a.stats")])
        try run(["stats", "build", "--input", p("b.npy"), "--kernel-size", "3", "--padding", "valid", "--out", p("b.stats")])
        try run(["stats", "merge", p("a.stats"), p("b.stats"), "--out", p("ab.stats")])
        let one = try Data(contentsOf: URL(fileURLWithPath: p("all.stats"))), merged = try Data(contentsOf: URL(fileURLWithPath: p("ab.stats")))
        #expect(!one.isEmpty && one == merged)
        // A layer with a bias: the Gram from the statistics (their first moments) equals the one
        // from the images within both certified bounds.
        try NPY.write((0..<(4 * 2 * 9)).map { _ in rng.gaussian() }, shape: [4, 2, 3, 3], to: p("k.npy"))
        try NPY.write([0.5, -1.5, 2, 0.25], shape: [4], to: p("b.npy"))
        try run(["gram", "--stats", p("ab.stats"), "--kernels", p("k.npy"), "--bias", p("b.npy"), "--padding", "valid", "--npy", p("s")])
        try run(["gram", "--input", p("all.npy"), "--kernels", p("k.npy"), "--bias", p("b.npy"), "--padding", "valid", "--npy", p("i")])
        let (gs, bs) = (try NPY.read(path: p("s-gram.npy")).values, try NPY.read(path: p("s-bound.npy")).values)
        let (gi, bi) = (try NPY.read(path: p("i-gram.npy")).values, try NPY.read(path: p("i-bound.npy")).values)
        try run(["gram", "--input", p("all.npy"), "--kernels", p("k.npy"), "--no-bias", "--padding", "valid", "--npy", p("n")])
        let gn = try NPY.read(path: p("n-gram.npy")).values
        #expect(gs.count == 16 && gi.count == 16)
        for k in 0..<16 {
            #expect(abs(gs[k] - gi[k]) <= bs[k] + bi[k], "entry \(k)")
            #expect(abs(gs[k] - gn[k]) > bs[k] + bi[k], "the bias is in the Gram (entry \(k))")
        }
    }

    /// `search --stats` on statistics of 8-bit images writes certificates that `replay --stats`
    /// accepts against those statistics and rejects (exit 1) against another dataset's; flags that
    /// do not apply to statistics are refused with a message.
    @Test func searchOnStatisticsAndReplayAgainstThem() throws {
        let scratch = try Scratch(); defer { scratch.remove() }
        let (dir, run, p) = (scratch.dir, scratch.run, scratch.path)
        var rng = SeededRandom(seed: 21)
        for name in ["a", "b"] {
            let v = (0..<(6 * 10 * 9)).map { t in Double(min(255, t % 9 * 20 + rng.integer(in: 0...40))) / 255 }
            try NPY.write(v, shape: [6, 1, 10, 9], to: p("\(name).npy"))
            try run(["stats", "build", "--input", p("\(name).npy"), "--kernel-size", "3", "--padding", "valid", "--out", p("\(name).stats")])
        }
        try run(["search", "--stats", p("a.stats"), "--trials", "50", "--out", p("rep"), "--quiet"])
        let certs = try FileManager.default.contentsOfDirectory(atPath: p("rep/certificates")).sorted().map { p("rep/certificates/\($0)") }
        #expect(certs.contains { $0.hasSuffix("adversarial-1.json") } && certs.contains { $0.hasSuffix("gradient-1.json") })
        try run(["replay", "--quiet", "--stats", p("a.stats")] + certs)
        #expect(throws: ExitCode(1)) { try run(["replay", "--quiet", "--stats", p("b.stats")] + certs) }
        #expect(throws: (any Error).self) { try run(["search", "--stats", p("a.stats"), "--input", p("a.npy"), "--out", p("r2")]) }
        #expect(throws: (any Error).self) { try run(["search", "--stats", p("a.stats"), "--strategy", "channel", "--out", p("r2")]) }
        #expect(throws: (any Error).self) { try run(["search", "--stats", p("a.stats"), "--resume", "--out", p("r2")]) }
        #expect(throws: (any Error).self) { try run(["search", "--stats", p("a.stats"), "--kernel-size", "5", "--out", p("r2")]) }
        #expect(throws: (any Error).self) { try run(["search", "--stats", p("a.stats"), "--padding", "same", "--out", p("r2")]) }
        #expect(throws: (any Error).self) { try run(["search", "--stats", p("a.stats"), "--export", "csv", "--out", p("r2")]) }
        #expect(throws: (any Error).self) { try run(["search", "--stats", p("a.stats"), "--bank-size", "10", "--out", p("r2")]) }   // C·k² = 9
        #expect(!FileManager.default.fileExists(atPath: p("r2")), "nothing is written for a refused run")
    }

    /// `gram --npy PREFIX` writes the Gram, its bound and the cosines as M×M float64 .npy files,
    /// the same bytes as the library's result; a prefix that names a folder is refused.
    @Test func gramWritesMatricesAsNPY() throws {
        let scratch = try Scratch(); defer { scratch.remove() }
        let (dir, p) = (scratch.dir, scratch.path)
        var rng = SeededRandom(seed: 9)
        let images = (0..<(2 * 3 * 9 * 7)).map { _ in rng.gaussian() }, kernels = (0..<(5 * 3 * 9)).map { _ in rng.gaussian() }
        try NPY.write(images, shape: [2, 3, 9, 7], to: p("x.npy"))
        try NPY.write(kernels, shape: [5, 3, 3, 3], to: p("k.npy"))
        var c = try ConvSim.parseAsRoot(["gram", "--input", p("x.npy"), "--kernels", p("k.npy"), "--npy", p("out/layer")])
        try c.run()
        let bank = KernelBank(count: 5, channels: 3, kernelHeight: 3, kernelWidth: 3, values: kernels)
        let signals = (0..<2).map { i in Signal(channels: 3, height: 9, width: 7, values: Array(images[(i * 189)..<((i + 1) * 189)])) }
        let expected = try CorrelationGram.gram(inputs: signals, kernels: bank, padding: .same)
        for (suffix, matrix) in [("gram", expected.gram), ("bound", expected.bound), ("cosine", expected.cosine)] {
            let a = try NPY.read(path: p("out/layer-\(suffix).npy"))
            #expect(a.shape == [5, 5], "\(suffix)")
            #expect(a.values.elementsEqual(matrix.values) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(suffix)")
        }
        #expect(throws: (any Error).self) { _ = try ConvSim.parseAsRoot(["gram", "--input", p("x.npy"), "--kernels", p("k.npy"), "--npy", p("out") + "/"]) }
    }
}
