import CLAPACK

/// Thin, checked wrappers over OpenBLAS (CBLAS, and its LAPACK) for dense row-major
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
                    OpenBLAS.dgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), 1.0,
                                pa.baseAddress, Int32(k), pb.baseAddress, Int32(transposeB ? k : n),
                                0.0, pc.baseAddress, Int32(n))
                }
            }
        }
        return c
    }

    /// `C = A·B` (or `A·Bᵀ`) into `c` (`m×n`, row-major, every entry written; its previous
    /// contents are not read), `A: m×k`, `B: k×n` (`n×k` with `transposeB`): BLAS `dgemm`.
    public static func multiply(_ a: UnsafePointer<Double>, rows m: Int, inner k: Int,
                                _ b: UnsafePointer<Double>, columns n: Int, transposeB: Bool = false,
                                into c: UnsafeMutablePointer<Double>) {
        if m == 0 || n == 0 { return }
        if k == 0 { c.initialize(repeating: 0, count: m * n); return }
        OpenBLAS.dgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                       Int32(m), Int32(n), Int32(k), 1.0, a, Int32(k), b, Int32(transposeB ? k : n),
                       0.0, c, Int32(n))
    }

    /// `C += Aᵀ·A` on the upper triangle of the `n×n` matrix `C`, `A: rows×n` row-major
    /// (BLAS `dsyrk`). Call `symmetrizeUpper` once at the end.
    public static func addGramUpper(_ a: UnsafePointer<Double>, rows: Int, columns n: Int,
                                    into c: inout [Double]) {
        precondition(c.count == n * n)
        if rows == 0 { return }
        c.withUnsafeMutableBufferPointer { pc in
            OpenBLAS.dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(n), Int32(rows), 1.0,
                        a, Int32(n), 1.0, pc.baseAddress, Int32(n))
        }
    }

    /// Copies the upper triangle of a square row-major matrix onto its lower triangle.
    public static func symmetrizeUpper(_ c: inout [Double], order n: Int) {
        for i in 0..<n { for j in 0..<i { c[i * n + j] = c[j * n + i] } }
    }

    /// Eigen-decomposition of a symmetric `n×n` matrix (LAPACK `dsyevd`, OpenBLAS's own LAPACK):
    /// eigenvalues ascending and the eigenvectors as the rows of the returned matrix.
    ///
    /// LAPACK is column-major: the input is transposed into its layout (so the upper triangle read
    /// is the row-major one's, as LAPACKE's row-major call read it), and the eigenvectors LAPACK
    /// returns as columns are then the rows of the buffer read row-major. Workspace sizes come
    /// from LAPACK's own query.
    public static func symmetricEigen(_ a: [Double], order n: Int) throws -> (values: [Double], vectors: [Double]) {
        guard n > 0 else { return ([], []) }
        guard a.count == n * n, let n32 = Int32(exactly: n) else {
            throw ConvSimError.invalidArgument("symmetric eigen-decomposition: \(a.count) values for order \(n)")
        }
        var w = [Double](repeating: 0, count: n)
        var z = a
        for i in 0..<n { for j in 0..<n { z[j * n + i] = a[i * n + j] } }
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
        var order = n32, info: Int32 = 0
        // Workspace query (lwork = liwork = −1), then the decomposition.
        var workSize = 0.0, iworkSize: Int32 = 0, query: Int32 = -1
        z.withUnsafeMutableBufferPointer { pz in
            w.withUnsafeMutableBufferPointer { pw in
                OpenBLAS.dsyevd(&jobz, &uplo, &order, pz.baseAddress, &order, pw.baseAddress, &workSize, &query, &iworkSize, &query, &info, 1, 1)
            }
        }
        guard info == 0, workSize.isFinite, workSize >= 1, workSize < 1e12, iworkSize >= 1,
              let lworkCount = Int(exactly: workSize.rounded(.up)), let lwork = Int32(exactly: lworkCount) else {
            throw ConvSimError.invalidArgument("LAPACK dsyevd workspace query failed (info = \(info))")
        }
        var work = [Double](repeating: 0, count: lworkCount)
        var iwork = [Int32](repeating: 0, count: Int(iworkSize))
        var lw = lwork, liw = iworkSize
        z.withUnsafeMutableBufferPointer { pz in
            w.withUnsafeMutableBufferPointer { pw in
                work.withUnsafeMutableBufferPointer { pwork in
                    iwork.withUnsafeMutableBufferPointer { piwork in
                        OpenBLAS.dsyevd(&jobz, &uplo, &order, pz.baseAddress, &order, pw.baseAddress,
                                pwork.baseAddress, &lw, piwork.baseAddress, &liw, &info, 1, 1)
                    }
                }
            }
        }
        if info != 0 { throw ConvSimError.invalidArgument("LAPACK dsyevd failed (info = \(info))") }
        return (w, z)
    }
}
