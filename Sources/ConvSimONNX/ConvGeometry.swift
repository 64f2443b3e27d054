import ConvSimCore

/// Zero padding of a 2-D window operator, in samples: ONNX `pads = [top, left, bottom,
/// right]` (`[x1_begin, x2_begin, x1_end, x2_end]`); a 1-D operator's `[left, right]` has
/// `top = bottom = 0`.
public struct ConvPads: Sendable, Equatable, CustomStringConvertible {
    public var top: Int, left: Int, bottom: Int, right: Int
    public init(top: Int = 0, left: Int = 0, bottom: Int = 0, right: Int = 0) {
        self.top = top; self.left = left; self.bottom = bottom; self.right = right
    }
    public var isZero: Bool { top == 0 && left == 0 && bottom == 0 && right == 0 }
    public var description: String { "[\(top), \(left), \(bottom), \(right)]" }
}

/// ONNX `auto_pad`: `NOTSET` uses the explicit `pads`; `VALID` none; `SAME_UPPER` and
/// `SAME_LOWER` pad so that the output has `⌈n / stride⌉` samples, the odd sample at the end
/// (upper) or at the beginning (lower).
public enum AutoPad: String, Sendable {
    case notSet = "NOTSET", valid = "VALID", sameUpper = "SAME_UPPER", sameLower = "SAME_LOWER"
}

/// The window of a Conv or pooling node on its one or two spatial axes, as (y, x) pairs
/// (a 1-D operator has a y axis of extent 1): kernel size, strides, dilations, explicit pads
/// and `auto_pad`, validated at load time.
struct WindowGeometry: Sendable {
    var kernelY: Int, kernelX: Int
    var strideY = 1, strideX = 1
    var dilationY = 1, dilationX = 1
    var pads = ConvPads()
    var autoPad = AutoPad.notSet

    /// Strides, dilations and pads above these are refused as corrupt.
    static let maxStep = 1 << 16, maxPad = 1 << 20

    /// Reads `strides`, `dilations`, `pads` and `auto_pad` of a node with `spatial` (1 or 2)
    /// spatial axes and the given kernel size.
    init(node: ONNXNode, spatial: Int, kernelY: Int, kernelX: Int, dilations allowed: Bool = true) throws {
        guard spatial == 1 || spatial == 2 else {
            throw ONNXOperatorError("only 1-D and 2-D windows are supported (this one has \(spatial) spatial axes)")
        }
        guard kernelY >= 1, kernelX >= 1, kernelY <= Self.maxPad, kernelX <= Self.maxPad else {
            throw ONNXOperatorError("kernel size \(kernelY)×\(kernelX) is not positive or too large")
        }
        self.kernelY = kernelY; self.kernelX = kernelX
        func pair(_ key: String) throws -> (Int, Int) {
            guard let v = try node.ints(key) else { return (1, 1) }
            guard v.count == spatial, v.allSatisfy({ $0 >= 1 && $0 <= Self.maxStep }) else {
                throw ONNXOperatorError("attribute '\(key)' \(v) must hold \(spatial) values in 1…\(Self.maxStep)")
            }
            return spatial == 2 ? (v[0], v[1]) : (1, v[0])
        }
        (strideY, strideX) = try pair("strides")
        (dilationY, dilationX) = allowed ? try pair("dilations") : (1, 1)
        if let p = try node.ints("pads") {
            guard p.count == 2 * spatial, p.allSatisfy({ $0 >= 0 && $0 <= Self.maxPad }) else {
                throw ONNXOperatorError("attribute 'pads' \(p) must hold \(2 * spatial) values in 0…\(Self.maxPad)")
            }
            pads = spatial == 2 ? ConvPads(top: p[0], left: p[1], bottom: p[2], right: p[3])
                                : ConvPads(left: p[0], right: p[1])
        }
        let a = try node.string("auto_pad", default: "NOTSET")
        guard let mode = AutoPad(rawValue: a) else {
            throw ONNXOperatorError("auto_pad '\(a)' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER")
        }
        autoPad = mode
    }

    /// The pads for an input of `height × width` samples (`auto_pad` resolved).
    func resolvedPads(height: Int, width: Int) -> ConvPads {
        switch autoPad {
        case .notSet: return pads
        case .valid: return ConvPads()
        case .sameUpper, .sameLower:
            func same(_ n: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
                let out = (n + s - 1) / s
                let total = Swift.max(0, (out - 1) * s + (k - 1) * d + 1 - n)
                let begin = autoPad == .sameUpper ? total / 2 : total - total / 2
                return (begin, total - begin)
            }
            let (t, b) = height == 1 && kernelY == 1 ? (0, 0) : same(height, kernelY, strideY, dilationY)
            let (l, r) = same(width, kernelX, strideX, dilationX)
            return ConvPads(top: t, left: l, bottom: b, right: r)
        }
    }

    /// The output extent on one axis: `⌊(n + p₀ + p₁ − span) / s⌋ + 1`, or with `ceil` the
    /// ceiling, dropping a last window that would start in the end padding (PyTorch's rule).
    /// - Throws: when no window fits.
    static func outputLength(_ n: Int, kernel k: Int, stride s: Int, dilation d: Int, begin: Int, end: Int, ceil: Bool) throws -> Int {
        let span = (k - 1) * d + 1
        let room = n + begin + end - span
        guard room >= 0 else {
            throw ONNXOperatorError("the window (span \(span)) is larger than the padded input (\(n) + \(begin) + \(end) samples)")
        }
        var o = (ceil ? (room + s - 1) / s : room / s) + 1
        if ceil && (o - 1) * s >= n + begin { o -= 1 }
        return o
    }

    /// The output size for an input of `height × width` samples with the resolved `pads`.
    func outputSize(height: Int, width: Int, pads p: ConvPads, ceil: Bool = false) throws -> (Int, Int) {
        (try Self.outputLength(height, kernel: kernelY, stride: strideY, dilation: dilationY, begin: p.top, end: p.bottom, ceil: ceil),
         try Self.outputLength(width, kernel: kernelX, stride: strideX, dilation: dilationX, begin: p.left, end: p.right, ceil: ceil))
    }
}
