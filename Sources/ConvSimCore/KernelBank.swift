/// A bank of `M` convolution kernels over `C` input channels, each `kh×kw`,
/// in PyTorch's **OIHW** layout (`values[((i·C + c)·kh + u)·kw + v]`), Documentation/Theory.md#conventions.
public struct KernelBank: Sendable, Equatable {
    public let count: Int          // M (output channels)
    public let channels: Int       // C (input channels)
    public let kernelHeight: Int   // kh
    public let kernelWidth: Int    // kw
    public var values: [Double]

    public init(count: Int, channels: Int, kernelHeight: Int, kernelWidth: Int, values: [Double]) {
        precondition(count > 0 && channels > 0 && kernelHeight > 0 && kernelWidth > 0,
                     "KernelBank dimensions must be positive")
        precondition(values.count == count * channels * kernelHeight * kernelWidth,
                     "KernelBank value count does not match M·C·kh·kw")
        self.count = count
        self.channels = channels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.values = values
    }

    /// A bank of 1-D kernels (`kh = 1`): `kernels[i][c]` is the length-`k` kernel of output `i`, channel `c`.
    public init(oneDimensional kernels: [[[Double]]]) {
        let m = kernels.count
        let c = kernels.first?.count ?? 0
        let k = kernels.first?.first?.count ?? 0
        self.init(count: m, channels: c, kernelHeight: 1, kernelWidth: k,
                  values: kernels.flatMap { $0.flatMap { $0 } })
    }

    /// Number of taps per kernel and channel, `kh·kw`.
    @inlinable public var taps: Int { kernelHeight * kernelWidth }
    /// Length of one flattened kernel `vec(K_i)`, `C·kh·kw`.
    @inlinable public var kernelLength: Int { channels * taps }

    @inlinable public func index(_ i: Int, _ c: Int, _ u: Int, _ v: Int) -> Int {
        ((i * channels + c) * kernelHeight + u) * kernelWidth + v
    }

    @inlinable public subscript(i: Int, c: Int, u: Int, v: Int) -> Double {
        get { values[index(i, c, u, v)] }
        set { values[index(i, c, u, v)] = newValue }
    }

    /// `vec(K_i)`, the flattened kernel `i` in `(c, u, v)` order.
    public func kernel(_ i: Int) -> ArraySlice<Double> {
        values[(i * kernelLength)..<((i + 1) * kernelLength)]
    }

    /// `|K|`: the same bank with every entry replaced by its absolute value (exact), the bank
    /// the a-priori rounding bounds are evaluated on.
    public var magnitudes: KernelBank {
        var b = self
        b.values = values.map { abs($0) }
        return b
    }

    /// The bank made of the kernels at the given indices, in that order.
    public func selecting(_ indices: [Int]) -> KernelBank {
        KernelBank(count: indices.count, channels: channels, kernelHeight: kernelHeight,
                   kernelWidth: kernelWidth, values: indices.flatMap { Array(kernel($0)) })
    }

    /// `‖K_i‖₂`.
    public func norm(_ i: Int) -> Double {
        var s = 0.0
        for v in kernel(i) { s += v * v }
        return s.squareRoot()
    }

    /// Indices of kernels that are identically zero.
    public var zeroKernels: [Int] { (0..<count).filter { i in kernel(i).allSatisfy { $0 == 0 } } }

    public var isFinite: Bool { values.allSatisfy { $0.isFinite } }
    public var isIntegral: Bool { values.allSatisfy { $0.isFinite && $0 == $0.rounded() && abs($0) < 9.0e15 } }
}

extension KernelBank {
    /// The dense bank of a grouped convolution (Documentation/Theory.md#groups): `self` holds the
    /// weights `(M, C/G, kh, kw)` of a convolution with `G` groups (PyTorch `Conv2d(groups: G)`;
    /// depthwise when `C/G = 1`), kernel `i` reading channels `g·C/G … (g+1)·C/G − 1` of its group
    /// `g = i / (M/G)`. The result is `(M, C, kh, kw)` with each kernel placed on its group's
    /// channels and zeros elsewhere — the same feature maps, so every formula for ordinary
    /// convolutions applies exactly.
    /// - Throws: `invalidArgument` unless `G ≥ 1` divides `M` and `C/G = channels`.
    public func embedded(groups g: Int) throws -> KernelBank {
        guard g >= 1, count % g == 0 else {
            throw ConvSimError.invalidArgument("--groups \(g) must divide the \(count) output channels")
        }
        let (total, overflow) = channels.multipliedReportingOverflow(by: g)
        guard !overflow, total <= 1 << 16 else {
            throw ConvSimError.invalidArgument("--groups \(g) with \(channels) channels per group gives too many input channels")
        }
        if g == 1 { return self }
        let perGroup = count / g, taps = kernelHeight * kernelWidth
        var values = [Double](repeating: 0, count: count * total * taps)
        for i in 0..<count {
            let group = i / perGroup
            for c in 0..<channels {
                let src = (i * channels + c) * taps, dst = (i * total + group * channels + c) * taps
                for t in 0..<taps { values[dst + t] = self.values[src + t] }
            }
        }
        return KernelBank(count: count, channels: total, kernelHeight: kernelHeight, kernelWidth: kernelWidth, values: values)
    }
}
