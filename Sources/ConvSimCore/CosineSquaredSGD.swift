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
