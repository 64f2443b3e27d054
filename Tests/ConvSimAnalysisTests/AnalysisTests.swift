import ConvSimIO
import Foundation
import Testing
import ConvSimCore
import ConvSimCorrelation
import ConvSimSimilarity
@testable import ConvSimAnalysis

@Suite struct AnalysisTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The T5 pair (box blur on R only vs on G only): kernel cosine 0, paper CS
    /// (pairs, adjacent) exactly 0, symmetric CS positive, feature maps highly
    /// similar on astronaut.png — and orthogonal kernels within the T4 bound.
    @Test func boxBlurOnDifferentChannels() throws {
        let bank = try KernelLoader.load(path: Self.root.appendingPathComponent("data/kernels/box_r_vs_g.npy").path, layer: nil).bank
        let x = try InputLoader.loadSignals(path: Self.root.appendingPathComponent("data/images/astronaut.png").path)
        let acc = PatchGramAccumulator(channels: 3, kernelHeight: 3, kernelWidth: 3, padding: .same)
        for s in x { try acc.add(s) }
        let r = try ModelAnalysis.analyze(name: "t5", bank: bank, groupsOverride: nil, patchGram: acc.result(), inputNote: nil)
        #expect(r.kernelCosineMax == 0)
        #expect(r.cs[.pairs]!.value == 0 && r.cs[.adjacent]!.value == 0)
        #expect(r.cs[.symmetric]!.value > r.cs[.symmetric]!.bound)
        let f = try #require(r.featureCosineMax)
        #expect(f > 0.9)   // Documentation/Theory.md#t5: 0.9485 for this pair on astronaut.png
        #expect(f <= r.t4Bound!)
        #expect(r.maxFeatureCosineOfOrthogonalPairs == f)
    }

    @Test func depthwiseLayersAreRecognisedAndOverridable() throws {
        var rng = SeededRandom(seed: 3)
        let bank = KernelBank(count: 8, channels: 1, kernelHeight: 3, kernelWidth: 3, values: (0..<72).map { _ in rng.gaussian() })
        let dw = try ModelAnalysis.analyze(name: "dw", bank: bank, groupsOverride: nil, patchGram: nil, inputNote: nil)
        #expect(dw.groups == 8 && dw.groupsDetected)
        #expect(dw.cs.isEmpty && dw.redundantPairs.isEmpty)
        let two = try ModelAnalysis.analyze(name: "g2", bank: bank, groupsOverride: 2, patchGram: nil, inputNote: nil)
        #expect(two.groups == 2)
        #expect(two.redundantPairs.allSatisfy { $0.i / 4 == $0.j / 4 })
        // CS of two groups = sum of the CS of each group.
        let g0 = try ConvolutionalSimilarity.evaluate(bank.selecting([0, 1, 2, 3]), variant: .pairs, normalize: true)
        let g1 = try ConvolutionalSimilarity.evaluate(bank.selecting([4, 5, 6, 7]), variant: .pairs, normalize: true)
        #expect(abs(two.cs[.pairs]!.value - (g0.value + g1.value)) <= two.cs[.pairs]!.bound + 4 * FloatingPointBounds.unitRoundoff * two.cs[.pairs]!.value)
        #expect(throws: ConvSimError.self) { try ModelAnalysis.analyze(name: "bad", bank: bank, groupsOverride: 3, patchGram: nil, inputNote: nil) }
    }

    @Test func nonFiniteWeightsAreRefused() {
        let bank = KernelBank(count: 2, channels: 1, kernelHeight: 1, kernelWidth: 2, values: [1, .nan, 0, 1])
        #expect(throws: ConvSimError.self) { try ModelAnalysis.analyze(name: "nan", bank: bank, groupsOverride: nil, patchGram: nil, inputNote: nil) }
    }
}

