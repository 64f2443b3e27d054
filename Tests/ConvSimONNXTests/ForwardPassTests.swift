import ConvSimCore
import ConvSimIO
import Foundation
import Testing
@testable import ConvSimONNX

/// The fixtures of scripts/make_onnx_models.py: four models, two images each, and the NumPy
/// float64 reference of every Conv layer's input and output Gram.
enum Fixtures {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let models = ["pnet", "every", "ops", "conv1d"]

    static func path(_ model: String, _ file: String) -> String { dir.appendingPathComponent(model).appendingPathComponent(file).path }

    static func images(_ model: String) throws -> [Signal] {
        let a = try NPY.read(path: path(model, "images.npy"))
        let n = a.shape[0], c = a.shape[1], h = a.shape.count == 4 ? a.shape[2] : 1, w = a.shape[a.shape.count - 1]
        let per = c * h * w
        return (0..<n).map { Signal(channels: c, height: h, width: w, values: Array(a.values[(per * $0)..<(per * ($0 + 1))])) }
    }

    static func layers(_ model: String) throws -> [String] {
        try String(contentsOfFile: path(model, "layers.txt"), encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// `max |a − b| / max |b|`.
    static func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        guard a.count == b.count else { return .infinity }
        var d = 0.0, m = 0.0
        for (x, y) in zip(a, b) { d = max(d, abs(x - y)); m = max(m, abs(y)) }
        return m > 0 ? d / m : d
    }

    /// `Σ_images F·Fᵀ`, F the `M × pixels` output of each image.
    static func gram(_ outputs: [Signal]) -> [Double] {
        guard let m = outputs.first?.channels else { return [] }
        var g = [Double](repeating: 0, count: m * m)
        for f in outputs {
            let p = f.pixelsPerChannel
            for i in 0..<m { for j in 0..<m {
                var s = 0.0
                for k in 0..<p { s += f.values[i * p + k] * f.values[j * p + k] }
                g[i * m + j] += s
            } }
        }
        return g
    }
}

@Suite struct ForwardPassTests {
    /// The relative bound of the comparison with the NumPy reference: both compute in float64
    /// from the same float32 weights, differing only in the order of the sums.
    static let bound = 1e-9

    @Test("every Conv layer's input and output Gram match the NumPy reference", arguments: Fixtures.models)
    func matchesReference(_ name: String) throws {
        let model = try ONNXModel.load(path: Fixtures.path(name, "model.onnx"))
        let names = try Fixtures.layers(name)
        #expect(model.convLayers.map { String($0.name.dropLast(".weight".count)) } == names)
        let run = try model.run(images: try Fixtures.images(name))
        var worstInput = 0.0, worstGram = 0.0
        for (record, layer) in zip(run.layers, names) {
            let ref = try NPY.read(path: Fixtures.path(name, "activations/\(layer).npy"))
            let got = record.inputs.flatMap(\.values)
            #expect(record.inputs.count == ref.shape[0])
            #expect(record.inputs.first.map { [$0.channels, $0.height, $0.width] } == Array(ref.shape.dropFirst()))
            let dIn = Fixtures.relativeDifference(got, ref.values)
            let gram = try NPY.read(path: Fixtures.path(name, "grams/\(layer).npy"))
            let dG = Fixtures.relativeDifference(Fixtures.gram(record.outputs), gram.values)
            #expect(dIn <= Self.bound, "\(name)/\(layer): input differs by \(dIn)")
            #expect(dG <= Self.bound, "\(name)/\(layer): Gram differs by \(dG)")
            worstInput = max(worstInput, dIn); worstGram = max(worstGram, dG)
        }
        var worstOut = 0.0
        for o in model.outputNames {
            let ref = try NPY.read(path: Fixtures.path(name, "outputs/\(o).npy"))
            let got = run.outputs.flatMap { $0[o]?.values ?? [] }
            let d = Fixtures.relativeDifference(got, ref.values)
            #expect(d <= Self.bound, "\(name): output \(o) differs by \(d)")
            worstOut = max(worstOut, d)
        }
        print("ONNX \(name): max relative difference vs NumPy: inputs \(worstInput), Grams \(worstGram), outputs \(worstOut)")
    }

