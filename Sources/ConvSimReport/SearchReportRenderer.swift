import ConvSimIO
import ConvSimCertificates
import ConvSimCore
import ConvSimSearch
import Foundation

/// A report section: a strategy's measurements rendered (prose, tables, figures) and its
/// headline statistics for `search.json` (`json`, keys `INPUT|name` for per-input values).
public struct Section {
    public var title: String
    public var paragraphs: [String] = []
    public var tables: [(header: [String], rows: [[String]])] = []
    public var figures: [(name: String, figure: Figure, caption: String)] = []
    public var json: [(String, Double)] = []
    public init(title: String) { self.title = title }
}

/// The search rendered: the report (Markdown, figures, certificates), the findings as listed in
/// it (each with its certificate path as last note) and each strategy's section.
public struct SearchRendering {
    public var report: MarkdownReport
    public var findings: [Finding]
    public var results: [StrategyResult]
    public var sections: [Section]
}

/// Renders the search (`ConvSimSearch`'s typed results): `report.md`, SVG figures and one
/// certificate per counterexample, with the claim each refutes, the exact numbers, the seed
/// and the command to replay it; `search.json`; the terminal summary. No timestamps or
/// timings: same seed ⇒ same bytes.
public enum SearchReportRenderer {
    public static func build(context: SearchContext, results: [StrategyResult]) -> SearchRendering {
        let cfg = context.config
        let sections = results.map { section($0.measured) }
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
        for (r, section) in zip(results, sections) {
            md.heading(section.title)
            for p in section.paragraphs { md.paragraph(p) }
            for t in section.tables { md.table(t.header, t.rows) }
            for f in section.figures { md.figure(f.name, figure: f.figure, caption: f.caption) }
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
                            panels += Self.panels(v, channels: shape[1], k: shape[2], label: "k\(kk)")
                        }
                    }
                    md.figure("\(r.strategy)-\(i + 1)-kernels", figure: SVG.heatmaps(panels, title: "Counterexample \(r.strategy)-\(i + 1): kernels"),
                              caption: "Kernels of counterexample \(r.strategy)-\(i + 1) (per input channel).")
                }
            }
        }
        return SearchRendering(report: md, findings: all, results: results, sections: sections)
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

// MARK: - Sections: each strategy's measurements as prose, tables and figures

extension SearchReportRenderer {
    static let summaryHeader = ["series", "n", "mean", "median", "2.5%", "97.5%", "max"]

    static func summaryRow(_ label: String, _ v: [Double]) -> [String] {
        let s = SeriesSummary(v)
        return [label, String(s.n), Fmt.f(s.mean), Fmt.f(s.median), Fmt.f(s.q025), Fmt.f(s.q975), Fmt.f(s.max)]
    }

    /// Flattened kernels as heatmap panels, one per input channel.
    static func panels(_ v: [Double], channels c: Int, k: Int, width: Int? = nil, label: String) -> [(caption: String, rows: Int, cols: Int, values: [Double])] {
        let names = c == 3 ? ["R", "G", "B"] : (0..<c).map { "c\($0)" }
        let w = width ?? k
        return (0..<c).map { ch in (caption: "\(label) \(names[ch])", rows: k, cols: w, values: Array(v[(ch * k * w)..<((ch + 1) * k * w)])) }
    }

    /// The report section of one strategy's measurements.
    public static func section(_ m: Measurements) -> Section {
        switch m {
        case .adversarial(let r): return adversarial(r)
        case .random(let r): return random(r)
        case .gradient(let r): return gradient(r)
        case .paper41(let r): return paper41(r)
        case .channel(let r): return channel(r)
        case .symmetric(let r): return symmetric(r)
        }
    }

