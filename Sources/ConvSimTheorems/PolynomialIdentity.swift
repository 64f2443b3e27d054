import BigInt
import ConvSimCore

/// Sizes of one identity instance: `M = 2` kernels of `C×kh×kw` and an input `C×H×W`.
public struct IdentityShape: Sendable, Equatable, CustomStringConvertible {
    public var channels: Int, kernelHeight: Int, kernelWidth: Int, height: Int, width: Int
    public init(channels: Int, kernelHeight: Int, kernelWidth: Int, height: Int, width: Int) {
        self.channels = channels; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.height = height; self.width = width
    }
    public var description: String {
        kernelHeight == 1 && height == 1
            ? "1-D C=\(channels) k=\(kernelWidth) L=\(width)"
            : "2-D C=\(channels) k=\(kernelHeight)×\(kernelWidth) on \(height)×\(width)"
    }
    var kernelLength: Int { channels * kernelHeight * kernelWidth }
}

/// Proof-level evidence for the pair identities `multiplier·<F_i,F_j> = formula`
/// (T1, T1b, T2), both sides being polynomials of total degree 4 in the entries of
/// `K_i`, `K_j` and `X`.
///
/// **Schwartz–Zippel.** If `P = multiplier·LHS − RHS` is a non-zero polynomial of total
/// degree `≤ deg`, a point with coordinates drawn independently and uniformly from a
/// set of `S` integers is a root with probability at most `deg/S`. Each trial evaluates
/// both sides exactly (`BigInt`) at such a point; `t` independent passing trials leave a
/// false-pass probability of at most `(deg/S)^t`, the bound reported.
///
/// **Symbolic expansion.** At small sizes both sides are expanded into `Polynomial`s with
/// exact integer coefficients; equal expansions prove the identity at that size (for all
/// real kernels and inputs of that shape), and unequal ones exhibit the monomials where
/// it fails.
public enum PolynomialIdentity {
    /// Total degree of the pair identities (two kernel entries, two input samples).
    public static let degree = 4
    /// Sample-set size `S = 2⁴⁰`: integers in `[−2³⁹, 2³⁹)`, exact in binary64 so that a
    /// failing point is a storable certificate.
    public static let sampleSetSize: Double = 0x1p40

    /// `deg/S`: the false-pass probability bound of one trial.
    public static var perTrialFalsePass: Double { Double(degree) / sampleSetSize }
    /// `(deg/S)^t`.
    public static func falsePassBound(trials t: Int) -> Double { t == 0 ? 1 : pow(perTrialFalsePass, Double(t)) }

    /// A random point (both kernels of the pair and the input).
    public static func randomInstance(_ shape: IdentityShape, padding: Padding, rng: inout SeededRandom,
                                      samePair: Bool = false) -> TheoremInstance {
        let half = Int(sampleSetSize / 2)
        func draw() -> Double { Double(rng.integer(in: -half...(half - 1))) }
        let m = shape.kernelLength
        var kv = (0..<(2 * m)).map { _ in draw() }
        if samePair { for t in 0..<m { kv[m + t] = kv[t] } }
        let bank = KernelBank(count: 2, channels: shape.channels, kernelHeight: shape.kernelHeight,
                              kernelWidth: shape.kernelWidth, values: kv)
        let x = Signal(channels: shape.channels, height: shape.height, width: shape.width,
                       values: (0..<(shape.channels * shape.height * shape.width)).map { _ in draw() })
        return TheoremInstance(kernels: bank, input: x, padding: padding, origin: "Schwartz–Zippel point, S = 2^40")
    }

    /// Both sides in exact arithmetic: `(multiplier·LHS, RHS)` for kernels `0` and `1`
    /// of an integer instance.
    public static func exactSides(_ f: any PairFormula, _ inst: TheoremInstance, i: Int = 0, j: Int = 1) -> (lhs: BigInt, rhs: BigInt)? {
        guard let k = RingBank<BigInt>(exactly: inst.kernels), let x = RingSignal<BigInt>(exactly: inst.input) else { return nil }
        let l = DirectInnerProduct().evaluate(k, i, j, x, padding: inst.padding, magnitude: false)
        let r = f.evaluate(k, i, j, x, padding: inst.padding, magnitude: false)
        return (BigInt(f.multiplier) * l, r)
    }

    /// Symbolic banks and input: variables `0..<2m` are the entries of `K_0, K_1` (or
    /// `0..<m` of the single kernel when `samePair`), then the input samples.
    static func symbolic(_ shape: IdentityShape, samePair: Bool) -> (RingBank<Polynomial>, RingSignal<Polynomial>) {
        let m = shape.kernelLength
        let kvars = (0..<(2 * m)).map { Polynomial(variable: samePair ? $0 % m : $0) }
        let bank = RingBank(count: 2, channels: shape.channels, kernelHeight: shape.kernelHeight,
                            kernelWidth: shape.kernelWidth, values: kvars)
        let base = samePair ? m : 2 * m
        let n = shape.channels * shape.height * shape.width
        let x = RingSignal(channels: shape.channels, height: shape.height, width: shape.width,
                           values: (0..<n).map { Polynomial(variable: base + $0) })
        return (bank, x)
    }

    /// The symbolic expansion of `multiplier·LHS` and `RHS` in all entries.
    public static func expand(_ f: any PairFormula, _ shape: IdentityShape, padding: Padding,
                              samePair: Bool = false) -> (lhs: Polynomial, rhs: Polynomial) {
        let (k, x) = symbolic(shape, samePair: samePair)
        let l = DirectInnerProduct().evaluate(k, 0, 1, x, padding: padding, magnitude: false)
        let r = f.evaluate(k, 0, 1, x, padding: padding, magnitude: false)
        return (Polynomial(integer: f.multiplier) * l, r)
    }

    /// `<F_0, F_1>` of fixed integer kernels as a polynomial in the input samples only.
    public static func expandInInput(kernels: KernelBank, i: Int = 0, j: Int = 1, height: Int, width: Int,
                                     padding: Padding) -> Polynomial? {
        guard let kb = RingBank<BigInt>(exactly: kernels) else { return nil }
        let k = kb.map { Polynomial(constant: $0) }
        let n = kernels.channels * height * width
        let x = RingSignal(channels: kernels.channels, height: height, width: width,
                           values: (0..<n).map { Polynomial(variable: $0) })
        return DirectInnerProduct().evaluate(k, i, j, x, padding: padding, magnitude: false)
    }

    /// An input on which a non-zero quadratic form `q` of the input samples is non-zero:
    /// a monomial `x_a x_b` (or `x_a²`) with non-zero coefficient gives it among
    /// `e_a`, `e_b`, `e_a + e_b` (since `q(e_a+e_b) = q(e_a) + q(e_b) + coef(x_a x_b)`).
    public static func witness(for q: Polynomial, count n: Int) -> [Double]? {
        guard let mono = q.terms.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }).first(where: { $0.count == 2 }) else { return nil }
        let a = mono[0], b = mono[1]
        var candidates: [[Double]] = []
        var ea = [Double](repeating: 0, count: n); ea[a] = 1
        var eb = [Double](repeating: 0, count: n); eb[b] = 1
        var eab = ea; eab[b] += 1
        candidates = [ea, eb, eab]
        for v in candidates {
            let p = v.map { BigInt(Int($0)) }
            if q.evaluate(p) != 0 { return v }
        }
        return nil
    }
}

import Foundation
