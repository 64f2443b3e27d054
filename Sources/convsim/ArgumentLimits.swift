import ConvSimIO
import ArgumentParser
import ConvSimCore
import ConvSimReport

/// Documented ranges of the counts and sizes every command accepts: a value outside gets
/// a message naming the flag, the range and why, before any work or allocation. Numeric
/// options are parsed unconditionally, so `--trials -5` reaches this check instead of
/// being read as an unknown flag.
enum ArgumentLimits {
    /// "N" or "NY,NX" with each in 1…64 (a stride, a dilation, a kernel size), or nil.
    static func pair(_ text: String) -> (Int, Int)? {
        // Blanks around each number allowed ("3, 3"); trimmed in Swift, not through Foundation's
        // CharacterSet, whose first use cost a `gram` run about 0.25 ms.
        func number(_ part: Substring) -> Int? {
            var t = part
            while let c = t.first, c.isWhitespace, !c.isNewline { t = t.dropFirst() }
            while let c = t.last, c.isWhitespace, !c.isNewline { t = t.dropLast() }
            return Int(t)
        }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(number)
        guard (1...2).contains(parts.count), let a = parts.first ?? nil, let b = parts.last ?? nil,
              (1...64).contains(a), (1...64).contains(b) else { return nil }
        return (a, b)
    }

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

/// `--figure-size WxH`, shared by the commands that write figures.
struct FigureOption: ParsableArguments {
    @Option(name: .customLong("figure-size"),
            help: "Size of the SVG figures in pixels, WIDTHxHEIGHT, each 200…4000 (default 720x405); the font scales with the height.")
    var figureSize: String?

    var parsed: (width: Int, height: Int)? {
        guard let figureSize else { return nil }
        let parts = figureSize.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]) else { return nil }
        return (w, h)
    }

    func validate() throws {
        guard let figureSize else { return }
        guard let (w, h) = parsed else { throw ValidationError("--figure-size must be WIDTHxHEIGHT in pixels, like 720x405 (got '\(figureSize)')") }
        try ArgumentLimits.check(w, "--figure-size width", 200...4000)
        try ArgumentLimits.check(h, "--figure-size height", 200...4000)
    }

    /// Sets the style of every figure drawn afterwards.
    func apply() {
        guard let (w, h) = parsed else { return }
        SVG.style = SVG.Style(width: Double(w), height: Double(h), fontSize: max(9, min(28, Double(h) * 13 / 405)))
    }
}

extension ExportFormat: ExpressibleByArgument {}

/// `--export csv|jsonl`, shared by the commands that write per-run or per-trial data.
struct ExportOption: ParsableArguments {
    @Option(help: "Also write the per-run / per-trial values as data: csv or jsonl (see Documentation/JSON.md).")
    var export: ExportFormat?
}
