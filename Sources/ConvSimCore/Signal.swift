/// A multichannel signal `X` with `C` channels of `H×W` samples, stored
/// channel-major, row-major (`values[(c·H + y)·W + x]`), in `Double`.
///
/// 1-D signals are the case `H = 1` (Documentation/Theory.md#conventions). Values are whatever the
/// loader produced (images: 8-bit values divided by 255).
public struct Signal: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public var values: [Double]

    public init(channels: Int, height: Int, width: Int, values: [Double]) {
        precondition(channels > 0 && height > 0 && width > 0, "Signal dimensions must be positive")
        precondition(values.count == channels * height * width, "Signal value count does not match C·H·W")
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }

    /// A zero signal of the given shape.
    public init(channels: Int, height: Int, width: Int) {
        self.init(channels: channels, height: height, width: width,
                  values: [Double](repeating: 0, count: channels * height * width))
    }

    /// A 1-D signal (`H = 1`) with `C` channels of length `L`.
    public init(oneDimensional rows: [[Double]]) {
        let l = rows.first?.count ?? 0
        self.init(channels: rows.count, height: 1, width: l, values: rows.flatMap { $0 })
    }

    @inlinable public var pixelsPerChannel: Int { height * width }

    @inlinable public func index(_ c: Int, _ y: Int, _ x: Int) -> Int { (c * height + y) * width + x }

    @inlinable public subscript(c: Int, y: Int, x: Int) -> Double {
        get { values[index(c, y, x)] }
        set { values[index(c, y, x)] = newValue }
    }

    /// The samples of one channel, row-major.
    public func channel(_ c: Int) -> ArraySlice<Double> {
        values[(c * pixelsPerChannel)..<((c + 1) * pixelsPerChannel)]
    }

    /// The crop `[y0, y0+h) × [x0, x0+w)` of every channel.
    public func cropped(y0: Int, x0: Int, height h: Int, width w: Int) -> Signal {
        precondition(y0 >= 0 && x0 >= 0 && y0 + h <= height && x0 + w <= width, "crop outside the signal")
        var out = [Double](repeating: 0, count: channels * h * w)
        for c in 0..<channels {
            for y in 0..<h {
                for x in 0..<w { out[(c * h + y) * w + x] = self[c, y0 + y, x0 + x] }
            }
        }
        return Signal(channels: channels, height: h, width: w, values: out)
    }

    /// True when every sample is finite.
    public var isFinite: Bool { values.allSatisfy { $0.isFinite } }

    /// True when every sample is an integer of magnitude below 2⁵³ (so exact in `Double`).
    public var isIntegral: Bool { values.allSatisfy { $0.isFinite && $0 == $0.rounded() && abs($0) < 9.0e15 } }

    /// The Euclidean norm of channel `c`, `‖X_c‖₂`.
    public func channelNorm(_ c: Int) -> Double {
        var s = 0.0
        for v in channel(c) { s += v * v }
        return s.squareRoot()
    }
}
