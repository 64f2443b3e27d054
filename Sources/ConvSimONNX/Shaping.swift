import ConvSimCore

/// The operators that move values without arithmetic: Concat, Flatten, Reshape, Transpose,
/// Unsqueeze, Squeeze, Shape, Gather, Constant, Pad.
enum Shaping {
    /// `Concat` along `axis` (negative counts from the end).
    static func concat(_ c: OperatorCall) throws -> [Tensor] {
        let xs = try (0..<c.inputs.count).map { try c.input($0) }
        guard let first = xs.first else { throw ONNXOperatorError("Concat needs at least one input") }
        guard c.node.attributes["axis"] != nil else { throw ONNXOperatorError("Concat needs the attribute 'axis'") }
        let axis = try Tensor.axis(try c.node.int("axis", default: 0), rank: first.rank)
        var shape = first.shape
        shape[axis] = 0
        for x in xs {
            guard x.rank == first.rank, (0..<x.rank).allSatisfy({ $0 == axis || x.shape[$0] == first.shape[$0] }) else {
                throw ONNXOperatorError("inputs of shapes \(xs.map(\.shape)) differ outside axis \(axis)")
            }
            shape[axis] += x.shape[axis]
        }
        _ = try Tensor.elementCount(shape)
        let outer = TensorOps.product(first.shape[..<axis])
        var values: [Double] = []
        values.reserveCapacity(TensorOps.product(shape[...]))
        for o in 0..<outer {
            for x in xs {
                let chunk = TensorOps.product(x.shape[axis...])
                values += x.values[(o * chunk)..<((o + 1) * chunk)]
            }
        }
        return [try Tensor(shape: shape, values: values, isInteger: xs.allSatisfy(\.isInteger))]
    }

