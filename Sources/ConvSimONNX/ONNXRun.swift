import ConvSimCore

/// What one Conv layer saw in a forward pass, image by image.
public struct ONNXLayerRecord: Sendable {
    /// The layer (weights, groups, lattice, pads as in the file).
    public let layer: ONNXConvLayer
    /// The input reaching the Conv, per image (`C × H × W`; a 1-D layer has `H = 1`).
    public internal(set) var inputs: [Signal] = []
    /// The Conv's output before any activation, per image (`M × OH × OW`).
    public internal(set) var outputs: [Signal] = []
    /// The output of `layer.activation`, per image, when the layer has one.
    public internal(set) var activated: [Signal] = []
    /// The pads the Conv applied to each image (`auto_pad` resolved for that image's size).
    public internal(set) var pads: [ConvPads] = []

    /// Each input zero-padded by its pads: the Conv is a `.valid` correlation of these.
    public func paddedInputs() -> [Signal] {
        zip(inputs, pads).map { x, p in
            if p.isZero { return x }
            let h = x.height + p.top + p.bottom, w = x.width + p.left + p.right
            var out = Signal(channels: x.channels, height: h, width: w)
            for c in 0..<x.channels {
                for y in 0..<x.height {
                    for i in 0..<x.width { out[c, y + p.top, i + p.left] = x[c, y, i] }
                }
            }
            return out
        }
    }
}

/// The result of `ONNXModel.run(images:)`: each Conv layer's record (graph order) and the
/// graph outputs of each image.
public struct ONNXRun: Sendable {
    public internal(set) var layers: [ONNXLayerRecord]
    /// `outputs[k][name]`: graph output `name` for image `k`.
    public internal(set) var outputs: [[String: Tensor]]
}

extension ONNXModel {
    /// Checks that `x` (batch 1) fits the declared input shape; the message names the image
    /// and what to change.
    func checkInput(_ x: Tensor, image k: Int) throws {
        guard !inputShape.isEmpty else { return }
        let described = "[\(inputShape.map(\.description).joined(separator: ", "))]"
        guard inputShape.count == x.rank else {
            throw ConvSimError.invalidArgument("the model's input '\(inputName)' has rank \(inputShape.count) \(described); image #\(k + 1) gives shape \(x.shape) — \(inputShape.count == 3 ? "this is a 1-D model: give (C, L) inputs as .npy arrays of height 1" : "give images (C, H, W)")")
        }
        for (a, d) in inputShape.enumerated() {
            if case .fixed(let n) = d, n != x.shape[a] {
                let what = a == 0 ? "batch" : (a == 1 ? "channels" : "size")
                let fix = a == 1 ? (n == 1 ? "convert with --gray" : "give \(n)-channel inputs")
                    : (a >= 2 ? "resize the inputs with --resize \(inputShape.dropFirst(2).map(\.description).joined(separator: ","))" : "the model must accept batch 1")
                throw ConvSimError.invalidArgument("the model's input '\(inputName)' has shape \(described) but image #\(k + 1) gives \(x.shape) (\(what) \(x.shape[a]) ≠ \(n)); \(fix)")
            }
        }
    }

    /// The model's input rank: 3 for a 1-D model (`(N, C, L)`), else 4.
    public var isOneDimensional: Bool { inputShape.count == 3 }

    /// Runs the graph on each image (batch 1) and records, for every Conv layer, its input,
    /// its output and its activation's output.
    ///
    /// An image `C × H × W` becomes the tensor `(1, C, H, W)` — `(1, C, W)` for a 1-D model,
    /// whose images must have `H = 1`. Memory: the tensors of one image are dropped as soon as
    /// their last consumer has run; only the records and the graph outputs are kept.
    /// - Throws: `invalidArgument` when an image does not fit the declared input shape;
    ///   `malformedFile` naming the node whose operator fails (shapes that do not fit, limits).
    public func run(images: [Signal]) throws -> ONNXRun {
        try run(tensors: images.map { x in
            if isOneDimensional && x.height != 1 {
                throw ConvSimError.invalidArgument("\(path) is a 1-D model (input (N, C, L)); the input is \(x.channels)×\(x.height)×\(x.width): give (C, L) arrays (height 1)")
            }
            return Tensor(x, oneDimensional: isOneDimensional)
        })
    }

    /// `run(images:)` on input tensors of any shape (batch 1 expected by the model's declaration).
    public func run(tensors: [Tensor]) throws -> ONNXRun {
        var records = convLayers.map { ONNXLayerRecord(layer: $0) }
        // Conv layers by their output value; a layer's activation is the only node reading it.
        var byConvNode: [String: Int] = [:]
        for (k, l) in convLayers.enumerated() { byConvNode[l.outputValue] = k }
        // The last node reading each value: free it after that node.
        var lastUse: [String: Int] = [:]
        for (k, n) in nodes.enumerated() { for i in n.inputs where !i.isEmpty { lastUse[i] = k } }
        let keep = Set(outputNames)
        var results: [[String: Tensor]] = []
        for (k, x) in tensors.enumerated() {
            try checkInput(x, image: k)
            var env: [String: Tensor] = [inputName: x]
            func value(_ name: String) -> Tensor? { env[name] ?? initializers[name] }
            for (step, node) in nodes.enumerated() {
                let inputs = node.inputs.map { $0.isEmpty ? nil : value($0) }
                let outs: [Tensor]
                do {
                    guard let op = ONNXOperators.table[node.opType] else { throw ONNXOperatorError("unsupported operator") }
                    outs = try op(OperatorCall(node: node, inputs: inputs, opset: opsetVersion))
                } catch let e as ONNXOperatorError {
                    throw ConvSimError.malformedFile(path: path, reason: "node \(node.label) on image #\(k + 1): \(e.reason)")
                } catch let e as ConvSimError {
                    throw ConvSimError.malformedFile(path: path, reason: "node \(node.label) on image #\(k + 1): \(e.description)")
                }
                for (o, t) in zip(node.outputs, outs) where !o.isEmpty { env[o] = t }
                if node.opType == "Conv", let out = node.outputs.first, let r = byConvNode[out], let xin = inputs.first ?? nil, let y = outs.first {
                    let l = records[r].layer
                    let h = l.isOneDimensional ? 1 : (xin.rank == 4 ? xin.shape[2] : 1)
                    for b in 0..<(xin.rank >= 3 ? xin.shape[0] : 0) {
                        if let s = xin.signal(batch: b) { records[r].inputs.append(s) }
                        if let s = y.signal(batch: b) { records[r].outputs.append(s) }
                        records[r].pads.append(l.pads(height: h, width: xin.shape[xin.rank - 1]))
                    }
                }
                if ONNXConvLayer.activations.contains(node.opType), let i = node.inputs.first, let r = byConvNode[i],
                   records[r].layer.activation != nil, let y = outs.first, y.rank >= 3 {
                    for b in 0..<y.shape[0] { if let s = y.signal(batch: b) { records[r].activated.append(s) } }
                }
                for i in Set(node.inputs) where lastUse[i] == step && !keep.contains(i) { env[i] = nil }
            }
            var out: [String: Tensor] = [:]
            for o in outputNames { out[o] = value(o) }
            results.append(out)
        }
        return ONNXRun(layers: records, outputs: results)
    }
}
