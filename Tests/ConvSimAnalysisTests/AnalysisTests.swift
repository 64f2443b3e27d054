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
