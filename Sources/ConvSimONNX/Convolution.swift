import ConvSimCore

/// ONNX `Conv` (cross-correlation, as every framework's "convolution") on 1-D `(N, C, L)` and
/// 2-D `(N, C, H, W)` inputs: for output channel `i` of group `g = i/(M/G)`,
///
///     Y[n, i, oy, ox] = B[i] + Σ_{c, u, v} W[i, c, u, v] · X̃[n, g·C/G + c, oy·sy + u·dy, ox·sx + v·dx]
///
/// with `X̃` the input zero-padded by `pads` (after `auto_pad`). Computed per image and group as
/// an im2col matrix `(C/G·kh·kw) × (OH·OW)` times the group's weights (BLAS `dgemm`), which is
/// deterministic for a given BLAS and thread count.
enum Convolution {
    static func conv(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0), w = try c.input(1), bias = c.optional(2)
        guard w.rank == 3 || w.rank == 4, x.rank == w.rank else {
            throw ONNXOperatorError("input of shape \(x.shape) and weight of shape \(w.shape): expected (N, C, H, W) with (M, C/group, kh, kw), or (N, C, L) with (M, C/group, k)")
        }
        let oneD = w.rank == 3
        let n = x.shape[0], cin = x.shape[1], h = oneD ? 1 : x.shape[2], wd = x.shape[x.rank - 1]
        let m = w.shape[0], cg = w.shape[1], kh = oneD ? 1 : w.shape[2], kw = w.shape[w.rank - 1]
        let g = try c.node.int("group", default: 1)
        guard g >= 1, m % g == 0, cg > 0, cin == cg * g else {
            throw ONNXOperatorError("the input has \(cin) channels, the weight \(w.shape) with group \(g) expects \(cg) × \(g); the image or the previous layer does not fit this Conv")
        }
        if let b = bias, b.count != m { throw ONNXOperatorError("bias of shape \(b.shape) for \(m) output channels") }
        let geo = try WindowGeometry(node: c.node, spatial: oneD ? 1 : 2, kernelY: kh, kernelX: kw)
        let p = geo.resolvedPads(height: h, width: wd)
        let (oh, ow) = try geo.outputSize(height: h, width: wd, pads: p)
        var out = try Tensor(shape: oneD ? [n, m, ow] : [n, m, oh, ow])
        let mg = m / g, kk = cg * kh * kw, pixels = oh * ow
        _ = try Tensor.elementCount([kk, pixels])
        var cols = [Double](repeating: 0, count: kk * pixels)
        for b in 0..<n {
            for grp in 0..<g {
                // im2col: row (c, u, v), column (oy, ox).
                for ch in 0..<cg {
                    let plane = ((b * cin) + grp * cg + ch) * h * wd
                    for u in 0..<kh {
                        for v in 0..<kw {
                            let row = ((ch * kh + u) * kw + v) * pixels
                            for oy in 0..<oh {
                                let iy = oy * geo.strideY - p.top + u * geo.dilationY
                                let base = row + oy * ow
                                if iy < 0 || iy >= h {
                                    for ox in 0..<ow { cols[base + ox] = 0 }
                                    continue
                                }
                                for ox in 0..<ow {
                                    let ix = ox * geo.strideX - p.left + v * geo.dilationX
                                    cols[base + ox] = ix >= 0 && ix < wd ? x.values[plane + iy * wd + ix] : 0
                                }
                            }
                        }
                    }
                }
                let weights = Array(w.values[(grp * mg * kk)..<((grp + 1) * mg * kk)])
                let y = LinearAlgebra.multiply(weights, rows: mg, inner: kk, cols, columns: pixels)
                for i in 0..<mg {
                    let ch = grp * mg + i
                    let add = bias?.values[ch] ?? 0
                    let dst = (b * m + ch) * pixels
                    for k in 0..<pixels { out.values[dst + k] = y[i * pixels + k] + add }
                }
            }
        }
        return [out]
    }
}