    static func adversarial(_ r: AdversarialResult) -> Section {
        var section = Section(title: "adversarial — the Wielandt pair (T4)")
        let k = r.settings.kernelSize
        section.paragraphs.append("""
        **Claim refuted:** \(Claims.orthogonalityBelief) For kernels with `<a, b> = 0`, \
        `|cos(F_a, F_b)| ≤ (λmax − λmin)/(λmax + λmin)` of the patch Gram `𝐆^P` (Wielandt), with equality at \
        `a = v_max + v_min`, `b = v_max − v_min`. For natural images the bound is close to 1: \
        orthogonality guarantees almost nothing.
        """)
        var rows: [[String]] = []
        for (idx, x) in r.inputs.enumerated() {
            section.json += [("\(x.name)|wielandt_bound", x.bound), ("\(x.name)|attained_cosine", x.attainedCosine),
                             ("\(x.name)|lambda_min", x.lambdaMin), ("\(x.name)|lambda_max", x.lambdaMax)]
            rows.append([x.name, "\(x.channels)×\(k)×\(k)", Fmt.e(x.lambdaMin), Fmt.e(x.lambdaMax),
                         Fmt.f(x.bound, 6), Fmt.f(x.attainedCosine, 6), Fmt.resolved(x.kernelDot, resolution: 1e-13)])
            section.figures.append((name: "adversarial-spectrum-\(idx)",
                                    figure: SVG.spectrum(x.eigenvalues.reversed(), title: "Eigenvalues of the patch Gram — \(x.name)", yLabel: "λ"),
                                    caption: "Spectrum of 𝐆^P for \(x.name) (k = \(k), \(r.settings.padding.rawValue) padding): the condition number sets the T4 bound \(Fmt.f(x.bound, 6))."))
            if !x.exactPairFound {
                section.paragraphs.append("No exact integer pair with |cos| ≥ \(r.settings.threshold) found for \(x.name) (its bound is \(Fmt.f(x.bound, 6))).")
            }
        }
        section.tables.append((["input", "kernel C×k×k", "λmin", "λmax", "bound (λmax−λmin)/(λmax+λmin)", "attained cos", "<a,b> (float, eigenvector rounding)"], rows))
        return section
    }

    static func random(_ r: RandomResult) -> Section {
        var section = Section(title: "random — Haar-random orthogonal pairs")
        let tau = r.settings.threshold
        section.paragraphs.append("""
        **Claim refuted:** \(Claims.orthogonalityBelief) Kernel pairs drawn uniformly (Haar) among orthonormal pairs \
        in ℝ^(C·k²), compared with independent Gaussian pairs. Each trial costs one `aᵀ𝐆b` (no convolution).
        """)
        var rows: [[String]] = []
        for x in r.inputs {
            let o = x.orthogonal, g = x.gaussian
            rows.append(summaryRow("orthogonal pairs — \(x.name)", o))
            rows.append(summaryRow("Gaussian pairs — \(x.name)", g))
            rows.append(summaryRow("Gaussian pairs, kernel |cos| — \(x.name)", x.gaussianKernel))
            let so = SeriesSummary(o), sg = SeriesSummary(g)
            section.json += [("\(x.name)|orthogonal_pairs", Double(o.count)),
                             ("\(x.name)|fraction_at_least_threshold", x.fractionAtLeastThreshold),
                             ("\(x.name)|orthogonal_median_abs_cosine", so.median),
                             ("\(x.name)|orthogonal_max_abs_cosine", so.max),
                             ("\(x.name)|gaussian_median_abs_cosine", sg.median),
                             ("\(x.name)|wielandt_bound", x.wielandtBound)]
            section.paragraphs.append("\(x.name): \(x.atLeastThreshold) of \(o.count) orthogonal pairs (\(Fmt.f(100 * Double(x.atLeastThreshold) / Double(max(o.count, 1)), 2))%) have feature-map |cos| ≥ \(tau).")
            section.figures.append((name: "random-histogram-\(x.index)",
                                    figure: SVG.histogram([("orthogonal kernels", o), ("Gaussian kernels", g)], lo: 0, hi: 1, bins: 40,
                                                       title: "Feature-map |cos| of random kernel pairs — \(x.name)", xLabel: "|cos(F_a, F_b)|",
                                                       references: [.x(tau, "threshold \(Fmt.g(tau))"), .x(x.wielandtBound, "T4 bound")]),
                                    caption: "Feature-map |cosine| of \(o.count) Haar-orthogonal and \(g.count) Gaussian kernel pairs on \(x.name)."))
        }
        section.tables.append((summaryHeader, rows))
        return section
    }

