/// Stride and dilation (PyTorch `Conv2d(stride:, dilation:)`, Documentation/Theory.md#stride):
/// the output at lattice point `o` reads the padded input at `s(o) + r∘u`, with the offsets
/// `s(o) = s₀ + S∘o` of the full-resolution map of the *dilated* kernel
/// (`k' = r(k − 1) + 1` taps in span) taken every `S` positions.
public struct Lattice: Sendable, Equatable {
    public var strideY: Int, strideX: Int
    public var dilationY: Int, dilationX: Int

    public init(strideY: Int = 1, strideX: Int = 1, dilationY: Int = 1, dilationX: Int = 1) {
        self.strideY = strideY; self.strideX = strideX; self.dilationY = dilationY; self.dilationX = dilationX
    }

    /// Stride 1 and dilation 1: every offset, contiguous taps.
    public var isDense: Bool { strideY == 1 && strideX == 1 && dilationY == 1 && dilationX == 1 }

    /// The span of a dilated kernel, `r(k − 1) + 1`.
    public static func span(_ k: Int, dilation r: Int) -> Int { r * (k - 1) + 1 }

    /// The offsets sampled on one axis: those of `padding` for the dilated span, every `stride`.
    public static func offsets(_ padding: Padding, input n: Int, kernel k: Int, stride: Int, dilation: Int) -> StrideTo<Int> {
        let all = padding.offsets(input: n, kernel: span(k, dilation: dilation))
        return Swift.stride(from: all.lowerBound, to: all.upperBound, by: Swift.max(stride, 1))
    }

    /// The patch read at offset `(sy, sx)`: `x[(c,u,v)] = X̃_c(sy + r_y·u, sx + r_x·v)` (zero
    /// outside, or wrapped for circular padding); dilation 1 is `DirectConvolution.gatherPatch`.
    @inlinable
    public func gatherPatch(_ x: Signal, sy: Int, sx: Int, kh: Int, kw: Int, circular: Bool, into patch: inout [Double]) {
        let h = x.height, w = x.width
        var t = 0
        for c in 0..<x.channels {
            for u in 0..<kh {
                var yy = sy + dilationY * u
                if circular { yy = ((yy % h) + h) % h }
                for v in 0..<kw {
                    var xx = sx + dilationX * v
                    if circular { xx = ((xx % w) + w) % w }
                    patch[t] = (yy >= 0 && yy < h && xx >= 0 && xx < w) ? x.values[(c * h + yy) * w + xx] : 0
                    t += 1
                }
            }
        }
    }

    /// The reference feature maps with stride and dilation, by direct summation (tests and
    /// small cases): `F_i(o) = Σ_c Σ_u K[i,c](u) X̃_c(s(o) + r∘u)`, row `i` of the `M × P` result,
    /// row-major over the lattice (NaN maps for an input with other channels than the kernels).
    public func featureMaps(input x: Signal, kernels k: KernelBank, padding: Padding) -> Matrix {
        let ys = Array(Lattice.offsets(padding, input: x.height, kernel: k.kernelHeight, stride: strideY, dilation: dilationY))
        let xs = Array(Lattice.offsets(padding, input: x.width, kernel: k.kernelWidth, stride: strideX, dilation: dilationX))
        guard x.channels == k.channels else { return Matrix(rows: k.count, columns: ys.count * xs.count, repeating: .nan) }
        var maps = Matrix(rows: k.count, columns: ys.count * xs.count)
        var p = 0
        var patch = [Double](repeating: 0, count: k.kernelLength)
        for sy in ys {
            for sx in xs {
                gatherPatch(x, sy: sy, sx: sx, kh: k.kernelHeight, kw: k.kernelWidth, circular: padding.isCircular, into: &patch)
                for i in 0..<k.count {
                    var acc = 0.0
                    let base = i * k.kernelLength
                    for t in 0..<k.kernelLength { acc += k.values[base + t] * patch[t] }
                    maps[i, p] = acc
                }
                p += 1
            }
        }
        return maps
    }
}
