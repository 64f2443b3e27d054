import BigInt
import ConvSimCore

/// A kernel bank over any `TheoremRing` (OIHW layout, as `KernelBank`).
public struct RingBank<R: TheoremRing>: Sendable {
    public let count: Int, channels: Int, kernelHeight: Int, kernelWidth: Int
    public var values: [R]
    public init(count: Int, channels: Int, kernelHeight: Int, kernelWidth: Int, values: [R]) {
        precondition(values.count == count * channels * kernelHeight * kernelWidth)
        self.count = count; self.channels = channels; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.values = values
    }
    public var taps: Int { kernelHeight * kernelWidth }
    public var kernelLength: Int { channels * taps }
    @inline(__always) public subscript(i: Int, c: Int, u: Int, v: Int) -> R {
        values[((i * channels + c) * kernelHeight + u) * kernelWidth + v]
    }
    public func map<S: TheoremRing>(_ f: (R) -> S) -> RingBank<S> {
        RingBank<S>(count: count, channels: channels, kernelHeight: kernelHeight, kernelWidth: kernelWidth, values: values.map(f))
    }
}

/// A multichannel signal over any `TheoremRing` (layout of `Signal`).
public struct RingSignal<R: TheoremRing>: Sendable {
    public let channels: Int, height: Int, width: Int
    public var values: [R]
    public init(channels: Int, height: Int, width: Int, values: [R]) {
        precondition(values.count == channels * height * width)
        self.channels = channels; self.height = height; self.width = width; self.values = values
    }
    @inline(__always) public subscript(c: Int, y: Int, x: Int) -> R { values[(c * height + y) * width + x] }

    /// `X̃_c(y, x)`: the sample, zero outside the image, or wrapped when `circular`.
    @inline(__always) public func padded(_ c: Int, _ y: Int, _ x: Int, circular: Bool) -> R {
        if circular {
            return self[c, ((y % height) + height) % height, ((x % width) + width) % width]
        }
        if y < 0 || y >= height || x < 0 || x >= width { return R.zero }
        return self[c, y, x]
    }
    public func map<S: TheoremRing>(_ f: (R) -> S) -> RingSignal<S> {
        RingSignal<S>(channels: channels, height: height, width: width, values: values.map(f))
    }
}

extension RingBank where R == Double {
    public init(_ k: KernelBank) {
        self.init(count: k.count, channels: k.channels, kernelHeight: k.kernelHeight, kernelWidth: k.kernelWidth, values: k.values)
    }
}
extension RingSignal where R == Double {
    public init(_ x: Signal) { self.init(channels: x.channels, height: x.height, width: x.width, values: x.values) }
}
extension RingBank where R == BigInt {
    /// The bank in exact integers; `nil` unless every entry is an integer.
    public init?(exactly k: KernelBank) {
        var v: [BigInt] = []
        for d in k.values { guard let b = BigInt(exactly: d) else { return nil }; v.append(b) }
        self.init(count: k.count, channels: k.channels, kernelHeight: k.kernelHeight, kernelWidth: k.kernelWidth, values: v)
    }
}
extension RingSignal where R == BigInt {
    public init?(exactly x: Signal) {
        var v: [BigInt] = []
        for d in x.values { guard let b = BigInt(exactly: d) else { return nil }; v.append(b) }
        self.init(channels: x.channels, height: x.height, width: x.width, values: v)
    }
}

/// One side of a pair identity, written once for every ring: `evaluate` returns
/// `multiplier · <F_i, F_j>` when the formula is right.
///
/// `magnitude: true` asks for the same expression with every subtraction turned
/// into an addition; called on `|K|`, `|X|` it returns `Σ|terms|`, the quantity
/// the rounding-error bound `γ_n Σ|terms|` needs (`ClosedForms.roundingBound`).
public protocol PairFormula: Sendable {
    var name: String { get }
    /// The formula equals `multiplier · <F_i, F_j>` (2 for the symmetric form, which
    /// sums `T(d) + T(−d)` instead of `½(…)`, so that it stays integral).
    var multiplier: Int { get }
    func evaluate<R: TheoremRing>(_ k: RingBank<R>, _ i: Int, _ j: Int, _ x: RingSignal<R>,
                                  padding: Padding, magnitude: Bool) -> R
}

/// The building blocks of the closed forms, from the definitions of Documentation/Theory.md#conventions.
public enum ClosedForms {
    /// `T_ij,cc'(dy,dx) = Σ_u K[i,c](u)·K[j,c'](u + d)`.
    @inline(__always)
    public static func kernelCorrelation<R: TheoremRing>(_ k: RingBank<R>, _ i: Int, _ j: Int, _ c: Int, _ c2: Int,
                                                         _ dy: Int, _ dx: Int) -> R {
        var s = R.zero
        let kh = k.kernelHeight, kw = k.kernelWidth
        for uy in max(0, -dy)..<max(max(0, -dy), min(kh, kh - dy)) {
            for ux in max(0, -dx)..<max(max(0, -dx), min(kw, kw - dx)) {
                s = s + k[i, c, uy, ux] * k[j, c2, uy + dy, ux + dx]
            }
        }
        return s
    }