    static func gradient(_ r: GradientResult) -> Section {
        let m = r.bankSize
        var section = Section(title: "gradient — maximizing similarity over orthonormal banks (M = \(m))")
        section.paragraphs.append("""
        **Claim refuted:** \(Claims.orthogonalityBelief) Banks of \(m) exactly orthonormal kernels whose feature maps are \
        all pairwise similar, found by projected gradient ascent of `Σ_{i<j} cos²(F_i, F_j)` from \(r.starts) random start(s), \
        \(r.steps) steps each.
        """)
        var rows: [[String]] = []
        for x in r.inputs {
            rows.append(summaryRow("mean pairwise |cos| at the end — \(x.name)", x.finalMeanCosine))
            section.json += [("\(x.name)|starts", Double(x.finalMeanCosine.count)),
                             ("\(x.name)|best_mean_abs_cosine", x.bestMeanCosine ?? .nan),
                             ("\(x.name)|median_final_mean_abs_cosine", SeriesSummary(x.finalMeanCosine).median),
                             ("\(x.name)|wielandt_bound", x.wielandtBound)]
            let curves = x.curves.enumerated().map { ("start \($0.offset + 1)", $0.element) }
            section.figures.append((name: "gradient-curves-\(x.index)",
                                    figure: SVG.lines(curves, title: "Projected gradient ascent — \(x.name)", xLabel: "step", yLabel: "mean pairwise |cos|",
                                                      references: [.y(x.wielandtBound, "T4 bound")]),
                                    caption: "Mean pairwise feature-map |cosine| of an orthonormal bank of \(m) kernels along the ascent (\(x.name))."))
        }
        section.tables.append((summaryHeader, rows))
        return section
    }

    static func paper41(_ r: Paper41Result) -> Section {
        var section = Section(title: "paper-4.1 — the paper's Experiment 4.1 over \(r.runs) seeds")
        let change = r.featureChange
        let rose = r.rose
        let protocolText = "Protocol (Documentation/Theory.md#exp-4-1, from the authors' script): two kernels U[0,1)^9, input U[0,1)^64, valid 1-D correlation, SGD lr 0.1 for 300 steps on cos(K1,K2)²."
        if rose > 0 {
            section.paragraphs.append("""
            **Claim refuted:** "Driving the kernels towards orthogonality lowers the similarity of their feature maps." \
            \(protocolText) Over \(r.runs) seeds the feature-map |cosine| **rose in \(rose) runs \
            (\(Fmt.f(100 * Double(rose) / Double(max(r.runs, 1)), 1))%)** although the kernel cosine fell in every run \
            (mean kernel-|cos| reduction \(Fmt.f(r.meanKernelReduction))). After orthogonalization the median feature-map |cos| is \
            \(Fmt.f(r.medianAbsFeatureAfter)).
            """)
        } else {
            section.paragraphs.append("""
            **Claim refuted:** \(Claims.orthogonalityBelief) \(protocolText) Over \(r.runs) seeds the kernels end \
            orthogonal (kernel |cos| below 1e-12) yet the feature-map |cosine| stays high: median \(Fmt.f(r.medianAbsFeatureAfter)), \
            minimum \(Fmt.f(r.minAbsFeatureAfter)) (before: median \(Fmt.f(r.medianAbsFeatureBefore))). \
            **Not reproduced:** the paper reports that the feature-map similarity does not reliably fall; in this \
            reproduction it fell in every run, by a median of \(Fmt.f(-r.medianFeatureChange)) — orthogonalization lowers the \
            similarity a little and leaves it high. (The inputs are positive, so every feature map carries a large common \
            mean component that orthogonal kernels do not remove.)
            """)
        }
        section.tables.append((summaryHeader, [
            summaryRow("kernel cos before", r.kernelBefore),
            summaryRow("kernel cos after", r.kernelAfter),
            summaryRow("feature-map cos before", r.featureBefore),
            summaryRow("feature-map cos after", r.featureAfter),
            summaryRow("change of feature-map |cos| (after − before)", change),
        ]))
        section.json = [("runs", Double(r.runs)), ("runs_feature_similarity_rose", Double(rose)),
                        ("fraction_rose", r.fractionRose),
                        ("median_feature_change", r.medianFeatureChange)]
        let lo = min(change.min() ?? -1, 0), hi = max(change.max() ?? 1, 0)
        section.figures.append((name: "paper41-change",
                                figure: SVG.histogram([("after − before", change)], lo: lo, hi: hi + 1e-9, bins: 40,
                                                   title: "Change of feature-map |cos| after orthogonalization", xLabel: "Δ|cos(F1, F2)|",
                                                   references: [.x(0, "no change")]),
                                caption: "Experiment 4.1 over \(r.runs) seeds: change of feature-map |cosine| (positive = orthogonalization raised similarity)."))
        let curves = r.curves.enumerated().map { ("seed run \($0.offset + 1)", $0.element) }
        section.figures.append((name: "paper41-curves",
                                figure: SVG.lines(curves, title: "Feature-map cosine during SGD on cos(K1,K2)²", xLabel: "SGD step", yLabel: "cos(F1, F2)",
                                                  references: [.y(0, "0")]),
                                caption: "Feature-map cosine along the optimization for the first runs."))
        return section
    }

