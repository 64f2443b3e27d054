/// The direct (summation) reference: feature maps, their Gram matrix and the
/// patch Gram, computed straight from the definitions of Documentation/Theory.md#conventions with no
/// transform. Slow and obviously correct; every fast path is checked against it.
public enum DirectConvolution {

    /// Output shape `(outH, outW)` of a bank on an input under `padding`.
    public static func outputShape(input: Signal, kernels: KernelBank, padding: Padding) -> (Int, Int) {
        (padding.outputLength(input: input.height, kernel: kernels.kernelHeight),
         padding.outputLength(input: input.width, kernel: kernels.kernelWidth))
    }

    /// Fills `patch` with the padded input patch read by output offset `(sy, sx)`:
    /// `patch[(c·kh + u)·kw + v] = X̃_c(sy + u, sx + v)` (zero outside, or wrapped
    /// for circular padding).
    @inlinable
    public static func gatherPatch(_ x: Signal, sy: Int, sx: Int, kh: Int, kw: Int,
                                   circular: Bool, into patch: inout [Double]) {
        Lattice().gatherPatch(x, sy: sy, sx: sx, kh: kh, kw: kw, circular: circular, into: &patch)
    }

    /// Feature maps `F_i(p) = Σ_c Σ_u K[i,c](u) · X̃_c(p + u − o)`: row `i` is `F_i` flattened
    /// row-major over the output grid (`M × P`). Each entry is one dot product of length
    /// `C·kh·kw` in binary64 (error within `γ_{C·kh·kw} Σ|K||X̃|`, Documentation/Theory.md#bounds).
    /// An input with other channels than the kernels gives NaN maps (callers on untrusted
    /// inputs check channels first: `DirectGramAccumulator.add` throws).
    public static func featureMaps(input x: Signal, kernels k: KernelBank, padding: Padding) -> Matrix {
        let ry = padding.offsets(input: x.height, kernel: k.kernelHeight)
        let rx = padding.offsets(input: x.width, kernel: k.kernelWidth)
        let n = ry.count * rx.count
        guard x.channels == k.channels else { return Matrix(rows: k.count, columns: n, repeating: .nan) }
        var maps = Matrix(rows: k.count, columns: n)
        var patch = [Double](repeating: 0, count: k.kernelLength)
        var p = 0
        for sy in ry {
            for sx in rx {
                gatherPatch(x, sy: sy, sx: sx, kh: k.kernelHeight, kw: k.kernelWidth,
                            circular: padding.isCircular, into: &patch)
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

    /// The feature-map Gram `G_ij = Σ_inputs <F_i, F_j>` summed over `inputs`, computed directly
    /// (feature maps, then inner products), with an a-priori bound on the rounding error of every
    /// entry (`DirectGramAccumulator`). An input whose channels differ from the kernels' makes
    /// every entry NaN, so that every check made with it fails (callers on untrusted inputs use
    /// the accumulator, which throws).
    public static func certifiedGram(inputs: [Signal], kernels k: KernelBank, padding: Padding) -> CertifiedGram {
        DirectGramAccumulator(kernels: k, padding: padding).addingAll(inputs)
    }

    /// The patch Gram `𝐆^P[(c,u),(c',v)] = Σ_{p∈Ω_P} X̃_c(p+u−o) X̃_c'(p+v−o)`
    /// (Documentation/Theory.md#patch-gram), a symmetric PSD matrix of order `C·kh·kw`, row-major,
    /// summed over `inputs`. `<F_i, F_j> = vec(K_i)ᵀ 𝐆^P vec(K_j)` for every padding.
    public static func patchGram(inputs: [Signal], kernelHeight kh: Int, kernelWidth kw: Int,
                                 padding: Padding) -> [Double] {
        guard let c = inputs.first?.channels else { return [] }
        let n = c * kh * kw
        var g = [Double](repeating: 0, count: n * n)
        var patch = [Double](repeating: 0, count: n)
        for x in inputs {
            for sy in padding.offsets(input: x.height, kernel: kh) {
                for sx in padding.offsets(input: x.width, kernel: kw) {
                    gatherPatch(x, sy: sy, sx: sx, kh: kh, kw: kw, circular: padding.isCircular, into: &patch)
                    for a in 0..<n where patch[a] != 0 {
                        let pa = patch[a]
                        for b in 0..<n { g[a * n + b] += pa * patch[b] }
                    }
                }
            }
        }
        return g
    }

    private struct CosineBuffers: @unchecked Sendable {
        let src: UnsafePointer<Double>
        let dst: UnsafeMutablePointer<Double>
        let diagonal: UnsafePointer<Double>
    }

    /// Cosine matrix `C_ij = G_ij / sqrt(G_ii G_jj)` of a square Gram `G`; `nan` where a feature
    /// map is zero (the cosine is undefined there). Each entry is one product, one square root
    /// and one division in binary64 (relative error at most `3u` beyond the error of `G` itself;
    /// callers that need a certified cosine use `CertifiedCosine.interval`). A non-square `g`
    /// gives its leading square block's cosines.
    public static func cosine(fromGram g: Matrix) -> Matrix {
        let m = min(g.rows, g.columns), stride = g.columns
        let diagonal = (0..<m).map { g.values[$0 * stride + $0] }
        let c = HugePages.doubles(count: m * m) { out in
            g.values.withUnsafeBufferPointer { gp in
                diagonal.withUnsafeBufferPointer { dp in
                    guard let src = gp.baseAddress, let dst = out.baseAddress, let diag = dp.baseAddress else { return }
                    let io = CosineBuffers(src: src, dst: dst, diagonal: diag)
                    // Rows in blocks of 64 on the toolkit's threads (each entry computed alone: the
                    // same bytes on any thread count), four entries at a time: the same product,
                    // square root and division per entry as one at a time (correctly rounded
                    // either way), twice as fast (M = 512: 1.0 → 0.5 ms on two cores).
                    let rowsPerBlock = 64
                    let blocks = (m + rowsPerBlock - 1) / rowsPerBlock
                    Parallel.forEach(blocks: blocks) { b in
                        for i in (b * rowsPerBlock)..<min(m, (b + 1) * rowsPerBlock) {
                            let gii = io.diagonal[i], row = io.src + i * stride, out = io.dst + i * m
                            var j = 0
                            while j + 4 <= m {
                                let d = (SIMD4(repeating: gii) * UnsafeRawPointer(io.diagonal + j).loadUnaligned(as: SIMD4<Double>.self)).squareRoot()
                                let q = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD4<Double>.self) / d
                                UnsafeMutableRawPointer(out + j).storeBytes(of: q.replacing(with: .nan, where: .!(d .> 0)), as: SIMD4<Double>.self)
                                j += 4
                            }
                            while j < m {
                                let d = (gii * io.diagonal[j]).squareRoot()
                                out[j] = d > 0 ? row[j] / d : .nan
                                j += 1
                            }
                        }
                    }
                }
            }
        }
        return Matrix(order: m, rowMajor: c)
    }
}

/// A Gram matrix with a certified radius on every entry: `|gram[i, j] − G_ij| ≤ bound[i, j]`.
public struct CertifiedGram: Sendable, Equatable {
    public var gram: Matrix
    public var bound: Matrix
    public init(gram: Matrix, bound: Matrix) { self.gram = gram; self.bound = bound }
    /// Entry `(i, j)` as a certified value.
    public subscript(i: Int, j: Int) -> Certified { Certified(gram[i, j], radius: bound[i, j]) }
}

/// The direct feature-map Gram `G_ij = Σ_inputs <F_i, F_j>` over a stream of inputs, with an
/// a-priori bound on the rounding error of every entry (one input at a time: a dataset need
/// not be in memory).
///
/// Each elementary term `K_i(a)X(a)K_j(b)X(b)` passes through a dot product of length
/// `m = C·kh·kw` for each factor, a sum over the `P` output positions of its input and a sum
/// over the `N` inputs, so (Higham Lemma 3.1) `|Ĝ_ij − G_ij| ≤ γ_{2m+P+N} Σ_inputs Σ_p
/// |F|_i(p) |F|_j(p)` with `|F|_i = Σ|K_i||X̃|` and `P` the largest output of any input; the
/// right side is itself evaluated in floating point and inflated so that it stays an upper
/// bound (Documentation/Theory.md#bounds).
public final class DirectGramAccumulator {
    public let kernels: KernelBank
    public let padding: Padding
    let certified: Bool
    let absK: [Double]
    var g: [Double], gAbs: [Double]
    var positions = 0
    public private(set) var inputs = 0

    public init(kernels: KernelBank, padding: Padding, certified: Bool = true) {
        self.kernels = kernels; self.padding = padding; self.certified = certified
        absK = kernels.values.map { abs($0) }
        g = [Double](repeating: 0, count: kernels.count * kernels.count)
        gAbs = certified ? g : []
    }

    /// Adds one input's `<F_i, F_j>`.
    /// - Throws: `channelMismatch` unless `x` has the kernels' channels (nothing is added).
    public func add(_ x: Signal, name: String = "input") throws {
        let k = kernels, m = k.count, len = k.kernelLength
        guard x.channels == k.channels else {
            throw ConvSimError.channelMismatch(inputChannels: x.channels, kernelChannels: k.channels, input: name)
        }
        let ry = padding.offsets(input: x.height, kernel: k.kernelHeight)
        let rx = padding.offsets(input: x.width, kernel: k.kernelWidth)
        positions = max(positions, ry.count * rx.count)
        inputs += 1
        var patch = [Double](repeating: 0, count: len)
        var f = [Double](repeating: 0, count: m)
        var fa = [Double](repeating: 0, count: m)
        for sy in ry {
            for sx in rx {
                DirectConvolution.gatherPatch(x, sy: sy, sx: sx, kh: k.kernelHeight, kw: k.kernelWidth,
                                              circular: padding.isCircular, into: &patch)
                for i in 0..<m {
                    var acc = 0.0, accAbs = 0.0
                    let base = i * len
                    for t in 0..<len {
                        acc += k.values[base + t] * patch[t]
                        if certified { accAbs += absK[base + t] * abs(patch[t]) }
                    }
                    f[i] = acc
                    fa[i] = accAbs
                }
                for i in 0..<m {
                    let fi = f[i]
                    for j in i..<m { g[i * m + j] += fi * f[j] }
                    if certified {
                        let fai = fa[i]
                        for j in i..<m { gAbs[i * m + j] += fai * fa[j] }
                    }
                }
            }
        }
    }

    /// Adds every input and returns the result; NaN everywhere if one has other channels.
    func addingAll(_ inputs: [Signal]) -> CertifiedGram {
        for x in inputs {
            guard (try? add(x)) != nil else {
                let nan = Matrix(order: kernels.count, repeating: .nan)
                return CertifiedGram(gram: nan, bound: nan)
            }
        }
        return result()
    }

    /// The Gram so far and its bound (zeros when not `certified`).
    public func result() -> CertifiedGram {
        let m = kernels.count
        var gram = Matrix(order: m)
        var bound = gram
        let ops = 2 * kernels.kernelLength + positions + inputs
        let gam = FloatingPointBounds.gamma(ops)
        for i in 0..<m {
            for j in i..<m {
                gram[i, j] = g[i * m + j]; gram[j, i] = g[i * m + j]
                if certified {
                    let b = gam * FloatingPointBounds.inflate(gAbs[i * m + j], operations: ops)
                    bound[i, j] = b; bound[j, i] = b
                }
            }
        }
        return CertifiedGram(gram: gram, bound: bound)
    }
}
