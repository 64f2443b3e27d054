import ConvSimCore
import ConvSimCorrelation

/// One search instance: an input with integer samples (8-bit pixel values
/// 0…255, so every patch Gram entry is an integer below 2⁵³ and computed
/// exactly in `Double`), its exact patch Gram `𝐆^P` for a kernel size and a
/// padding, and that matrix's eigen-decomposition (LAPACK).
///
/// For any kernels, `<F_a, F_b> = aᵀ 𝐆 b` (Documentation/Theory.md#patch-gram), so a trial costs
/// `O(m²)`, `m = C·k²`, not a convolution of the image.
public struct PatchStatistics: Sendable {
    public let name: String
    public let input: Signal          // integer-valued (0…255 for images)
    public let kernelSize: Int
    public let padding: Padding
    public let order: Int
    /// Exact integer-valued patch Gram, row-major.
    public let gram: [Double]
    /// Eigenvalues ascending and eigenvectors (rows).
    public let eigenvalues: [Double]
    public let eigenvectors: [Double]

    /// Builds the statistics. `input` values in [0, 1] that are multiples of
    /// 1/255 are mapped back to integers 0…255 (exactly); other data are used as is
    /// (then the Gram is exact only if they are small integers).
    public init(name: String, input x: Signal, kernelSize k: Int, padding: Padding) throws {
        let integral = x.values.map { ($0 * 255).rounded() }
        let isImage = !x.isIntegral && zip(integral, x.values).allSatisfy { abs($0 / 255 - $1) <= 1e-12 }
        let data = isImage ? Signal(channels: x.channels, height: x.height, width: x.width, values: integral) : x
        guard data.isIntegral else {
            throw ConvSimError.invalidArgument("search input \(name) is not 8-bit image data (values k/255) or integers; exact certificates need integer data")
        }
        if padding == .valid && (k > x.height || k > x.width) {
            throw ConvSimError.kernelLargerThanInput(kernel: (k, k), input: (x.height, x.width), padding: padding)
        }
        // Bound on entries: (#positions)·255² must stay below 2⁵³ for exactness in Double.
        let maxAbs = data.values.map(abs).max() ?? 0
        let positions = Double(padding.outputLength(input: x.height, kernel: k) * padding.outputLength(input: x.width, kernel: k))
        guard positions * maxAbs * maxAbs < 0x1p53 else {
            throw ConvSimError.invalidArgument("input \(name) is too large for an exact patch Gram in binary64")
        }
        self.name = name
        self.input = data
        self.kernelSize = k
        self.padding = padding
        self.order = x.channels * k * k
        self.gram = DirectConvolution.patchGram(inputs: [data], kernelHeight: k, kernelWidth: k, padding: padding)
        let e = try LinearAlgebra.symmetricEigen(gram, order: order)
        eigenvalues = e.values
        eigenvectors = e.vectors
    }

    public func eigenvector(_ i: Int) -> [Double] { Array(eigenvectors[(i * order)..<((i + 1) * order)]) }

    /// `aᵀ 𝐆 b` in floating point.
    @inlinable public func form(_ a: [Double], _ b: [Double]) -> Double { Self.form(gram, order: order, a, b) }

    /// Feature-map cosine of kernels `a`, `b` (flattened `(c,u,v)`).
    public func featureCosine(_ a: [Double], _ b: [Double]) -> Double { Self.featureCosine(gram, order: order, a, b) }

    /// `aᵀ 𝐆 b` for a row-major `n×n` matrix `𝐆`, in floating point (the search's measure; claims
    /// are decided exactly, by the certificates).
    @inlinable public static func form(_ gram: [Double], order: Int, _ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        gram.withUnsafeBufferPointer { g in
            for i in 0..<order where a[i] != 0 {
                var r = 0.0
                let base = i * order
                for j in 0..<order { r += g[base + j] * b[j] }
                s += a[i] * r
            }
        }
        return s
    }

    /// `aᵀ𝐆b / √(aᵀ𝐆a · bᵀ𝐆b)`: the feature-map cosine of `a`, `b` on the data behind `𝐆`.
    public static func featureCosine(_ gram: [Double], order: Int, _ a: [Double], _ b: [Double]) -> Double {
        let ab = form(gram, order: order, a, b), aa = form(gram, order: order, a, a), bb = form(gram, order: order, b, b)
        return ab / (aa.squareRoot() * bb.squareRoot())
    }

    /// Wielandt's bound `(λmax − λmin)/(λmax + λmin)` (`Wielandt.bound`; NaN for a zero Gram).
    public var wielandtBound: Double { Wielandt.bound(ascendingEigenvalues: eigenvalues) ?? .nan }
}
