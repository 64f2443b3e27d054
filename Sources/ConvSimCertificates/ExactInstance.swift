import BigInt
import ConvSimCore
import Foundation

/// Kernels, an input and a padding as **exact** numbers: every binary64 value is
/// a dyadic rational, so each tensor is stored as integers times one power of two
/// (`K = k·2^ek`, `X = x·2^ex`). Every quantity of Documentation/Certificates.md
/// ("Definitions") is then computed in integer arithmetic — in `Int` when an
/// a-priori bit bound shows it cannot overflow, in `BigInt` otherwise — and
/// returned as an exact `Rational` in the data's units.
public struct ExactInstance: Sendable {
    public let padding: Padding
    public let count: Int, channels: Int, kernelHeight: Int, kernelWidth: Int
    public let height: Int, width: Int
    /// Scaled integer kernels (OIHW) and input (CHW).
    public let k: [BigInt], x: [BigInt]
    public let ek: Int, ex: Int
    /// Bit lengths of the largest scaled entries.
    let kBits: Int, xBits: Int

    public init(kernels: KernelBank, input: Signal, padding: Padding) {
        self.padding = padding
        count = kernels.count; channels = kernels.channels
        kernelHeight = kernels.kernelHeight; kernelWidth = kernels.kernelWidth
        height = input.height; width = input.width
        (k, ek) = Self.integers(kernels.values)
        (x, ex) = Self.integers(input.values)
        kBits = k.map { $0.magnitude.bitWidth }.max() ?? 0
        xBits = x.map { $0.magnitude.bitWidth }.max() ?? 0
    }

    /// Kernel-only quantities (kernel dot, `T`, `S`, CS): the input is a 1×1 zero image.
    public init(kernels: KernelBank) {
        self.init(kernels: kernels, input: Signal(channels: kernels.channels, height: 1, width: 1), padding: .full)
    }

    /// Values as integers times `2^e` (the smallest `e` that makes them all integers).
    static func integers(_ v: [Double]) -> ([BigInt], Int) {
        let parts = v.map { Rational.dyadic($0) }
        let e = parts.compactMap { $0?.1 }.min() ?? 0
        return (parts.map { p in p.map { $0.0 << ($0.1 - e) } ?? 0 }, e)
    }

    public var kernelLength: Int { channels * kernelHeight * kernelWidth }
    public var lagWindow: (Int, Int) { (2 * kernelHeight - 1, 2 * kernelWidth - 1) }

    /// Whether every sum of at most `terms` products of `kFactors` kernel entries and
    /// `xFactors` input entries (and every partial sum) stays below 2⁶² in magnitude.
    func fitsInt(kFactors: Int, xFactors: Int, terms: Double) -> Bool {
        Double(kFactors * kBits + xFactors * xBits) + terms.log2Ceiling < 61
    }

    var outputsFull: Double { Double(height + kernelHeight - 1) * Double(width + kernelWidth - 1) }
    var kernelLengthD: Double { Double(kernelLength) }

    // MARK: - Feature maps and Gram

    /// `G_ij = <F_i, F_j>` under `padding` (the data's padding by default).
    public func gram(_ i: Int, _ j: Int, padding p: Padding? = nil) -> Rational {
        gramMatrix(i == j ? [i] : [i, j], padding: p)[0][i == j ? 0 : 1]
    }

    /// The Gram of kernels `ks` (in that order), each feature map computed once.
    public func gramMatrix(_ ks: [Int], padding p: Padding? = nil) -> [[Rational]] {
        let p = p ?? padding
        let scale = 2 * (ek + ex)
        func matrix<T: SignedInteger>(_ kk: [T], _ xx: [T], _ exact: (T) -> BigInt) -> [[Rational]] {
            let maps = ks.map { ExactKernels.featureMap(kk, $0, xx, self, p) }
            var g = [[Rational]](repeating: [Rational](repeating: .zero, count: ks.count), count: ks.count)
            for a in ks.indices { for b in a..<ks.count {
                g[a][b] = Rational(exact(ExactForms.dot(maps[a], maps[b])), exp2: scale); g[b][a] = g[a][b]
            } }
            return g
        }
        if fitsInt(kFactors: 2, xFactors: 2, terms: outputsFull * kernelLengthD * kernelLengthD) {
            return matrix(k.map { Int($0) }, x.map { Int($0) }) { BigInt($0) }
        }
        return matrix(k, x) { $0 }
    }

