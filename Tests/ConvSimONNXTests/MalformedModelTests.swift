import ConvSimCore
import Foundation
import SwiftProtobuf
import Testing
@testable import ConvSimONNX

/// Damaged and hostile models: each is refused with a `ConvSimError` whose message names the
/// problem — never a trap.
@Suite struct MalformedModelTests {
    /// A one-input graph `input (1, 2, 4, 4)` with the given nodes and initializers.
    static func model(_ nodes: [Onnx_NodeProto], inits: [Onnx_TensorProto] = [], outputs: [String] = ["y"], opset: Int64 = 13) -> Onnx_ModelProto {
        var m = Onnx_ModelProto()
        m.irVersion = 7
        var o = Onnx_OperatorSetIdProto(); o.version = opset
        m.opsetImport = [o]
        var g = Onnx_GraphProto()
        g.name = "test"
        var vi = Onnx_ValueInfoProto(); vi.name = "input"
        var tt = Onnx_TypeProto.Tensor(); tt.elemType = 1
        for d in [1, 2, 4, 4] as [Int64] { var dim = Onnx_TensorShapeProto.Dimension(); dim.dimValue = d; tt.shape.dim.append(dim) }
        vi.type.tensorType = tt
        g.input = [vi]
        g.output = outputs.map { var v = Onnx_ValueInfoProto(); v.name = $0; return v }
        g.node = nodes
        g.initializer = inits
        m.graph = g
        return m
    }