    /// `Σ_{c,c'} Σ_{|d| ≤ k−1} kernelTerm(c, c', d) · R_cc'(d)` (`R°` for circular padding):
    /// the lag sum shared by the right sides of T1 and T2.
    public static func sumOverLags<R: TheoremRing>(_ k: RingBank<R>, _ x: RingSignal<R>, padding: Padding,
                                                   kernelTerm: (Int, Int, Int, Int) -> R) -> R {
        let kh = k.kernelHeight, kw = k.kernelWidth
        var s = R.zero
        for c in 0..<k.channels { for c2 in 0..<k.channels {
            for dy in -(kh - 1)...(kh - 1) { for dx in -(kw - 1)...(kw - 1) {
                s = s + kernelTerm(c, c2, dy, dx) * inputCorrelation(x, c, c2, dy, dx, circular: padding.isCircular)
            } }
        } }
        return s
    }

    /// `R_cc'(dy,dx) = Σ_q X_c(q)·X_c'(q + d)` (zero outside), or `R°` with `q + d`
    /// taken mod `(H, W)` when `circular`.
    @inline(__always)
    public static func inputCorrelation<R: TheoremRing>(_ x: RingSignal<R>, _ c: Int, _ c2: Int, _ dy: Int, _ dx: Int,
                                                        circular: Bool) -> R {
        var s = R.zero
        for qy in 0..<x.height {
            for qx in 0..<x.width {
                let y2 = qy + dy, x2 = qx + dx
                if !circular && (y2 < 0 || y2 >= x.height || x2 < 0 || x2 >= x.width) { continue }
                s = s + x[c, qy, qx] * x.padded(c2, y2, x2, circular: true)
            }
        }
        return s
    }

    /// The boundary term `B^P[(c,u),(c',v)] = Σ_{s ∈ S_full \ S_P} X_c(s+u)·X_c'(s+v)` of T1b
    /// (zero for full and circular padding), `u = (uy,ux)`, `v = (vy,vx)`.
    public static func boundaryTerm<R: TheoremRing>(_ x: RingSignal<R>, kernelHeight kh: Int, kernelWidth kw: Int,
                                                    padding: Padding,
                                                    _ c: Int, _ uy: Int, _ ux: Int, _ c2: Int, _ vy: Int, _ vx: Int) -> R {
        if padding == .full || padding == .circular { return R.zero }
        let fy = Padding.full.offsets(input: x.height, kernel: kh), fx = Padding.full.offsets(input: x.width, kernel: kw)
        let py = padding.offsets(input: x.height, kernel: kh), px = padding.offsets(input: x.width, kernel: kw)
        var s = R.zero
        for sy in fy {
            for sx in fx where !(py.contains(sy) && px.contains(sx)) {
                s = s + x.padded(c, sy + uy, sx + ux, circular: false) * x.padded(c2, sy + vy, sx + vx, circular: false)
            }
        }
        return s
    }

    /// A safe count `n` of roundings along any term of the formulas of this file,
    /// for `γ_n`: the nested recursive sums have lengths at most `m = C·kh·kw` (a
    /// feature-map dot product), `m²` (a quadratic form), `C²·L` (channels × lags),
    /// `kh·kw` (a kernel correlation) and twice the padded image size (an input
    /// correlation, a boundary term, the output positions), plus 8 for products and
    /// the `±` of two sums. A larger `n` only weakens the bound, never breaks it.
    public static func roundingCount(kernels k: KernelBank, input x: Signal) -> Int {
        let m = k.kernelLength
        let lags = (2 * k.kernelHeight - 1) * (2 * k.kernelWidth - 1)
        let image = (x.height + 2 * k.kernelHeight) * (x.width + 2 * k.kernelWidth)
        return 2 * m + m * m + k.channels * k.channels * lags + k.taps + 2 * image + 8
    }

    /// The a-priori rounding bound of a formula evaluated in binary64:
    /// `|f̂ − f| ≤ γ_n · Σ|terms|`, `Σ|terms|` = the formula in `magnitude` mode on
    /// `|K|, |X|`, itself computed in floating point and inflated (`FloatingPointBounds.inflate`)
    /// so that it stays an upper bound (Higham Lemma 3.1, (3.5)).
    public static func roundingBound(_ f: any PairFormula, _ k: KernelBank, _ i: Int, _ j: Int, _ x: Signal,
                                     padding: Padding) -> Double {
        let ak = k.magnitudes
        var ax = x; ax.values = x.values.map(abs)
        let n = roundingCount(kernels: k, input: x)
        let mag = f.evaluate(RingBank(ak), i, j, RingSignal(ax), padding: padding, magnitude: true)
        return FloatingPointBounds.gamma(n) * FloatingPointBounds.inflate(abs(mag), operations: n)
    }
}

