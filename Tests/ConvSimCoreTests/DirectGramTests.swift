import Testing
import ConvSimCore

/// The direct Gram over a stream of inputs: the same as over the whole list, with one bound
/// for the whole sum; a channel mismatch is an error from the accumulator and NaN (so every
/// check fails) from the list form.
@Suite struct DirectGramTests {
    @Test func streamingEqualsTheListAndTheBoundCoversIntegerTruth() throws {
        var rng = SeededRandom(seed: 77)
        // Integer data small enough that every partial sum is exact: the float Gram is exact.
        let bank = KernelBank(count: 3, channels: 2, kernelHeight: 3, kernelWidth: 2,
                              values: (0..<36).map { _ in Double(rng.integer(in: -5...5)) })
        let xs = (0..<4).map { n in Signal(channels: 2, height: 5 + n, width: 6, values: (0..<(2 * (5 + n) * 6)).map { _ in Double(rng.integer(in: -9...9)) }) }
        for padding in Padding.allCases {
            let acc = DirectGramAccumulator(kernels: bank, padding: padding)
            for x in xs { try acc.add(x) }
            let streamed = acc.result(), list = DirectConvolution.certifiedGram(inputs: xs, kernels: bank, padding: padding)
            #expect(streamed == list)
            #expect(acc.inputs == 4)
            // Exact integer Gram from the feature maps.
            var exact = [[Double]](repeating: [0, 0, 0], count: 3)
            for x in xs {
                let f = DirectConvolution.featureMaps(input: x, kernels: bank, padding: padding)
                for i in 0..<3 { for j in 0..<3 { exact[i][j] += zip(f.row(i), f.row(j)).reduce(0) { $0 + $1.0 * $1.1 } } }
            }
            for i in 0..<3 { for j in 0..<3 {
                #expect(streamed[i, j].contains(exact[i][j]))
                #expect(streamed.bound[i, j] >= 0 && streamed.bound[i, j].isFinite)
            } }
        }
    }

    @Test func channelMismatchThrowsOrPoisons() {
        let bank = KernelBank(count: 2, channels: 3, kernelHeight: 1, kernelWidth: 1, values: [1, 0, 0, 0, 1, 0])
        let x = Signal(channels: 1, height: 2, width: 2, values: [1, 2, 3, 4])
        let acc = DirectGramAccumulator(kernels: bank, padding: .valid)
        #expect(throws: ConvSimError.self) { try acc.add(x, name: "gray.png") }
        #expect(acc.inputs == 0)
        let g = DirectConvolution.certifiedGram(inputs: [x], kernels: bank, padding: .valid)
        let allNaN = g.gram.values.allSatisfy { $0.isNaN }
        #expect(allNaN)
        #expect(!g[0, 1].contains(0))
        // The reference feature maps (dense and on a lattice) poison too: M × P NaN, no trap.
        let maps = DirectConvolution.featureMaps(input: x, kernels: bank, padding: .valid)
        #expect(maps.rows == 2 && maps.columns == 4 && maps.values.allSatisfy(\.isNaN))
        let strided = Lattice(strideY: 2, strideX: 2).featureMaps(input: x, kernels: bank, padding: .valid)
        #expect(strided.rows == 2 && strided.columns == 1 && strided.values.allSatisfy(\.isNaN))
    }
}