    /// `Flatten`: `(d₀·…·d_{axis−1}, d_axis·…)`, `axis` in `−r…r` (default 1).
    static func flatten(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0)
        var axis = try c.node.int("axis", default: 1)
        if axis < 0 { axis += x.rank }
        guard axis >= 0, axis <= x.rank else { throw ONNXOperatorError("axis \(axis) is out of range for rank \(x.rank)") }
        return [try Tensor(shape: [TensorOps.product(x.shape[..<axis]), TensorOps.product(x.shape[axis...])], values: x.values, isInteger: x.isInteger)]
    }

    /// `Reshape`: `0` copies the input's extent on that axis (unless `allowzero = 1`), one `−1`
    /// takes what remains.
    static func reshape(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0)
        let spec: [Int]
        if let s = c.optional(1) { spec = try TensorOps.integers(s, what: "the shape") }
        else if let s = try c.node.ints("shape") { spec = s }
        else { throw ONNXOperatorError("no target shape") }
        let allowZero = try c.node.int("allowzero", default: 0) != 0
        var shape: [Int] = []
        var free: Int? = nil
        for (k, d) in spec.enumerated() {
            if d == -1 {
                guard free == nil else { throw ONNXOperatorError("the shape \(spec) has more than one −1") }
                free = k; shape.append(1)
            } else if d == 0 && !allowZero {
                guard k < x.rank else { throw ONNXOperatorError("the shape \(spec) copies axis \(k) (0), which the input \(x.shape) does not have") }
                shape.append(x.shape[k])
            } else {
                guard d >= 0 else { throw ONNXOperatorError("the shape \(spec) has a negative extent \(d)") }
                shape.append(d)
            }
        }
        let known = try Tensor.elementCount(shape)
        if let f = free {
            guard known > 0, x.count % known == 0 else { throw ONNXOperatorError("cannot reshape \(x.shape) (\(x.count) values) to \(spec)") }
            shape[f] = x.count / known
        }
        guard try Tensor.elementCount(shape) == x.count else {
            throw ONNXOperatorError("cannot reshape \(x.shape) (\(x.count) values) to \(spec)")
        }
        return [try Tensor(shape: shape, values: x.values, isInteger: x.isInteger)]
    }

    /// `Transpose` by `perm` (default: the axes reversed).
    static func transpose(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0)
        let perm = try c.node.ints("perm") ?? Array((0..<x.rank).reversed())
        guard perm.count == x.rank, Set(perm) == Set(0..<x.rank) else {
            throw ONNXOperatorError("perm \(perm) is not a permutation of the \(x.rank) axes")
        }
        let shape = perm.map { x.shape[$0] }
        let s = Tensor.strides(x.shape)
        var out = try Tensor(shape: shape, isInteger: x.isInteger)
        TensorOps.walk(shape, perm.map { s[$0] }, [Int](repeating: 0, count: shape.count)) { k, i, _ in out.values[k] = x.values[i] }
        return [out]
    }

    /// The `axes` of Squeeze/Unsqueeze: the attribute (opset < 13) or input 2.
    static func axes(_ c: OperatorCall) throws -> [Int]? {
        if let a = try c.node.ints("axes") { return a }
        if let t = c.optional(1) { return try TensorOps.integers(t, what: "axes") }
        return nil
    }

    /// `Unsqueeze`: inserts axes of extent 1 at `axes` (positions in the output).
    static func unsqueeze(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0)
        guard let a = try axes(c) else { throw ONNXOperatorError("no axes") }
        let r = x.rank + a.count
        let positions = try Set(a.map { try Tensor.axis($0, rank: r) })
        guard positions.count == a.count else { throw ONNXOperatorError("axes \(a) repeat an axis") }
        var shape: [Int] = []
        var k = 0
        for i in 0..<r {
            if positions.contains(i) { shape.append(1) } else { shape.append(x.shape[k]); k += 1 }
        }
        return [try Tensor(shape: shape, values: x.values, isInteger: x.isInteger)]
    }

    /// `Squeeze`: removes the axes of extent 1 at `axes` (all of them without `axes`).
    static func squeeze(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0)
        let drop: Set<Int>
        if let a = try axes(c) {
            drop = try Set(a.map { try Tensor.axis($0, rank: x.rank) })
            for k in drop where x.shape[k] != 1 { throw ONNXOperatorError("axis \(k) of \(x.shape) has extent \(x.shape[k]), not 1") }
        } else {
            drop = Set((0..<x.rank).filter { x.shape[$0] == 1 })
        }
        let shape = (0..<x.rank).filter { !drop.contains($0) }.map { x.shape[$0] }
        return [try Tensor(shape: shape, values: x.values, isInteger: x.isInteger)]
    }

    /// `Shape`: the input's shape as an INT64 vector (`start`/`end` slice it, opset 15).
    static func shape(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0)
        func clampAxis(_ a: Int) -> Int { min(max(a < 0 ? a + x.rank : a, 0), x.rank) }
        let start = clampAxis(try c.node.int("start", default: 0)), end = clampAxis(try c.node.int("end", default: x.rank))
        let dims = start < end ? Array(x.shape[start..<end]) : []
        return [try Tensor(shape: [dims.count], values: dims.map(Double.init), isInteger: true)]
    }

    /// `Gather` along `axis`: `out[…, j…, …] = data[…, indices[j…], …]`, negative indices from the end.
    static func gather(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0), ind = try c.input(1)
        guard x.rank >= 1 else { throw ONNXOperatorError("Gather needs data of rank ≥ 1") }
        let axis = try Tensor.axis(try c.node.int("axis", default: 0), rank: x.rank)
        let n = x.shape[axis]
        let idx = try TensorOps.integers(ind, what: "indices").map { i -> Int in
            let j = i < 0 ? i + n : i
            guard j >= 0, j < n else { throw ONNXOperatorError("index \(i) is out of range for axis \(axis) of extent \(n)") }
            return j
        }
        let outer = TensorOps.product(x.shape[..<axis]), inner = TensorOps.product(x.shape[(axis + 1)...])
        let shape = Array(x.shape[..<axis]) + ind.shape + Array(x.shape[(axis + 1)...])
        var out = try Tensor(shape: shape, isInteger: x.isInteger)
        var k = 0
        for o in 0..<outer {
            for j in idx {
                let src = (o * n + j) * inner
                for i in 0..<inner { out.values[k] = x.values[src + i]; k += 1 }
            }
        }
        return [out]
    }

    /// `Constant`: `value` (a tensor), `value_float(s)` or `value_int(s)`.
    static func constant(_ c: OperatorCall) throws -> [Tensor] {
        switch (c.node.attributes["value"], c.node.attributes["value_float"], c.node.attributes["value_floats"],
                c.node.attributes["value_int"], c.node.attributes["value_ints"]) {
        case (.tensor(let t)?, _, _, _, _): return [t]
        case (_, .float(let v)?, _, _, _): return [Tensor(scalar: v)]
        case (_, _, .floats(let v)?, _, _): return [try Tensor(shape: [v.count], values: v)]
        case (_, _, _, .int(let v)?, _): return [Tensor(scalar: Double(v), isInteger: true)]
        case (_, _, _, _, .ints(let v)?): return [try Tensor(shape: [v.count], values: v.map(Double.init), isInteger: true)]
        default: throw ONNXOperatorError("Constant needs a 'value' tensor or value_float(s)/value_int(s) attribute (sparse and string constants are not supported)")
        }
    }

    /// `Pad` in mode `constant` (the value, default 0), `reflect` or `edge`; pads as the
    /// attribute (opset < 11) or input 2, `[begin₀, …, end₀, …]`, optionally on `axes` (input 4).
    /// Negative pads (cropping) are refused.
    static func pad(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0)
        let mode = try c.node.string("mode", default: "constant")
        guard ["constant", "reflect", "edge"].contains(mode) else { throw ONNXOperatorError("mode '\(mode)' is not supported (constant, reflect, edge)") }
        let spec: [Int]
        if let p = try c.node.ints("pads") { spec = p }
        else { spec = try TensorOps.integers(try c.input(1), what: "pads") }
        var value = try c.node.float("value", default: 0)
        if let v = c.optional(2) {
            guard v.count == 1 else { throw ONNXOperatorError("constant_value must be a scalar") }
            value = v.values[0]
        }
        var axes = Array(0..<x.rank)
        if let a = c.optional(3) { axes = try TensorOps.integers(a, what: "axes").map { try Tensor.axis($0, rank: x.rank) } }
        guard spec.count == 2 * axes.count, Set(axes).count == axes.count else {
            throw ONNXOperatorError("pads \(spec) must hold 2 × \(axes.count) values")
        }
        var begin = [Int](repeating: 0, count: x.rank), end = begin
        for (k, a) in axes.enumerated() {
            guard spec[k] >= 0, spec[k + axes.count] >= 0, spec[k] <= WindowGeometry.maxPad, spec[k + axes.count] <= WindowGeometry.maxPad else {
                throw ONNXOperatorError("pads \(spec) must be in 0…\(WindowGeometry.maxPad) (negative pads are not supported)")
            }
            begin[a] = spec[k]; end[a] = spec[k + axes.count]
        }
        for a in 0..<x.rank where begin[a] + end[a] > 0 {
            if mode == "reflect", x.shape[a] < 2 || begin[a] >= x.shape[a] || end[a] >= x.shape[a] {
                throw ONNXOperatorError("reflect padding of \(begin[a]), \(end[a]) needs an axis longer than the pads (axis \(a) has \(x.shape[a]))")
            }
            if mode == "edge", x.shape[a] == 0 { throw ONNXOperatorError("edge padding of an empty axis") }
        }
        let shape = (0..<x.rank).map { x.shape[$0] + begin[$0] + end[$0] }
        var out = try Tensor(repeating: value, shape: shape, isInteger: x.isInteger)
        let s = Tensor.strides(x.shape)
        var idx = [Int](repeating: 0, count: x.rank)
        for k in 0..<out.count {
            var src = 0, inside = true
            for a in 0..<x.rank {
                var i = idx[a] - begin[a]
                let n = x.shape[a]
                if i < 0 || i >= n {
                    switch mode {
                    case "constant": inside = false
                    case "edge": i = i < 0 ? 0 : n - 1
                    default: i = i < 0 ? -i : 2 * (n - 1) - i
                    }
                }
                if !inside { break }
                src += i * s[a]
            }
            if inside { out.values[k] = x.values[src] }
            var a = x.rank - 1
            while a >= 0 {
                idx[a] += 1
                if idx[a] < shape[a] { break }
                idx[a] = 0; a -= 1
            }
        }
        return [out]
    }
}

