/// Plain SGD on `L = cos(a, b)²` — the paper's Experiment 4.1 protocol
/// (Documentation/Certificates.md, "The protocol"). With `c = ⟨a,b⟩/(‖a‖‖b‖)`,
/// `∂L/∂a = 2c·(b/(‖a‖‖b‖) − c·a/‖a‖²)` and symmetrically for `b`; both kernels are
/// updated from the gradient at the current point, `p ← p − lr·g`.
///
/// The operation order is part of the definition (binary64, sums left to right from 0,
/// no fused multiply-add), so a certificate's checker can replay a run bit for bit.
public enum CosineSquaredSGD {
    public static func step(_ a: inout [Double], _ b: inout [Double], learningRate lr: Double) {
        let n = a.count
        var saa = 0.0, sbb = 0.0, sab = 0.0
        for i in 0..<n { saa = saa + a[i] * a[i] }
        for i in 0..<n { sbb = sbb + b[i] * b[i] }
        for i in 0..<n { sab = sab + a[i] * b[i] }
        let n1 = saa.squareRoot(), n2 = sbb.squareRoot()
        let c = sab / (n1 * n2)
        var ga = [Double](repeating: 0, count: n), gb = ga
        for i in 0..<n { ga[i] = (2 * c) * (b[i] / (n1 * n2) - (c * a[i]) / (n1 * n1)) }
        for i in 0..<n { gb[i] = (2 * c) * (a[i] / (n1 * n2) - (c * b[i]) / (n2 * n2)) }
        for i in 0..<n { a[i] = a[i] - lr * ga[i]; b[i] = b[i] - lr * gb[i] }
    }
}

/// One repetition of the paper's Experiment 4.1 (Documentation/Theory.md#exp-4-1, from the
/// authors' script): two kernels `U[0,1)^9`, an input `U[0,1)^64` (drawn in that order: K1,
/// K2, x), valid 1-D correlation, `CosineSquaredSGD` with learning rate 0.1 for 300 steps,
/// tracking the kernel and feature-map cosines. The one implementation: `convsim experiment
/// 4.1` and `convsim search --strategy paper-4.1` both run it.
public enum OrthogonalizationProtocol {
    public static let kernelLength = 9, signalLength = 64, steps = 300, learningRate = 0.1

    /// One repetition: the kernels before and after, the input, and the cosines at every step
    /// (`featureCurve[t]`, `kernelCurve[t]` before step `t`; the last entry after step 300).
    public struct Run: Sendable {
        public var k1Before: [Double], k2Before: [Double]
        public var k1After: [Double], k2After: [Double]
        public var x: [Double]
        public var featureCurve: [Double]
        public var kernelCurve: [Double]

        public var kernelCosineBefore: Double { kernelCurve.first ?? .nan }
        public var kernelCosineAfter: Double { kernelCurve.last ?? .nan }
        public var featureCosineBefore: Double { featureCurve.first ?? .nan }
        public var featureCosineAfter: Double { featureCurve.last ?? .nan }
    }

    /// One SGD step on `cos(K1,K2)²` with learning rate `lr` (`CosineSquaredSGD`, the
    /// protocol that certificates replay).
    public static func sgdStep(_ k1: inout [Double], _ k2: inout [Double], learningRate lr: Double = learningRate) {
        CosineSquaredSGD.step(&k1, &k2, learningRate: lr)
    }

    /// One repetition of the protocol, drawing K1, K2, x from `rng`.
    public static func run(_ rng: inout SeededRandom) -> Run {
        var k1 = OneD.uniform(kernelLength, &rng)
        var k2 = OneD.uniform(kernelLength, &rng)
        let x = OneD.uniform(signalLength, &rng)
        let b1 = k1, b2 = k2
        var curve: [Double] = [OneD.cosine(OneD.features(k1, x), OneD.features(k2, x))]
        var kcurve: [Double] = [OneD.cosine(k1, k2)]
        for _ in 0..<steps {
            sgdStep(&k1, &k2)
            curve.append(OneD.cosine(OneD.features(k1, x), OneD.features(k2, x)))
            kcurve.append(OneD.cosine(k1, k2))
        }
        return Run(k1Before: b1, k2Before: b2, k1After: k1, k2After: k2, x: x, featureCurve: curve, kernelCurve: kcurve)
    }

}
