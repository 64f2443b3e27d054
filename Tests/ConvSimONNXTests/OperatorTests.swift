import ConvSimCore
import Testing
@testable import ConvSimONNX

/// Operator semantics the fixture models do not reach, on hand-computed cases.
@Suite struct OperatorTests {
    static func call(_ op: String, _ inputs: [Tensor?], opset: Int = 13, _ attributes: [String: ONNXAttribute] = [:]) throws -> Tensor {
        let node = ONNXNode(name: "n", opType: op, inputs: inputs.indices.map { "i\($0)" }, outputs: ["y"], attributes: attributes)
        let f = try #require(ONNXOperators.table[op])
        return try f(OperatorCall(node: node, inputs: inputs, opset: opset))[0]
    }

    static func t(_ shape: [Int], _ v: [Double], int: Bool = false) throws -> Tensor { try Tensor(shape: shape, values: v, isInteger: int) }

    @Test func padModes() throws {
        let x = try Self.t([3], [1, 2, 3])
        let pads = try Self.t([2], [2, 1], int: true)
        #expect(try Self.call("Pad", [x, pads], ["mode": .string("reflect")]).values == [3, 2, 1, 2, 3, 2])
        #expect(try Self.call("Pad", [x, pads], ["mode": .string("edge")]).values == [1, 1, 1, 2, 3, 3])
        #expect(try Self.call("Pad", [x, pads, Tensor(scalar: 9)]).values == [9, 9, 1, 2, 3, 9])
        // Opset 2 style: pads and value as attributes.
        #expect(try Self.call("Pad", [x], opset: 2, ["pads": .ints([1, 0]), "value": .float(-1)]).values == [-1, 1, 2, 3])
        #expect(throws: ONNXOperatorError.self) { try Self.call("Pad", [x, try Self.t([2], [3, 0], int: true)], ["mode": .string("reflect")]) }
        #expect(throws: ONNXOperatorError.self) { try Self.call("Pad", [x, try Self.t([2], [-1, 0], int: true)]) }
    }