/// `MaxPool`, `AveragePool` and `GlobalAveragePool` on 1-D and 2-D inputs.
enum Pooling {
    /// A window pool: `kernel_shape`, `strides`, `pads`, `auto_pad`, `ceil_mode`; MaxPool also
    /// `dilations`; AveragePool `count_include_pad` (the divisor counts the zero padding inside
    /// the padded extent, else only the input samples in the window).
    static func pool(_ c: OperatorCall, max isMax: Bool) throws -> [Tensor] {
        let x = try c.input(0)
        guard x.rank == 3 || x.rank == 4 else { throw ONNXOperatorError("input of shape \(x.shape); expected (N, C, H, W) or (N, C, L)") }
        let oneD = x.rank == 3
        guard let ks = try c.node.ints("kernel_shape"), ks.count == x.rank - 2 else {
            throw ONNXOperatorError("attribute 'kernel_shape' must give \(x.rank - 2) kernel size(s)")
        }
        if c.node.outputs.count > 1, c.node.outputs[1] != "" { throw ONNXOperatorError("the Indices output of MaxPool is not supported") }
        if try c.node.int("storage_order", default: 0) != 0 { throw ONNXOperatorError("storage_order = 1 is not supported") }
        let geo = try WindowGeometry(node: c.node, spatial: oneD ? 1 : 2, kernelY: oneD ? 1 : ks[0], kernelX: ks[ks.count - 1], dilations: isMax)
        if !isMax, let d = try c.node.ints("dilations"), d.contains(where: { $0 != 1 }) {
            throw ONNXOperatorError("AveragePool with dilations is not supported")
        }
        let ceil = try c.node.int("ceil_mode", default: 0) != 0
        let includePad = try c.node.int("count_include_pad", default: 0) != 0
        let n = x.shape[0], ch = x.shape[1], h = oneD ? 1 : x.shape[2], w = x.shape[x.rank - 1]
        let p = geo.resolvedPads(height: h, width: w)
        let (oh, ow) = try geo.outputSize(height: h, width: w, pads: p, ceil: ceil)
        var out = try Tensor(shape: oneD ? [n, ch, ow] : [n, ch, oh, ow])
        for plane in 0..<(n * ch) {
            let src = plane * h * w, dst = plane * oh * ow
            for oy in 0..<oh {
                let y0 = oy * geo.strideY - p.top
                for ox in 0..<ow {
                    let x0 = ox * geo.strideX - p.left
                    var acc = isMax ? -Double.infinity : 0, count = 0
                    for u in 0..<geo.kernelY {
                        let iy = y0 + u * geo.dilationY
                        guard iy >= 0 && iy < h else { continue }
                        for v in 0..<geo.kernelX {
                            let ix = x0 + v * geo.dilationX
                            guard ix >= 0 && ix < w else { continue }
                            let s = x.values[src + iy * w + ix]
                            if isMax { acc = Swift.max(acc, s) } else { acc += s }
                            count += 1
                        }
                    }
                    if !isMax {
                        let divisor = includePad
                            ? (Swift.min(y0 + geo.kernelY, h + p.bottom) - Swift.max(y0, -p.top)) * (Swift.min(x0 + geo.kernelX, w + p.right) - Swift.max(x0, -p.left))
                            : count
                        acc = divisor > 0 ? acc / Double(divisor) : 0
                    }
                    out.values[dst + oy * ow + ox] = acc
                }
            }
        }
        return [out]
    }

    /// `GlobalAveragePool`: the mean over every axis after the first two, kept as axes of 1.
    static func globalAverage(_ c: OperatorCall) throws -> [Tensor] {
        let x = try c.input(0)
        guard x.rank >= 3 else { throw ONNXOperatorError("input of shape \(x.shape); expected (N, C, …)") }
        let planes = x.shape[0] * x.shape[1], size = TensorOps.product(x.shape[2...])
        var out = try Tensor(shape: [x.shape[0], x.shape[1]] + [Int](repeating: 1, count: x.rank - 2))
        guard size > 0 else { throw ONNXOperatorError("input of shape \(x.shape) has no samples to average") }
        for k in 0..<planes {
            var s = 0.0
            for i in 0..<size { s += x.values[k * size + i] }
            out.values[k] = s / Double(size)
        }
        return [out]
    }
}
