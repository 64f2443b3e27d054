import ConvSimCore

/// Random data for property tests, reproducible from a seed.
enum Fixtures {
    static func gaussianSignal(_ c: Int, _ h: Int, _ w: Int, _ rng: inout SeededRandom) -> Signal {
        Signal(channels: c, height: h, width: w, values: (0..<(c * h * w)).map { _ in rng.gaussian() })
    }
    static func integerSignal(_ c: Int, _ h: Int, _ w: Int, range: ClosedRange<Int>, _ rng: inout SeededRandom) -> Signal {
        Signal(channels: c, height: h, width: w, values: (0..<(c * h * w)).map { _ in Double(rng.integer(in: range)) })
    }
    static func gaussianBank(_ m: Int, _ c: Int, _ kh: Int, _ kw: Int, _ rng: inout SeededRandom) -> KernelBank {
        KernelBank(count: m, channels: c, kernelHeight: kh, kernelWidth: kw,
                   values: (0..<(m * c * kh * kw)).map { _ in rng.gaussian() })
    }
    static func integerBank(_ m: Int, _ c: Int, _ kh: Int, _ kw: Int, range: ClosedRange<Int>, _ rng: inout SeededRandom) -> KernelBank {
        KernelBank(count: m, channels: c, kernelHeight: kh, kernelWidth: kw,
                   values: (0..<(m * c * kh * kw)).map { _ in Double(rng.integer(in: range)) })
    }
    /// A bank of two single-channel kernels replicated on every channel of channel `0` only.
    static func pair(_ a: [[Double]], _ b: [[Double]], channels: Int = 1) -> KernelBank {
        let kh = a.count, kw = a[0].count
        var v: [Double] = []
        for k in [a, b] {
            for c in 0..<channels { v += c == 0 ? k.flatMap { $0 } : [Double](repeating: 0, count: kh * kw) }
        }
        return KernelBank(count: 2, channels: channels, kernelHeight: kh, kernelWidth: kw, values: v)
    }
}