    static func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String, ints: [String: [Int64]] = [:],
                     int: [String: Int64] = [:]) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op; n.input = inputs; n.output = outputs; n.name = name
        for (k, v) in int.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto(); a.name = k; a.type = .int; a.i = v
            n.attribute.append(a)
        }
        for (k, v) in ints.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto(); a.name = k; a.type = .ints; a.ints = v
            n.attribute.append(a)
        }
        return n
    }

    static func floats(_ name: String, _ dims: [Int64], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name; t.dims = dims; t.dataType = 1; t.floatData = values
        return t
    }

    /// The message of the error `data` is refused with (failing the test when it is accepted).
    static func refusal(_ m: Onnx_ModelProto, run: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try refusal(data: try m.serializedBytes(), run: run, sourceLocation: sourceLocation)
    }

    static func refusal(data: Data, run: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        do {
            let model = try ONNXModel(data: data, path: "bad.onnx")
            if run { _ = try model.run(images: [Signal(channels: 2, height: 4, width: 4)]) }
        } catch let e as ConvSimError {
            return e.description
        }
        Issue.record("the model was accepted", sourceLocation: sourceLocation)
        return ""
    }

    let weight = floats("w", [3, 2, 3, 3], [Float](repeating: 0.5, count: 54))

    @Test func aValidTinyModelRuns() throws {
        let m = Self.model([Self.node("Conv", ["input", "w"], ["c"], name: "conv", ints: ["pads": [1, 1, 1, 1]]),
                            Self.node("Relu", ["c"], ["y"], name: "relu")], inits: [weight])
        let model = try ONNXModel(data: try m.serializedBytes(), path: "ok.onnx")
        #expect(model.convLayers.first?.activation == "Relu")
        let run = try model.run(images: [Signal(channels: 2, height: 4, width: 4, values: [Double](repeating: 1, count: 32))])
        // The centre output sees 18 ones × 0.5.
        #expect(run.layers[0].outputs[0][0, 1, 1] == 9)
        #expect(run.layers[0].outputs[0][0, 0, 0] == 4 * 2 * 0.5)
    }

    @Test func truncatedFilesAreRefused() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pnet", "model.onnx")))
        #expect(try Self.refusal(data: data.prefix(data.count / 2)).contains("bad.onnx"))
        // Every cut: an error or (rarely) a still-valid prefix, never a trap.
        for cut in stride(from: 0, to: data.count, by: 97) { _ = try? ONNXModel(data: data.prefix(cut), path: "cut.onnx") }
        #expect(try Self.refusal(data: Data("not a model at all".utf8)).contains("bad.onnx"))
    }

    @Test func wrongTypesAreRefused() throws {
        var s = weight; s.dataType = 8   // STRING
        #expect(try Self.refusal(Self.model([Self.node("Conv", ["input", "w"], ["y"], name: "conv")], inits: [s])).contains("element type 8"))
        var n = Self.node("Conv", ["input", "w"], ["y"], name: "conv")
        var a = Onnx_AttributeProto(); a.name = "strides"; a.type = .float; a.f = 2
        n.attribute = [a]
        #expect(try Self.refusal(Self.model([n], inits: [weight])).contains("'strides'"))
        var raw = weight; raw.floatData = []; raw.rawData = Data(count: 7)
        #expect(try Self.refusal(Self.model([Self.node("Conv", ["input", "w"], ["y"], name: "conv")], inits: [raw])).contains("raw_data"))
        let few = Self.floats("w", [3, 2, 3, 3], [1, 2, 3])
        #expect(try Self.refusal(Self.model([Self.node("Conv", ["input", "w"], ["y"], name: "conv")], inits: [few])).contains("needs 54 values"))
    }

    @Test func hugeTensorClaimsAreRefusedBeforeAllocation() throws {
        var t = Onnx_TensorProto()
        t.name = "w"; t.dims = [1 << 20, 1 << 20]; t.dataType = 1; t.rawData = Data(count: 16)
        let msg = try Self.refusal(Self.model([Self.node("Relu", ["input"], ["y"], name: "r")], inits: [t]))
        #expect(msg.contains("initializer 'w'") && msg.contains("elements"))
        t.dims = [Int64.max, 3]
        #expect(try Self.refusal(Self.model([Self.node("Relu", ["input"], ["y"], name: "r")], inits: [t])).contains("elements"))
        t.dims = [-4]
        #expect(try Self.refusal(Self.model([Self.node("Relu", ["input"], ["y"], name: "r")], inits: [t])).contains("negative"))
        // A Pad asking for 2^40 values at run time.
        var big = Onnx_TensorProto(); big.name = "p"; big.dims = [8]; big.dataType = 7
        big.int64Data = [0, 0, 1 << 19, 1 << 19, 0, 0, 1 << 19, 1 << 19]
        let msg2 = try Self.refusal(Self.model([Self.node("Pad", ["input", "p"], ["y"], name: "pad")], inits: [big]), run: true)
        #expect(msg2.contains("'pad' (Pad)") && msg2.contains("elements"))
    }

    @Test func unsupportedOperatorsAreNamed() throws {
        let msg = try Self.refusal(Self.model([Self.node("Resize", ["input"], ["y"], name: "up1")]))
        #expect(msg.contains("Resize") && msg.contains("'up1'"))
        var n = Self.node("Relu", ["input"], ["y"], name: "custom"); n.domain = "com.microsoft"
        #expect(try Self.refusal(Self.model([n])).contains("com.microsoft"))
        var sub = Self.node("Relu", ["input"], ["y"], name: "withgraph")
        var a = Onnx_AttributeProto(); a.name = "body"; a.type = .graph; a.g = Onnx_GraphProto()
        sub.attribute = [a]
        #expect(try Self.refusal(Self.model([sub])).contains("subgraph"))
    }

    @Test func cyclesAndMissingInputsAreRefused() throws {
        let cyc = Self.model([Self.node("Add", ["input", "b"], ["a"], name: "n1"), Self.node("Relu", ["a"], ["b"], name: "n2"),
                              Self.node("Relu", ["a"], ["y"], name: "n3")])
        #expect(try Self.refusal(cyc).contains("cycle"))
        let selfLoop = Self.model([Self.node("Add", ["input", "y"], ["y"], name: "loop")])
        #expect(try Self.refusal(selfLoop).contains("cycle"))
        let missing = Self.model([Self.node("Add", ["input", "nowhere"], ["y"], name: "n1")])
        let msg = try Self.refusal(missing)
        #expect(msg.contains("'nowhere'") && msg.contains("'n1'"))
        #expect(try Self.refusal(Self.model([Self.node("Relu", ["input"], ["z"], name: "n1")])).contains("graph output 'y'"))
        let twice = Self.model([Self.node("Relu", ["input"], ["y"], name: "n1"), Self.node("Relu", ["input"], ["y"], name: "n2")])
        #expect(try Self.refusal(twice).contains("produced twice"))
        // Out of order but acyclic: sorted and run.
        let swapped = Self.model([Self.node("Relu", ["a"], ["y"], name: "second"), Self.node("Relu", ["input"], ["a"], name: "first")])
        let model = try ONNXModel(data: try swapped.serializedBytes(), path: "swapped.onnx")
        #expect(model.nodes.map(\.name) == ["first", "second"])
    }

    @Test func convWeightsMustBeStored() throws {
        let m = Self.model([Self.node("Identity", ["w0"], ["w"], name: "id"), Self.node("Conv", ["input", "w"], ["y"], name: "conv")],
                           inits: [Self.floats("w0", [3, 2, 3, 3], [Float](repeating: 1, count: 54))])
        #expect(try Self.refusal(m).contains("not stored as an initializer"))
        var ext = weight; ext.dataLocation = .external
        #expect(try Self.refusal(Self.model([Self.node("Conv", ["input", "w"], ["y"], name: "conv")], inits: [ext])).contains("external data"))
        let g = Self.model([Self.node("Conv", ["input", "w"], ["y"], name: "conv", int: ["group": 2])], inits: [weight])
        #expect(try Self.refusal(g).contains("group 2"))
        let bad = Self.model([Self.node("Conv", ["input", "w"], ["y"], name: "conv", ints: ["strides": [0, 1]])], inits: [weight])
        #expect(try Self.refusal(bad).contains("'strides'"))
    }

    @Test func runTimeShapeErrorsNameTheNode() throws {
        // The weight expects 2 channels; a Concat doubles them.
        let m = Self.model([Self.node("Concat", ["input", "input"], ["c"], name: "cat", int: ["axis": 1]),
                            Self.node("Conv", ["c", "w"], ["y"], name: "conv")], inits: [weight])
        let msg = try Self.refusal(m, run: true)
        #expect(msg.contains("'conv' (Conv)") && msg.contains("4 channels"))
        let add = Self.model([Self.node("Add", ["input", "w"], ["y"], name: "add")], inits: [weight])
        #expect(try Self.refusal(add, run: true).contains("do not broadcast"))
    }
}