    @Test func pools() throws {
        let x = try Self.t([1, 1, 3, 3], (1...9).map(Double.init))
        // count_include_pad: the corner window of a 2×2 pool with pads 1 sees one value and three zeros.
        let inc = try Self.call("AveragePool", [x], ["kernel_shape": .ints([2, 2]), "pads": .ints([1, 1, 0, 0]), "count_include_pad": .int(1)])
        #expect(inc.shape == [1, 1, 3, 3] && inc.values[0] == 0.25)
        let exc = try Self.call("AveragePool", [x], ["kernel_shape": .ints([2, 2]), "pads": .ints([1, 1, 0, 0])])
        #expect(exc.values[0] == 1 && exc.values[4] == 3)
        // Dilated max pool: the 2×2 window with dilation 2 reads the corners.
        let d = try Self.call("MaxPool", [x], ["kernel_shape": .ints([2, 2]), "dilations": .ints([2, 2])])
        #expect(d.shape == [1, 1, 1, 1] && d.values == [9])
        // ceil_mode: 3 samples, window 2, stride 2 → 2 outputs (the last window half outside).
        let c = try Self.call("MaxPool", [x], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "ceil_mode": .int(1)])
        #expect(c.shape == [1, 1, 2, 2] && c.values == [5, 6, 8, 9])
        let one = try Self.call("MaxPool", [try Self.t([1, 1, 4], [1, 3, 2, 0])], ["kernel_shape": .ints([2]), "strides": .ints([2])])
        #expect(one.values == [3, 2])
    }

    @Test func softmaxByOpset() throws {
        let x = try Self.t([1, 2, 2], [0, 0, 0, 0])
        #expect(try Self.call("Softmax", [x], opset: 13, ["axis": .int(1)]).values == [0.5, 0.5, 0.5, 0.5])
        // Before opset 13: the input flattened to 2-D at axis 1, softmax over the 4 trailing values.
        #expect(try Self.call("Softmax", [x], opset: 11).values == [0.25, 0.25, 0.25, 0.25])
    }

    @Test func matrixProducts() throws {
        let a = try Self.t([2, 3], [1, 2, 3, 4, 5, 6]), v = try Self.t([3], [1, 0, -1])
        let mv = try Self.call("MatMul", [a, v])
        #expect(mv.shape == [2] && mv.values == [-2, -2])
        let batched = try Self.call("MatMul", [try Self.t([2, 1, 2], [1, 0, 0, 1]), try Self.t([2, 2], [1, 2, 3, 4])])
        #expect(batched.shape == [2, 1, 2] && batched.values == [1, 2, 3, 4])
        let g = try Self.call("Gemm", [a, try Self.t([2, 1], [1, 1]), Tensor(scalar: 1)], ["transA": .int(1), "alpha": .float(2), "beta": .float(3)])
        #expect(g.shape == [3, 1] && g.values == [13, 17, 21])
    }

    @Test func shapesAndIntegers() throws {
        let x = try Tensor(shape: [2, 1, 3, 1], values: (0..<6).map(Double.init))
        #expect(try Self.call("Shape", [x], ["start": .int(1), "end": .int(-1)]).values == [1, 3])
        #expect(try Self.call("Squeeze", [x]).shape == [2, 3])
        #expect(try Self.call("Squeeze", [x], opset: 11, ["axes": .ints([-1])]).shape == [2, 1, 3])
        #expect(try Self.call("Unsqueeze", [x, try Self.t([2], [0, -1], int: true)]).shape == [1, 2, 1, 3, 1, 1])
        #expect(try Self.call("Reshape", [x, try Self.t([3], [0, -1, 1], int: true)]).shape == [2, 3, 1])
        #expect(try Self.call("Flatten", [x], ["axis": .int(-1)]).shape == [6, 1])
        #expect(try Self.call("Transpose", [try Self.t([2, 3], [1, 2, 3, 4, 5, 6])]).values == [1, 4, 2, 5, 3, 6])
        let q = try Self.call("Div", [try Self.t([2], [7, -7], int: true), Tensor(scalar: 2, isInteger: true)])
        #expect(q.values == [3, -3] && q.isInteger)
        #expect(try Self.call("Div", [try Self.t([1], [7]), Tensor(scalar: 2)]).values == [3.5])
        #expect(try Self.call("Gather", [try Self.t([3], [10, 20, 30]), Tensor(scalar: -1, isInteger: true)]).values == [30])
        #expect(throws: ONNXOperatorError.self) { try Self.call("Gather", [try Self.t([3], [10, 20, 30]), Tensor(scalar: 3, isInteger: true)]) }
        #expect(try Self.call("Clip", [try Self.t([3], [-2, 0.5, 2])], opset: 6, ["min": .float(-1), "max": .float(1)]).values == [-1, 0.5, 1])
        #expect(try Self.call("Clip", [try Self.t([2], [-2, 2]), nil, Tensor(scalar: 1)]).values == [-2, 1])
        #expect(try Self.call("Constant", [], ["value_ints": .ints([1, 2])]).values == [1, 2])
    }

    @Test func sliceAndCast() throws {
        let x = try Self.t([2, 4], (0..<8).map(Double.init))
        let i = { (v: [Double]) in try Self.t([v.count], v, int: true) }
        #expect(try Self.call("Slice", [x, try i([1]), try i([9.223372036854775807e18]), try i([1])]).values == [1, 2, 3, 5, 6, 7])
        let rev = try Self.call("Slice", [x, try i([-1, -1]), try i([-9.223372036854775807e18, -5]), try i([0, 1]), try i([-1, -2])])
        #expect(rev.shape == [2, 2] && rev.values == [7, 5, 3, 1])
        #expect(try Self.call("Slice", [x], opset: 9, ["starts": .ints([0]), "ends": .ints([1])]).shape == [1, 4])
        let c = try Self.call("Cast", [try Self.t([3], [-1.5, 0.2, 2.7])], ["to": .int(7)])
        #expect(c.values == [-1, 0, 2] && c.isInteger)
        #expect(try Self.call("Cast", [try Self.t([2], [0, -3])], ["to": .int(9)]).values == [0, 1])
    }

    @Test func convAutoPadAndGroups() throws {
        // SAME_LOWER with an even kernel puts the extra pad at the beginning.
        let x = try Self.t([1, 1, 1, 3], [1, 2, 3])
        let w = try Self.t([1, 1, 1, 2], [1, 10])
        let y = try Self.call("Conv", [x, w], ["auto_pad": .string("SAME_LOWER")])
        #expect(y.values == [10, 21, 32])
        let u = try Self.call("Conv", [x, w], ["auto_pad": .string("SAME_UPPER")])
        #expect(u.values == [21, 32, 3])
        // Two groups of one channel each, 1-D.
        let x2 = try Self.t([1, 2, 2], [1, 2, 3, 4])
        let g = try Self.call("Conv", [x2, try Self.t([2, 1, 1], [2, -1]), try Self.t([2], [0, 1])], ["group": .int(2)])
        #expect(g.values == [2, 4, -2, -3])
    }
}
