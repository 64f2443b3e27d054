import ConvSimCore
import Foundation

/// One call of an operator: the node, its input tensors (`nil` for an omitted optional input)
/// and the model's opset version (for the semantics that changed between opsets).
struct OperatorCall {
    let node: ONNXNode
    let inputs: [Tensor?]
    let opset: Int

    func input(_ k: Int) throws -> Tensor {
        guard k < inputs.count, let t = inputs[k] else { throw ONNXOperatorError("input #\(k + 1) is missing") }
        return t
    }
    func optional(_ k: Int) -> Tensor? { k < inputs.count ? inputs[k] : nil }
}

/// An operator: its input tensors to its output tensors.
typealias OperatorImplementation = @Sendable (OperatorCall) throws -> [Tensor]

/// The operators of the forward pass, one implementation per ONNX op type (ONNX semantics,
/// opset 7 to 21 where they differ — Clip, Pad, Squeeze, Unsqueeze and Softmax read their
/// parameters as attributes or inputs by opset). Everything is computed in `Double`.
public enum ONNXOperators {
    static let table: [String: OperatorImplementation] = [
        "Conv": Convolution.conv,
        "MaxPool": { try Pooling.pool($0, max: true) },
        "AveragePool": { try Pooling.pool($0, max: false) },
        "GlobalAveragePool": Pooling.globalAverage,
        "BatchNormalization": batchNormalization,
        "Relu": unary { max($0, 0) },
        "Sigmoid": unary { 1 / (1 + Foundation.exp(-$0)) },
        "Tanh": unary { Foundation.tanh($0) },
        "LeakyRelu": { c in let a = try c.node.float("alpha", default: 0.01); return try unary { $0 >= 0 ? $0 : a * $0 }(c) },
        "Elu": { c in let a = try c.node.float("alpha", default: 1); return try unary { $0 >= 0 ? $0 : a * Foundation.expm1($0) }(c) },
        "PRelu": prelu,
        "Clip": clip,
        "Softmax": softmax,
        "Identity": { [try $0.input(0)] },
        "Add": binary(+), "Sub": binary(-), "Mul": binary(*),
        "Div": divide,
        "Concat": Shaping.concat,
        "Flatten": Shaping.flatten,
        "Reshape": Shaping.reshape,
        "Transpose": Shaping.transpose,
        "Unsqueeze": Shaping.unsqueeze,
        "Squeeze": Shaping.squeeze,
        "Shape": Shaping.shape,
        "Gather": Shaping.gather,
        "Constant": Shaping.constant,
        "Pad": Shaping.pad,
        "Slice": Shaping.slice,
        "Cast": Shaping.cast,
        "Gemm": MatrixProducts.gemm,
        "MatMul": MatrixProducts.matmul,
    ]

    /// The supported op types, sorted.
    public static var supported: [String] { table.keys.sorted() }

    static func unary(_ f: @escaping @Sendable (Double) -> Double) -> OperatorImplementation {
        { c in
            var x = try c.input(0)
            for k in 0..<x.count { x.values[k] = f(x.values[k]) }
            x.isInteger = false
            return [x]
        }
    }

    static func binary(_ f: @escaping @Sendable (Double, Double) -> Double) -> OperatorImplementation {
        { c in
            let a = try c.input(0), b = try c.input(1)
            return [try TensorOps.broadcast(a, b, integer: a.isInteger && b.isInteger) { f($0, $1) }]
        }
    }

    /// `Div`; on integer tensors the quotient truncated toward zero, as ONNX integer division.
    static func divide(_ c: OperatorCall) throws -> [Tensor] {
        let a = try c.input(0), b = try c.input(1)
        let integer = a.isInteger && b.isInteger
        return [try TensorOps.broadcast(a, b, integer: integer) { x, y in
            guard integer else { return x / y }
            guard y != 0 else { throw ONNXOperatorError("integer division by zero") }
            return (x / y).rounded(.towardZero)
        }]
    }

    /// `PRelu`: `x < 0 ? slope·x : x`, the slope broadcast to `x` (unidirectionally).
    static func prelu(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0), s = try c.input(1)
        let y = try TensorOps.broadcast(x, s, integer: false) { $0 < 0 ? $0 * $1 : $0 }
        guard y.shape == x.shape else { throw ONNXOperatorError("slope shape \(s.shape) does not broadcast to the input \(x.shape)") }
        return [y]
    }

    /// `Clip`: bounds from the `min`/`max` attributes (opset < 11) or the optional inputs 2, 3.
    static func clip(_ c: OperatorCall) throws -> [Tensor] {
        var x = try c.input(0)
        func bound(_ k: Int, _ key: String, _ d: Double) throws -> Double {
            if c.node.attributes[key] != nil { return try c.node.float(key, default: d) }
            guard let t = c.optional(k) else { return d }
            guard t.count == 1 else { throw ONNXOperatorError("\(key) must be a scalar, got shape \(t.shape)") }
            return t.values[0]
        }
        let lo = try bound(1, "min", -.infinity), hi = try bound(2, "max", .infinity)
        for k in 0..<x.count { x.values[k] = min(max(x.values[k], lo), hi) }
        return [x]
    }

    /// `Softmax`: over one axis (opset ≥ 13, default −1), or over the input flattened to 2-D
    /// at `axis` (opset < 13, default 1).
    static func softmax(_ c: OperatorCall) throws -> [Tensor] {
        var x = try c.input(0)
        guard x.rank >= 1 else { throw ONNXOperatorError("Softmax needs an input of rank ≥ 1") }
        let modern = c.opset >= 13
        let axis = try Tensor.axis(try c.node.int("axis", default: modern ? -1 : 1), rank: x.rank)
        let outer = TensorOps.product(x.shape[..<axis])
        let len = modern ? x.shape[axis] : TensorOps.product(x.shape[axis...])
        let inner = modern ? TensorOps.product(x.shape[(axis + 1)...]) : 1
        guard len > 0 else { return [x] }
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * len * inner + i
                var m = -Double.infinity
                for k in 0..<len { m = max(m, x.values[base + k * inner]) }
                var s = 0.0
                for k in 0..<len { let e = Foundation.exp(x.values[base + k * inner] - m); x.values[base + k * inner] = e; s += e }
                for k in 0..<len { x.values[base + k * inner] /= s }
            }
        }
        return [x]
    }

    /// `BatchNormalization` in inference mode: `(x − mean)/√(var + ε)·scale + B` per channel (axis 1).
    static func batchNormalization(_ c: OperatorCall) throws -> [Tensor] {
        guard try c.node.int("training_mode", default: 0) == 0 else {
            throw ONNXOperatorError("training_mode = 1 is not supported; export the model in eval mode")
        }
        var x = try c.input(0)
        guard x.rank >= 2 else { throw ONNXOperatorError("input of rank \(x.rank); expected (N, C, …)") }
        let ch = x.shape[1]
        let p = try (1...4).map { try c.input($0) }
        guard p.allSatisfy({ $0.count == ch }) else {
            throw ONNXOperatorError("scale, B, mean and var must each hold \(ch) values (the channels), got \(p.map(\.shape))")
        }
        let eps = try c.node.float("epsilon", default: 1e-5)
        let n = x.shape[0], inner = TensorOps.product(x.shape[2...])
        for b in 0..<n {
            for k in 0..<ch {
                let g = p[0].values[k] / (p[3].values[k] + eps).squareRoot(), mu = p[2].values[k], beta = p[1].values[k]
                let base = (b * ch + k) * inner
                for i in 0..<inner { x.values[base + i] = (x.values[base + i] - mu) * g + beta }
            }
        }
        return [x]
    }
}
