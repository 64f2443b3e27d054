import ConvSimCore

/// A dense tensor of the forward pass: a shape and its values in row-major order, in `Double`.
///
/// Integer tensors (ONNX INT32/INT64: shapes, indices, axes) hold their values as exact
/// `Double`s and carry `isInteger`, so that `Div` truncates as ONNX integer division does.
/// Every tensor holds at most `Tensor.maxElements` values: a model cannot make the forward pass
/// allocate more than that per tensor, whatever its attributes say.
public struct Tensor: Sendable, Equatable {
    /// The extent of each axis (`[]` for a scalar). Every entry is ≥ 0.
    public let shape: [Int]
    /// `shape.product` values, row-major (the last axis varies fastest).
    public var values: [Double]
    /// The values are integers (from an INT32/INT64 tensor or an integer computation).
    public var isInteger: Bool

    /// The largest number of values one tensor may hold (2²⁸, 2 GiB of `Double`s).
    public static let maxElements = 1 << 28

    /// The element limit in force (`maxElements` unless lowered for a task, as the fuzz target
    /// does with `Tensor.$elementLimit.withValue(…)` to keep every input fast).
    @TaskLocal public static var elementLimit: Int = maxElements

    /// A tensor of the given shape and values.
    /// - Throws: `invalidArgument` when an axis is negative, the element count overflows or
    ///   exceeds `maxElements`, or `values.count` differs from it.
    public init(shape: [Int], values: [Double], isInteger: Bool = false) throws {
        let n = try Tensor.elementCount(shape)
        guard values.count == n else {
            throw ConvSimError.invalidArgument("a tensor of shape \(shape) needs \(n) values, got \(values.count)")
        }
        self.shape = shape
        self.values = values
        self.isInteger = isInteger
    }

    /// A tensor of zeros (or `value`) of the given shape.
    public init(repeating value: Double = 0, shape: [Int], isInteger: Bool = false) throws {
        let n = try Tensor.elementCount(shape)
        self.shape = shape
        self.values = [Double](repeating: value, count: n)
        self.isInteger = isInteger
    }

    /// A rank-0 tensor.
    public init(scalar: Double, isInteger: Bool = false) {
        shape = []
        values = [scalar]
        self.isInteger = isInteger
    }

    /// The batch-1 tensor of a signal: `(1, C, H, W)`, or `(1, C, W)` when `oneDimensional`
    /// (the signal's height must then be 1).
    public init(_ signal: Signal, oneDimensional: Bool = false) {
        shape = oneDimensional ? [1, signal.channels, signal.width] : [1, signal.channels, signal.height, signal.width]
        values = signal.values
        isInteger = false
    }

    /// The number of axes.
    @inlinable public var rank: Int { shape.count }
    /// The number of values.
    @inlinable public var count: Int { values.count }

    /// The row-major strides of `shape` (the distance between neighbours along each axis).
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for k in stride(from: shape.count - 1, through: 0, by: -1) {
            s[k] = acc
            acc = acc &* Swift.max(shape[k], 1)
        }
        return s
    }

    /// The number of elements of `shape`, checked: every axis ≥ 0, the product computed without
    /// overflow and at most `elementLimit` (`maxElements`).
    /// - Throws: `invalidArgument` naming the shape.
    public static func elementCount(_ shape: [Int]) throws -> Int {
        var n = 1
        for d in shape {
            guard d >= 0 else { throw ConvSimError.invalidArgument("tensor shape \(shape) has a negative axis") }
            let (p, o) = n.multipliedReportingOverflow(by: d)
            guard !o, p <= elementLimit else {
                throw ConvSimError.invalidArgument("tensor shape \(shape) has more than \(elementLimit) elements (the limit of one tensor)")
            }
            n = p
        }
        return n
    }

    /// The samples of batch element `n` of a `(N, C, H, W)` or `(N, C, L)` tensor as a signal.
    /// Returns nil for other ranks or an empty axis.
    public func signal(batch n: Int) -> Signal? {
        guard rank == 3 || rank == 4, n >= 0, n < shape[0] else { return nil }
        let c = shape[1], h = rank == 4 ? shape[2] : 1, w = shape[rank - 1]
        guard c > 0, h > 0, w > 0 else { return nil }
        let per = c * h * w
        return Signal(channels: c, height: h, width: w, values: Array(values[(n * per)..<((n + 1) * per)]))
    }

    /// Normalizes an axis in `-r ..< r` (ONNX negative axes count from the end).
    static func axis(_ a: Int, rank r: Int, what: String = "axis") throws -> Int {
        let k = a < 0 ? a + r : a
        guard k >= 0, k < r else { throw ONNXOperatorError("\(what) \(a) is out of range for rank \(r)") }
        return k
    }
}

/// An error of one operator, turned into a `ConvSimError` naming the node by the forward pass.
struct ONNXOperatorError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
