import ConvSimAnalysis
import ConvSimCore
import ConvSimIO
import Foundation
import Testing
@testable import ConvSimONNX

/// `analyze MODEL.onnx`'s path: each layer analysed on its recorded inputs, zero-padded by its
/// pads (`valid`), with its groups, lattice and bias — as `AnalyzeCommand.runONNX` does.
@Suite struct AnalysisPathTests {
    static func onnxAnalysis(_ run: ONNXRun) throws -> [LayerAnalysis] {
        var settings = LayerSettings(padding: .valid)
        for r in run.layers {
            settings.groups[r.layer.name] = r.layer.groups
            if !r.layer.lattice.isDense { settings.lattices[r.layer.name] = r.layer.lattice }
            if let b = r.layer.bias { settings.biases[r.layer.name] = b }
        }
        return try ModelAnalysis.analyzeModel(run.layers.map { ($0.layer.name, $0.layer.bank) }, images: [], settings: settings,
                                              activations: { name in
                                                  run.layers.first { $0.layer.name == name }.map { ($0.paddedInputs(), name) }
                                              })
    }

    /// The feature-map cosines of the analysis are those of the Conv outputs the forward pass
    /// recorded (with the bias): `G_ij/√(G_ii G_jj)` of `G = Σ F·Fᵀ`.
    @Test("feature cosines equal the cosines of the recorded Conv outputs", arguments: Fixtures.models)
    func cosinesOfRecordedOutputs(_ name: String) throws {
        let model = try ONNXModel.load(path: Fixtures.path(name, "model.onnx"))
        let run = try model.run(images: try Fixtures.images(name))
        let results = try Self.onnxAnalysis(run)
        var compared = 0
        for (r, rec) in zip(results, run.layers) {
            guard let fc = r.featureCosine else { continue }
            let m = rec.layer.bank.count
            let g = Fixtures.gram(rec.outputs)
            for i in 0..<m { for j in 0..<m where g[i * m + i] > 0 && g[j * m + j] > 0 {
                let c = g[i * m + j] / (g[i * m + i] * g[j * m + j]).squareRoot()
                #expect(abs(fc[i, j] - c) <= 1e-9, "\(name)/\(r.name) (\(i), \(j)): \(fc[i, j]) vs \(c)")
            } }
            compared += 1
        }
        #expect(compared > 0)
    }

    /// The ONNX path and the activations path (`analyze weights.safetensors --activations DIR
    /// --padding same`, on the NumPy reference's activations) agree on the layers whose ONNX
    /// pads are `same` padding, and on every layer once the activations are padded by the
    /// model's pads and analysed `valid`.
    @Test func agreesWithTheActivationsPath() throws {
        let dir = Fixtures.dir.appendingPathComponent("every")
        let model = try ONNXModel.load(path: dir.appendingPathComponent("model.onnx").path)
        let run = try model.run(images: try Fixtures.images("every"))
        let onnx = try Self.onnxAnalysis(run)
        let weights = dir.appendingPathComponent("weights.safetensors").path
        let layers = try KernelLoader.loadAll(path: weights)
        #expect(layers.map(\.name) == onnx.map(\.name))
        func activations(_ name: String) throws -> [Signal] {
            try InputLoader.loadSignals(path: dir.appendingPathComponent("activations/\(name.dropLast(".weight".count)).npy").path)
        }
        var base = LayerSettings(padding: .same)
        for r in run.layers {
            base.groups[r.layer.name] = r.layer.groups
            if !r.layer.lattice.isDense { base.lattices[r.layer.name] = r.layer.lattice }
            if let b = try KernelLoader.bias(path: weights, layer: r.layer.name) { base.biases[r.layer.name] = b }
        }
        // `same` padding: the layers whose pads are (k − 1)/2 on every side (odd kernels, no auto_pad quirk).
        let same = Set(run.layers.filter { r in
            let b = r.layer.bank, p = r.pads[0]
            let sy = (b.kernelHeight - 1) * r.layer.dilationY / 2, sx = (b.kernelWidth - 1) * r.layer.dilationX / 2
            return b.kernelHeight % 2 == 1 && b.kernelWidth % 2 == 1 && p == ConvPads(top: sy, left: sx, bottom: sy, right: sx)
        }.map(\.layer.name))
        #expect(same == ["layer1.weight", "layer2.weight", "layer3.weight", "layer4.weight", "layer7.weight"])
        let viaSame = try ModelAnalysis.analyzeModel(layers, images: [], settings: base,
                                                     activations: { same.contains($0) ? (try activations($0), $0) : nil })
        var valid = base
        valid.padding = .valid
        let viaValid = try ModelAnalysis.analyzeModel(layers, images: [], settings: valid, activations: { name in
            guard let r = run.layers.first(where: { $0.layer.name == name }) else { return nil }
            let padded = ONNXLayerRecord(layer: r.layer, inputs: try activations(name), pads: r.pads).paddedInputs()
            return (padded, name)
        })
        func close(_ a: LayerAnalysis, _ b: LayerAnalysis) -> Bool {
            guard let x = a.featureCosine, let y = b.featureCosine, x.rows == y.rows, x.columns == y.columns else { return false }
            return zip(x.values, y.values).allSatisfy { abs($0 - $1) <= 1e-9 }
                && abs((a.t4Bound ?? .nan) - (b.t4Bound ?? .nan)) <= 1e-9
        }
        for (k, o) in onnx.enumerated() {
            #expect(close(o, viaValid[k]), "\(o.name): ONNX path vs padded activations")
            if same.contains(o.name) { #expect(close(o, viaSame[k]), "\(o.name): ONNX path vs --activations --padding same") }
            // The same weights: the same kernel part (NaN for the depthwise layer: no pairs in a group).
            #expect(o.cs.keys == viaSame[k].cs.keys)
            #expect(o.kernelCosineMax == viaSame[k].kernelCosineMax || (o.kernelCosineMax.isNaN && viaSame[k].kernelCosineMax.isNaN))
        }
    }
}
