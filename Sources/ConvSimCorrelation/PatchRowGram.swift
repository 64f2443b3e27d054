import ConvSimCore

/// `Σ_rows x xᵀ` over patch rows `x ∈ ℝ^m`, gathered in blocks of 256 rows (one BLAS rank-k
/// update per block), with its bound: every entry is a sum of `F` products (`F` rows), so
/// `|Δ| ≤ γ_F |Σ|_abs`, `|Σ|_abs = Σ |x||x|ᵀ` (equal to the sum itself for non-negative data,
/// tracked separately from the first negative value on). The one implementation behind the
/// border term of T1b and the lattice patch Gram of a stride or dilation.
struct PatchRowGram {
    let order: Int
    private(set) var matrix: [Double]
    private var absMatrix: [Double]
    private(set) var rows = 0
    private var sawNegative = false
    private var chunk: [Double], absChunk: [Double]
    private var chunkRows = 0
    private let chunkCapacity = 256

    init(order m: Int) {
        order = m
        matrix = [Double](repeating: 0, count: m * m)
        absMatrix = matrix
        chunk = [Double](repeating: 0, count: chunkCapacity * m)
        absChunk = chunk
    }

    /// Adds one row (the first `order` values of `patch`).
    mutating func add(_ patch: [Double]) {
        let m = order
        if !sawNegative && patch.prefix(m).contains(where: { $0 < 0 }) {
            // From now on |Σ|abs is tracked on its own. Everything so far was non-negative: the
            // flushed part of |Σ|abs equals Σ, and the rows waiting in the chunk are their own
            // absolute values.
            sawNegative = true
            absMatrix = matrix
            for t in 0..<(chunkRows * m) { absChunk[t] = abs(chunk[t]) }
        }
        let base = chunkRows * m
        for t in 0..<m { chunk[base + t] = patch[t] }
        if sawNegative { for t in 0..<m { absChunk[base + t] = abs(patch[t]) } }
        chunkRows += 1
        if chunkRows == chunkCapacity { flush() }
    }

    mutating func flush() {
        guard chunkRows > 0 else { return }
        let m = order
        chunk.withUnsafeBufferPointer { p in
            guard let b = p.baseAddress else { return }
            LinearAlgebra.addGramUpper(b, rows: chunkRows, columns: m, into: &matrix)
        }
        if sawNegative {
            absChunk.withUnsafeBufferPointer { p in
                guard let b = p.baseAddress else { return }
                LinearAlgebra.addGramUpper(b, rows: chunkRows, columns: m, into: &absMatrix)
            }
        }
        rows += chunkRows
        chunkRows = 0
    }

    /// Adds what `other` (same order) accumulated: one more term per entry, and the bound
    /// counts all rows, so it still holds (Documentation/Theory.md#bounds).
    mutating func merge(_ other: PatchRowGram) {
        var o = other
        flush(); o.flush()
        if sawNegative || o.sawNegative {
            let mine = sawNegative ? absMatrix : matrix, theirs = o.sawNegative ? o.absMatrix : o.matrix
            absMatrix = zip(mine, theirs).map(+)
            sawNegative = true
        }
        for t in matrix.indices { matrix[t] += o.matrix[t] }
        rows += o.rows
    }

    /// The symmetric sum (row-major) and its entrywise bound.
    mutating func result() -> (matrix: [Double], bound: [Double]) {
        flush()
        var s = matrix
        LinearAlgebra.symmetrizeUpper(&s, order: order)
        var a = sawNegative ? absMatrix : matrix
        LinearAlgebra.symmetrizeUpper(&a, order: order)
        let g = FloatingPointBounds.gamma(max(rows, 1))
        return (s, a.map { g * FloatingPointBounds.inflate(abs($0), operations: max(rows, 1)) })
    }
}
