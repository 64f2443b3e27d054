import Testing
import PropertyBased
import ConvSimCore
@testable import ConvSimCorrelation

/// Documentation/Theory.md#t4-angle: for kernels at |cos| = c, the feature-map |cos| under a
/// patch Gram with extreme eigenvalues λmin, λmax is at most
/// `(λmax(1+c) − λmin(1−c)) / (λmax(1+c) + λmin(1−c))`, and the pair symmetric about the top
/// eigenvector attains it.
@Suite struct WielandtAngleTests {
    /// Cosines are invariant under an orthogonal change of basis applied to the kernels and
    /// the Gram together, so a diagonal Gram is the general case. Integer data: the only
    /// rounding is in the evaluation, `|Δcos| ≤ γ_{n+3}` (Cauchy–Schwarz on the sums) and the
    /// bound's derivative in `c` is at most 1, so `8(n + 4)u` covers both sides.
    @Test func noPairExceedsTheBound() async {
        await propertyCheck(count: 400, input: Gen.int(in: 2...8), Gen.int(in: 0...1_000_000), Gen.bool) { n, seed, nearlyOrthogonal in
            var rng = SeededRandom(seed: UInt64(seed))
            let lambda = (0..<n).map { _ in Double(1 + Int(rng.next() % 1000)) }
            var a = (0..<n).map { _ in Double(Int(rng.next() % 41) - 20) }
            var b = (0..<n).map { _ in Double(Int(rng.next() % 41) - 20) }
            if a.allSatisfy({ $0 == 0 }) { a[0] = 1 }
            if b.allSatisfy({ $0 == 0 }) { b[n - 1] = 1 }
            if nearlyOrthogonal {   // b − (a·b / a·a)a, scaled to integers: exactly orthogonal
                let ab = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }, aa = a.reduce(0) { $0 + $1 * $1 }
                b = zip(a, b).map { aa * $0.1 - ab * $0.0 }
                if b.allSatisfy({ $0 == 0 }) { return }   // b was parallel to a: no pair
            }
            func dot(_ x: [Double], _ y: [Double], _ w: [Double]) -> Double { (0..<n).reduce(0) { $0 + x[$1] * w[$1] * y[$1] } }
            let one = [Double](repeating: 1, count: n)
            let c = min(1, abs(dot(a, b, one)) / (dot(a, a, one) * dot(b, b, one)).squareRoot())
            let f = abs(dot(a, b, lambda)) / (dot(a, a, lambda) * dot(b, b, lambda)).squareRoot()
            let bound = Wielandt.bound(kernelCosine: c, lambdaMin: lambda.min()!, lambdaMax: lambda.max()!)
            let allowance = Double(8 * (n + 4)) * Double.ulpOfOne
            #expect(bound != nil)
            #expect(f <= (bound ?? -1) + allowance, "n \(n) c \(c) feature \(f) bound \(String(describing: bound))")
        }
    }

    @Test func theSymmetricPairAttainsIt() {
        let lmin = 1.0, lmax = 9.0
        for c in [0.0, 0.1, 0.3, 0.7, 0.95, 1.0] {
            // Unit kernels at angle θ = arccos c, placed at ±θ/2 about the top eigenvector.
            let h = (1 - c) / 2, g = (1 + c) / 2   // sin²(θ/2), cos²(θ/2)
            let aQb = lmax * g - lmin * h, aQa = lmax * g + lmin * h
            let attained = aQb / aQa
            let bound = Wielandt.bound(kernelCosine: c, lambdaMin: lmin, lambdaMax: lmax) ?? .nan
            #expect(abs(attained - bound) <= 4 * Double.ulpOfOne, "c \(c)")
        }
        // c = 0 is T4's bound; equal eigenvalues give back c; a singular Gram gives 1.
        #expect(Wielandt.bound(kernelCosine: 0, lambdaMin: 2, lambdaMax: 6) == Wielandt.bound(lambdaMin: 2, lambdaMax: 6))
        #expect(abs((Wielandt.bound(kernelCosine: 0.4, lambdaMin: 3, lambdaMax: 3) ?? .nan) - 0.4) <= 2 * Double.ulpOfOne)
        #expect(Wielandt.bound(kernelCosine: 0.2, lambdaMin: 0, lambdaMax: 5) == 1)
        #expect(Wielandt.bound(kernelCosine: 1.5, lambdaMin: 1, lambdaMax: 5) == nil)
        #expect(Wielandt.bound(kernelCosine: 0.5, lambdaMin: 0, lambdaMax: 0) == nil)
    }
}
