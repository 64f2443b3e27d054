import CLAPACK

/// Thin, checked wrappers over OpenBLAS (CBLAS) and LAPACKE for dense row-major
/// `Double` matrices stored as flat arrays.
public enum LinearAlgebra {
    /// `C = A·B` (or `A·Bᵀ` with `transposeB`), `A: m×k`, `B: k×n` (or `n×k`), row-major.
    /// Each entry is a dot product of length `k`: `|Ĉ − C| ≤ γ_k |A||B|` whatever
    /// order BLAS sums in.
    public static func multiply(_ a: [Double], rows m: Int, inner k: Int,
                                _ b: [Double], columns n: Int, transposeB: Bool = false) -> [Double] {
        precondition(a.count == m * k && b.count == k * n)
        var c = [Double](repeating: 0, count: m * n)
        if m == 0 || n == 0 || k == 0 { return c }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), 1.0,
                                pa.baseAddress, Int32(k), pb.baseAddress, Int32(transposeB ? k : n),
                                0.0, pc.baseAddress, Int32(n))
                }
            }
        }
        return c
    }

    /// `C += Aᵀ·A` on the upper triangle of the `n×n` matrix `C`, `A: rows×n` row-major
    /// (BLAS `dsyrk`). Call `symmetrizeUpper` once at the end.
    public static func addGramUpper(_ a: UnsafePointer<Double>, rows: Int, columns n: Int,
                                    into c: inout [Double]) {
        precondition(c.count == n * n)
        if rows == 0 { return }
        c.withUnsafeMutableBufferPointer { pc in
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(rows), 1.0,
                        a, Int32(n), 1.0, pc.baseAddress, Int32(n))
        }
    }

    /// Copies the upper triangle of a square row-major matrix onto its lower triangle.
    public static func symmetrizeUpper(_ c: inout [Double], order n: Int) {
        for i in 0..<n { for j in 0..<i { c[i * n + j] = c[j * n + i] } }
    }

    /// Eigen-decomposition of a symmetric `n×n` matrix (LAPACK `dsyevd`):
    /// eigenvalues ascending and the eigenvectors as the rows of the returned matrix.
    public static func symmetricEigen(_ a: [Double], order n: Int) throws -> (values: [Double], vectors: [Double]) {
        var w = [Double](repeating: 0, count: n)
        var z = a
        let info = z.withUnsafeMutableBufferPointer { pz in
            w.withUnsafeMutableBufferPointer { pw in
                LAPACKE_dsyevd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")),
                               Int32(n), pz.baseAddress, Int32(n), pw.baseAddress)
            }
        }
        if info != 0 { throw ConvSimError.invalidArgument("LAPACK dsyevd failed (info = \(info))") }
        // Row-major z holds eigenvectors as columns; return them as rows.
        var rows = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { rows[j * n + i] = z[i * n + j] } }
        return (w, rows)
    }
}