    @Test func pnetLayersAndActivations() throws {
        let model = try ONNXModel.load(path: Fixtures.path("pnet", "model.onnx"))
        let l = model.convLayers
        #expect(l.map(\.name) == ["conv1.weight", "conv2.weight", "conv3.weight", "conv4.weight", "conv5.weight"])
        #expect(l.map(\.activation) == ["PRelu", "PRelu", "PRelu", nil, nil])
        #expect(l[0].bank.count == 10 && l[0].bank.channels == 3 && l[0].bank.kernelHeight == 3)
        #expect(l.allSatisfy { $0.groups == 1 && $0.lattice.isDense && $0.pads.isZero && $0.bias != nil })
        let run = try model.run(images: try Fixtures.images("pnet"))
        // conv1's recorded activation is its PReLU output: x or 0.25·x.
        let r = run.layers[0]
        #expect(r.activated.count == 2)
        for (y, a) in zip(r.outputs, r.activated) {
            for (u, v) in zip(y.values, a.values) { #expect(v == (u < 0 ? 0.25 * u : u)) }
        }
        // Softmax over the channels sums to 1.
        let prob = try #require(run.outputs[0]["prob"])
        #expect(prob.shape == [1, 2, 5, 7])
        for k in 0..<35 { #expect(abs(prob.values[k] + prob.values[35 + k] - 1) < 1e-12) }
    }

    @Test func everyKindOfLayer() throws {
        let model = try ONNXModel.load(path: Fixtures.path("every", "model.onnx"))
        let l = Dictionary(uniqueKeysWithValues: model.convLayers.map { ($0.name, $0) })
        #expect(l["layer1.weight"]?.strideY == 2 && l["layer1.weight"]?.pads == ConvPads(top: 1, left: 1, bottom: 1, right: 1))
        #expect(l["layer2.weight"]?.groups == 8 && l["layer2.weight"]?.autoPad == .sameUpper)
        #expect(l["layer2.weight"]?.pads(height: 10, width: 12) == ConvPads(top: 1, left: 1, bottom: 1, right: 1))
        #expect(l["layer3.weight"]?.groups == 2 && l["layer3.weight"]?.activation == nil)
        #expect(l["layer4.weight"]?.dilationX == 2 && l["layer4.weight"]?.activation == "LeakyRelu")
        #expect(l["layer5.weight"]?.pads == ConvPads(top: 2, left: 1, bottom: 2, right: 3) && l["layer5.weight"]?.bias == nil)
        #expect(l["layer6.weight"]?.pads(height: 5, width: 6) == ConvPads(top: 1, left: 1, bottom: 0, right: 0))
        #expect(l["layer6.weight"]?.activation == "Clip")
        let run = try model.run(images: try Fixtures.images("every"))
        // The padded inputs of layer5 are the inputs with 2, 1, 2, 3 zeros around.
        let r5 = try #require(run.layers.first { $0.layer.name == "layer5.weight" })
        let p = r5.paddedInputs()[0]
        #expect(p.height == r5.inputs[0].height + 4 && p.width == r5.inputs[0].width + 4)
        #expect(p[0, 2, 1] == r5.inputs[0][0, 0, 0] && p[0, 0, 0] == 0)
    }

    @Test func oneDimensionalModel() throws {
        let model = try ONNXModel.load(path: Fixtures.path("conv1d", "model.onnx"))
        #expect(model.isOneDimensional && model.opsetVersion == 11)
        #expect(model.convLayers.allSatisfy { $0.isOneDimensional && $0.bank.kernelHeight == 1 })
        #expect(model.convLayers[1].strideX == 2 && model.convLayers[1].dilationX == 2 && model.convLayers[1].strideY == 1)
        // A 2-D image is refused with a message.
        let x = Signal(channels: 2, height: 4, width: 16)
        #expect(throws: ConvSimError.self) { try model.run(images: [x]) }
    }

    @Test func inputShapeIsChecked() throws {
        let model = try ONNXModel.load(path: Fixtures.path("every", "model.onnx"))
        do {
            _ = try model.run(images: [Signal(channels: 3, height: 16, width: 16)])
            Issue.record("a 16×16 image was accepted by a 20×24 model")
        } catch let e as ConvSimError {
            #expect(e.description.contains("--resize 20,24"))
        }
        do {
            _ = try model.run(images: [Signal(channels: 1, height: 20, width: 24)])
            Issue.record("a gray image was accepted by an RGB model")
        } catch let e as ConvSimError {
            #expect(e.description.contains("channels 1 ≠ 3"))
        }
    }

    @Test func preprocessing() throws {
        var rng = SeededRandom(seed: 5)
        let x = Signal(channels: 3, height: 4, width: 6, values: (0..<72).map { _ in rng.uniform() })
        #expect(try Preprocessing().apply(x) == x)
        let p = Preprocessing(scale: 255, mean: [127.5], std: [128], channelOrder: .bgr)
        let y = try p.apply(x)
        #expect(abs(y[0, 1, 2] - (x[2, 1, 2] * 255 - 127.5) / 128) < 1e-15)
        #expect(abs(y[2, 3, 5] - (x[0, 3, 5] * 255 - 127.5) / 128) < 1e-15)
        // Half-pixel bilinear: 2× upsampling of [a, b] is [a, ¾a+¼b, ¼a+¾b, b]; identity at the same size.
        let row = Signal(channels: 1, height: 1, width: 2, values: [1, 5])
        #expect(Preprocessing.bilinear(row, height: 1, width: 4).values == [1, 2, 4, 5])
        #expect(Preprocessing.bilinear(x, height: 4, width: 6) == x)
        #expect(throws: ConvSimError.self) { try Preprocessing(mean: [1, 2]).apply(x) }
        #expect(throws: ConvSimError.self) { try Preprocessing(channelOrder: .bgr).apply(Signal(channels: 1, height: 2, width: 2)) }
    }
}
