import ConvSimIO
import ConvSimCertificates
import ConvSimCore
import ConvSimReport
import Foundation

/// Writes the search report: `report.md`, SVG figures and one certificate per
/// counterexample, with the claim each refutes, the exact numbers, the seed
/// and the command to replay it. No timestamps or timings: same seed ⇒ same bytes.
public enum SearchReport {
    public static func build(context: SearchContext,
                             results: [(strategy: String, findings: [Finding], section: Section)]) -> (MarkdownReport, [Finding]) {
        let cfg = context.config
        var md = MarkdownReport(title: "ConvSimKit counterexample search")
        md.paragraph("""
        Does kernel orthogonality make feature maps dissimilar? This report answers with counterexamples, each \
        checked in exact integer arithmetic where the data are integers and stored as a certificate that \
        `convsim replay` re-verifies from the file alone.
        """)
        md.table(["setting", "value"], [
            ["command", "`\(context.command)`"],
            ["strategies", cfg.strategies.joined(separator: ", ")],
            ["inputs", context.stats.map { "\($0.name) (\($0.input.channels)×\($0.input.height)×\($0.input.width))" }.joined(separator: ", ")],
            ["kernel size", "\(cfg.kernelSize)×\(cfg.kernelSize)"],
            ["padding", cfg.padding.rawValue],
            ["trials", String(cfg.trials)],
            ["seed", String(cfg.seed)],
            ["redundancy threshold", "feature-map |cos| ≥ \(cfg.threshold)"],
        ])
        var all: [Finding] = []
        var summaryRows: [[String]] = []
        for r in results {
            for (i, f0) in r.findings.enumerated() {
                var f = f0
                let path = "certificates/\(r.strategy)-\(i + 1).json"
                f.notes.append("certificate: \(path)")
                all.append(f)
                if let c = f.certificate { md.attach(path, data: c.encoded()) }
                summaryRows.append([r.strategy, f.claim.rawValue, f.exact ? "exact" : "float (certified)", Fmt.f(f.featureCosine, 6),
                                    Fmt.f(f.kernelCosine, 6), "[\(path)](\(path))"])
            }
        }
        md.heading("Summary")
        md.table(["strategy", "claim", "evidence", "feature-map cos", "kernel cos", "certificate"], summaryRows)
        md.paragraph("Replay any certificate: `convsim replay certificates/NAME.json` (exit status 0 iff the claim holds).")
        for r in results {
            md.heading(r.section.title)
            for p in r.section.paragraphs { md.paragraph(p) }
            for t in r.section.tables { md.table(t.header, t.rows) }
            for f in r.section.figures { md.figure(f.name, figure: f.figure, caption: f.caption) }
            for (i, f) in r.findings.enumerated() {
                let path = "certificates/\(r.strategy)-\(i + 1).json"
                md.heading("Counterexample \(r.strategy)-\(i + 1)", level: 3)
                md.paragraph("**Refutes:** \(f.refutes)")
                var items = ["input: \(f.inputName)",
                             "feature-map cosine: \(Fmt.f(f.featureCosine, 9))\(f.exact ? " (from exact integer Gram entries)" : "")",
                             "kernel cosine: \(Fmt.f(f.kernelCosine, 9))"]
                if let b = f.bound { items.append("Wielandt bound on these data: \(Fmt.f(b, 9))") }
                items += f.notes
                if let c = f.certificate {
                    items += c.claimed.sorted { $0.key < $1.key }.map { "claimed \($0.key): `\(Self.compact($0.value))`" }
                }
                items.append("replay: `convsim replay \(path)`")
                md.bullet(items)
                let shape = [f.kernels.count, f.kernels.channels, f.kernels.kernelHeight, f.kernels.kernelWidth]
                if shape[0] >= 2 {
                    let per = shape[1] * shape[2] * shape[3]
                    var panels: [(caption: String, rows: Int, cols: Int, values: [Double])] = []
                    for kk in 0..<min(shape[0], 4) {
                        let v = Array(f.kernels.values[(kk * per)..<((kk + 1) * per)])
                        if shape[2] == 1 {
                            panels.append((caption: "kernel \(kk)", rows: shape[1], cols: shape[3], values: v))
                        } else {
                            panels += Panels.of(v, channels: shape[1], k: shape[2], label: "k\(kk)")
                        }
                    }
                    md.figure("\(r.strategy)-\(i + 1)-kernels", figure: SVG.heatmaps(panels, title: "Counterexample \(r.strategy)-\(i + 1): kernels"),
                              caption: "Kernels of counterexample \(r.strategy)-\(i + 1) (per input channel).")
                }
            }
        }
        return (md, all)
    }

    /// A claimed value on one line (exact numbers and intervals as in the certificate).
    static func compact(_ v: JSONValue) -> String {
        switch v {
        case .string(let t): return t
        case .object(let m): return "{" + m.map { "\($0.key): \(compact($0.value))" }.joined(separator: ", ") + "}"
        case .array(let a): return "[" + a.map(compact).joined(separator: ", ") + "]"
        default: return v.rendered()
        }
    }
}
