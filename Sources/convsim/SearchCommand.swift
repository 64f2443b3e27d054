import ConvSimIO
import ArgumentParser
import ConvSimCertificates
import ConvSimCore
import ConvSimCorrelation
import ConvSimReport
import ConvSimSearch
import Foundation

/// `convsim search`: the counterexample search and its report.
struct SearchCommand: ParsableCommand {
    static let name = "search"
    static let configuration = CommandConfiguration(
        commandName: name, _superCommandName: ConvSim.name,
        abstract: "Search for counterexamples to 'orthogonal kernels give dissimilar feature maps' and write a report.",
        discussion: """
        Strategies: \(Strategies.all.map { "\n  \(Fmt.left($0.name, 12)) \($0.summary)" }.joined())
          all          every strategy above (default)

        Each counterexample is shrunk (smaller kernel, smaller crop, small integers), checked in exact \
        integer arithmetic where the data allow, and written as a certificate that `convsim replay` \
        re-verifies. --out DIR receives report.md, figures/*.svg, certificates/*.json and a checkpoint \
        (checkpoint.json and its append-only checkpoint.log) that --resume continues from; --resume with \
        a larger --trials extends a finished run. The same seed gives the same bytes, interrupted or not, \
        extended or not.

        --stats FILE searches a whole dataset summarized by `convsim stats build` (no images needed): \
        strategies \(DatasetSearch.names.joined(separator: ", ")) run on the dataset's patch Gram, and each \
        certificate proves its claim for every patch Gram within the statistics' certified rounding bound \
        (`convsim replay CERT --stats FILE` also checks the Gram against the file). Kernel size and padding \
        are the statistics'.

        Examples:
          convsim search --input data/images/astronaut.png --out report
          convsim search --strategy adversarial --input data/images/camera.png --kernel-size 5 --json
          convsim search --strategy random --trials 100000 --out big --resume
          convsim search --strategy random --trials 200000 --out big --resume   # extend it
          convsim stats build --input data/images --kernel-size 3 --out images.stats
          convsim search --stats images.stats --out dataset-report
        """)