extension Shaping {
    /// `Slice`: `starts`, `ends` and the optional `axes`, `steps` as inputs (opset ≥ 10) or
    /// attributes (before); negative positions count from the end, and every position is
    /// clamped to the axis as ONNX specifies (`ends` of ±2⁶³ − 1 mean "to the end").
    static func slice(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0)
        func list(_ k: Int, _ key: String) throws -> [Int]? {
            if let a = try c.node.ints(key) { return a }
            guard let t = c.optional(k) else { return nil }
            // INT64 extremes are not exact in Double: clamp before converting.
            return try TensorOps.integers(try Tensor(shape: t.shape, values: t.values.map { max(min($0, 4e18), -4e18).rounded(.towardZero) }), what: key)
        }
        guard let starts = try list(1, "starts"), let ends = try list(2, "ends"), starts.count == ends.count else {
            throw ONNXOperatorError("starts and ends must be given, of one length")
        }
        let axes = try (try list(3, "axes") ?? Array(0..<starts.count)).map { try Tensor.axis($0, rank: x.rank) }
        let steps = try list(4, "steps") ?? [Int](repeating: 1, count: starts.count)
        guard axes.count == starts.count, steps.count == starts.count, Set(axes).count == axes.count else {
            throw ONNXOperatorError("starts, ends, axes and steps must have one length and distinct axes")
        }
        var begin = [Int](repeating: 0, count: x.rank), step = [Int](repeating: 1, count: x.rank), shape = x.shape
        for (k, a) in axes.enumerated() {
            let n = x.shape[a], st = steps[k]
            guard st != 0 else { throw ONNXOperatorError("a step of 0") }
            var b = starts[k] < 0 ? starts[k] + n : starts[k], e = ends[k] < 0 ? ends[k] + n : ends[k]
            if st > 0 { b = min(max(b, 0), n); e = min(max(e, 0), n) } else { b = min(max(b, 0), n - 1); e = min(max(e, -1), n - 1) }
            let len = st > 0 ? (e > b ? (e - b + st - 1) / st : 0) : (b > e ? (b - e - st - 1) / -st : 0)
            begin[a] = b; step[a] = st; shape[a] = len
        }
        var out = try Tensor(shape: shape, isInteger: x.isInteger)
        let s = Tensor.strides(x.shape)
        let origin = (0..<x.rank).reduce(0) { $0 + begin[$1] * s[$1] }
        TensorOps.walk(shape, (0..<x.rank).map { s[$0] * step[$0] }, [Int](repeating: 0, count: x.rank)) { k, i, _ in
            out.values[k] = x.values[origin + i]
        }
        return [out]
    }

    /// `Cast`: to an integer type truncates toward zero (and marks the tensor integer), to BOOL
    /// gives 0/1, to a floating-point type keeps the value (the forward pass computes in Double).
    static func cast(_ c: OperatorCall) throws -> [Tensor] {
        var x = try c.input(0)
        let to = try c.node.int("to", default: 0)
        switch to {
        case 1, 10, 11, 16: x.isInteger = false
        case 2, 3, 4, 5, 6, 7, 12, 13:
            for k in 0..<x.count where x.values[k].isFinite { x.values[k] = x.values[k].rounded(.towardZero) }
            guard x.values.allSatisfy(\.isFinite) else { throw ONNXOperatorError("Cast of a non-finite value to an integer type") }
            x.isInteger = true
        case 9:
            for k in 0..<x.count { x.values[k] = x.values[k] != 0 ? 1 : 0 }
            x.isInteger = true
        default: throw ONNXOperatorError("Cast to element type \(to) is not supported")
        }
        return [x]
    }
}

