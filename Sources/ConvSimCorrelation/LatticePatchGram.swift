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
    private var sum: PatchRowGram

    public init(channels: Int, kernelHeight: Int, kernelWidth: Int, padding: Padding, lattice: Lattice) {
        self.channels = channels; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.padding = padding; self.lattice = lattice
        sum = PatchRowGram(order: channels * kernelHeight * kernelWidth)
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
        let m = channels * kernelHeight * kernelWidth
        var patch = [Double](repeating: 0, count: m)
        for sy in Lattice.offsets(padding, input: x.height, kernel: kernelHeight, stride: lattice.strideY, dilation: lattice.dilationY) {
            for sx in Lattice.offsets(padding, input: x.width, kernel: kernelWidth, stride: lattice.strideX, dilation: lattice.dilationX) {
                lattice.gatherPatch(x, sy: sy, sx: sx, kh: kernelHeight, kw: kernelWidth, circular: padding.isCircular, into: &patch)
                sum.add(patch)
            }
        }
        images += 1
    }

    /// The lattice patch Gram with its bound (its `toeplitz` is the matrix itself: the paper's
    /// correlation form has no counterpart on a sub-lattice).
    public func result() -> PatchGram {
        let (g, bound) = sum.result()
        return PatchGram(channels: channels, kernelHeight: kernelHeight, kernelWidth: kernelWidth, padding: padding,
                         matrix: g, bound: bound, toeplitz: g, images: images)
    }
}