    static func channel(_ r: ChannelResult) -> Section {
        var section = Section(title: "channel — zero paper CS, similar feature maps (T5)")
        section.paragraphs.append("""
        **Claim refuted:** "Minimizing the Convolutional Similarity `Σ_c ‖K_i,c ⋆ K_j,c‖²` (same channel only, as the authors' \
        code computes it) makes the feature maps dissimilar." A kernel on one input channel and a kernel on another give \
        paper CS = 0 exactly and kernel dot product 0, but the cross-channel terms `T_ab,cc'` that the loss ignores carry \
        the correlation between colour channels. The symmetric cross-channel CS (Documentation/Theory.md#cs) sees them.
        """)
        var rows: [[String]] = []
        let tau = r.settings.threshold
        for x in r.inputs {
            let v = x.cosines, s = SeriesSummary(v)
            section.json += [("\(x.name)|pairs", Double(v.count)),
                             ("\(x.name)|median_abs_cosine", s.median),
                             ("\(x.name)|max_abs_cosine", v.max() ?? .nan),
                             ("\(x.name)|fraction_at_least_threshold", x.fractionAtLeastThreshold)]
            rows.append(summaryRow("feature-map |cos| — \(x.name)", v))
            section.figures.append((name: "channel-histogram-\(x.index)",
                                    figure: SVG.histogram([("different-channel pairs", v)], lo: 0, hi: 1, bins: 40,
                                                       title: "Paper CS = 0 pairs: feature-map |cos| — \(x.name)", xLabel: "|cos(F_a, F_b)|",
                                                       references: [.x(tau, "threshold \(Fmt.g(tau))")]),
                                    caption: "Feature-map |cosine| of \(v.count) random kernel pairs on different channels (paper CS exactly 0) on \(x.name)."))
        }
        if r.inputs.isEmpty { section.paragraphs.append("No input has two or more channels: this strategy needs RGB (or multi-channel) inputs.") }
        section.tables.append((summaryHeader, rows))
        return section
    }

    static func symmetric(_ r: SymmetricResult) -> Section {
        var section = Section(title: "symmetric — orthogonal for every input, penalized by the paper's CS (T2)")
        let v = r.paperCSNormalized, s = SeriesSummary(v)
        let zeros = r.symmetricPartZero
        section.json = [("pairs", Double(v.count)), ("pairs_symmetric_part_exactly_zero", Double(zeros)),
                        ("median_normalized_paper_cs", s.median), ("max_normalized_paper_cs", v.max() ?? .nan)]
        section.paragraphs.append("""
        **Claims refuted:** (1) "Feature maps are decorrelated only when the kernels are (close to) orthogonal in the \
        paper's CS sense" and (2) "a pair with positive Convolutional Similarity has redundant feature maps". \
        Each pair is `a` (a random integer kernel, centred) and `b = a ∗ h` with `h` a random antisymmetric filter: \
        the symmetric part `S_ab` of their cross-correlation vanishes identically, so by T2 their feature maps are \
        orthogonal on **every** input (full/circular padding), while the paper's CS is positive. \
        \(zeros) of \(v.count) random pairs had `S_ab ≡ 0` verified in exact integer arithmetic.
        """)
        section.tables.append((summaryHeader, [summaryRow("paper CS / (‖a‖²‖b‖²)", v)]))
        section.figures.append((name: "symmetric-paper-cs",
                                figure: SVG.histogram([("pairs with S ≡ 0", v)], lo: 0, hi: max(v.max() ?? 1, 1e-9), bins: 40,
                                                   title: "Paper CS of pairs that are orthogonal for every input", xLabel: "CS / (‖a‖²‖b‖²)"),
                                caption: "Normalized paper Convolutional Similarity of \(v.count) pairs whose feature maps are exactly orthogonal on every input."))
        if let best = r.best {
            var p = panels(best.a, channels: best.channels, k: best.size, label: "a")
            p += panels(best.b, channels: best.channels, k: best.size, label: "b = a∗h")
            section.figures.append((name: "symmetric-best-kernels",
                                    figure: SVG.heatmaps(p, title: "Most penalized pair with S ≡ 0"),
                                    caption: "The found pair the paper's CS penalizes most (normalized CS \(Fmt.f(best.normalizedPaperCS, 4))), yet orthogonal for every input."))
            section.tables.append((["padding (\(best.inputName))", "feature-map cos of the found pair", "certified bound on <F_a,F_b> error"],
                                   best.paddings.map { [$0.padding.rawValue, Fmt.e($0.cosine), Fmt.e($0.bound)] }))
        }
        return section
    }
}

