import ConvSimCore
import ConvSimIO
import Foundation
import SwiftProtobuf

/// One axis of the model's input: a fixed extent or a named (symbolic) one.
public enum ONNXDimension: Sendable, Equatable, CustomStringConvertible {
    case fixed(Int), symbolic(String)
    public var description: String {
        switch self {
        case .fixed(let n): return String(n)
        case .symbolic(let s): return s.isEmpty ? "?" : s
        }
    }
}

/// An ONNX model read for the forward pass: its nodes in an executable order, its
/// initializers, its one input and its outputs, and its convolution layers.
///
/// Reading never traps on a damaged or hostile file: the file size is limited (2 GiB), the
/// protobuf nesting depth is limited, every tensor's element count is checked against the data
/// present before anything is allocated, and every problem is a `ConvSimError` that names it
/// (and the node). Refused: external-data tensors, subgraphs (If, Loop, Scan), operators outside
/// `ONNXOperators.supported` or outside the default domain, graphs with a cycle or with an input
/// nothing produces, more than one non-initializer graph input, and Conv nodes whose weight is
/// not an initializer.
public struct ONNXModel: Sendable {
    /// Where the model was read from (used in messages).
    public let path: String
    /// The nodes in an executable (topological) order: the file's order when it is one.
    public let nodes: [ONNXNode]
    /// The opset version of the default domain (`ai.onnx`).
    public let opsetVersion: Int
    /// The graph input fed with the images, and its declared shape.
    public let inputName: String
    public let inputShape: [ONNXDimension]
    /// The graph outputs, in file order.
    public let outputNames: [String]
    /// The convolution layers, one per Conv node, in graph order.
    public let convLayers: [ONNXConvLayer]
    /// The initializers (weights and constants) by name.
    let initializers: [String: Tensor]

    /// The largest model file read (2 GiB).
    public static let fileLimit = 2 << 30

    /// Reads the model at `path`.
    /// - Throws: `fileNotFound`, `fileTooLarge`, `malformedFile` and the errors of `init(data:path:)`.
    public static func load(path: String) throws -> ONNXModel {
        try IOFiles.decodeFile(path: path, limit: fileLimit) { try ONNXModel(data: $0, path: path) }
    }

    /// Decodes a serialized `ModelProto`.
    /// - Throws: `ConvSimError` (mostly `malformedFile(path:reason:)`) naming the problem.
    public init(data: Data, path: String) throws {
        self.path = path
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 32
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: data, partial: true, options: options)
        } catch {
            throw ConvSimError.malformedFile(path: path, reason: "not an ONNX model (protobuf decoding failed: \(error)); is this a .onnx file?")
        }
        guard proto.hasGraph else { throw ConvSimError.malformedFile(path: path, reason: "the model has no graph; is this a .onnx file?") }
        var opset = 0
        for o in proto.opsetImport where o.domain.isEmpty || o.domain == "ai.onnx" {
            guard let v = Int(exactly: o.version) else { throw ConvSimError.malformedFile(path: path, reason: "opset version \(o.version) is invalid") }
            opset = v
        }
        guard opset > 0 else {
            throw ConvSimError.malformedFile(path: path, reason: "the model imports no version of the default operator set (ai.onnx); re-export it with an opset ≥ 7")
        }
        opsetVersion = opset
        let graph = proto.graph
        if !graph.sparseInitializer.isEmpty {
            throw ConvSimError.malformedFile(path: path, reason: "sparse initializers are not supported")
        }
        var inits: [String: Tensor] = [:]
        for t in graph.initializer {
            guard !t.name.isEmpty else { throw ConvSimError.malformedFile(path: path, reason: "an initializer has no name") }
            inits[t.name] = try TensorDecoding.decode(t, what: "initializer '\(t.name)'", path: path)
        }
        initializers = inits
        let realInputs = graph.input.filter { inits[$0.name] == nil }
        guard realInputs.count == 1, let input = realInputs.first else {
            throw ConvSimError.malformedFile(path: path, reason: "the graph has \(realInputs.count) inputs besides its initializers (\(realInputs.map(\.name).joined(separator: ", "))); exactly one image input is supported")
        }
        inputName = input.name
        var dims: [ONNXDimension] = []
        if case .tensorType(let tt)? = input.type.value, tt.hasShape {
            for d in tt.shape.dim {
                switch d.value {
                case .dimValue(let v)?:
                    guard let n = Int(exactly: v), n >= 0 else { throw ConvSimError.malformedFile(path: path, reason: "input '\(input.name)' has a negative dimension \(v)") }
                    dims.append(.fixed(n))
                case .dimParam(let s)?: dims.append(.symbolic(s))
                case nil: dims.append(.symbolic(""))
                }
            }
        }
        inputShape = dims
        outputNames = graph.output.map(\.name)
        guard !outputNames.isEmpty else { throw ConvSimError.malformedFile(path: path, reason: "the graph has no outputs") }

        var decoded: [ONNXNode] = []
        decoded.reserveCapacity(graph.node.count)
        for (k, n) in graph.node.enumerated() {
            let node = try ONNXNode.decode(n, index: k, path: path)
            guard n.domain.isEmpty || n.domain == "ai.onnx" else {
                throw ConvSimError.malformedFile(path: path, reason: "node \(node.label) is in the operator domain '\(n.domain)'; only the default ONNX domain is supported")
            }
            guard ONNXOperators.table[node.opType] != nil else {
                throw ConvSimError.malformedFile(path: path, reason: "node \(node.label): the operator \(node.opType) is not supported; supported: \(ONNXOperators.supported.joined(separator: ", "))")
            }
            decoded.append(node)
        }
        nodes = try GraphOrder.sorted(decoded, available: Set(inits.keys).union([input.name]), outputs: outputNames, path: path)
        convLayers = try ONNXConvLayer.layers(of: nodes, initializers: inits, outputs: Set(outputNames), path: path)
    }
}