    /// The exact feature-map Gram of the whole bank summed over `inputs`:
    /// `G_ij = Σ_x Σ_{p∈Ω_P} F^x_i(p) F^x_j(p)`, `F^x_i(p) = Σ_c Σ_u K[i,c](u) X̃_c(p+u−o)`
    /// (Documentation/Theory.md#conventions) — the one exact Gram of the toolkit (theorem checks,
    /// tests). Each input's Gram is `gramMatrix` of its `ExactInstance` (`Int` when the a-priori bit
    /// bound allows, `BigInt` otherwise, so it never overflows); the sum is exact.
    ///
    /// Hypotheses: every value finite and every input with the kernels' channel count; otherwise
    /// throws `ConvSimError.invalidArgument` (never traps). Error bound: 0 (the result is exact,
    /// any binary64 data being dyadic rationals). No inputs give the zero matrix.
    public static func gram(inputs: [Signal], kernels: KernelBank, padding: Padding) throws -> [[Rational]] {
        guard kernels.values.allSatisfy(\.isFinite), inputs.allSatisfy({ $0.values.allSatisfy(\.isFinite) }) else {
            throw ConvSimError.invalidArgument("the exact Gram needs finite inputs and kernels")
        }
        if let x = inputs.first(where: { $0.channels != kernels.channels }) {
            throw ConvSimError.invalidArgument("the exact Gram needs inputs with \(kernels.channels) channel(s), got \(x.channels)")
        }
        let m = kernels.count
        var g = [[Rational]](repeating: [Rational](repeating: .zero, count: m), count: m)
        for x in inputs {
            let one = ExactInstance(kernels: kernels, input: x, padding: padding).gramMatrix(Array(0..<m))
            for i in 0..<m { for j in 0..<m { g[i][j] = g[i][j] + one[i][j] } }
        }
        return g
    }

    /// `Σ_{q ∈ Ω_full ∖ Ω_P} F^full_i(q) F^full_j(q)`, the border term of T1b (0 for full padding).
    public func borderTerm(_ i: Int, _ j: Int) -> Rational {
        guard padding == .valid || padding == .same else { return .zero }
        let scale = 2 * (ek + ex)
        let offY = kernelHeight - 1 - padding.leftPad(kernel: kernelHeight)
        let offX = kernelWidth - 1 - padding.leftPad(kernel: kernelWidth)
        let ny = padding.outputLength(input: height, kernel: kernelHeight), nx = padding.outputLength(input: width, kernel: kernelWidth)
        let fw = width + kernelWidth - 1
        func inside(_ q: Int) -> Bool {
            let y = q / fw - offY, xx = q % fw - offX
            return y >= 0 && y < ny && xx >= 0 && xx < nx
        }
        func border<T: SignedInteger>(_ kk: [T], _ xx: [T]) -> T {
            let fi = ExactKernels.featureMap(kk, i, xx, self, .full), fj = ExactKernels.featureMap(kk, j, xx, self, .full)
            var s: T = 0
            for q in 0..<fi.count where !inside(q) { s += fi[q] * fj[q] }
            return s
        }
        if fitsInt(kFactors: 2, xFactors: 2, terms: outputsFull * kernelLengthD * kernelLengthD) {
            return Rational(BigInt(border(k.map { Int($0) }, x.map { Int($0) })), exp2: scale)
        }
        return Rational(border(k, x), exp2: scale)
    }

