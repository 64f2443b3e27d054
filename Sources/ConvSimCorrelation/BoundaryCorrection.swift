import ConvSimCore

/// The boundary term of T1b (Documentation/Theory.md#t1b):
/// `B^P[(c,u),(c',v)] = Σ_{s ∈ S_full \ S_P} X_c(s+u)·X_c'(s+v)`, the patch
/// products at the output offsets that full padding has and padding `P`
/// (valid or same) drops. Then `𝐆^P = 𝐑 − B^P` exactly, where
/// `𝐑[(c,u),(c',v)] = R_cc'(v − u)` is the paper's Toeplitz form.
///
/// Only pixels within `k − 1` of the border enter, so the cost is
/// `O(perimeter · k · (C·kh·kw)²)` per image through BLAS `dsyrk`, and the
/// memory is one `(C·kh·kw)²` matrix, whatever the number of images.
///
/// Error bound: every entry is a sum of `F` products (`F` = frame patches
/// accumulated), so `|ΔB| ≤ γ_F · |B|abs`, `|B|abs = Σ|patch||patch|ᵀ`
/// (equal to `B` for non-negative data such as images).
public final class BoundaryAccumulator {
    public let channels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let padding: Padding
    public var order: Int { channels * kernelHeight * kernelWidth }
    private var sum: PatchRowGram
    /// Frame patches accumulated.
    public var rows: Int { sum.rows }

    public init(channels: Int, kernelHeight: Int, kernelWidth: Int, padding: Padding) {
        precondition(padding == .valid || padding == .same, "boundary correction is for valid/same padding")
        self.channels = channels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.padding = padding
        sum = PatchRowGram(order: channels * kernelHeight * kernelWidth)
    }

    /// Adds the frame patches of one image.
    public func add(_ x: Signal) {
        let kh = kernelHeight, kw = kernelWidth
        let fullY = Padding.full.offsets(input: x.height, kernel: kh)
        let fullX = Padding.full.offsets(input: x.width, kernel: kw)
        let pY = padding.offsets(input: x.height, kernel: kh)
        let pX = padding.offsets(input: x.width, kernel: kw)
        var patch = [Double](repeating: 0, count: order)
        // In rows inside `pY`, only the columns left and right of `pX` (in order): the frame,
        // without visiting the interior.
        let leftEnd = min(max(pX.lowerBound, fullX.lowerBound), fullX.upperBound)
        let rightStart = max(min(pX.upperBound, fullX.upperBound), leftEnd)
        for sy in fullY {
            let columns = pY.contains(sy) ? [fullX.lowerBound..<leftEnd, rightStart..<fullX.upperBound] : [fullX]
            for range in columns {
                for sx in range {
                    DirectConvolution.gatherPatch(x, sy: sy, sx: sx, kh: kh, kw: kw, circular: false, into: &patch)
                    sum.add(patch)
                }
            }
        }
    }

    /// Adds what `other` (same shape) accumulated (`PatchRowGram.merge`).
    public func merge(_ other: BoundaryAccumulator) { sum.merge(other.sum) }

    /// `B^P` (symmetric, row-major) and its entrywise error bound.
    public func result() -> (matrix: [Double], bound: [Double]) { sum.result() }
}