@Suite struct ModelAnalysisTests {
    /// Each layer on its own inputs: a layer with activations gets the image part from them
    /// (its feature cosines those of the direct feature maps on the activations), a grouped
    /// layer from images with channels × G, a strided first layer on its lattice, and a layer
    /// whose inputs do not fit gets a note instead. (A structural check — which inputs reach
    /// which layer: other inputs change the cosines by O(1); the FFT and BLAS paths agree with
    /// the direct sums to ~1e-15 here, far inside the 1e-9 that separates the two. The
    /// numerical agreement itself is certified in ConvSimCorrelationTests.)
    @Test func layersOnTheirOwnInputs() throws {
        var rng = SeededRandom(seed: 8)
        func bank(_ m: Int, _ c: Int, _ k: Int) -> KernelBank {
            KernelBank(count: m, channels: c, kernelHeight: k, kernelWidth: k, values: (0..<(m * c * k * k)).map { _ in rng.gaussian() })
        }
        func signal(_ c: Int, _ h: Int) -> Signal {
            Signal(channels: c, height: h, width: h, values: (0..<(c * h * h)).map { _ in Double(rng.integer(in: 0...9)) })
        }
        let first = bank(4, 3, 3), second = bank(5, 4, 3), depthwise = bank(6, 1, 3), other = bank(2, 7, 1)
        let images = [signal(3, 10), signal(3, 10)]
        let acts = [signal(4, 6), signal(4, 6), signal(4, 6)]
        let lattice = Lattice(strideY: 2, strideX: 2)
        let results = try ModelAnalysis.analyzeModel(
            [("first", first), ("second", second), ("dw", depthwise), ("other", other)], images: images,
            settings: LayerSettings(lattices: ["first": lattice]),
            activations: { name in name == "second" ? (acts, "acts/second.npy") : nil })
        func cosines(_ maps: [Matrix]) -> Matrix {   // maps[image], one row per kernel
            let m = maps[0].rows
            var g = Matrix(order: m)
            for per in maps { for i in 0..<m { for j in 0..<m { g[i, j] += zip(per.row(i), per.row(j)).reduce(0.0) { $0 + $1.0 * $1.1 } } } }
            return DirectConvolution.cosine(fromGram: g)
        }
        let want1 = cosines(images.map { lattice.featureMaps(input: $0, kernels: first, padding: .same) })
        let want2 = cosines(acts.map { DirectConvolution.featureMaps(input: $0, kernels: second, padding: .same) })
        for (r, want) in [(results[0], want1), (results[1], want2)] {
            let got = try #require(r.featureCosine)
            for i in 0..<want.rows { for j in 0..<want.columns { #expect(abs(got[i, j] - want[i, j]) < 1e-9, "\(r.name) (\(i),\(j))") } }
        }
        #expect(results[1].notes.contains { $0.contains("acts/second.npy") })
        #expect(results[2].groups == 3 && results[2].featureCosine != nil)          // depthwise on RGB: G = 3
        #expect(results[3].featureCosine == nil && results[3].notes.contains { $0.contains("does not read the images") })
    }
}

@Suite struct ModelAnalysisBiasTests {
    /// A layer with a bias: its feature cosines are those of `F_i + b_i` (direct computation).
    @Test func biasEntersTheFeatureMaps() throws {
        var rng = SeededRandom(seed: 19)
        let bank = KernelBank(count: 3, channels: 2, kernelHeight: 3, kernelWidth: 3, values: (0..<54).map { _ in rng.gaussian() })
        let images = (0..<2).map { _ in Signal(channels: 2, height: 8, width: 8, values: (0..<128).map { _ in Double(rng.integer(in: 0...9)) }) }
        let bias = [0.5, -2, 3]
        let r = try ModelAnalysis.analyzeModel([("l", bank)], images: images, settings: LayerSettings(biases: ["l": bias]))[0]
        var g = Matrix(order: 3)
        for x in images {
            let maps = DirectConvolution.featureMaps(input: x, kernels: bank, padding: .same)
            for i in 0..<3 { for j in 0..<3 { g[i, j] += zip(maps.row(i), maps.row(j)).reduce(0.0) { $0 + ($1.0 + bias[i]) * ($1.1 + bias[j]) } } }
        }
        let want = DirectConvolution.cosine(fromGram: g), got = try #require(r.featureCosine)
        // Structural (which maps): a missing bias changes these cosines by O(0.1); rounding is ~1e-15.
        for i in 0..<3 { for j in 0..<3 { #expect(abs(got[i, j] - want[i, j]) < 1e-9) } }
        #expect(r.notes.contains { $0.contains("bias") })
    }
}

@Suite struct ModelAnalysisStatsTests {
    /// Dataset statistics stand in for the images in the layers they fit (same cosines, to
    /// rounding), with or without a bias (through the statistics' first moments), and a layer
    /// they do not fit gets a note.
    @Test func statisticsStandInForImages() throws {
        var rng = SeededRandom(seed: 23)
        let first = KernelBank(count: 3, channels: 2, kernelHeight: 3, kernelWidth: 3, values: (0..<54).map { _ in rng.gaussian() })
        let other = KernelBank(count: 2, channels: 2, kernelHeight: 2, kernelWidth: 2, values: (0..<16).map { _ in rng.gaussian() })
        let images = (0..<3).map { _ in Signal(channels: 2, height: 9, width: 9, values: (0..<162).map { _ in Double(rng.integer(in: 0...9)) }) }
        let builder = StatsBuilder(channels: 2, kernelHeight: 3, kernelWidth: 3, padding: .same)
        for (n, x) in images.enumerated() { try builder.add(x, name: "x\(n)") }
        let file = builder.finish()
        let stats = (gram: try DatasetStatistics.patchGram(file), moments: try DatasetStatistics.moments(file))
        for biases in [[:], ["first": [0.7, -1.3, 2.1]]] {
            let settings = LayerSettings(biases: biases)
            let fromStats = try ModelAnalysis.analyzeModel([("first", first), ("other", other)], images: [], settings: settings, stats: stats)
            let fromImages = try ModelAnalysis.analyzeModel([("first", first)], images: images, settings: settings)
            let a = try #require(fromStats[0].featureCosine), b = try #require(fromImages[0].featureCosine)
            // Structural (which data): the same images through another reduction agree to ~1e-15;
            // a bias left out changes these cosines by O(0.1).
            for i in 0..<3 { for j in 0..<3 { #expect(abs(a[i, j] - b[i, j]) < 1e-9, "bias \(!biases.isEmpty)") } }
            #expect(fromStats[1].featureCosine == nil && fromStats[1].notes.contains { $0.contains("do not fit") })
        }
    }
}

@Suite struct LayerOutputsTests {
    /// The raw CS is `convsim cs`'s (per group, summed); the feature Gram is the direct Gram of the
    /// layer's maps; the activated maps' Gram is the direct Gram of `φ(F)`.
    @Test func rawCSFeatureGramAndActivatedMaps() throws {
        var rng = SeededRandom(seed: 23)
        let bank = KernelBank(count: 4, channels: 2, kernelHeight: 3, kernelWidth: 3, values: (0..<72).map { _ in rng.gaussian() })
        let images = (0..<2).map { _ in Signal(channels: 2, height: 9, width: 7, values: (0..<126).map { _ in Double(rng.integer(in: 0...9)) }) }
        let r = try ModelAnalysis.analyzeModel([("l", bank)], images: images, settings: LayerSettings(padding: .full))[0]
        for v in CSVariant.allCases {
            let want = try ConvolutionalSimilarity.evaluate(bank, variant: v)
            let got = try #require(r.csRaw[v])
            #expect(abs(got.value - want.value) <= got.bound + want.bound)
        }
        var g = Matrix(order: 4), ga = g
        var activated: [Signal] = []
        for x in images {
            let maps = DirectConvolution.featureMaps(input: x, kernels: bank, padding: .full)
            let relu = maps.map { max($0, 0) }
            for i in 0..<4 { for j in 0..<4 {
                g[i, j] += zip(maps.row(i), maps.row(j)).reduce(0.0) { $0 + $1.0 * $1.1 }
                ga[i, j] += zip(relu.row(i), relu.row(j)).reduce(0.0) { $0 + $1.0 * $1.1 }
            } }
            activated.append(Signal(channels: 4, height: x.height + 2, width: x.width + 2, values: relu.values))
        }
        let fg = try #require(r.featureGram)
        let scale = g.values.map(abs).max() ?? 1
        // Both sides are sums of ≤ 2·99·18 products of integers and doubles: far inside 1e-10·scale.
        for i in 0..<4 { for j in 0..<4 { #expect(abs(fg[i, j] - g[i, j]) <= 1e-10 * scale) } }
        let a = try ModelAnalysis.activated("Relu", maps: activated, groups: 1)
        for i in 0..<4 { for j in 0..<4 { #expect(abs(a.gram[i, j] - ga[i, j]) <= 1e-10 * scale) } }
        #expect((a.cosineMax ?? 2) <= 1 && (a.cosineMean ?? -1) >= 0)
        // The bound at any kernel angle holds for every pair of this layer and is T4's at 0 (1e-9: a
        // structural check; the cosines and eigenvalues here are accurate to ~1e-13).
        #expect(r.orthogonalityBound(kernelCosine: 0) == r.t4Bound)
        let fc = try #require(r.featureCosine)
        for i in 0..<4 { for j in (i + 1)..<4 {
            let b = try #require(r.orthogonalityBound(kernelCosine: abs(r.kernelCosine[i, j])))
            #expect(abs(fc[i, j]) <= b + 1e-9)
        } }
    }
}
