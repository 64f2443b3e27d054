import ConvSimCore

/// A Conv node of an ONNX model, as `convsim analyze` sees a convolution layer.
///
/// `name` is the weight initializer's name (`features.0.weight`, …; `WEIGHT@NODE` for a later Conv
/// sharing a weight) — the name a safetensors
/// export of the same model uses. The weights are a `KernelBank` `(M, C/groups, kh, kw)`; a 1-D
/// Conv has `kh = 1`. Strides, dilations and pads are (y, x) pairs; a 1-D Conv has `y` stride
/// and dilation 1 and no vertical padding.
public struct ONNXConvLayer: Sendable {
    public let name: String
    public let nodeName: String
    public let bank: KernelBank
    public let bias: [Double]?
    public let groups: Int
    public let strideY: Int, strideX: Int
    public let dilationY: Int, dilationX: Int
    /// The explicit pads (all zero unless `autoPad` is `.notSet`); `pads(height:width:)`
    /// resolves `auto_pad` for an input size.
    public let pads: ConvPads
    public let autoPad: AutoPad
    public let isOneDimensional: Bool
    /// The operator applied to the Conv's output when an activation (Relu, LeakyRelu, PRelu,
    /// Elu, Clip, Sigmoid, Tanh) is its only consumer, and that node's name.
    public let activation: String?
    public let activationNode: String?
    /// The value names of the Conv's input and output in the graph.
    public let inputValue: String, outputValue: String

    /// The activations that `activation` can name.
    public static let activations: Set<String> = ["Relu", "LeakyRelu", "PRelu", "Elu", "Clip", "Sigmoid", "Tanh"]

    /// Stride and dilation as a `Lattice`.
    public var lattice: Lattice { Lattice(strideY: strideY, strideX: strideX, dilationY: dilationY, dilationX: dilationX) }

    let geometry: WindowGeometry

    /// The pads for an input of `height × width` samples (`auto_pad` resolved as ONNX does).
    public func pads(height: Int, width: Int) -> ConvPads { geometry.resolvedPads(height: height, width: width) }

    /// The Conv layers of a sorted node list, checking each against its initializers.
    static func layers(of nodes: [ONNXNode], initializers: [String: Tensor], outputs: Set<String>, path: String) throws -> [ONNXConvLayer] {
        var consumers: [String: [Int]] = [:]
        for (k, n) in nodes.enumerated() { for i in Set(n.inputs) where !i.isEmpty { consumers[i, default: []].append(k) } }
        var layers: [ONNXConvLayer] = []
        for n in nodes where n.opType == "Conv" {
            func bad(_ r: String) -> ConvSimError { .malformedFile(path: path, reason: "Conv node '\(n.name)': \(r)") }
            guard n.inputs.count >= 2, n.inputs.count <= 3, let out = n.outputs.first, !out.isEmpty else {
                throw bad("expects inputs X, W and an optional B and one output")
            }
            guard let w = initializers[n.inputs[1]] else {
                throw bad("its weight '\(n.inputs[1])' is computed by the graph, not stored as an initializer; analyse models with stored convolution weights (fold the weight computation, e.g. onnxsim)")
            }
            guard w.rank == 3 || w.rank == 4, w.shape.allSatisfy({ $0 > 0 }) else {
                throw bad("weight '\(n.inputs[1])' has shape \(w.shape); expected (M, C/groups, kh, kw) or (M, C/groups, k) with positive axes")
            }
            guard Finite.firstNonFinite(w.values) == nil else { throw bad("weight '\(n.inputs[1])' has a non-finite value") }
            let oneD = w.rank == 3
            let m = w.shape[0], cg = w.shape[1], kh = oneD ? 1 : w.shape[2], kw = w.shape[w.rank - 1]
            let geometry: WindowGeometry
            do {
                if let ks = try n.ints("kernel_shape"), ks != Array(w.shape.dropFirst(2)) {
                    throw ONNXOperatorError("kernel_shape \(ks) differs from the weight's \(Array(w.shape.dropFirst(2)))")
                }
                geometry = try WindowGeometry(node: n, spatial: oneD ? 1 : 2, kernelY: kh, kernelX: kw)
            } catch let e as ONNXOperatorError { throw bad(e.reason) }
            let g: Int
            do { g = try n.int("group", default: 1) } catch let e as ONNXOperatorError { throw bad(e.reason) }
            guard g >= 1, m % g == 0 else { throw bad("group \(g) must be ≥ 1 and divide the \(m) output channels") }
            var bias: [Double]? = nil
            if n.inputs.count == 3, !n.inputs[2].isEmpty {
                guard let b = initializers[n.inputs[2]] else {
                    throw bad("its bias '\(n.inputs[2])' is computed by the graph, not stored as an initializer")
                }
                guard b.rank == 1, b.count == m, b.values.allSatisfy({ $0.isFinite }) else {
                    throw bad("bias '\(n.inputs[2])' has shape \(b.shape); expected (\(m)) finite values")
                }
                bias = b.values
            }
            var activation: (String, String)? = nil
            if !outputs.contains(out), let cs = consumers[out], cs.count == 1 {
                let c = nodes[cs[0]]
                if Self.activations.contains(c.opType), c.inputs.first == out { activation = (c.opType, c.name) }
            }
            // A weight shared by several Conv nodes names the later ones by their node too.
            let name = layers.contains { $0.name == n.inputs[1] } ? "\(n.inputs[1])@\(n.name)" : n.inputs[1]
            let bank = KernelBank(count: m, channels: cg, kernelHeight: kh, kernelWidth: kw, values: w.values)
            layers.append(ONNXConvLayer(name: name, nodeName: n.name, bank: bank, bias: bias, groups: g,
                                        strideY: geometry.strideY, strideX: geometry.strideX,
                                        dilationY: geometry.dilationY, dilationX: geometry.dilationX,
                                        pads: geometry.pads, autoPad: geometry.autoPad, isOneDimensional: oneD,
                                        activation: activation?.0, activationNode: activation?.1,
                                        inputValue: n.inputs[0], outputValue: out, geometry: geometry))
        }
        return layers
    }
}