/// The executable order of a graph: a check that every input exists, and Kahn's algorithm
/// (iterative, no recursion) when the file's order is not already topological.
enum GraphOrder {
    static func sorted(_ nodes: [ONNXNode], available: Set<String>, outputs: [String], path: String) throws -> [ONNXNode] {
        var producer: [String: Int] = [:]
        for (k, n) in nodes.enumerated() {
            for o in n.outputs where !o.isEmpty {
                guard producer[o] == nil, !available.contains(o) else {
                    throw ConvSimError.malformedFile(path: path, reason: "value '\(o)' is produced twice (by node \(n.label)); a graph assigns each value once")
                }
                producer[o] = k
            }
        }
        for n in nodes {
            for i in n.inputs where !i.isEmpty && !available.contains(i) && producer[i] == nil {
                throw ConvSimError.malformedFile(path: path, reason: "node \(n.label) reads '\(i)', which no initializer, graph input or node produces")
            }
        }
        for o in outputs where !available.contains(o) && producer[o] == nil {
            throw ConvSimError.malformedFile(path: path, reason: "graph output '\(o)' is produced by no node")
        }
        // Already in order?
        var seen = available
        var inOrder = true
        for n in nodes {
            if n.inputs.contains(where: { !$0.isEmpty && !seen.contains($0) }) { inOrder = false; break }
            for o in n.outputs where !o.isEmpty { seen.insert(o) }
        }
        if inOrder { return nodes }
        var pending = [Int](repeating: 0, count: nodes.count)
        var consumers: [[Int]] = Array(repeating: [], count: nodes.count)
        for (k, n) in nodes.enumerated() {
            for p in Set(n.inputs.compactMap { producer[$0] }) {
                pending[k] += 1
                consumers[p].append(k)
            }
        }
        var queue = (0..<nodes.count).filter { pending[$0] == 0 }
        var head = 0
        while head < queue.count {
            let k = queue[head]; head += 1
            for c in consumers[k] {
                pending[c] -= 1
                if pending[c] == 0 { queue.append(c) }
            }
        }
        guard queue.count == nodes.count else {
            let stuck = (0..<nodes.count).first { pending[$0] > 0 }.map { nodes[$0].label } ?? "?"
            throw ConvSimError.malformedFile(path: path, reason: "the graph has a cycle (node \(stuck) depends on its own output); ONNX graphs must be acyclic")
        }
        return queue.map { nodes[$0] }
    }
}
