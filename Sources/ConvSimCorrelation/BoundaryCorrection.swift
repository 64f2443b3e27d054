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
    public private(set) var matrix: [Double]
    private var absMatrix: [Double]
    public private(set) var rows = 0
    private var sawNegative = false
    private var chunk: [Double]
    private var absChunk: [Double]
    private var chunkRows = 0
    private let chunkCapacity = 256

    public init(channels: Int, kernelHeight: Int, kernelWidth: Int, padding: Padding) {
        precondition(padding == .valid || padding == .same, "boundary correction is for valid/same padding")
        self.channels = channels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.padding = padding
        let m = channels * kernelHeight * kernelWidth
        matrix = [Double](repeating: 0, count: m * m)
        absMatrix = matrix
        chunk = [Double](repeating: 0, count: chunkCapacity * m)
        absChunk = chunk
    }

    /// Adds the frame patches of one image.
    public func add(_ x: Signal) {
        let m = order
        let kh = kernelHeight, kw = kernelWidth
        let fullY = Padding.full.offsets(input: x.height, kernel: kh)
        let fullX = Padding.full.offsets(input: x.width, kernel: kw)
        let pY = padding.offsets(input: x.height, kernel: kh)
        let pX = padding.offsets(input: x.width, kernel: kw)
        if !sawNegative && x.values.contains(where: { $0 < 0 }) {
            // Switch to tracking |B|abs separately from now on. Everything so far came from
            // non-negative data: the flushed part of |B|abs equals B, and the rows still
            // waiting in the chunk are their own absolute values.
            sawNegative = true
            absMatrix = matrix
            for t in 0..<(chunkRows * order) { absChunk[t] = abs(chunk[t]) }
        }
        var patch = [Double](repeating: 0, count: m)
        for sy in fullY {
            let rowInside = pY.contains(sy)
            for sx in fullX {
                if rowInside && pX.contains(sx) { continue }
                DirectConvolution.gatherPatch(x, sy: sy, sx: sx, kh: kh, kw: kw, circular: false, into: &patch)
                let base = chunkRows * m
                for t in 0..<m { chunk[base + t] = patch[t] }
                if sawNegative { for t in 0..<m { absChunk[base + t] = abs(patch[t]) } }
                chunkRows += 1
                if chunkRows == chunkCapacity { flush() }
            }
        }
    }

    fileprivate func flush() {
        if chunkRows == 0 { return }
        let m = order
        chunk.withUnsafeBufferPointer { LinearAlgebra.addGramUpper($0.baseAddress!, rows: chunkRows, columns: m, into: &matrix) }
        if sawNegative {
            absChunk.withUnsafeBufferPointer { LinearAlgebra.addGramUpper($0.baseAddress!, rows: chunkRows, columns: m, into: &absMatrix) }
        }
        rows += chunkRows
        chunkRows = 0
    }

    /// Adds what `other` (same shape) accumulated. Its rows join this sum as one more term per
    /// entry; the bound of `result()` counts all rows, so it still holds.
    public func merge(_ other: BoundaryAccumulator) {
        flush()
        other.flush()
        if sawNegative || other.sawNegative {
            let mine = sawNegative ? absMatrix : matrix, theirs = other.sawNegative ? other.absMatrix : other.matrix
            absMatrix = zip(mine, theirs).map(+)
            sawNegative = true
        }
        for t in matrix.indices { matrix[t] += other.matrix[t] }
        rows += other.rows
    }

    /// `B^P` (symmetric, row-major) and its entrywise error bound.
    public func result() -> (matrix: [Double], bound: [Double]) {
        flush()
        let m = order
        var b = matrix
        LinearAlgebra.symmetrizeUpper(&b, order: m)
        var a = sawNegative ? absMatrix : matrix
        LinearAlgebra.symmetrizeUpper(&a, order: m)
        let g = FloatingPointBounds.gamma(max(rows, 1))
        let bound = a.map { g * FloatingPointBounds.inflate(abs($0), operations: max(rows, 1)) }
        return (b, bound)
    }
}
