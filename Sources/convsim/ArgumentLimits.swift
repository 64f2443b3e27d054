import ArgumentParser

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
