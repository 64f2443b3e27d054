import ConvSimCore

/// Test data shared by the test targets (not part of the toolkit): random signals, banks and
/// images, reproducible from a seed.
public enum Fixtures {
    public static func gaussianSignal(_ c: Int, _ h: Int, _ w: Int, _ rng: inout SeededRandom) -> Signal {
        Signal(channels: c, height: h, width: w, values: (0..<(c * h * w)).map { _ in rng.gaussian() })
    }
    public static func integerSignal(_ c: Int, _ h: Int, _ w: Int, range: ClosedRange<Int>, _ rng: inout SeededRandom) -> Signal {
        Signal(channels: c, height: h, width: w, values: (0..<(c * h * w)).map { _ in Double(rng.integer(in: range)) })
    }
    public static func gaussianBank(_ m: Int, _ c: Int, _ kh: Int, _ kw: Int, _ rng: inout SeededRandom) -> KernelBank {
        KernelBank(count: m, channels: c, kernelHeight: kh, kernelWidth: kw,
                   values: (0..<(m * c * kh * kw)).map { _ in rng.gaussian() })
    }
    public static func integerBank(_ m: Int, _ c: Int, _ kh: Int, _ kw: Int, range: ClosedRange<Int>, _ rng: inout SeededRandom) -> KernelBank {
        KernelBank(count: m, channels: c, kernelHeight: kh, kernelWidth: kw,
                   values: (0..<(m * c * kh * kw)).map { _ in Double(rng.integer(in: range)) })
    }
    /// A bank of two single-channel kernels replicated on every channel of channel `0` only.
    public static func pair(_ a: [[Double]], _ b: [[Double]], channels: Int = 1) -> KernelBank {
        let kh = a.count, kw = a[0].count
        var v: [Double] = []
        for k in [a, b] {
            for c in 0..<channels { v += c == 0 ? k.flatMap { $0 } : [Double](repeating: 0, count: kh * kw) }
        }
        return KernelBank(count: 2, channels: channels, kernelHeight: kh, kernelWidth: kw, values: v)
    }

    public static func gaussianBank(_ m: Int, _ c: Int, _ kh: Int, _ kw: Int, seed: Int) -> KernelBank {
        var rng = SeededRandom(seed: UInt64(seed))
        return KernelBank(count: m, channels: c, kernelHeight: kh, kernelWidth: kw,
                          values: (0..<(m * c * kh * kw)).map { _ in rng.gaussian() })
    }
    /// Entries that are multiples of 1/64 (so that ±h perturbations with dyadic h are exact).
    public static func dyadicBank(_ m: Int, _ c: Int, _ kh: Int, _ kw: Int, seed: Int) -> KernelBank {
        var k = gaussianBank(m, c, kh, kw, seed: seed)
        k.values = k.values.map { ($0 * 64).rounded() / 64 }
        return k
    }
    public static func integerBank(_ m: Int, _ c: Int, _ kh: Int, _ kw: Int, seed: Int, range: ClosedRange<Int> = -3...3) -> KernelBank {
        var rng = SeededRandom(seed: UInt64(seed))
        return KernelBank(count: m, channels: c, kernelHeight: kh, kernelWidth: kw,
                          values: (0..<(m * c * kh * kw)).map { _ in Double(rng.integer(in: range)) })
    }
    /// Two kernels; kernel `a` on channel `ca`, kernel `b` on channel `cb`, zeros elsewhere.
    public static func pair(_ a: [[Double]], on ca: Int, _ b: [[Double]], on cb: Int, channels: Int) -> KernelBank {
        let kh = a.count, kw = a[0].count
        var v: [Double] = []
        for (k, ch) in [(a, ca), (b, cb)] {
            for c in 0..<channels { v += c == ch ? k.flatMap { $0 } : [Double](repeating: 0, count: kh * kw) }
        }
        return KernelBank(count: 2, channels: channels, kernelHeight: kh, kernelWidth: kw, values: v)
    }
}

/// Random integer "images" for the search tests.
public func integerImage(_ c: Int, _ h: Int, _ w: Int, seed: UInt64) -> Signal {
    var rng = SeededRandom(seed: seed)
    // Smooth-ish data (a ramp plus noise) so channels and neighbours correlate as in natural images.
    var v = [Double](repeating: 0, count: c * h * w)
    for ch in 0..<c { for y in 0..<h { for x in 0..<w {
        v[(ch * h + y) * w + x] = Double(min(255, max(0, 3 * (x + y) + 10 * ch + rng.integer(in: 0...40))))
    } } }
    return Signal(channels: c, height: h, width: w, values: v)
}