    /// `⟨K_a, K_b⟩`.
    public func kernelDot(_ a: Int, _ b: Int) -> Rational {
        let n = kernelLength
        return Rational(ExactForms.dot(k[(a * n)..<((a + 1) * n)], k[(b * n)..<((b + 1) * n)]), exp2: 2 * ek)
    }

    /// Whether kernel `a` is all zeros.
    public func kernelIsZero(_ a: Int) -> Bool { k[(a * kernelLength)..<((a + 1) * kernelLength)].allSatisfy(\.isZero) }

    // MARK: - Correlations

    /// `T_ab,cc'(d)` scaled by `2^(−2ek)`, as `t[(c·C + c')·|D| + lag]` with lag index
    /// `(dy + kh − 1)(2kw − 1) + dx + kw − 1`.
    func kernelCorrelations(_ a: Int, _ b: Int) -> [BigInt] {
        if fitsInt(kFactors: 2, xFactors: 0, terms: Double(kernelHeight * kernelWidth)) {
            return ExactKernels.kernelCorrelations(k.map { Int($0) }, a, b, self).map { BigInt($0) }
        }
        return ExactKernels.kernelCorrelations(k, a, b, self)
    }

    /// `2·S_ab,cc'(d) = T_ab,cc'(d) + T_ab,c'c(−d)`, scaled by `2^(−2ek)`, same layout.
    func doubledSymmetricPart(_ a: Int, _ b: Int) -> [BigInt] {
        let t = kernelCorrelations(a, b), c = channels, nl = lagWindow.0 * lagWindow.1
        var s = t
        for p in 0..<c { for q in 0..<c { for l in 0..<nl {
            s[(p * c + q) * nl + l] = t[(p * c + q) * nl + l] + t[(q * c + p) * nl + nl - 1 - l]
        } } }
        return s
    }

    /// Paper CS of the pair: `Σ_c Σ_d T_ab,cc(d)²`.
    public func paperCS(_ a: Int, _ b: Int) -> Rational {
        let t = kernelCorrelations(a, b), c = channels, nl = lagWindow.0 * lagWindow.1
        var s = BigInt(0)
        for p in 0..<c { for l in 0..<nl { let v = t[(p * c + p) * nl + l]; s += v * v } }
        return Rational(s, exp2: 4 * ek)
    }

    /// Symmetric CS of the pair: `Σ_{c,c'} Σ_d S_ab,cc'(d)²`.
    public func symmetricCS(_ a: Int, _ b: Int) -> Rational {
        var s = BigInt(0)
        for v in doubledSymmetricPart(a, b) { s += v * v }
        return Rational(s, exp2: 4 * ek - 2)
    }

    /// `R_cc'(d)` (linear) or `R°_cc'(d)` (circular) over the lag window, scaled by `2^(−2ex)`.
    func inputCorrelations(circular: Bool) -> [BigInt] {
        if fitsInt(kFactors: 0, xFactors: 2, terms: Double(height) * Double(width)) {
            return ExactKernels.inputCorrelations(x.map { Int($0) }, self, circular: circular).map { BigInt($0) }
        }
        return ExactKernels.inputCorrelations(x, self, circular: circular)
    }

    /// `Σ_{c,c',d} T_01,cc'(d)·R_cc'(d)` (T1's closed form; `R°` when `circular`).
    public func closedForm(circular: Bool) -> Rational {
        let t = kernelCorrelations(0, 1), r = inputCorrelations(circular: circular)
        var s = BigInt(0)
        for l in 0..<t.count where !t[l].isZero { s += t[l] * r[l] }
        return Rational(s, exp2: 2 * (ek + ex))
    }

    /// `Σ_{c,c',d} S_01,cc'(d)·R_cc'(d)` (T2's form).
    public func symmetricForm(circular: Bool) -> Rational {
        let s2 = doubledSymmetricPart(0, 1), r = inputCorrelations(circular: circular)
        var s = BigInt(0)
        for l in 0..<s2.count where !s2[l].isZero { s += s2[l] * r[l] }
        return Rational(s, exp2: 2 * (ek + ex) - 1)
    }

