import ConvSimIO
import ConvSimCore
import ConvSimTheorems
import Foundation

/// Rendering of `convsim verify` results: text, JSON (ordered writer), Markdown report,
/// and the certificates of failing instances.
enum VerifyOutput {
    static func fmt(_ d: Double) -> String {
        if d == 0 { return "0" }
        if !d.isFinite { return "\(d)" }
        if d == d.rounded() && abs(d) < 1e15 { return String(Int(d)) }
        return Fmt.e(d, 3)
    }

    /// Writes a certificate for every failing check with a counterexample (file names by theorem
    /// and check index), recording the path in the result's details.
    static func writeCertificates(_ results: inout [CheckResult], directory: String) throws {
        var n = 0
        for i in results.indices where !results[i].passed {
            guard let inst = results[i].counterexample else { continue }
            let cert = results[i].certificate ?? TheoremRegistry.certificate(
                id: results[i].id, instance: inst, context: VerificationContext(trials: 1, seed: 0))
            n += 1
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = (directory as NSString).appendingPathComponent("\(results[i].id)-counterexample-\(n).json")
            try IOFiles.writeAtomically(cert.encoded(), to: path)
            results[i].details.append(("certificate", .text(path)))
        }
    }

    static func detailJSON(_ v: DetailValue) -> JSON {
        switch v {
        case .number(let d), .estimate(let d), .magnitude(let d): return .number(d)
        case .int(let i): return .int(i)
        case .text(let s): return .string(s)
        case .numbers(let a): return .array(a.map { .number($0) })
        }
    }

    static func json(_ results: [CheckResult], seed: UInt64, trials: Int) -> JSON {
        let entries: [JSON] = results.map { r in
            var o: [(String, JSON)] = [
                ("id", .string(r.id)), ("status", .string(r.status)), ("evidence", .string(r.evidence.rawValue)),
                ("trials", .int(r.trials)), ("max_discrepancy", .number(r.maxDiscrepancy)), ("bound", .number(r.bound)),
                ("check", .string(r.name)), ("kind", .string(r.kind.rawValue)),
            ]
            if !r.details.isEmpty { o.append(("details", .object(r.details.map { ($0.0, detailJSON($0.1)) }))) }
            if let c = r.counterexample { o.append(("counterexample", .string(c.description))) }
            return .object(o)
        }
        return .object([
            ("theorems", .array(entries)),
            ("seed", .string(String(seed))), ("trials", .int(trials)),
            ("passed", .bool(!results.contains { !$0.passed })),
        ])
    }

    static func line(_ r: CheckResult) -> String {
        let mark = r.notRunReason != nil ? "not run" : (r.passed ? "pass" : "FAIL")
        let kind = r.kind == .confirm ? "" : " [\(r.kind.rawValue)]"
        var s = "  [\(mark)] \(Fmt.left(r.evidence.rawValue, 5)) \(r.name)\(kind)\n"
        if r.kind == .estimate {   // an optimizer's value: printed so that it does not depend on the BLAS kernels
            s += "         trials \(r.trials), value \(DetailValue.estimate(r.maxDiscrepancy)), certified bound \(DetailValue.magnitude(r.bound))\n"
        } else {
            s += "         trials \(r.trials), max discrepancy \(fmt(r.maxDiscrepancy)), bound \(fmt(r.bound))\n"
        }
        if let why = r.notRunReason { s += "         not run: \(why)\n" }
        if !r.details.isEmpty {
            s += "         " + r.details.map { "\($0.0) = \($0.1)" }.joined(separator: "; ") + "\n"
        }
        if !r.passed, let c = r.counterexample {
            s += "         smallest failing instance:\n" + c.description.split(separator: "\n").map { "           " + $0 }.joined(separator: "\n") + "\n"
        }
        return s
    }

    static func text(_ results: [CheckResult], seed: UInt64, trials: Int) -> String {
        var s = "convsim verify — seed \(seed), \(trials) trial(s) per check\n"
        var current = ""
        for r in results {
            if r.id != current {
                current = r.id
                let t = TheoremRegistry.theorem(id: r.id)
                s += "\n\(r.id) — \(t?.title ?? "")\n"
            }
            s += line(r)
        }
        let failed = results.filter { !$0.passed && $0.notRunReason == nil }
        let notRun = results.filter { $0.notRunReason != nil }.count
        let ids = Set(results.map(\.id)).count
        s += "\n" + (failed.isEmpty
            ? (notRun == 0 ? "all \(results.count) checks of \(ids) theorem(s) passed\n"
                           : "\(results.count - notRun) of \(results.count) checks of \(ids) theorem(s) passed, \(notRun) not run (no usable instance)\n")
            : "\(failed.count) of \(results.count) checks FAILED: \(failed.map { "\($0.id) (\($0.name))" }.joined(separator: ", "))\n")
        return s
    }

    static func markdown(_ results: [CheckResult], theorems: [String], seed: UInt64, trials: Int, command: String) -> String {
        var s = "# Theorem verification\n\n`\(command)` — seed \(seed), \(trials) trial(s) per check.\n\n"
        s += "Evidence levels: **float** = certified floating point (discrepancy ≤ a-priori bound); "
        s += "**exact** = integer data, exact arithmetic; **proof** = Schwartz–Zippel (false-pass bound reported) "
        s += "and symbolic expansion at small sizes.\n\n"
        for id in theorems {
            guard let t = TheoremRegistry.theorem(id: id) else { continue }
            s += "## \(t.id) — \(t.title)\n\n\(t.statement)\n\nHypotheses: \(t.hypotheses.joined(separator: "; ")).\n\n"
            s += "| status | evidence | kind | check | trials | max discrepancy | bound |\n|---|---|---|---|---|---|---|\n"
            let rs = results.filter { $0.id == t.id }
            for r in rs {
                s += "| \(r.passed ? "pass" : "**FAIL**") | \(r.evidence.rawValue) | \(r.kind.rawValue) | \(r.name.replacingOccurrences(of: "|", with: "\\|")) | \(r.trials) | \(fmt(r.maxDiscrepancy)) | \(fmt(r.bound)) |\n"
            }
            s += "\n"
            for r in rs where !r.details.isEmpty || r.counterexample != nil {
                s += "- *\(r.name)*: " + r.details.map { "\($0.0) = \($0.1)" }.joined(separator: "; ").replacingOccurrences(of: "|", with: "\\|") + "\n"
                if !r.passed, let c = r.counterexample { s += "\n```\n\(c.description)\n```\n" }
            }
            s += "\n"
        }
        let failed = results.filter { !$0.passed }.count
        s += failed == 0 ? "**All \(results.count) checks passed.**\n" : "**\(failed) of \(results.count) checks failed.**\n"
        return s
    }

    /// `IOFiles.writeAtomically` (the one atomic writer: temporary file removed on every failure,
    /// errors naming the path and the cause).
    static func writeAtomically(_ text: String, to path: String) throws {
        try IOFiles.writeAtomically(Data(text.utf8), to: path)
    }
}
