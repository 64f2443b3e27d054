import ConvSimCore

/// The preprocessing of images before the forward pass, in this order:
///
/// 1. `channelOrder`: `.bgr` reverses the channels of 3-channel inputs (OpenCV/Caffe models);
/// 2. `resize`: bilinear resampling to `H × W` with half-pixel centers — PyTorch's
///    `F.interpolate(mode="bilinear", align_corners=False, antialias=False)`: output sample
///    `o` reads the input at `max(0, (o + ½)·n/N − ½)`, neighbours clamped to the border;
/// 3. `scale`: every value multiplied by it;
/// 4. `mean`, `std`: per channel, `(x − mean_c)/std_c` (one value applies to every channel).
///
/// `InputLoader` reads 8-bit images as value/255 ∈ [0, 1] (torchvision's `ToTensor`), so the
/// default `scale` 1 gives [0, 1]; a model trained on 0…255 values wants `scale` 255, and
/// facenet-pytorch's MTCNN `(x·255 − 127.5)/128` is `scale` 255, `mean` 127.5, `std` 128.
/// `.npy` inputs go through the same steps (their values as stored).
public struct Preprocessing: Sendable, Equatable {
    public enum ChannelOrder: String, Sendable, CaseIterable { case rgb, bgr }

    public var scale: Double = 1
    public var mean: [Double] = []
    public var std: [Double] = []
    public var channelOrder: ChannelOrder = .rgb
    /// Target `(height, width)`, or nil to keep the inputs' size.
    public var resize: (height: Int, width: Int)? = nil

    public init(scale: Double = 1, mean: [Double] = [], std: [Double] = [], channelOrder: ChannelOrder = .rgb,
                resize: (height: Int, width: Int)? = nil) {
        self.scale = scale; self.mean = mean; self.std = std; self.channelOrder = channelOrder; self.resize = resize
    }

    public static func == (a: Preprocessing, b: Preprocessing) -> Bool {
        a.scale == b.scale && a.mean == b.mean && a.std == b.std && a.channelOrder == b.channelOrder
            && a.resize?.height == b.resize?.height && a.resize?.width == b.resize?.width
    }

    /// True when `apply` returns its input unchanged.
    public var isIdentity: Bool { self == Preprocessing() }

    /// The preprocessed signal.
    /// - Throws: `invalidArgument` when `mean`/`std` hold neither 1 nor `C` values, a `std` is
    ///   not positive, `bgr` meets a signal that has not 3 channels, or `resize` is not positive.
    public func apply(_ x: Signal) throws -> Signal {
        var s = x
        if channelOrder == .bgr {
            guard s.channels == 3 else { throw ConvSimError.invalidArgument("--channel-order bgr needs 3-channel inputs (this one has \(s.channels))") }
            let p = s.pixelsPerChannel
            s.values = Array(x.values[(2 * p)..<(3 * p)] + x.values[p..<(2 * p)] + x.values[0..<p])
        }
        if let r = resize {
            guard r.height > 0, r.width > 0, r.height <= 1 << 14, r.width <= 1 << 14 else {
                throw ConvSimError.invalidArgument("--resize \(r.height),\(r.width): each side must be in 1…16384")
            }
            s = Self.bilinear(s, height: r.height, width: r.width)
        }
        func perChannel(_ v: [Double], _ flag: String, _ d: Double) throws -> [Double] {
            if v.isEmpty { return [Double](repeating: d, count: s.channels) }
            if v.count == 1 { return [Double](repeating: v[0], count: s.channels) }
            guard v.count == s.channels else {
                throw ConvSimError.invalidArgument("\(flag) gives \(v.count) values for \(s.channels)-channel inputs; give 1 or \(s.channels)")
            }
            return v
        }
        let mu = try perChannel(mean, "--mean", 0), sd = try perChannel(std, "--std", 1)
        guard sd.allSatisfy({ $0 > 0 && $0.isFinite }), mu.allSatisfy(\.isFinite), scale.isFinite else {
            throw ConvSimError.invalidArgument("--std must be positive and --mean, --scale finite")
        }
        let p = s.pixelsPerChannel
        for c in 0..<s.channels {
            for i in (c * p)..<((c + 1) * p) { s.values[i] = (s.values[i] * scale - mu[c]) / sd[c] }
        }
        return s
    }

    /// Bilinear resampling with half-pixel centers (PyTorch `align_corners=False`).
    static func bilinear(_ x: Signal, height oh: Int, width ow: Int) -> Signal {
        func taps(_ n: Int, _ o: Int) -> [(Int, Int, Double)] {
            let scale = Double(n) / Double(o)
            return (0..<o).map { i in
                let src = max(0, (Double(i) + 0.5) * scale - 0.5)
                let i0 = min(Int(src), n - 1), i1 = min(i0 + 1, n - 1)
                return (i0, i1, src - Double(i0))
            }
        }
        let ty = taps(x.height, oh), tx = taps(x.width, ow)
        var out = Signal(channels: x.channels, height: oh, width: ow)
        for c in 0..<x.channels {
            for (y, (y0, y1, fy)) in ty.enumerated() {
                for (i, (x0, x1, fx)) in tx.enumerated() {
                    let top = x[c, y0, x0] * (1 - fx) + x[c, y0, x1] * fx
                    let bottom = x[c, y1, x0] * (1 - fx) + x[c, y1, x1] * fx
                    out[c, y, i] = top * (1 - fy) + bottom * fy
                }
            }
        }
        return out
    }
}