    /// The squared norms `(Σ_d S_01,cc'(d)², Σ_d R_cc'(d)²)` for every channel pair (T5's bound).
    public func similarityBoundTerms(circular: Bool) -> [(Rational, Rational)] {
        let s2 = doubledSymmetricPart(0, 1), r = inputCorrelations(circular: circular)
        let c = channels, nl = lagWindow.0 * lagWindow.1
        var out: [(Rational, Rational)] = []
        for pq in 0..<(c * c) {
            var ss = BigInt(0), rr = BigInt(0)
            for l in 0..<nl { let a = s2[pq * nl + l], b = r[pq * nl + l]; ss += a * a; rr += b * b }
            out.append((Rational(ss, exp2: 4 * ek - 2), Rational(rr, exp2: 4 * ex)))
        }
        return out
    }

    // MARK: - Patch Gram

    /// `𝐆^P` (order `C·kh·kw`, row-major) scaled by `2^(−2ex)`.
    func patchGramScaled() -> [BigInt] {
        if fitsInt(kFactors: 0, xFactors: 2, terms: outputsFull) {
            return ExactKernels.patchGram(x.map { Int($0) }, self).map { BigInt($0) }
        }
        return ExactKernels.patchGram(x, self)
    }

    /// `vec(K_a)ᵀ 𝐆^P vec(K_b)`.
    public func quadraticForm(_ a: Int, _ b: Int) -> Rational {
        let g = patchGramScaled(), n = kernelLength
        return Rational(ExactForms.quadratic(k[(a * n)..<((a + 1) * n)], g, k[(b * n)..<((b + 1) * n)]), exp2: 2 * (ek + ex))
    }

    /// The patch Gram in the data's units.
    public func patchGram() -> (order: Int, entries: [Rational]) {
        (kernelLength, patchGramScaled().map { Rational($0, exp2: 2 * ex) })
    }
}

/// The integer kernels of `ExactInstance`, generic over `Int` (fast, when a bit bound
/// shows no overflow) and `BigInt`.
enum ExactKernels {
    /// `F_i(p)` over the output grid of `p`, row-major.
    static func featureMap<T: SignedInteger>(_ k: [T], _ i: Int, _ x: [T], _ s: ExactInstance, _ p: Padding) -> [T] {
        let kh = s.kernelHeight, kw = s.kernelWidth, h = s.height, w = s.width, c = s.channels
        let ry = p.offsets(input: h, kernel: kh), rx = p.offsets(input: w, kernel: kw)
        var f = [T](repeating: 0, count: ry.count * rx.count)
        let base = i * s.kernelLength
        var o = 0
        for sy in ry { for sx in rx {
            var v: T = 0
            if p.isCircular {
                for ch in 0..<c { for u in 0..<kh {
                    let yy = ((sy + u) % h + h) % h
                    for t in 0..<kw {
                        let kv = k[base + (ch * kh + u) * kw + t]
                        if kv != 0 { v += kv * x[(ch * h + yy) * w + ((sx + t) % w + w) % w] }
                    }
                } }
            } else {
                let u0 = max(0, -sy), u1 = min(kh, h - sy), t0 = max(0, -sx), t1 = min(kw, w - sx)
                if u0 < u1 && t0 < t1 {
                    for ch in 0..<c { for u in u0..<u1 {
                        let krow = base + (ch * kh + u) * kw, xrow = (ch * h + sy + u) * w + sx
                        for t in t0..<t1 { v += k[krow + t] * x[xrow + t] }
                    } }
                }
            }
            f[o] = v; o += 1
        } }
        return f
    }

    /// `T_ab,cc'(d)` for every channel pair (`KernelCrossCorrelation`, the one implementation).
    static func kernelCorrelations<T: SignedInteger>(_ k: [T], _ a: Int, _ b: Int, _ s: ExactInstance) -> [T] {
        KernelCrossCorrelation.kernelPair(k, a, b, channels: s.channels, kernelHeight: s.kernelHeight, kernelWidth: s.kernelWidth, term: *)
    }

