import ConvSimCertificates
import ConvSimCore
import ConvSimExperiments
import ConvSimIO
@testable import ConvSimReport
import ConvSimSearch
import ConvSimTestSupport
import Foundation
import Testing

/// The renderers turn typed results into the report, `search.json` and the terminal lines:
/// the structure they produce, checked against the typed values they render.
@Suite struct RendererTests {
    static func settings(threshold: Double = 0.9) throws -> ResultSettings {
        let cfg = SearchConfig(strategies: ["random"], inputs: ["x"], kernelSize: 3, padding: .same, trials: 5, seed: 1,
                               threshold: try #require(Rational(exactly: threshold)), bankSize: 2)
        return ResultSettings(cfg)
    }

    /// A hand-made `random` result: the section's table rows, JSON values, paragraph and figure
    /// come from its series.
    @Test func randomSectionRendersItsSeries() throws {
        let o = [0.95, 0.5, 0.91, 0.2, 0.99], g = [0.1, 0.3, 0.97, 0.4, 0.6], gk = [0.05, 0.1, 0.2, 0.3, 0.4]
        var r = RandomResult(settings: try Self.settings())
        r.inputs = [.init(index: 0, name: "a.png", orthogonal: o, gaussian: g, gaussianKernel: gk, atLeastThreshold: 3, wielandtBound: 0.995),
                    .init(index: 1, name: "b.png", orthogonal: [0.1], gaussian: [0.2], gaussianKernel: [0.3], atLeastThreshold: 0, wielandtBound: 0.5)]
        let s = SearchReportRenderer.section(.random(r))
        #expect(s.title == "random — Haar-random orthogonal pairs")
        #expect(s.tables.count == 1)
        let table = try #require(s.tables.first)
        #expect(table.header == ["series", "n", "mean", "median", "2.5%", "97.5%", "max"])
        #expect(table.rows.count == 6)
        let sum = SeriesSummary(o)
        #expect(table.rows[0] == ["orthogonal pairs — a.png", "5", Fmt.f(sum.mean), "0.9100", Fmt.f(sum.q025), Fmt.f(sum.q975), "0.9900"])
        #expect(table.rows[3][0] == "orthogonal pairs — b.png")
        #expect(s.paragraphs.contains("a.png: 3 of 5 orthogonal pairs (60.00%) have feature-map |cos| ≥ 0.9."))
        #expect(s.figures.map(\.name) == ["random-histogram-0", "random-histogram-1"])
        #expect(s.figures.allSatisfy { $0.figure.svg.hasPrefix("<svg") || $0.figure.svg.hasPrefix("<?xml") })
        let json = Dictionary(s.json, uniquingKeysWith: { a, _ in a })
        #expect(json["a.png|fraction_at_least_threshold"] == 0.6)
        #expect(json["a.png|orthogonal_max_abs_cosine"] == 0.99)
        #expect(json["a.png|orthogonal_median_abs_cosine"] == 0.91)
        #expect(json["b.png|wielandt_bound"] == 0.5)
        #expect(s.json.count == 12)
    }

    /// `channel` with no multi-channel input says so; `adversarial` says when no exact pair was found.
    @Test func sectionsSayWhatWasNotFound() throws {
        let c = SearchReportRenderer.section(.channel(ChannelResult(settings: try Self.settings())))
        #expect(c.paragraphs.last == "No input has two or more channels: this strategy needs RGB (or multi-channel) inputs.")
        #expect(c.tables.first?.rows.isEmpty == true)
        var a = AdversarialResult(settings: try Self.settings(threshold: 0.99))
        a.inputs = [.init(name: "x", channels: 1, eigenvalues: [1, 3], bound: 0.5, attainedCosine: 0.5, kernelDot: 1e-15, exactPairFound: false)]
        let s = SearchReportRenderer.section(.adversarial(a))
        #expect(s.paragraphs.last == "No exact integer pair with |cos| ≥ 0.99 found for x (its bound is 0.500000).")
        #expect(s.tables.first?.rows == [["x", "1×3×3", "1.000e+00", "3.000e+00", "0.500000", "0.500000", "|x| < 1e-13"]])
        #expect(s.figures.map(\.name) == ["adversarial-spectrum-0"])
    }

    /// A real search rendered: the report's headings follow the strategies, every finding has its
    /// certificate attached and listed, `search.json` has the documented top-level keys and one
    /// entry per strategy, and the same results give the same bytes.
    @Test func searchReportStructure() throws {
        let x = integerImage(3, 16, 16, seed: 7)
        let names = ["adversarial", "random", "symmetric"]
        let cfg = SearchConfig(strategies: names, inputs: ["synthetic"], kernelSize: 2, padding: .same,
                               trials: 50, seed: 4, threshold: Rational(9, 10), bankSize: 2)
        let ctx = try SearchContext(config: cfg, inputs: [("synthetic", x)], command: "test")
        var run = try SearchRun(context: ctx, strategies: names.compactMap(Strategies.named))
        try run.run()
        let results = run.finish()
        let r = SearchReportRenderer.build(context: ctx, results: results)
        let text = r.report.text
        #expect(text.hasPrefix("# ConvSimKit counterexample search\n\n"))
        let headings = text.split(separator: "\n").filter { $0.hasPrefix("## ") }.map(String.init)
        #expect(headings == ["## Summary"] + r.sections.map { "## " + $0.title })
        #expect(r.sections.count == names.count)
        #expect(r.findings.count == results.map(\.findings.count).reduce(0, +))
        #expect(!r.findings.isEmpty)
        let paths = Set(r.report.files.map(\.path))
        for res in results {
            for i in res.findings.indices {
                let cert = "certificates/\(res.strategy)-\(i + 1).json"
                #expect(paths.contains(cert))
                #expect(text.contains("### Counterexample \(res.strategy)-\(i + 1)"))
            }
        }
        for f in r.findings { #expect(f.notes.last?.hasPrefix("certificate: certificates/") == true) }
        guard case .object(let top) = SearchReportRenderer.summaryJSON(r, seed: 4, out: "OUT") else {
            Issue.record("search.json is not an object"); return
        }
        #expect(top.map(\.0) == ["seed", "report", "best", "strategies"])
        if case .array(let strategies) = top[3].1 { #expect(strategies.count == names.count) } else { Issue.record("strategies") }
        let lines = SearchReportRenderer.terminalLines(r, out: "OUT")
        #expect(lines.last == "report: OUT/report.md")
        #expect(lines.contains("counterexamples (\(r.findings.count)):"))
        let again = SearchReportRenderer.build(context: ctx, results: results)
        #expect(again.report.text == text)
        #expect(again.report.files.map(\.data) == r.report.files.map(\.data))
    }

    /// Each experiment rendered: the report's title names the runs, the figures are the
    /// experiment's, the JSON summary's values are the typed statistics', and the same outcome
    /// gives the same bytes.
    @Test(arguments: Experiments.ids) func experimentRendering(_ id: String) throws {
        let outcome = try Experiments.run(id: id, reps: 7, seed: 5)
        let r = ExperimentReportRenderer.render(outcome)
        let title = try #require(r.report.text.split(separator: "\n").first)
        #expect(title.hasPrefix("# Experiment \(id) — "))
        #expect(title.hasSuffix("7 runs (seed 5)"))
        let prefix = "figures/exp" + id.replacingOccurrences(of: ".", with: "") + "-"
        #expect(!r.report.files.isEmpty && r.report.files.allSatisfy { $0.path.hasPrefix(prefix) })
        #expect(r.summary.prefix(3).map(\.0) == ["experiment", "seed", "reps"])
        #expect(r.lines.first?.hasPrefix("experiment \(id) — 7 runs, seed 5") == true)
        let values = Dictionary(r.summary.map { ($0.0, $0.1.render()) }, uniquingKeysWith: { a, _ in a })
        switch outcome.result {
        case .e41(_, let s): #expect(values["fraction_feature_similarity_rose"] == JSON.number(s.fractionFeatureRose).render())
        case .e43(_, let s): #expect(values["runs_script_measure_differs"] == JSON.int(s.runsScriptDiffers).render())
        case .e44(_, let s): #expect(values["fraction_adjacent_entries_fell"] == JSON.number(s.fractionAdjacentFell).render())
        }
        let again = ExperimentReportRenderer.render(outcome)
        #expect(again.report.text == r.report.text && again.lines == r.lines)
        #expect(again.report.files.map(\.data) == r.report.files.map(\.data))
    }
}
