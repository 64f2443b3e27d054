import ConvSimIO
import ConvSimCore
import Foundation

/// The instance families every checker draws from, in turn (Documentation/Theory.md#evidence, issue 3):
/// Gaussian, uniform `[0,1)` as in the paper's scripts, small integers, crops of the
/// natural images given with `--input`, and adversarial data (huge dynamic range,
/// constant and checkerboard images, spikes on the border, nearly cancelling kernels).
public enum InstanceKind: String, Sendable, CaseIterable {
    case gaussian, uniform, integer, image, adversarial
}

/// Sizes of a random instance.
public struct InstanceSizes: Sendable {
    public var count = 2
    public var channels: ClosedRange<Int> = 1...3
    public var kernel: ClosedRange<Int> = 1...4
    /// Extra input size beyond the kernel size (per axis).
    public var extra: ClosedRange<Int> = 0...5
    /// Probability of a 1-D instance (`H = 1`, `kh = 1`).
    public var oneDimensional = 0.5
    public init() {}
}

public enum InstanceGenerator {
    /// The kinds used for trial `t`: cycling through the families (`image` only when images exist).
    public static func kind(trial t: Int, hasImages: Bool, exactOnly: Bool) -> InstanceKind {
        if exactOnly { return .integer }
        let kinds: [InstanceKind] = hasImages ? [.gaussian, .uniform, .integer, .image, .adversarial]
                                              : [.gaussian, .uniform, .integer, .adversarial]
        return kinds[t % kinds.count]
    }

    /// A random instance of `kind` under `padding`.
    public static func make(_ kind: InstanceKind, padding: Padding, sizes: InstanceSizes = InstanceSizes(),
                            images: [NamedSignal] = [], rng: inout SeededRandom) -> TheoremInstance {
        let oneD = rng.uniform() < sizes.oneDimensional
        var c = rng.integer(in: sizes.channels)
        let kh = oneD ? 1 : rng.integer(in: sizes.kernel)
        let kw = rng.integer(in: sizes.kernel)
        let h = oneD ? 1 : kh + rng.integer(in: sizes.extra)
        let w = kw + rng.integer(in: sizes.extra) + (oneD ? 2 : 0)
        var input: Signal
        var origin = kind.rawValue
        var kernelKind = kind
        switch kind {
        case .image where !images.isEmpty:
            let img = images[rng.integer(in: 0...(images.count - 1))]
            c = min(c, img.signal.channels)
            let hh = min(h, img.signal.height), ww = min(w, img.signal.width)
            let y0 = rng.integer(in: 0...(img.signal.height - hh)), x0 = rng.integer(in: 0...(img.signal.width - ww))
            let crop = img.signal.cropped(y0: y0, x0: x0, height: hh, width: ww)
            input = Signal(channels: c, height: hh, width: ww, values: Array(crop.values[0..<(c * hh * ww)]))
            origin = "crop (\(y0),\(x0)) \(hh)×\(ww) of \(img.name), \(c) channel(s)"
            kernelKind = .gaussian
        default:
            input = Signal(channels: c, height: h, width: w, values: values(kind == .image ? .gaussian : kind, count: c * h * w, rng: &rng, isInput: true, shape: (c, h, w)))
        }
        var kv = values(kernelKind, count: sizes.count * c * min(kh, input.height) * min(kw, input.width), rng: &rng, isInput: false, shape: (c, min(kh, input.height), min(kw, input.width)))
        if kind == .adversarial && rng.uniform() < 0.5 {
            // Nearly cancelling pair: K_1 = reversed K_0 plus a tiny perturbation.
            let m = kv.count / sizes.count
            for t in 0..<m { kv[m + t] = kv[m - 1 - t] * (1 + 1e-9 * rng.gaussian()) }
        }
        let bank = KernelBank(count: sizes.count, channels: c, kernelHeight: min(kh, input.height),
                              kernelWidth: min(kw, input.width), values: kv)
        return TheoremInstance(kernels: bank, input: input, padding: padding, origin: origin)
    }

    static func values(_ kind: InstanceKind, count n: Int, rng: inout SeededRandom, isInput: Bool,
                       shape: (Int, Int, Int)) -> [Double] {
        switch kind {
        case .gaussian, .image: return (0..<n).map { _ in rng.gaussian() }
        case .uniform: return (0..<n).map { _ in rng.uniform() }
        case .integer: return (0..<n).map { _ in Double(rng.integer(in: -9...9)) }
        case .adversarial:
            switch rng.integer(in: 0...4) {
            case 0: // huge dynamic range
                return (0..<n).map { _ in rng.gaussian() * pow(10, Double(rng.integer(in: -8...8))) }
            case 1: // constant
                let v = rng.gaussian() * 100
                return [Double](repeating: v, count: n)
            case 2: // checkerboard ±1e6
                let (_, h, w) = shape
                return (0..<n).map { t in ((t % w) + (t / w) % h) % 2 == 0 ? 1e6 : -1e6 }
            case 3: // spikes on the border only
                let (_, h, w) = shape
                return (0..<n).map { t in
                    let y = (t / w) % h, x = t % w
                    return (y == 0 || y == h - 1 || x == 0 || x == w - 1) ? rng.gaussian() * 1e4 : 0
                }
            default: // positive, strongly correlated channels (like natural RGB)
                let base = (0..<(n / max(shape.0, 1))).map { _ in rng.uniform() }
                return (0..<n).map { t in base[t % base.count] + 0.05 * rng.uniform() }
            }
        }
    }
}