// MARK: - search.json and the terminal summary

extension SearchReportRenderer {
    static func findingJSON(_ f: Finding, index: Int, out: String) -> JSON {
        var o: [(String, JSON)] = [
            ("strategy", .string(f.strategy)), ("claim", .string(f.claim.rawValue)),
            ("feature_cosine", .number(f.featureCosine)), ("kernel_cosine", .number(f.kernelCosine)),
            ("evidence", .string(f.exact ? "exact" : "float")),
            ("certificate", .string(out + "/certificates/\(f.strategy)-\(index).json")),
            ("input", .string(f.inputName)),
        ]
        if let b = f.bound { o.append(("bound", .number(b))) }
        for (k, v) in f.extra.sorted(by: { $0.key < $1.key }) { o.append((k, .number(v))) }
        return .object(o)
    }

    /// A strategy's headline statistics: run-wide ones at the top, per-input ones (keys
    /// `INPUT|name`) under `inputs.INPUT`.
    static func statsJSON(_ values: [(String, Double)]) -> JSON {
        var top: [(String, JSON)] = [], perInput: [(String, [(String, JSON)])] = []
        for (k, v) in values {
            let parts = k.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { top.append((k, .number(v))); continue }
            if let i = perInput.firstIndex(where: { $0.0 == parts[0] }) { perInput[i].1.append((parts[1], .number(v))) }
            else { perInput.append((parts[0], [(parts[1], .number(v))])) }
        }
        if !perInput.isEmpty { top.append(("inputs", .object(perInput.map { ($0.0, .object($0.1)) }))) }
        return .object(top)
    }

    /// `search.json` (and `--json`): the seed, the report path, the best finding and, per
    /// strategy, its findings and headline statistics. `out` is the output folder.
    public static func summaryJSON(_ r: SearchRendering, seed: UInt64, out: String) -> JSON {
        var strategies: [JSON] = []
        var indexed: [(Finding, Int)] = []
        for (res, section) in zip(r.results, r.sections) {
            let fs = res.findings.enumerated().map { ($0.element, $0.offset + 1) }
            indexed += fs
            strategies.append(.object([
                ("name", .string(res.strategy)),
                ("findings", .array(fs.map { findingJSON($0.0, index: $0.1, out: out) })),
                ("stats", statsJSON(section.json)),
            ]))
        }
        // best: the most similar orthogonal pair (or, for one strategy, its top finding).
        let pool = indexed.filter { $0.0.claim == .orthogonalKernelsSimilarFeatureMaps }
        let candidates = pool.isEmpty ? indexed : pool
        let best = candidates.max { abs($0.0.featureCosine) < abs($1.0.featureCosine) }
        return .object([
            ("seed", .uint(seed)), ("report", .string(out + "/report.md")),
            ("best", best.map { findingJSON($0.0, index: $0.1, out: out) } ?? .null),
            ("strategies", .array(strategies)),
        ])
    }

    /// The terminal summary: each section's prose (not the claims) and tables, then the findings.
    public static func terminalLines(_ r: SearchRendering, out: String) -> [String] {
        var lines: [String] = []
        for section in r.sections {
            lines.append(section.title)
            for p in section.paragraphs where !p.hasPrefix("**Claim") { lines.append("  " + p) }
            for t in section.tables {
                let widths = t.header.indices.map { c in ([t.header[c]] + t.rows.map { $0[c] }).map(\.count).max() ?? 0 }
                func line(_ cells: [String]) -> String {
                    "  " + cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                }
                lines.append(line(t.header))
                for row in t.rows { lines.append(line(row)) }
            }
            lines.append("")
        }
        lines.append("counterexamples (\(r.findings.count)):")
        for f in r.findings {
            lines.append("  \(f.strategy.padding(toLength: 12, withPad: " ", startingAt: 0)) feature cos \(Fmt.f(f.featureCosine, 6))  kernel cos \(Fmt.f(f.kernelCosine, 6))  [\(f.exact ? "exact" : "float")]  \(f.notes.last ?? "")")
        }
        lines.append("report: \(out)/report.md")
        return lines
    }
}