    static func inputCorrelations<T: SignedInteger>(_ x: [T], _ s: ExactInstance, circular: Bool) -> [T] {
        let (ly, lx) = s.lagWindow, kh = s.kernelHeight, kw = s.kernelWidth, h = s.height, w = s.width, c = s.channels
        var r = [T](repeating: 0, count: c * c * ly * lx)
        for p in 0..<c { for q in 0..<c {
            for dy in -(kh - 1)...(kh - 1) { for dx in -(kw - 1)...(kw - 1) {
                var v: T = 0
                for y in 0..<h {
                    var y2 = y + dy
                    if circular { y2 = ((y2 % h) + h) % h } else if y2 < 0 || y2 >= h { continue }
                    for xx in 0..<w {
                        var x2 = xx + dx
                        if circular { x2 = ((x2 % w) + w) % w } else if x2 < 0 || x2 >= w { continue }
                        v += x[(p * h + y) * w + xx] * x[(q * h + y2) * w + x2]
                    }
                }
                r[(p * c + q) * ly * lx + (dy + kh - 1) * lx + dx + kw - 1] = v
            } }
        } }
        return r
    }

    static func patchGram<T: SignedInteger>(_ x: [T], _ s: ExactInstance) -> [T] {
        let kh = s.kernelHeight, kw = s.kernelWidth, h = s.height, w = s.width, c = s.channels, n = s.kernelLength
        let p = s.padding
        var g = [T](repeating: 0, count: n * n)
        var patch = [T](repeating: 0, count: n)
        for sy in p.offsets(input: h, kernel: kh) { for sx in p.offsets(input: w, kernel: kw) {
            var t = 0
            for ch in 0..<c { for u in 0..<kh { for v in 0..<kw {
                var yy = sy + u, xx = sx + v
                if p.isCircular { yy = ((yy % h) + h) % h; xx = ((xx % w) + w) % w }
                patch[t] = (yy >= 0 && yy < h && xx >= 0 && xx < w) ? x[(ch * h + yy) * w + xx] : 0
                t += 1
            } } }
            for a in 0..<n where patch[a] != 0 { for b in a..<n where patch[b] != 0 { g[a * n + b] += patch[a] * patch[b] } }
        } }
        for a in 0..<n { for b in 0..<a { g[a * n + b] = g[b * n + a] } }
        return g
    }
}

/// Eigenvalue counts of a symmetric rational matrix by Sylvester's law of inertia.
public enum Inertia {
    /// `(negative, zero, positive)` eigenvalue counts of `A − σI` (`A` symmetric, row-major `n×n`).
    ///
    /// Fast path: with `B = L·(A − σI)` an integer matrix (`L` the common denominator),
    /// fraction-free (Bareiss) elimination gives the leading principal minors `D_1 … D_n`;
    /// when none is zero, the number of negative eigenvalues is the number of sign changes
    /// in `1, D_1, …, D_n` (Jacobi). Otherwise: `symmetricLDL`, the block LDLᵀ in rationals.
    public static func of(_ a: [Rational], order n: Int, shift sigma: Rational) -> (neg: Int, zero: Int, pos: Int) {
        if let r = byLeadingMinors(a, order: n, shift: sigma) { return r }
        return symmetricLDL(a, order: n, shift: sigma)
    }

