import Testing
@testable import ConvSimCore

/// `Finite.firstNonFinite` agrees with the element-by-element scan: nil on finite arrays
/// (extremes and subnormals included), the first bad index otherwise — wherever it falls
/// relative to the 8-lane steps and the 2¹⁶-value blocks, and on 1 or 2 threads.
@Suite(.serialized) struct FiniteTests {
    @Test func agreesWithTheScalarScan() {
        var rng = SeededRandom(seed: 2026)
        let bad: [Double] = [.nan, .infinity, -.infinity, -.nan]
        for trial in 0..<60 {
            let n = [0, 1, 7, 8, 9, 65_535, 65_536, 65_537, 200_003][trial % 9] + Int(rng.next() % 3)
            var v = (0..<n).map { _ in rng.gaussian() * [1, 1e300, 1e-310][Int(rng.next() % 3)] }
            if n > 0 { v[Int(rng.next() % UInt64(n))] = .greatestFiniteMagnitude }
            let plant = trial % 4
            if n > 0 && plant > 0 {
                for _ in 0..<plant { v[Int(rng.next() % UInt64(n))] = bad[Int(rng.next() % 4)] }
            }
            let expected = v.firstIndex { !$0.isFinite }
            for t in [1, 2] {
                #expect(Parallel.withThreads(t) { Finite.firstNonFinite(v) } == expected, "n = \(n), threads = \(t)")
            }
        }
    }

    @Test func boundariesOfBlocksAndLanes() {
        let n = 3 * Finite.block + 5
        for i in [0, 7, 8, Finite.block - 1, Finite.block, Finite.block + 1, 2 * Finite.block + 3, n - 1] {
            var v = [Double](repeating: 1, count: n)
            v[i] = .nan
            if i + 10 < n { v[i + 10] = .infinity }
            #expect(Finite.firstNonFinite(v) == i)
        }
        #expect(Finite.firstNonFinite([Double](repeating: 0, count: n)) == nil)
    }
}