/// `Gemm` and `MatMul`.
enum MatrixProducts {
    /// `Gemm`: `alpha·A'·B' + beta·C`, `A' = transA ? Aᵀ : A` (2-D), `C` broadcast to the result.
    static func gemm(_ c: OperatorCall) throws -> [Tensor] {
        let a = try c.input(0), b = try c.input(1)
        guard a.rank == 2, b.rank == 2 else { throw ONNXOperatorError("A \(a.shape) and B \(b.shape) must be matrices (Flatten before Gemm)") }
        let ta = try c.node.int("transA", default: 0) != 0, tb = try c.node.int("transB", default: 0) != 0
        let alpha = try c.node.float("alpha", default: 1), beta = try c.node.float("beta", default: 1)
        let m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1]
        let k2 = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1]
        guard k == k2 else { throw ONNXOperatorError("A' is \(m)×\(k) and B' is \(k2)×\(n)") }
        var out = try Tensor(shape: [m, n])
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for l in 0..<k {
                    s += a.values[ta ? l * m + i : i * k + l] * b.values[tb ? j * k + l : l * n + j]
                }
                out.values[i * n + j] = alpha * s
            }
        }
        if let cc = c.optional(2) {
            let y = try TensorOps.broadcast(out, cc, integer: false) { $0 + beta * $1 }
            guard y.shape == out.shape else { throw ONNXOperatorError("C \(cc.shape) does not broadcast to \(out.shape)") }
            out = y
        }
        return [out]
    }

    /// `MatMul` with NumPy semantics: 1-D operands promoted (and the added axis removed), the
    /// batch axes broadcast.
    static func matmul(_ c: OperatorCall) throws -> [Tensor] {
        let a0 = try c.input(0), b0 = try c.input(1)
        guard a0.rank >= 1, b0.rank >= 1 else { throw ONNXOperatorError("MatMul of scalars") }
        let aShape = a0.rank == 1 ? [1] + a0.shape : a0.shape, bShape = b0.rank == 1 ? b0.shape + [1] : b0.shape
        let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1], k2 = bShape[bShape.count - 2], n = bShape[bShape.count - 1]
        guard k == k2 else { throw ONNXOperatorError("shapes \(a0.shape) and \(b0.shape) do not multiply (\(k) ≠ \(k2))") }
        let aBatch = Array(aShape.dropLast(2)), bBatch = Array(bShape.dropLast(2))
        let batch = try TensorOps.broadcastShape(aBatch, bBatch)
        var shape = batch + [m, n]
        var out = try Tensor(shape: shape)
        let sa = TensorOps.broadcastStrides(aBatch, to: batch).map { $0 * m * k }
        let sb = TensorOps.broadcastStrides(bBatch, to: batch).map { $0 * k * n }
        TensorOps.walk(batch, sa, sb) { t, oa, ob in
            let dst = t * m * n
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for l in 0..<k { s += a0.values[oa + i * k + l] * b0.values[ob + l * n + j] }
                    out.values[dst + i * n + j] = s
                }
            }
        }
        if a0.rank == 1 { shape.remove(at: shape.count - 2) }
        if b0.rank == 1 { shape.removeLast() }
        return [try Tensor(shape: shape, values: out.values)]
    }
}