/// Greedy shrinking of a failing instance: fewer kernels (a pair), fewer channels,
/// smaller kernels and inputs, then simpler values (rounded to small integers, zeroed,
/// halved), keeping each change under which `fails` still holds.
public enum InstanceShrinker {
    public static func shrink(_ start: TheoremInstance, maxEvaluations: Int = 400,
                              fails: (TheoremInstance) -> Bool) -> TheoremInstance {
        var best = start
        var budget = maxEvaluations
        func attempt(_ cand: TheoremInstance?) -> Bool {
            guard let c = cand, budget > 0 else { return false }
            budget -= 1
            if fails(c) { best = c; return true }
            return false
        }
        var progress = true
        while progress && budget > 0 {
            progress = false
            if best.kernels.count > 2 { if attempt(with(best, kernels: best.kernels.selecting([0, 1]))) { progress = true; continue } }
            if best.kernels.channels > 1 {
                for c in 0..<best.kernels.channels where attempt(dropChannel(best, c)) { progress = true; break }
                if progress { continue }
            }
            for cand in smallerShapes(best) where attempt(cand) { progress = true; break }
            if progress { continue }
            for cand in simplerValues(best) where attempt(cand) { progress = true; break }
        }
        return best
    }

    static func with(_ i: TheoremInstance, kernels: KernelBank? = nil, input: Signal? = nil) -> TheoremInstance {
        var r = i
        if let k = kernels { r.kernels = k }
        if let x = input { r.input = x }
        r.origin = i.origin.hasPrefix("shrunk") ? i.origin : "shrunk from " + i.origin
        return r
    }

    static func dropChannel(_ i: TheoremInstance, _ drop: Int) -> TheoremInstance {
        let k = i.kernels, x = i.input
        let keep = (0..<k.channels).filter { $0 != drop }
        var kv: [Double] = []
        for m in 0..<k.count { for c in keep { for u in 0..<k.kernelHeight { for v in 0..<k.kernelWidth { kv.append(k[m, c, u, v]) } } } }
        var xv: [Double] = []
        for c in keep { xv += Array(x.channel(c)) }
        return with(i, kernels: KernelBank(count: k.count, channels: keep.count, kernelHeight: k.kernelHeight, kernelWidth: k.kernelWidth, values: kv),
                    input: Signal(channels: keep.count, height: x.height, width: x.width, values: xv))
    }

    static func cropKernel(_ k: KernelBank, y0: Int, x0: Int, h: Int, w: Int) -> KernelBank {
        var kv: [Double] = []
        for m in 0..<k.count { for c in 0..<k.channels { for u in 0..<h { for v in 0..<w { kv.append(k[m, c, y0 + u, x0 + v]) } } } }
        return KernelBank(count: k.count, channels: k.channels, kernelHeight: h, kernelWidth: w, values: kv)
    }

    static func smallerShapes(_ i: TheoremInstance) -> [TheoremInstance] {
        var out: [TheoremInstance] = []
        let k = i.kernels, x = i.input
        if k.kernelHeight > 1 {
            out.append(with(i, kernels: cropKernel(k, y0: 0, x0: 0, h: k.kernelHeight - 1, w: k.kernelWidth)))
            out.append(with(i, kernels: cropKernel(k, y0: 1, x0: 0, h: k.kernelHeight - 1, w: k.kernelWidth)))
        }
        if k.kernelWidth > 1 {
            out.append(with(i, kernels: cropKernel(k, y0: 0, x0: 0, h: k.kernelHeight, w: k.kernelWidth - 1)))
            out.append(with(i, kernels: cropKernel(k, y0: 0, x0: 1, h: k.kernelHeight, w: k.kernelWidth - 1)))
        }
        if x.height > max(1, k.kernelHeight) {
            out.append(with(i, input: x.cropped(y0: 0, x0: 0, height: x.height - 1, width: x.width)))
            out.append(with(i, input: x.cropped(y0: 1, x0: 0, height: x.height - 1, width: x.width)))
        }
        if x.width > max(1, k.kernelWidth) {
            out.append(with(i, input: x.cropped(y0: 0, x0: 0, height: x.height, width: x.width - 1)))
            out.append(with(i, input: x.cropped(y0: 0, x0: 1, height: x.height, width: x.width - 1)))
        }
        return out
    }

    static func simplerValues(_ i: TheoremInstance) -> [TheoremInstance] {
        var out: [TheoremInstance] = []
        let k = i.kernels, x = i.input
        func clampRound(_ v: Double) -> Double { max(-9, min(9, v.rounded())) }
        if !k.isIntegral || k.values.contains(where: { abs($0) > 9 }) {
            var kk = k; kk.values = k.values.map(clampRound); out.append(with(i, kernels: kk))
        }
        if !x.isIntegral || x.values.contains(where: { abs($0) > 9 }) {
            var xx = x; xx.values = x.values.map(clampRound); out.append(with(i, input: xx))
        }
        for t in 0..<k.values.count where k.values[t] != 0 {
            var kk = k; kk.values[t] = 0; out.append(with(i, kernels: kk))
            if abs(k.values[t]) > 1 && k.isIntegral { var k2 = k; k2.values[t] = (k.values[t] / 2).rounded(.towardZero); out.append(with(i, kernels: k2)) }
        }
        for t in 0..<x.values.count where x.values[t] != 0 {
            var xx = x; xx.values[t] = 0; out.append(with(i, input: xx))
            if abs(x.values[t]) > 1 && x.isIntegral { var x2 = x; x2.values[t] = (x.values[t] / 2).rounded(.towardZero); out.append(with(i, input: x2)) }
        }
        return out
    }
}

/// A deterministic 64-bit FNV-1a hash, to derive one generator seed per theorem and check.
func stableHash(_ s: String) -> UInt64 { FNV.hash(s.utf8) }
