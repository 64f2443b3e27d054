import ArgumentParser
import ConvSimCore

/// Documented ranges of the counts and sizes every command accepts: a value outside gets
/// a message naming the flag, the range and why, before any work or allocation. Numeric
/// options are parsed unconditionally, so `--trials -5` reaches this check instead of
/// being read as an unknown flag.
enum ArgumentLimits {
    static func check(_ value: Int, _ flag: String, _ range: ClosedRange<Int>, _ why: String = "") throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be in \(range.lowerBound)…\(range.upperBound) (got \(value))\(why.isEmpty ? "" : "; \(why)")")
        }
    }
}

/// `--threads N`, shared by the commands whose work runs in parallel.
struct ThreadsOption: ParsableArguments {
    @Option(parsing: .unconditional,
            help: "Threads for the parallel work (CS engine, BLAS), 1…256. Default: the number of cores. The toolkit's own loops give the same bytes for any N; BLAS may round differently with another N.")
    var threads: Int?

    func validate() throws {
        if let threads { try ArgumentLimits.check(threads, "--threads", 1...256) }
    }

    /// Sets the budget (before any work).
    func apply() { if let threads { Parallel.setThreads(threads) } }
}
