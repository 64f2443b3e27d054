import RealModule

/// A small, fast, seedable generator (SplitMix64, Steele–Lea–Flood 2014): integer
/// arithmetic only, so the same seed gives the same uniform and integer draws on every
/// platform.
///
/// **Determinism, stated precisely.** `uniform()` and `integer(in:)` are bit-identical
/// everywhere. `gaussian()` (Box–Muller) goes through the platform's libm `log` and `cos`,
/// which are not correctly rounded and may differ in the last bit between C libraries (and,
/// through CPU-specific code paths, between CPUs): Gaussian draws — and what is computed
/// from them — are the same bytes on one machine and thread setting, and equal within
/// rounding elsewhere. Outputs that the tests compare across machines are printed so that
/// such differences do not show (Documentation/Theory.md#determinism).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform on `[0, 1)` with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal by the Box–Muller transform (deterministic given the state and the C
    /// library: it uses libm's `log` and `cos`, see the type's note).
    public mutating func gaussian() -> Double {
        var u1 = uniform()
        while u1 == 0 { u1 = uniform() }
        let u2 = uniform()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// Uniform integer in `range`.
    public mutating func integer(in range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
}

@usableFromInline func _log(_ x: Double) -> Double { Double.log(x) }
@usableFromInline func _cos(_ x: Double) -> Double { Double.cos(x) }