/// The left side of every identity: `<F_i, F_j> = Σ_p F_i(p) F_j(p)` from the
/// definition `F_i(p) = Σ_c Σ_u K[i,c](u) · X̃_c(p + u − o)` (Documentation/Theory.md#conventions).
public struct DirectInnerProduct: PairFormula {
    public init() {}
    public var name: String { "<F_i, F_j> from the feature maps" }
    public var multiplier: Int { 1 }
    public func evaluate<R: TheoremRing>(_ k: RingBank<R>, _ i: Int, _ j: Int, _ x: RingSignal<R>,
                                         padding: Padding, magnitude: Bool) -> R {
        let kh = k.kernelHeight, kw = k.kernelWidth
        let circ = padding.isCircular
        var total = R.zero
        for sy in padding.offsets(input: x.height, kernel: kh) {
            for sx in padding.offsets(input: x.width, kernel: kw) {
                var fi = R.zero, fj = R.zero
                for c in 0..<k.channels {
                    for u in 0..<kh {
                        for v in 0..<kw {
                            let xv = x.padded(c, sy + u, sx + v, circular: circ)
                            fi = fi + k[i, c, u, v] * xv
                            fj = fj + k[j, c, u, v] * xv
                        }
                    }
                }
                total = total + fi * fj
            }
        }
        return total
    }
}

/// T1's right side: `Σ_{c,c'} Σ_{|d| ≤ k−1} T_ij,cc'(d) · R_cc'(d)` with the linear
/// `R` for zero padding and `R°` for circular padding. Exact for full and circular
/// padding; for valid and same padding this is the paper's (Toeplitz) form, which
/// differs from `<F_i,F_j>` by the boundary term (T1b).
public struct CorrelationIdentity: PairFormula {
    public init() {}
    public var name: String { "Σ T_ij,cc'(d) R_cc'(d)" }
    public var multiplier: Int { 1 }
    public func evaluate<R: TheoremRing>(_ k: RingBank<R>, _ i: Int, _ j: Int, _ x: RingSignal<R>,
                                         padding: Padding, magnitude: Bool) -> R {
        ClosedForms.sumOverLags(k, x, padding: padding) { c, c2, dy, dx in
            ClosedForms.kernelCorrelation(k, i, j, c, c2, dy, dx)
        }
    }
}

/// T2's right side, doubled so that it stays integral:
/// `Σ_{c,c'} Σ_d (T_ij,cc'(d) + T_ij,c'c(−d)) · R_cc'(d) = 2 Σ S_ij,cc'(d) R_cc'(d)`.
public struct SymmetricIdentity: PairFormula {
    public init() {}
    public var name: String { "2 Σ S_ij,cc'(d) R_cc'(d)" }
    public var multiplier: Int { 2 }
    public func evaluate<R: TheoremRing>(_ k: RingBank<R>, _ i: Int, _ j: Int, _ x: RingSignal<R>,
                                         padding: Padding, magnitude: Bool) -> R {
        ClosedForms.sumOverLags(k, x, padding: padding) { c, c2, dy, dx in
            ClosedForms.kernelCorrelation(k, i, j, c, c2, dy, dx) + ClosedForms.kernelCorrelation(k, i, j, c2, c, -dy, -dx)
        }
    }
}

/// T1b's exact form for every padding: `vec(K_i)ᵀ (𝐑 − B^P) vec(K_j)`,
/// `𝐑[(c,u),(c',v)] = R_cc'(v − u)` (`R°` for circular), `B^P` the boundary term.
public struct BoundaryCorrectedIdentity: PairFormula {
    public init() {}
    public var name: String { "vec(K_i)ᵀ(𝐑 − B^P)vec(K_j)" }
    public var multiplier: Int { 1 }
    public func evaluate<R: TheoremRing>(_ k: RingBank<R>, _ i: Int, _ j: Int, _ x: RingSignal<R>,
                                         padding: Padding, magnitude: Bool) -> R {
        let kh = k.kernelHeight, kw = k.kernelWidth
        var s = R.zero
        for c in 0..<k.channels { for uy in 0..<kh { for ux in 0..<kw {
            for c2 in 0..<k.channels { for vy in 0..<kh { for vx in 0..<kw {
                let r = ClosedForms.inputCorrelation(x, c, c2, vy - uy, vx - ux, circular: padding.isCircular)
                let b = ClosedForms.boundaryTerm(x, kernelHeight: kh, kernelWidth: kw, padding: padding, c, uy, ux, c2, vy, vx)
                s = s + k[i, c, uy, ux] * k[j, c2, vy, vx] * (magnitude ? r + b : r - b)
            } } }
        } } }
        return s
    }
}
