import ConvSimIO
import ConvSimCertificates
import ConvSimCore
import ConvSimSearch
import Foundation

/// The search on dataset statistics (`ConvSimSearch.DatasetSearch`) rendered: `report.md`,
/// figures, one certificate per counterexample (`certificates/STRATEGY-1.json`), `search.json`
/// and the terminal summary. No timestamps or timings: same statistics and seed ⇒ same bytes on
/// one machine.
public enum DatasetSearchReportRenderer {
    public struct Rendering {
        public var report: MarkdownReport
        public var summary: JSON
        public var terminal: [String]
    }

    public static func build(_ r: DatasetSearch.Result, out: String) -> Rendering {
        let cfg = r.config
        var md = MarkdownReport(title: "ConvSimKit counterexample search on dataset statistics")
        md.paragraph("""
        Does kernel orthogonality make feature maps dissimilar **over a whole dataset**? The dataset is known \
        through its patch statistics (`convsim stats build`): its patch Gram `𝐆` and a certified entrywise bound \
        `E` on its rounding. For kernels `a`, `b`, `<F_a, F_b> = aᵀ𝐆*b` summed over every image, so each \
        certificate below proves its claim for **every** patch Gram within `E` of `𝐆`, in exact arithmetic; \
        `convsim replay CERT --stats FILE` also checks that `𝐆` and `E` are the statistics file's.
        """)
        md.table(["setting", "value"], [
            ["command", "`\(cfg.command)`"],
            ["statistics", cfg.statistics],
            ["strategies", cfg.strategies.joined(separator: ", ")],
            ["images", String(r.images)],
            ["kernels", "\(r.channels)×\(r.kernelHeight)×\(r.kernelWidth) (order \(r.order))"],
            ["padding", r.padding.rawValue],
            ["trials", "\(cfg.trials) (random: one pair each; gradient: one start per 100, banks of \(cfg.bankSize))"],
            ["seed", String(cfg.seed)],
            ["redundancy threshold", "feature-map |cos| ≥ \(cfg.threshold.text)"],
            ["largest |𝐆| entry, largest bound", "\(Fmt.e(r.largestEntry)), \(Fmt.e(r.largestBound))"],
        ])
        var counts: [String: Int] = [:]
        var paths: [String] = []
        var rows: [[String]] = []
        for f in r.findings {
            counts[f.strategy, default: 0] += 1
            let path = "certificates/\(f.strategy)-\(counts[f.strategy] ?? 1).json"
            paths.append(path)
            if let c = f.certificate { md.attach(path, data: c.encoded()) }
            rows.append([f.strategy, f.claim.rawValue, "certified bound", Fmt.f(f.featureCosine, 6), Fmt.f(f.kernelCosine, 6), "[\(path)](\(path))"])
        }
        md.heading("Summary")
        if rows.isEmpty {
            md.paragraph(r.order * r.order > Certificate.Limits.valuesPerTensor
                ? "No certificate: at order \(r.order) a certificate would hold \(r.order)² patch Gram values, above the limit of \(Certificate.Limits.valuesPerTensor) per tensor that every checker applies."
                : "No certified counterexample at the threshold: no pair found holds |cos| ≥ \(cfg.threshold.text) for every patch Gram within the statistics' bound.")
        } else {
            md.table(["strategy", "claim", "evidence", "feature-map cos", "kernel cos", "certificate"], rows)
            md.paragraph("Replay any certificate: `convsim replay certificates/NAME.json --stats STATS` (exit status 0 iff the claim holds).")
        }
        var stats: [String: [(String, JSON)]] = [:]
        if cfg.strategies.contains("adversarial") {
            md.heading("adversarial — the Wielandt pair (T4)")
            md.paragraph("""
            **Claim refuted:** \(Claims.orthogonalityBelief) For kernels with `<a, b> = 0`, \
            `|cos(F_a, F_b)| ≤ (λmax − λmin)/(λmax + λmin)` of the dataset's patch Gram (Wielandt), with equality at \
            `a = v_max + v_min`, `b = v_max − v_min`.
            """)
            md.table(["λmin", "λmax", "bound (λmax−λmin)/(λmax+λmin)", "attained |cos|"],
                     [[Fmt.e(r.eigenvalues.first ?? .nan), Fmt.e(r.eigenvalues.last ?? .nan), Fmt.f(r.wielandtBound, 6),
                       r.adversarialCosine.map { Fmt.f($0, 6) } ?? "—"]])
            md.figure("adversarial-spectrum", figure: SVG.spectrum(r.eigenvalues.reversed(), title: "Eigenvalues of the dataset's patch Gram", yLabel: "λ"),
                      caption: "Spectrum of the dataset's patch Gram (\(r.images) images, \(r.padding.rawValue) padding): its condition number sets the T4 bound \(Fmt.f(r.wielandtBound, 6)).")
            stats["adversarial"] = [("wielandt_bound", .number(r.wielandtBound)), ("attained_cosine", r.adversarialCosine.map { .number($0) } ?? .null),
                                    ("lambda_min", .number(r.eigenvalues.first ?? .nan)), ("lambda_max", .number(r.eigenvalues.last ?? .nan))]
        }
        if cfg.strategies.contains("random") {
            let o = r.randomCosines, tau = cfg.threshold.approximate
            let hits = o.filter { $0 >= tau }.count
            md.heading("random — Haar-random orthogonal pairs")
            md.paragraph("""
            **Claim refuted:** \(Claims.orthogonalityBelief) Kernel pairs drawn uniformly (Haar) among orthonormal pairs \
            in ℝ^\(r.order); each trial costs one `aᵀ𝐆b` on the dataset's patch Gram, whatever the number of images. \
            \(hits) of \(o.count) pairs (\(Fmt.f(100 * Double(hits) / Double(max(o.count, 1)), 2))%) have feature-map |cos| ≥ \(cfg.threshold.text).
            """)
            md.table(SearchReportRenderer.summaryHeader, [SearchReportRenderer.summaryRow("orthogonal pairs", o)])
            md.figure("random-histogram", figure: SVG.histogram([("orthogonal kernels", o)], lo: 0, hi: 1, bins: 40,
                                                              title: "Feature-map |cos| of random orthogonal pairs over the dataset", xLabel: "|cos(F_a, F_b)|",
                                                              references: [.x(tau, "threshold \(Fmt.g(tau))"), .x(r.wielandtBound, "T4 bound")]),
                      caption: "Feature-map |cosine| of \(o.count) Haar-orthogonal kernel pairs over \(r.images) images.")
            let s = SeriesSummary(o)
            stats["random"] = [("orthogonal_pairs", .int(o.count)), ("fraction_at_least_threshold", .number(Double(hits) / Double(max(o.count, 1)))),
                               ("orthogonal_median_abs_cosine", .number(s.median)), ("orthogonal_max_abs_cosine", .number(s.max)),
                               ("wielandt_bound", .number(r.wielandtBound))]
        }
        if cfg.strategies.contains("gradient") {
            let g = r.gradientFinal
            md.heading("gradient — orthonormal banks of \(cfg.bankSize) kernels")
            md.paragraph("""
            **Claim refuted:** \(Claims.orthogonalityBelief) Projected gradient ascent of `Σ_{i<j} cos²(F_i, F_j)` over banks of \
            \(cfg.bankSize) orthonormal kernels (one start per 100 trials), on the dataset's patch Gram; the most similar pair of \
            the best bank is certified.
            """)
            md.table(SearchReportRenderer.summaryHeader, [SearchReportRenderer.summaryRow("final mean pairwise |cos| per start", g)])
            let s = SeriesSummary(g)
            stats["gradient"] = [("starts", .int(g.count)), ("best_mean_abs_cosine", r.gradientBest.map { .number($0) } ?? .null),
                                 ("median_final_mean_abs_cosine", .number(s.median)), ("wielandt_bound", .number(r.wielandtBound))]
        }
        for (f, path) in zip(r.findings, paths) {
            md.heading("Counterexample \(path.dropFirst("certificates/".count).dropLast(".json".count))", level: 3)
            md.paragraph("**Refutes:** \(f.refutes)")
            var items = ["feature-map cosine on 𝐆: \(Fmt.f(f.featureCosine, 9))", "kernel cosine: 0 (exactly orthogonal integers)"]
            items += f.notes
            if let c = f.certificate { items += c.claimed.sorted { $0.key < $1.key }.map { "claimed \($0.key): `\(SearchReportRenderer.compact($0.value))`" } }
            items.append("replay: `convsim replay \(path) --stats STATS`")
            md.bullet(items)
            md.figure("\(f.strategy)-kernels", figure: SVG.heatmaps(
                (0..<2).flatMap { kk in
                    SearchReportRenderer.panels(Array(f.kernels.values[(kk * r.order)..<((kk + 1) * r.order)]), channels: r.channels,
                                                k: r.kernelHeight, width: r.kernelWidth, label: "k\(kk)")
                }, title: "Counterexample \(f.strategy): kernels"), caption: "Kernels of the \(f.strategy) counterexample (per input channel).")
        }
        // search.json: the keys of `search --json` (Documentation/JSON.md), evidence "certified".
        func findingJSON(_ f: Finding, _ p: String) -> JSON {
            var o: [(String, JSON)] = [("strategy", .string(f.strategy)), ("claim", .string(f.claim.rawValue)), ("feature_cosine", .number(f.featureCosine)),
                                       ("kernel_cosine", .number(f.kernelCosine)), ("evidence", .string("certified")),
                                       ("certificate", .string(out + "/" + p)), ("input", .string(f.inputName))]
            if let b = f.bound { o.append(("bound", .number(b))) }
            return .object(o)
        }
        let indexed = Array(zip(r.findings, paths))
        let best = indexed.max { abs($0.0.featureCosine) < abs($1.0.featureCosine) }
        let summary = JSON.object([
            ("seed", .uint(cfg.seed)), ("report", .string(out + "/report.md")),
            ("best", best.map { findingJSON($0.0, $0.1) } ?? .null),
            ("strategies", .array(cfg.strategies.map { name in
                .object([("name", .string(name)),
                         ("findings", .array(indexed.filter { $0.0.strategy == name }.map { findingJSON($0.0, $0.1) })),
                         ("stats", .object(stats[name] ?? []))])
            })),
        ])
        var lines = ["dataset: \(r.images) image(s), kernels \(r.channels)×\(r.kernelHeight)×\(r.kernelWidth), \(r.padding.rawValue) padding",
                     "  Wielandt bound (λmax−λmin)/(λmax+λmin): \(Fmt.f(r.wielandtBound, 6))"]
        if !r.randomCosines.isEmpty {
            let s = SeriesSummary(r.randomCosines)
            lines.append("  random orthogonal pairs: median |cos| \(Fmt.f(s.median, 6)), max \(Fmt.f(s.max, 6)) over \(s.n) trials")
        }
        lines.append("counterexamples (\(r.findings.count)):")
        for (f, p) in zip(r.findings, paths) {
            lines.append("  \(f.strategy.padding(toLength: 12, withPad: " ", startingAt: 0)) feature cos \(Fmt.f(f.featureCosine, 6))  kernel cos 0  [certified]  \(p)")
        }
        lines.append("report: \(out)/report.md")
        return Rendering(report: md, summary: summary, terminal: lines)
    }
}
