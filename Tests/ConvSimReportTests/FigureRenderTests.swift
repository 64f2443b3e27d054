import ConvSimCertificates
import ConvSimCore
import ConvSimExperiments
import ConvSimReport
import ConvSimSearch
import Foundation
import ConvSimTestSupport
import Testing

/// Every figure the search and the experiments write renders to PNG through librsvg (a broken
/// SVG fails here), and each has its data beside it as CSV with a header and one row at least.
@Suite struct FigureRenderTests {
    @Test func everyReportFigureRendersAndHasItsData() throws {
        let x = integerImage(3, 12, 12, seed: 4)
        let cfg = SearchConfig(strategies: Strategies.names, inputs: ["synthetic"], kernelSize: 2, padding: .same,
                               trials: 40, seed: 2, threshold: Rational(9, 10), bankSize: 2)
        let ctx = try SearchContext(config: cfg, inputs: [("synthetic", x)], command: "test")
        var run = try SearchRun(context: ctx, strategies: Strategies.all)
        try run.run()
        var files = SearchReportRenderer.build(context: ctx, results: run.finish()).report.files
        for id in ["4.1", "4.3", "4.4"] { files += ExperimentReportRenderer.render(try Experiments.run(id: id, reps: 14, seed: 3)).report.files }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("convsim-figures-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let svgs = files.filter { $0.path.hasSuffix(".svg") }
        #expect(svgs.count >= 20)
        for (k, f) in svgs.enumerated() {
            let svg = dir.appendingPathComponent("\(k).svg"), png = dir.appendingPathComponent("\(k).png")
            try f.data.write(to: svg)
            try SVG.renderPNG(svg: svg.path, png: png.path)
            let pngBytes = [UInt8](try Data(contentsOf: png))
            #expect(pngBytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(f.path)")
            let csvPath = String(f.path.dropLast(4)) + ".csv"
            let csv: String? = files.first { $0.path == csvPath }.map { String(decoding: $0.data, as: UTF8.self) }
            let lines = csv?.split(separator: "\n").count ?? 0
            #expect(lines >= 2, "\(f.path): no data beside it")
        }
    }
}
