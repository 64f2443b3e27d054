import ConvSimCore
import ConvSimCorrelation
import ConvSimTestSupport
import Testing

/// Grouped convolution (Documentation/Theory.md#groups): the feature maps of weights
/// `(M, C/G, kh, kw)` with `G` groups equal those of the dense bank `embedded(groups:)`.
@Suite struct GroupedConvolutionTests {
    /// Feature maps computed the grouped way — kernel `i` on its group's channels only, as
    /// PyTorch's `Conv2d(groups: G)` — equal those of the embedded dense bank exactly (integer
    /// data, every padding, random G, channels per group, sizes), and the FFT Gram of the dense
    /// bank matches their inner products within its certified bound.
    @Test func embeddedBankHasTheGroupedFeatureMaps() throws {
        var rng = SeededRandom(seed: 77)
        for trial in 0..<40 {
            let g = rng.integer(in: 1...4), perGroupChannels = rng.integer(in: 1...3), perGroupKernels = rng.integer(in: 1...3)
            let kh = rng.integer(in: 1...3), kw = rng.integer(in: 1...3)
            let h = rng.integer(in: kh...(kh + 5)), w = rng.integer(in: kw...(kw + 5))
            let padding = Padding.allCases[trial % Padding.allCases.count]
            let m = g * perGroupKernels, c = g * perGroupChannels
            let weights = Fixtures.integerBank(m, perGroupChannels, kh, kw, range: -3...3, &rng)
            let x = Fixtures.integerSignal(c, h, w, range: -4...4, &rng)
            let dense = try weights.embedded(groups: g)
            #expect(dense.channels == c && dense.count == m)
            let denseMaps = DirectConvolution.featureMaps(input: x, kernels: dense, padding: padding)
            for i in 0..<m {
                let group = i / perGroupKernels
                let slice = Signal(channels: perGroupChannels, height: h, width: w,
                                   values: Array(x.values[(group * perGroupChannels * h * w)..<((group + 1) * perGroupChannels * h * w)]))
                let one = KernelBank(count: 1, channels: perGroupChannels, kernelHeight: kh, kernelWidth: kw, values: Array(weights.kernel(i)))
                let grouped = DirectConvolution.featureMaps(input: slice, kernels: one, padding: padding).row(0)
                #expect(grouped == denseMaps.row(i), "trial \(trial) kernel \(i)")
            }
            let fft = try CorrelationGram.gram(inputs: [x], kernels: dense, padding: padding)
            for i in 0..<m { for j in 0..<m {
                let exact = zip(denseMaps.row(i), denseMaps.row(j)).reduce(0.0) { $0 + $1.0 * $1.1 }   // integers: exact
                #expect(abs(fft.gram[i, j] - exact) <= fft.bound[i, j], "trial \(trial) (\(i), \(j))")
            } }
        }
        // G must divide M.
        #expect(throws: ConvSimError.self) { try KernelBank(count: 3, channels: 1, kernelHeight: 1, kernelWidth: 1, values: [1, 2, 3]).embedded(groups: 2) }
    }
}
