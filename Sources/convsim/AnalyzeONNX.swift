import ConvSimAnalysis
import ConvSimCore
import ConvSimIO
import ConvSimONNX
import Foundation

/// `analyze MODEL.onnx`: the model's own forward pass feeds every Conv layer its real input.
extension AnalyzeCommand {
    /// True for a model path ending in `.onnx` (any case).
    static func isONNX(_ path: String) -> Bool { path.lowercased().hasSuffix(".onnx") }

    /// Loads the model, runs it on the preprocessed `--input` images and analyses each Conv
    /// layer (graph order) on the input that reaches it, zero-padded by the layer's own pads
    /// (so `valid` padding), with the layer's groups, stride, dilation and bias from the model.
    func runONNX() throws {
        if !groups.isEmpty || !stride.isEmpty || !dilation.isEmpty {
            throw ConvSimError.invalidArgument("--groups, --stride and --dilation are read from the ONNX model; leave them out with .onnx")
        }
        if activations != nil || stats != nil {
            throw ConvSimError.invalidArgument("--activations and --stats do not apply to .onnx models: the forward pass computes every layer's input from --input")
        }
        let prep = try onnxInput.preprocessing()
        let onnx = try ONNXModel.load(path: model)
        var images: [Signal] = []
        for path in inputs {
            for x in try InputLoader.loadSignals(path: path, gray: gray, oneDimensional: onnx.isOneDimensional) { images.append(try prep.apply(x)) }
        }
        let run = try onnx.run(images: images)
        var settings = LayerSettings(padding: .valid)
        for r in run.layers {
            let l = r.layer
            settings.groups[l.name] = l.groups
            if !l.lattice.isDense { settings.lattices[l.name] = l.lattice }
            if !noBias, let b = l.bias { settings.biases[l.name] = b }
        }
        let records = Dictionary(run.layers.map { ($0.layer.name, $0) }, uniquingKeysWith: { a, _ in a })
        var results = try ModelAnalysis.analyzeModel(
            run.layers.map { ($0.layer.name, $0.layer.bank) }, images: [], settings: settings,
            activations: { name in
                guard let r = records[name], !r.inputs.isEmpty else { return nil }
                return (r.paddedInputs(), "from the forward pass (the input of node '\(r.layer.nodeName)', zero-padded by its pads)")
            },
            progress: { name, i, n in progress("analyze: \(name) (\(i)/\(n))") })
        if onnxInput.afterActivation {
            for (k, r) in run.layers.enumerated() where k < results.count && results[k].name == r.layer.name {
                if let a = r.layer.activation, !r.activated.isEmpty {
                    results[k].activated = try ModelAnalysis.activated(a, maps: r.activated, groups: r.layer.groups)
                }
            }
        }
        // The output names the padding `model` (paddingLabel): each Conv's own pads.
        try emit(results, settings: settings, images: images.count)
    }
}