    @Option(help: "Strategy name, or 'all'.") var strategy = "all"
    @Option(name: .customLong("input"), help: "Image, .npy or directory (repeatable). Default: data/images/astronaut.png.")
    var inputs: [String] = []
    @Option(help: "Dataset statistics (convsim stats build) instead of --input: search over the whole dataset (strategies \(DatasetSearch.names.joined(separator: ", "))).")
    var stats: String?
    @Option(name: .customLong("kernel-size"), parsing: .unconditional, help: "Kernel size k (k×k kernels), 1…64. Default: 3 (with --stats: the statistics').")
    var kernelSizeOption: Int?
    @Option(name: .customLong("padding"), help: "Padding: valid, same, full or circular. Default: same (with --stats: the statistics').")
    var paddingOption: Padding?
    @Option(parsing: .unconditional, help: "Trials per strategy (random pairs, repetitions; gradient uses one start per 100), 1…10⁸.") var trials = 1000
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "A pair counts as redundant when its feature-map |cosine| is at least this; read as an exact decimal (0.9974399 is 9974399/10⁷), and every claim holds exactly at it.") var threshold = "0.9"
    @Option(name: .customLong("bank-size"), parsing: .unconditional, help: "Kernels per bank for the gradient strategy, 2…256 (at most C·k² of the inputs).") var bankSize = 4
    @Option(help: "Output folder for the report, figures, certificates and checkpoint.") var out = "report"
    @Flag(help: "Continue an interrupted search from OUT/checkpoint.json, or extend a finished one to a larger --trials.") var resume = false
    @Flag(help: "Write into --out even if it holds files convsim did not write.") var force = false
    @Flag(help: "No progress on stderr (errors are still reported).") var quiet = false
    @Flag(help: "Print a JSON summary on stdout.") var json = false

    @OptionGroup var parallel: ThreadsOption

    @OptionGroup var figures: FigureOption
    @OptionGroup var exporting: ExportOption

    var kernelSize: Int { kernelSizeOption ?? 3 }
    var padding: Padding { paddingOption ?? .same }

    func validate() throws {
        if stats != nil {
            if !inputs.isEmpty { throw ValidationError("--stats and --input exclude each other") }
            if resume { throw ValidationError("--resume continues an image search; a search on --stats is not checkpointed (it takes O(trials·m²), m = C·k²)") }
            if exporting.export != nil { throw ValidationError("--export writes an image search's trials; with --stats the run's statistics are in OUT/search.json") }
            if strategy != "all" && !DatasetSearch.names.contains(strategy) {
                throw ValidationError("strategy '\(strategy)' needs the images; with --stats: \(DatasetSearch.names.joined(separator: ", ")), all")
            }
        }
        if strategy != "all" && Strategies.named(strategy) == nil {
            throw ValidationError("unknown strategy '\(strategy)'; known: \(Strategies.names.joined(separator: ", ")), all")
        }
        try ArgumentLimits.check(trials, "--trials", 1...100_000_000)
        try ArgumentLimits.check(kernelSize, "--kernel-size", 1...64)
        guard case .success(let t) = Rational.parse(threshold), t.sign > 0, t < .one else {
            throw ValidationError("--threshold must be an exact decimal in (0, 1), like 0.9 or 0.9974399 (got '\(threshold)')")
        }
        _ = t
        try ArgumentLimits.check(bankSize, "--bank-size", 2...256)
    }

    var commandLine: String {
        var parts = ["convsim search", "--strategy \(strategy)"]
        parts += effectiveInputs.map { "--input \($0)" }
        parts += ["--kernel-size \(kernelSize)", "--padding \(padding.rawValue)", "--trials \(trials)", "--seed \(seed)",
                  "--threshold \(threshold)"]
        if bankSize != 4 { parts.append("--bank-size \(bankSize)") }
        parts.append("--out \(out)")
        return parts.joined(separator: " ")
    }

    /// The validated exact threshold.
    var exactThreshold: Rational {
        if case .success(let t) = Rational.parse(threshold) { return t }
        return Rational(9, 10)
    }

    var effectiveInputs: [String] { inputs.isEmpty ? ["data/images/astronaut.png"] : inputs }

    func run() throws {
        parallel.apply()
        figures.apply()
        if let stats { return try runOnStatistics(stats) }
        do {
            // 1. Everything that can fail on bad input happens before --out is touched.
            var loaded: [(name: String, signal: Signal)] = []
            for path in effectiveInputs {
                for s in try InputLoader.loadNamedSignals(path: path) {
                    if s.signal.height < kernelSize || s.signal.width < kernelSize {
                        throw ConvSimError.kernelLargerThanInput(kernel: (kernelSize, kernelSize),
                                                                 input: (s.signal.height, s.signal.width), padding: padding)
                    }
                    loaded.append((s.name, s.signal))
                }
            }
            let names = strategy == "all" ? Strategies.names : [strategy]
            let largestOrder = loaded.map { $0.signal.channels * kernelSize * kernelSize }.max() ?? 0
            if names.contains("gradient") && bankSize > largestOrder {
                throw ConvSimError.invalidArgument("--bank-size \(bankSize) exceeds C·k² = \(largestOrder), the most orthonormal kernels the inputs allow; use --bank-size ≤ \(largestOrder) or a larger --kernel-size")
            }
            let config = SearchConfig(strategies: names, inputs: effectiveInputs, kernelSize: kernelSize, padding: padding,
                                      trials: trials, seed: seed, threshold: exactThreshold, bankSize: bankSize)
            if !quiet { progress("search: preparing exact patch statistics for \(loaded.count) input(s)") }
            let context = try SearchContext(config: config, inputs: loaded, command: commandLine)
            try OutputFolder.claim(out, force: force || resume)
            let checkpointPath = out + "/checkpoint.json", logPath = out + "/checkpoint.log"
            var resumeFrom: SearchCheckpoint? = nil
            var store = CheckpointStore()
            if resume {
                guard FileManager.default.fileExists(atPath: checkpointPath) else {
                    throw ConvSimError.invalidArgument("--resume: no checkpoint at \(checkpointPath); run without --resume to start")
                }
                let head = try IOFiles.readFile(path: checkpointPath, limit: 1 << 30)
                guard FileManager.default.fileExists(atPath: logPath) else {
                    throw ConvSimError.malformedFile(path: logPath, reason: "missing (the checkpoint's series log); run without --resume to start again")
                }
                let log = try IOFiles.readFile(path: logPath, limit: 1 << 34)
                (resumeFrom, store) = try IOFiles.decodeFile(path: checkpointPath, data: head) { head in
                    try IOFiles.decodeFile(path: logPath, data: log) { try CheckpointStore.read(head: head, log: $0, path: checkpointPath) }
                }
            }
            var run = try SearchRun(context: context, strategies: names.compactMap(Strategies.named), resumeFrom: resumeFrom)
            let meter = ProgressMeter("search", quiet: quiet)
            run.onProgress = { meter.update($0, $1, $2) }
            run.onCheckpoint = { cp in
                // The log first (cut back to what the last checkpoint covered, then appended and
                // synced), then the head that covers it, atomically.
                let (offset, append, head) = try store.save(cp)
                try IOFiles.write(append, to: logPath, at: offset)
                try AtomicFile.write(head, to: checkpointPath)
            }
            try run.run()
            if !quiet { progress("search: shrinking the findings and checking them exactly") }
            let rendering = SearchReportRenderer.build(context: context, results: run.finish())
            let findings = rendering.findings
            let summary = SearchReportRenderer.summaryJSON(rendering, seed: seed, out: out)
            var rep = rendering.report
            rep.attach("search.json", data: Data((summary.render() + "\n").utf8))
            if let format = exporting.export {
                rep.attach("trials.\(format.fileExtension)", data: Data(try run.checkpoint.trialsTable().render(format).utf8))
            }
            try rep.write(to: out, keep: ["checkpoint.json", "checkpoint.log"])
            if !quiet { progress("search: report written to \(out)/report.md (\(findings.count) counterexample(s))") }
            if json { summary.printLine() } else { for l in SearchReportRenderer.terminalLines(rendering, out: out) { print(l) } }
        }
    }

    /// `--stats`: the search on a dataset's patch statistics (`DatasetSearch`).
    func runOnStatistics(_ path: String) throws {
        let file = try StatsFile.read(path: path)
        if let k = kernelSizeOption, k != file.kernelHeight || k != file.kernelWidth {
            throw ConvSimError.invalidArgument("\(path) holds statistics for \(file.kernelHeight)×\(file.kernelWidth) kernels, not --kernel-size \(k); drop --kernel-size or build the statistics with --kernel-size \(k)")
        }
        if let p = paddingOption, p != file.padding {
            throw ConvSimError.invalidArgument("\(path) holds statistics for \(file.padding.rawValue) padding, not --padding \(p.rawValue); drop --padding or build the statistics with --padding \(p.rawValue)")
        }
        let gram = try DatasetStatistics.patchGram(file)
        var parts = ["convsim search", "--stats \(path)", "--strategy \(strategy)", "--trials \(trials)", "--seed \(seed)", "--threshold \(threshold)"]
        if strategy == "all" { parts.remove(at: 2) }
        if bankSize != 4 { parts.append("--bank-size \(bankSize)") }
        parts.append("--out \(out)")
        var config = DatasetSearch.Config(strategies: strategy == "all" ? DatasetSearch.names : [strategy], trials: trials, seed: seed,
                                          threshold: exactThreshold, command: parts.joined(separator: " "),
                                          statistics: "dataset statistics \((path as NSString).lastPathComponent): \(file.images) image(s), \(file.blocks.count) block(s), C = \(file.channels), \(file.kernelHeight)×\(file.kernelWidth) kernels, \(file.padding.rawValue) padding")
        config.bankSize = bankSize
        if config.strategies.contains("gradient") && bankSize > file.order {
            throw ConvSimError.invalidArgument("--bank-size \(bankSize) exceeds C·kh·kw = \(file.order) of \(path), the most orthonormal kernels it allows; use --bank-size ≤ \(file.order)")
        }
        try OutputFolder.claim(out, force: force)
        let meter = ProgressMeter("search", quiet: quiet)
        let result = try DatasetSearch.run(gram: gram, config: config, onProgress: { meter.update($0, $1, $2) })
        let rendering = DatasetSearchReportRenderer.build(result, out: out)
        var rep = rendering.report
        rep.attach("search.json", data: Data((rendering.summary.render() + "\n").utf8))
        try rep.write(to: out)
        if !quiet { progress("search: report written to \(out)/report.md (\(result.findings.count) counterexample(s))") }
        if json { rendering.summary.printLine() } else { for l in rendering.terminal { print(l) } }
    }
}
