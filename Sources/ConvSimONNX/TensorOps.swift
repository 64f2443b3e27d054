import ConvSimCore

/// Index arithmetic shared by the operators: NumPy broadcasting and strided walks.
enum TensorOps {
    /// Calls `body(k, a, b)` for every row-major position `k` of `shape`, with `a` and `b` the
    /// offsets `Σ index·stride` for the two stride sets (no recursion, one counter per axis).
    static func walk(_ shape: [Int], _ sa: [Int], _ sb: [Int], _ body: (Int, Int, Int) -> Void) {
        let r = shape.count
        var total = 1
        for d in shape { total *= d }
        if total == 0 { return }
        if r == 0 { body(0, 0, 0); return }
        var idx = [Int](repeating: 0, count: r)
        var a = 0, b = 0
        for k in 0..<total {
            body(k, a, b)
            var axis = r - 1
            while axis >= 0 {
                idx[axis] += 1
                a += sa[axis]; b += sb[axis]
                if idx[axis] < shape[axis] { break }
                a -= sa[axis] * shape[axis]; b -= sb[axis] * shape[axis]
                idx[axis] = 0
                axis -= 1
            }
        }
    }

    /// The NumPy (multidirectional) broadcast of two shapes.
    static func broadcastShape(_ x: [Int], _ y: [Int]) throws -> [Int] {
        let r = max(x.count, y.count)
        let a = [Int](repeating: 1, count: r - x.count) + x, b = [Int](repeating: 1, count: r - y.count) + y
        var out: [Int] = []
        for k in 0..<r {
            if a[k] == b[k] || b[k] == 1 { out.append(a[k]) }
            else if a[k] == 1 { out.append(b[k]) }
            else { throw ONNXOperatorError("shapes \(x) and \(y) do not broadcast (axis \(k): \(a[k]) vs \(b[k]))") }
        }
        return out
    }

    /// The strides that read a tensor of `shape` broadcast to `target` (0 on broadcast axes).
    static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
        let pad = target.count - shape.count
        let s = Tensor.strides(shape)
        return (0..<target.count).map { k in k < pad || shape[k - pad] == 1 ? 0 : s[k - pad] }
    }

    /// `f` applied elementwise to `a` and `b` broadcast to a common shape.
    static func broadcast(_ a: Tensor, _ b: Tensor, integer: Bool, _ f: (Double, Double) throws -> Double) throws -> Tensor {
        if a.shape == b.shape {
            var out = [Double](repeating: 0, count: a.count)
            for k in 0..<a.count { out[k] = try f(a.values[k], b.values[k]) }
            return try Tensor(shape: a.shape, values: out, isInteger: integer)
        }
        let shape = try broadcastShape(a.shape, b.shape)
        var out = try Tensor(shape: shape, isInteger: integer)
        let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
        var failure: Error? = nil
        walk(shape, sa, sb) { k, i, j in
            do { out.values[k] = try f(a.values[i], b.values[j]) } catch { failure = error }
        }
        if let failure { throw failure }
        return out
    }

    /// The integer values of a shape, axes or indices tensor.
    static func integers(_ t: Tensor, what: String) throws -> [Int] {
        try t.values.map { v in
            guard let i = Int(exactly: v) else { throw ONNXOperatorError("\(what) holds \(v), not an integer") }
            return i
        }
    }

    /// The product of `shape[range]`.
    static func product(_ shape: ArraySlice<Int>) -> Int { shape.reduce(1, *) }
}