    static func byLeadingMinors(_ a: [Rational], order n: Int, shift sigma: Rational) -> (neg: Int, zero: Int, pos: Int)? {
        var l = sigma.den
        for v in a { l = l / l.greatestCommonDivisor(with: v.den) * v.den }
        var m = a.map { $0.num * (l / $0.den) }
        let s = sigma.num * (l / sigma.den)
        for i in 0..<n { m[i * n + i] -= s }
        var prev = BigInt(1)
        var neg = 0, lastSign = 1
        for k in 0..<n {
            let p = m[k * n + k]
            guard !p.isZero else { return nil }
            let sign = p.sign == .minus ? -1 : 1
            if sign != lastSign { neg += 1 }
            lastSign = sign
            for i in (k + 1)..<n {
                let mik = m[i * n + k]
                for j in i..<n {
                    let v = (p * m[i * n + j] - mik * m[k * n + j]) / prev
                    m[i * n + j] = v
                    if j != i { m[j * n + i] = v }
                }
            }
            prev = p
        }
        return (neg, 0, n - neg)
    }

    /// Symmetric block LDLᵀ in exact rationals (1×1 pivots on non-zero diagonal entries,
    /// 2×2 pivots `[[0, b], [b, 0]]` when every remaining diagonal entry is 0).
    static func symmetricLDL(_ a: [Rational], order n: Int, shift sigma: Rational) -> (neg: Int, zero: Int, pos: Int) {
        var m = a
        for i in 0..<n { m[i * n + i] = m[i * n + i] - sigma }
        var alive = Array(0..<n)
        var neg = 0, pos = 0
        while !alive.isEmpty {
            if let r = alive.first(where: { !m[$0 * n + $0].isZero }) {
                let d = m[r * n + r]
                if d.sign > 0 { pos += 1 } else { neg += 1 }
                alive.removeAll { $0 == r }
                for i in alive where !m[i * n + r].isZero {
                    let f = m[i * n + r] / d
                    for j in alive { m[i * n + j] = m[i * n + j] - f * m[r * n + j] }
                }
                continue
            }
            // Every remaining diagonal entry is 0: a 2×2 pivot on a non-zero off-diagonal entry.
            var pair: (Int, Int)?
            search: for i in alive { for j in alive where j != i && !m[i * n + j].isZero { pair = (i, j); break search } }
            guard let (r, s) = pair else { break }
            neg += 1; pos += 1
            let b = m[r * n + s]            // pivot block [[0, b], [b, 0]], inverse [[0, 1/b], [1/b, 0]]
            alive.removeAll { $0 == r || $0 == s }
            let rows = alive.map { (m[$0 * n + r], m[$0 * n + s]) }
            for (ii, i) in alive.enumerated() {
                let (air, ais) = rows[ii]
                if air.isZero && ais.isZero { continue }
                for (jj, j) in alive.enumerated() {
                    let (ajr, ajs) = rows[jj]
                    // A_ij −= [a_ir, a_is]·P⁻¹·[a_jr, a_js]ᵀ = (a_ir·a_js + a_is·a_jr)/b
                    let upd = (air * ajs + ais * ajr) / b
                    if !upd.isZero { m[i * n + j] = m[i * n + j] - upd }
                }
            }
        }
        return (neg, n - neg - pos, pos)
    }

    /// Whether `λ_min ∈ [lo, hi]`: no eigenvalue below `lo`, at least one at or below `hi`.
    public static func smallestIn(_ a: [Rational], order n: Int, _ lo: Rational, _ hi: Rational) -> Bool {
        guard n > 0, lo <= hi else { return false }
        guard of(a, order: n, shift: lo).neg == 0 else { return false }
        let h = of(a, order: n, shift: hi)
        return h.neg + h.zero >= 1
    }

    /// Whether `λ_max ∈ [lo, hi]`: no eigenvalue above `hi`, at least one at or above `lo`.
    public static func largestIn(_ a: [Rational], order n: Int, _ lo: Rational, _ hi: Rational) -> Bool {
        guard n > 0, lo <= hi else { return false }
        guard of(a, order: n, shift: hi).pos == 0 else { return false }
        let l = of(a, order: n, shift: lo)
        return l.pos + l.zero >= 1
    }
}

extension Double {
    /// `⌈log₂ self⌉` for `self ≥ 1` (0 below), rounded up generously.
    var log2Ceiling: Double { self <= 1 ? 0 : (Foundation.log2(self) + 1e-9).rounded(.up) }
}
