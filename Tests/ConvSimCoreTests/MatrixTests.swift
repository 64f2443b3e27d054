import ConvSimCore
import Testing

/// `Matrix`, the results' one matrix type: its row-major layout, its conversions, and that a
/// wrong shape is refused (nil) or filled with NaN, never a trap.
@Suite struct MatrixTests {
    @Test func rowMajorLayoutAndConversions() throws {
        var m = try #require(Matrix(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6]))
        #expect(m[0, 2] == 3 && m[1, 0] == 4)
        #expect(m.row(1) == [4, 5, 6])
        #expect(m.nested == [[1, 2, 3], [4, 5, 6]])
        #expect(Matrix(nested: m.nested) == m)
        m[1, 2] = -1
        #expect(m.values == [1, 2, 3, 4, 5, -1])
        #expect(m.map { 2 * $0 }.values == [2, 4, 6, 8, 10, -2])
        #expect(!m.isSquare && m.diagonal == [1, 5])
        #expect(Matrix(nested: [])?.rows == 0)
    }

    @Test func wrongShapesAreRefusedNotTrapped() {
        #expect(Matrix(rows: 2, columns: 2, values: [1, 2, 3]) == nil)
        #expect(Matrix(rows: -1, columns: 2, values: []) == nil)
        #expect(Matrix(rows: Int.max, columns: 2, values: []) == nil)
        #expect(Matrix(nested: [[1, 2], [3]]) == nil)
        let short = Matrix(order: 2, rowMajor: [1, 2, 3])
        #expect(short[0, 0] == 1 && short[1, 0] == 3 && short[1, 1].isNaN)
        #expect(Matrix(order: 2, rowMajor: [1, 2, 3, 4, 5]).values == [1, 2, 3, 4])
        #expect(Matrix(rows: -3, columns: 2).values.isEmpty)
        #expect(Matrix(rows: Int.max, columns: 3).rows == 0)
    }

    /// `cos_ij = G_ij/√(G_ii G_jj)`, NaN where a diagonal entry is 0: G = [[4, 2, 0], [2, 9, 0], [0, 0, 0]].
    @Test func cosineFromGram() throws {
        let g = try #require(Matrix(nested: [[4, 2, 0], [2, 9, 0], [0, 0, 0]]))
        let c = DirectConvolution.cosine(fromGram: g)
        #expect(c[0, 0] == 1 && c[1, 1] == 1 && c[0, 1] == 2.0 / 6 && c[1, 0] == 2.0 / 6)
        #expect(c[0, 2].isNaN && c[2, 2].isNaN)
    }

    /// The four-at-a-time cosines are, bit for bit, one product, one square root and one
    /// division per entry, NaN where the product is not positive: over random shapes (square
    /// and not, orders around the four-wide lanes and their tail) with zero, negative, tiny,
    /// huge, infinite and NaN diagonal entries.
    @Test func cosineFromGramEqualsTheEntrywiseFormula() {
        var rng = SeededRandom(seed: 21)
        let specials: [Double] = [0, -0.0, -3, 1e-300, 1e300, .infinity, .nan, 5e-324]
        for (r, c) in [(1, 1), (3, 3), (4, 4), (5, 5), (7, 9), (9, 7), (64, 64), (131, 131), (66, 70)] {
            var values = (0..<(r * c)).map { _ in rng.gaussian() * 10 }
            for i in 0..<min(r, c) {
                values[i * c + i] = rng.integer(in: 0...3) == 0 ? specials[rng.integer(in: 0...(specials.count - 1))]
                                                               : abs(rng.gaussian()) * 100
            }
            guard let g = Matrix(rows: r, columns: c, values: values) else { Issue.record("\(r)×\(c)"); continue }
            let got = DirectConvolution.cosine(fromGram: g), m = min(r, c)
            #expect(got.rows == m && got.columns == m)
            var same = true
            for i in 0..<m { for j in 0..<m {
                let d = (values[i * c + i] * values[j * c + j]).squareRoot()
                let want = d > 0 ? values[i * c + j] / d : .nan
                if got[i, j].bitPattern != want.bitPattern && !(got[i, j].isNaN && want.isNaN) { same = false }
            } }
            #expect(same, "\(r)×\(c)")
        }
    }

    /// `largestEntry` is `values.max()` for any shape and sign mix (lanes and the < 4 tail).
    @Test func largestEntryIsTheMaximum() {
        var rng = SeededRandom(seed: 7)
        for (r, c) in [(0, 0), (1, 1), (1, 3), (2, 2), (3, 5), (7, 9), (64, 65)] {
            for _ in 0..<5 {
                let values = (0..<(r * c)).map { _ in rng.gaussian() * Double(rng.integer(in: 1...1000)) - 500 }
                let m = Matrix(rows: r, columns: c, values: values)
                #expect(m?.largestEntry == values.max(), "\(r)×\(c)")
            }
        }
        #expect(Matrix(rows: 1, columns: 5, values: [-3, -1, -7, -2, -9])?.largestEntry == -1)
    }
}
