import ConvSimCore

/// The patch Gram of a strided and/or dilated convolution (Documentation/Theory.md#stride):
/// `𝐆^P_{S,r} = Σ_{o} x_{s(o)} x_{s(o)}ᵀ` over the output lattice only, with the dilated patches
/// `x_s[(c,u)] = X̃_c(s + r∘u)`; then `<F_i, F_j> = vec(K_i)ᵀ 𝐆^P_{S,r} vec(K_j)` exactly, as for a
/// dense convolution. Accumulated directly (patches gathered in blocks of 256 rows, one BLAS
/// rank-k update per block) — the lattice has `1/(S_y S_x)` of the positions, and the
/// correlation form does not apply to a sub-lattice without a polyphase split.
///
/// Bound: every entry is a sum of `P` products (`P` lattice positions of all images), so
/// `|Δ𝐆| ≤ γ_P |𝐆|_abs` with `|𝐆|_abs` the same sum of absolute values (equal to `𝐆` for
/// non-negative data), inflated.
public final class LatticePatchGramAccumulator {
    public let channels: Int, kernelHeight: Int, kernelWidth: Int
    public let padding: Padding
    public let lattice: Lattice
    public private(set) var images = 0
    private var matrix: [Double], absMatrix: [Double]
    private var rows = 0, sawNegative = false
    private var chunk: [Double], chunkRows = 0
    private let chunkCapacity = 256

    public init(channels: Int, kernelHeight: Int, kernelWidth: Int, padding: Padding, lattice: Lattice) {
        self.channels = channels; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.padding = padding; self.lattice = lattice
        let m = channels * kernelHeight * kernelWidth
        matrix = [Double](repeating: 0, count: m * m)
        absMatrix = matrix
        chunk = [Double](repeating: 0, count: chunkCapacity * m)
    }

    /// Adds one image. Throws on a channel mismatch or, in valid padding, a dilated kernel
    /// larger than the image.
    public func add(_ x: Signal, name: String = "input") throws {
        guard x.channels == channels else {
            throw ConvSimError.channelMismatch(inputChannels: x.channels, kernelChannels: channels, input: name)
        }
        let spanY = Lattice.span(kernelHeight, dilation: lattice.dilationY), spanX = Lattice.span(kernelWidth, dilation: lattice.dilationX)
        if padding == .valid && (spanY > x.height || spanX > x.width) {
            throw ConvSimError.kernelLargerThanInput(kernel: (spanY, spanX), input: (x.height, x.width), padding: padding)
        }
        if !sawNegative && x.values.contains(where: { $0 < 0 }) {
            flush()
            sawNegative = true
            absMatrix = matrix
        }
        let m = channels * kernelHeight * kernelWidth
        var patch = [Double](repeating: 0, count: m)
        for sy in Lattice.offsets(padding, input: x.height, kernel: kernelHeight, stride: lattice.strideY, dilation: lattice.dilationY) {
            for sx in Lattice.offsets(padding, input: x.width, kernel: kernelWidth, stride: lattice.strideX, dilation: lattice.dilationX) {
                lattice.gatherPatch(x, sy: sy, sx: sx, kh: kernelHeight, kw: kernelWidth, circular: padding.isCircular, into: &patch)
                for t in 0..<m { chunk[chunkRows * m + t] = patch[t] }
                chunkRows += 1
                if chunkRows == chunkCapacity { flush() }
            }
        }
        images += 1
    }

    private func flush() {
        guard chunkRows > 0 else { return }
        let m = channels * kernelHeight * kernelWidth
        chunk.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            LinearAlgebra.addGramUpper(base, rows: chunkRows, columns: m, into: &matrix)
        }
        if sawNegative {
            let absChunk = chunk.prefix(chunkRows * m).map(abs)
            absChunk.withUnsafeBufferPointer { p in
                guard let base = p.baseAddress else { return }
                LinearAlgebra.addGramUpper(base, rows: chunkRows, columns: m, into: &absMatrix)
            }
        }
        rows += chunkRows
        chunkRows = 0
    }

    /// The lattice patch Gram with its bound (its `toeplitz` is the matrix itself: the paper's
    /// correlation form has no counterpart on a sub-lattice).
    public func result() -> PatchGram {
        flush()
        let m = channels * kernelHeight * kernelWidth
        var g = matrix
        LinearAlgebra.symmetrizeUpper(&g, order: m)
        var a = sawNegative ? absMatrix : matrix
        LinearAlgebra.symmetrizeUpper(&a, order: m)
        let gamma = FloatingPointBounds.gamma(max(rows, 1))
        let bound = a.map { gamma * FloatingPointBounds.inflate(abs($0), operations: max(rows, 1)) }
        return PatchGram(channels: channels, kernelHeight: kernelHeight, kernelWidth: kernelWidth, padding: padding,
                         matrix: g, bound: bound, toeplitz: g, images: images)
    }
}
