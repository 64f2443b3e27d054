/// A dense real matrix of `rows × columns` entries stored row-major: entry `(i, j)` is
/// `values[i·columns + j]`. The one matrix type of the public results — Gram matrices and their
/// certified radii (`CertifiedGram`, `GramResult`), cosine matrices (`DirectConvolution.cosine`),
/// a layer's kernel and feature cosines (`LayerAnalysis`) — so that a result is data with one
/// layout. JSON and text renderers read `nested` (rows as arrays), which keeps their bytes.
///
/// Indices are the caller's: `m[i, j]` with `i ∉ 0..<rows` or `j ∉ 0..<columns` is a programming
/// error (Swift's array bounds check), never reached from a file's contents, whose shapes are
/// validated where they are read. No arithmetic here, so no rounding: every value is stored and
/// returned exactly.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    /// Row-major entries, `rows · columns` of them.
    public var values: [Double] { storage }
    @usableFromInline var storage: [Double]

    /// A `rows × columns` matrix with every entry `value` (negative sizes count as 0; a size
    /// whose entry count overflows `Int` gives the `0 × 0` matrix rather than a trap).
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        let r = max(0, rows), c = max(0, columns), (count, overflow) = r.multipliedReportingOverflow(by: c)
        self.rows = overflow ? 0 : r; self.columns = overflow ? 0 : c
        storage = [Double](repeating: value, count: overflow ? 0 : count)
    }

    /// A square matrix of order `n` with every entry `value`.
    public init(order n: Int, repeating value: Double = 0) { self.init(rows: n, columns: n, repeating: value) }

    /// The matrix of row-major `values`; nil unless there are exactly `rows · columns` of them.
    public init?(rows: Int, columns: Int, values: [Double]) {
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard rows >= 0, columns >= 0, !overflow, values.count == count else { return nil }
        self.rows = rows; self.columns = columns; storage = values
    }

    /// The square matrix of order `n` of row-major `values` (a LAPACK or BLAS result): `n²` values
    /// expected; any beyond are dropped and any missing read NaN (no trap, and no number invented).
    public init(order n: Int, rowMajor values: [Double]) {
        let n = max(0, n), (count, overflow) = n.multipliedReportingOverflow(by: n)
        rows = overflow ? 0 : n; columns = rows
        let want = overflow ? 0 : count
        storage = values.count == want ? values
            : Array(values.prefix(want)) + [Double](repeating: .nan, count: max(0, want - values.count))
    }

    /// The matrix whose rows are `nested`; nil when the rows differ in length. No rows give the
    /// `0 × 0` matrix.
    public init?(nested: [[Double]]) {
        let c = nested.first?.count ?? 0
        guard nested.allSatisfy({ $0.count == c }) else { return nil }
        rows = nested.count; columns = c; storage = nested.flatMap { $0 }
    }

    /// Entry `(i, j)`.
    @inlinable public subscript(i: Int, j: Int) -> Double {
        get { storage[i * columns + j] }
        set { storage[i * columns + j] = newValue }
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Double] { Array(values[(i * columns)..<((i + 1) * columns)]) }

    /// The largest entry (nil for an empty matrix), in four interleaved lanes: the same number as
    /// `values.max()` when no entry is NaN, in a quarter of its time (the bound of a 512×512
    /// Gram is scanned for every `gram` summary).
    public var largestEntry: Double? {
        storage.withUnsafeBufferPointer { v in
            guard let first = v.first else { return nil }
            var l0 = first, l1 = first, l2 = first, l3 = first
            var i = 0
            while i + 4 <= v.count {
                l0 = Swift.max(l0, v[i]); l1 = Swift.max(l1, v[i + 1]); l2 = Swift.max(l2, v[i + 2]); l3 = Swift.max(l3, v[i + 3])
                i += 4
            }
            while i < v.count { l0 = Swift.max(l0, v[i]); i += 1 }
            return Swift.max(Swift.max(l0, l1), Swift.max(l2, l3))
        }
    }

    /// The rows as arrays (the form of the JSON writers and text renderers).
    public var nested: [[Double]] { (0..<rows).map(row) }

    /// Whether `rows == columns`.
    public var isSquare: Bool { rows == columns }

    /// The diagonal `m[i, i]`, `i < min(rows, columns)`.
    public var diagonal: [Double] { (0..<min(rows, columns)).map { self[$0, $0] } }

    /// The same shape with `transform` applied to every entry.
    public func map(_ transform: (Double) throws -> Double) rethrows -> Matrix {
        var m = self
        m.storage = try storage.map(transform)
        return m
    }
}
