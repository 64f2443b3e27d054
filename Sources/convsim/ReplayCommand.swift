import ConvSimIO
import ArgumentParser
import ConvSimCertificates
import ConvSimCore
import ConvSimCorrelation
import ConvSimSearch
import ConvSimTheorems
import Foundation

/// `convsim replay`: re-verify certificates from the files alone.
struct ReplayCommand: ParsableCommand {
    static let name = "replay"
    static let configuration = CommandConfiguration(
        commandName: name, _superCommandName: ConvSim.name,
        abstract: "Re-verify certificates from the files alone, in exact arithmetic.",
        discussion: """
        Every number a certificate states is recomputed exactly (data values are read as \
        the exact rationals their binary64 values are) and compared: exact values with \
        equality, irrational ones (cosines, eigenvalues, square-root sums) as "lies in the \
        stated interval", decided in integer arithmetic. The format and every claim kind \
        are documented in Documentation/Certificates.md; scripts/check_certificate.py is an \
        independent second checker with the same exit codes.

        A dataset certificate (claim orthogonal-kernels-similar-dataset-feature-maps, written by \
        `search --stats`) holds for every patch Gram within its stated bound; --stats FILE also \
        checks that its patch Gram and bound are those of that statistics file.

        Exit status (for several files, the largest):
          0  the claim holds: every check passed
          1  the claim does NOT hold: a check failed
          2  malformed: the message names the key or value
          3  refused: over a documented limit (see --max-work)

        Examples:
          convsim replay report/certificates/adversarial-1.json
          convsim replay report/certificates/*.json --quiet
          convsim replay big.json --max-work 5e9
          convsim replay dataset-report/certificates/*.json --stats images.stats
        """)
    @Argument(help: "Certificate JSON files.") var certificates: [String]
    @Option(name: .customLong("max-work"), help: "Largest estimated number of operations to spend on one certificate.")
    var maxWork: Double = Certificate.Limits.defaultMaxWork
    @Option(help: "A statistics file (convsim stats build): also check that each dataset certificate's patch Gram is its.")
    var stats: String?
    @Flag(help: "Print only one line per certificate.") var quiet = false
    @Flag(help: "Print a JSON result per certificate (one array).") var json = false

    func validate() throws {
        if certificates.isEmpty { throw ValidationError("give at least one certificate file") }
        if !(maxWork.isFinite && maxWork >= 1) { throw ValidationError("--max-work must be a number ≥ 1 (got \(maxWork))") }
    }

    static var checker: CertificateChecker { CertificateChecker(SearchClaimVerifiers.all + [TheoremCertificates.verifier]) }

    func run() throws {
        var checker = Self.checker
        checker.maxWork = maxWork
        var worst: Int32 = 0
        var results: [JSON] = []
        var source: (gram: StatedPatchGram, file: StatsFile, path: String)? = nil
        if let stats {
            let file = try StatsFile.read(path: stats)
            source = (try DatasetStatistics.patchGram(file).stated, file, stats)
        }
        for path in certificates {
            do {
                var o: ReplayOutcome
                if let source {
                    let c = try Certificate.read(path: path)
                    let same = try DatasetPairVerifier.sameStatistics(c, path: path, expected: source.gram, padding: source.file.padding,
                                                                      channels: source.file.channels, kernelHeight: source.file.kernelHeight,
                                                                      kernelWidth: source.file.kernelWidth,
                                                                      source: "\(source.path) (\(source.file.images) image(s))")
                    o = try checker.verify(c, path: path).adding(same)
                } else {
                    o = try checker.verify(path: path)
                }
                worst = max(worst, o.exitCode)
                if json {
                    results.append(.object([
                        ("certificate", .string(path)), ("claim", .string(o.claim.rawValue)), ("holds", .bool(o.holds)), ("exit", .int(Int(o.exitCode))),
                        ("checks", .array(o.checks.map { .object([("check", .string($0.name)), ("passed", .bool($0.passed)), ("detail", .string($0.detail))]) })),
                    ]))
                } else if quiet {
                    print("\(path): \(o.holds ? "claim holds" : "claim does NOT hold") (\(o.claim.rawValue))")
                } else {
                    print("\(path): claim '\(o.claim.rawValue)', every check exact")
                    for c in o.checks { print("  [\(c.passed ? "ok" : "FAILED")] \(c.name)\n         \(c.detail)") }
                    let p = o.provenance
                    let prov = [("statement", p.statement), ("command", p.command), ("seed", p.seed), ("input", p.inputDescription)]
                        .compactMap { k, v in v.map { "  \(k): \($0)" } }
                    if !prov.isEmpty { print("provenance (unverified):\n" + prov.joined(separator: "\n")) }
                    print(o.holds ? "claim holds" : "claim does NOT hold")
                }
            } catch let e as CertificateError {
                let code: Int32
                switch e { case .malformed: code = 2; case .overLimit: code = 3 }
                worst = max(worst, code)
                FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
                if json { results.append(.object([("certificate", .string(path)), ("exit", .int(Int(code))), ("error", .string(e.description))])) }
            } catch let e as ConvSimError {
                worst = max(worst, 2)
                FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
                if json { results.append(.object([("certificate", .string(path)), ("exit", .int(2)), ("error", .string(e.description))])) }
            }
        }
        if json { JSON.array(results).printLine() }
        if worst != 0 { throw ExitCode(worst) }
    }
}
