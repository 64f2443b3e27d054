import ConvSimCore
import ConvSimCorrelation
import ConvSimTestSupport
import Testing

/// Stride and dilation (Documentation/Theory.md#stride).
@Suite struct LatticeTests {
    /// The dilated kernel as a dense one: tap `u` at `r·u`, zeros between.
    static func spread(_ k: KernelBank, _ ry: Int, _ rx: Int) -> KernelBank {
        let h = Lattice.span(k.kernelHeight, dilation: ry), w = Lattice.span(k.kernelWidth, dilation: rx)
        var v = [Double](repeating: 0, count: k.count * k.channels * h * w)
        for i in 0..<k.count { for c in 0..<k.channels { for u in 0..<k.kernelHeight { for t in 0..<k.kernelWidth {
            v[((i * k.channels + c) * h + ry * u) * w + rx * t] = k.values[((i * k.channels + c) * k.kernelHeight + u) * k.kernelWidth + t]
        } } } }
        return KernelBank(count: k.count, channels: k.channels, kernelHeight: h, kernelWidth: w, values: v)
    }

    /// Strided, dilated feature maps equal the dense maps of the spread kernel sampled every
    /// `S` positions (an independent construction), exactly on integer data; the lattice patch
    /// Gram gives their inner products within its certified bound (exactly here: integers).
    @Test func latticeMapsAndGram() throws {
        var rng = SeededRandom(seed: 31)
        for trial in 0..<60 {
            let lattice = Lattice(strideY: rng.integer(in: 1...3), strideX: rng.integer(in: 1...3),
                                  dilationY: rng.integer(in: 1...3), dilationX: rng.integer(in: 1...3))
            let c = rng.integer(in: 1...2), m = rng.integer(in: 1...3), kh = rng.integer(in: 1...3), kw = rng.integer(in: 1...3)
            let h = rng.integer(in: Lattice.span(kh, dilation: lattice.dilationY)...12)
            let w = rng.integer(in: Lattice.span(kw, dilation: lattice.dilationX)...12)
            let padding = Padding.allCases[trial % 4]
            let bank = Fixtures.integerBank(m, c, kh, kw, range: -3...3, &rng)
            let x = Fixtures.integerSignal(c, h, w, range: -5...5, &rng)
            let maps = lattice.featureMaps(input: x, kernels: bank, padding: padding)
            // Independent: dense maps of the spread kernel, then every S-th row and column.
            let dense = DirectConvolution.featureMaps(input: x, kernels: Self.spread(bank, lattice.dilationY, lattice.dilationX), padding: padding)
            let sh = Lattice.span(kh, dilation: lattice.dilationY), sw = Lattice.span(kw, dilation: lattice.dilationX)
            let rows = padding.outputLength(input: h, kernel: sh), cols = padding.outputLength(input: w, kernel: sw)
            for i in 0..<m {
                var sampled: [Double] = []
                for y in stride(from: 0, to: rows, by: lattice.strideY) { for xx in stride(from: 0, to: cols, by: lattice.strideX) { sampled.append(dense[i, y * cols + xx]) } }
                #expect(sampled == maps.row(i), "trial \(trial) kernel \(i) \(lattice) \(padding)")
            }
            let acc = LatticePatchGramAccumulator(channels: c, kernelHeight: kh, kernelWidth: kw, padding: padding, lattice: lattice)
            try acc.add(x)
            let g = CorrelationGram.gram(kernels: bank, patchGram: acc.result())
            for i in 0..<m { for j in 0..<m {
                let exact = zip(maps.row(i), maps.row(j)).reduce(0.0) { $0 + $1.0 * $1.1 }
                #expect(abs(g.gram[i, j] - exact) <= g.bound[i, j], "trial \(trial) (\(i),\(j))")
            } }
        }
    }

    /// With a bias, `<F_i + b_i, F_j + b_j>` from the Gram, the first moments and the position
    /// count equals the direct inner products of the biased maps within the certified bound,
    /// for dense and strided/dilated layers and several images.
    @Test func biasFromFirstMoments() throws {
        var rng = SeededRandom(seed: 5)
        for trial in 0..<40 {
            let lattice = trial % 2 == 0 ? Lattice() : Lattice(strideY: rng.integer(in: 1...2), strideX: rng.integer(in: 1...3),
                                                               dilationY: rng.integer(in: 1...2), dilationX: 1)
            let c = rng.integer(in: 1...2), m = rng.integer(in: 1...3), k = rng.integer(in: 1...3)
            let padding = Padding.allCases[trial % 4]
            let bank = Fixtures.integerBank(m, c, k, k, range: -3...3, &rng)
            let b = (0..<m).map { _ in Double(rng.integer(in: -4...4)) }
            let images = (0..<2).map { _ in Fixtures.integerSignal(c, 9, 8, range: -5...5, &rng) }
            let acc = LatticePatchGramAccumulator(channels: c, kernelHeight: k, kernelWidth: k, padding: padding, lattice: lattice)
            var moments = PatchMoments(order: bank.kernelLength)
            var direct = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
            for x in images {
                try acc.add(x)
                moments.add(x, kernelHeight: k, kernelWidth: k, padding: padding, lattice: lattice)
                let maps = lattice.featureMaps(input: x, kernels: bank, padding: padding)
                for i in 0..<m { for j in 0..<m {
                    direct[i][j] += zip(maps.row(i), maps.row(j)).reduce(0.0) { $0 + ($1.0 + b[i]) * ($1.1 + b[j]) }
                } }
            }
            let r = try moments.biased(CorrelationGram.gram(kernels: bank, patchGram: acc.result()), kernels: bank, bias: b)
            for i in 0..<m { for j in 0..<m {
                #expect(abs(r.gram[i, j] - direct[i][j]) <= r.bound[i, j], "trial \(trial) (\(i),\(j))")
            } }
        }
    }
}
