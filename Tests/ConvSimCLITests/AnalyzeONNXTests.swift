import ArgumentParser
import Foundation
import Testing
@testable import convsim

/// `analyze MODEL.onnx` in-process: the forward pass feeds every Conv layer, the flags that the
/// model decides are refused, the preprocessing flags are refused for other models.
@Suite struct AnalyzeONNXTests {
    static let fixtures = CLITests.root.appendingPathComponent("Tests/ConvSimONNXTests/Fixtures")

    @Test func analyzeRunsTheForwardPass() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("convsim-onnx-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = Self.fixtures.appendingPathComponent("every/model.onnx").path
        let images = Self.fixtures.appendingPathComponent("every/images.npy").path
        let report = dir.appendingPathComponent("r.md").path
        var command = try ConvSim.parseAsRoot(["analyze", model, "--input", images, "--report", report, "--export", "csv", "--after-activation"])
        try command.run()
        let md = try String(contentsOfFile: report, encoding: .utf8)
        #expect(md.contains("layer5.weight") && md.contains("from the forward pass"))
        let rows = try String(contentsOfFile: dir.appendingPathComponent("r.pairs.csv").path, encoding: .utf8).split(separator: "\n").dropFirst()
        // Every pair within a group of every layer, each with its feature cosine.
        #expect(Set(rows.map { $0.split(separator: ",")[0] }) == Set((1...7).filter { $0 != 2 }.map { "layer\($0).weight" }))
        #expect(rows.allSatisfy { !$0.hasSuffix(",") })
    }

    @Test func modelFlagsAndPreprocessingAreChecked() throws {
        let model = Self.fixtures.appendingPathComponent("pnet/model.onnx").path
        for args in [["analyze", model, "--stride", "conv1.weight=2"], ["analyze", model, "--activations", "dir"],
                     ["analyze", model, "--resize", "0,4"], ["analyze", model, "--channel-order", "grb"],
                     ["analyze", Self.fixtures.appendingPathComponent("every/weights.safetensors").path, "--scale", "255"],
                     ["analyze", Self.fixtures.appendingPathComponent("every/weights.safetensors").path, "--after-activation"]] {
            var c = try ConvSim.parseAsRoot(args)
            #expect(throws: (any Error).self, "convsim \(args.joined(separator: " "))") { try c.run() }
        }
    }
}
