import ArgumentParser
import ConvSimCore
import ConvSimCorrelation
import ConvSimIO
import Foundation

/// `convsim stats build|merge`: a dataset's patch statistics, summarized once (in shards) and
/// reused by `convsim gram --stats`.
struct StatsCommand: ParsableCommand {
    static let name = "stats"
    static let configuration = CommandConfiguration(
        commandName: name, _superCommandName: ConvSim.name,
        abstract: "Summarize a dataset once (in shards, merged exactly) for `convsim gram --stats`.",
        discussion: """
        build stores the patch statistics of blocks of 64 consecutive images for one kernel size and \
        padding; merge concatenates the blocks of several files, so shards whose image counts (all but \
        the last) are multiples of 64 merge into the same bytes as one build over all their images. \
        gram --stats S.stats then gives the Gram of any bank of that kernel size in milliseconds.

        Examples:
          convsim stats build --input data/images --kernel-size 3 --padding same --out all.stats
          ls shards/ | parallel 'convsim stats build --input shards/{} --kernel-size 3 --out {}.stats'
          convsim stats merge shard-*.stats --out all.stats
          convsim gram --stats all.stats --kernels bank.npy
        """,
        subcommands: [StatsBuildCommand.self, StatsMergeCommand.self])
}

struct StatsBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Patch statistics of images (blocks of 64).")

    @OptionGroup var inputOptions: InputOptions
    @Option(name: .customLong("kernel-size"), help: "Kernel size K or KH,KW, each 1…64.") var kernelSize = "3"
    @Option(help: "Padding: valid, same, full or circular.") var padding: Padding = .same
    @Option(help: "The statistics file to write.") var out: String
    @Flag(help: "No progress on stderr (errors are still reported).") var quiet = false
    @OptionGroup var parallel: ThreadsOption

    func validate() throws {
        if inputOptions.inputs.isEmpty { throw ValidationError("give at least one --input") }
        _ = try size()
    }

    func size() throws -> (Int, Int) {
        guard let p = ArgumentLimits.pair(kernelSize) else {
            throw ValidationError("--kernel-size must be K or KH,KW with each in 1…64 (got '\(kernelSize)')")
        }
        return p
    }

    func run() throws {
        let (kh, kw) = try size()
        parallel.apply()
        // Images decoded on the worker of their block (64 at a time per core): memory does not
        // grow with the dataset, and the bytes do not depend on the thread count.
        let set = try InputSet.open(paths: inputOptions.inputs, gray: inputOptions.gray)
        guard set.count > 0 else { throw ConvSimError.noInputs(path: inputOptions.inputs.joined(separator: ", ")) }
        let first = try set.signal(0)
        let builder = StatsBuilder(channels: first.signal.channels, kernelHeight: kh, kernelWidth: kw, padding: padding)
        let meter = ProgressMeter("stats build", quiet: quiet)
        let count = set.count
        try builder.add(count: count, input: { i in let s = try set.signal(i); return (s.signal, s.name) },
                        progress: { meter.update("images", $0, count) })
        let file = builder.finish()
        try IOFiles.writeAtomically(file.encode(), to: out)
        print("\(out): \(count) image(s) in \(file.blocks.count) block(s), C = \(file.channels), kernel \(kh)×\(kw), \(padding.rawValue) padding")
    }
}

struct StatsMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "Concatenate the blocks of statistics files.")

    @Argument(help: "Statistics files, in the order of their images.") var files: [String]
    @Option(help: "The merged file to write.") var out: String

    func validate() throws { if files.isEmpty { throw ValidationError("give at least one statistics file") } }

    func run() throws {
        var loaded: [(path: String, stats: StatsFile)] = []
        for f in files { loaded.append((f, try StatsFile.read(path: f))) }
        for (f, s) in loaded.dropLast() where s.images % s.blockSize != 0 {
            progress("note: \(f) holds \(s.images) images, not a multiple of \(s.blockSize): the merge differs (within the bounds) from one build over all images")
        }
        let merged = try DatasetStatistics.merge(loaded)
        try IOFiles.writeAtomically(merged.encode(), to: out)
        print("\(out): \(merged.images) image(s) in \(merged.blocks.count) block(s) from \(files.count) file(s)")
    }
}
