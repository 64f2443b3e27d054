import CLAPACK
import ConvSimCore
import ConvSimCorrelation
import Foundation

/// The fast Convolutional Similarity by Parseval (Documentation/Theory.md#cs-fast).
///
/// For `pairs` and `adjacent` with small kernels the same Parseval identity is used in
/// the lag domain instead (`⟨A_ic, A_jc⟩` of autocorrelations, no transform; chosen by
/// `prefersLagDomain`, overridable with `sameChannelAlgorithm`; derivation, gradient and
/// bound in `LagSimilarity.swift`). Everything below describes the Fourier path.
///
/// Kernels are zero-padded to `n1×n2` (`n ≥ 2k−1` per axis, a 2·3·5-smooth size) so
/// that circular correlation equals linear correlation at every lag; with
/// `k̂_ic(ω)` the DFT (FFTW r2c through one `RealFFT2D` planned once),
/// `P_ic = |k̂_ic|²`, `ν_i = Σ_c P_ic`, `N = n1·n2`:
/// - `pairs     = (1/N) Σ_ω Σ_c ½[(Σ_i P_ic)² − Σ_i P_ic²]` — `O(N·M·C)`;
/// - `adjacent  = (1/N) Σ_ω Σ_c Σ_i P_ic P_{i+1,c}`;
/// - `symmetric = (1/N) Σ_ω ½(t1 + t2)`, `t1 = ½[(Σ_i ν_i)² − Σ_i ν_i²]`,
///   `t2 = ½[‖A‖_F² − Σ_i ν_i²]`, `A = Σ_i k_i k_iᵀ` (C×C, no conjugate, BLAS `zsyrk`)
///   — or, when `M < C`, `t2 = Re Σ_{i<j} z_ij²` with `Z = K Kᴴ` (BLAS `zherk`):
///   `O(N·M·C·min(M, C))`.
/// Derivation of the symmetric form: `Ŝ_ij,cc'(ω) = ½(conj(k_ic)k_jc' + conj(k_jc)k_ic')`, so
/// `Σ_{cc'}|Ŝ|² = ½(ν_iν_j + Re z_ij²)`, `z_ij = Σ_c k_ic conj(k_jc)`, and
/// `Σ_{i<j} Re z_ij² = ½(‖A‖_F² − Σν_i²)`.
/// The r2c half spectrum stores `ω2 ∈ [0, n2/2]`; every stored frequency except
/// `ω2 = 0` and (even `n2`) `ω2 = n2/2` stands for itself and its mirror `−ω`, so it
/// is weighted by 2.
///
/// **Gradients** (inverse DFT of per-frequency products, `grad_ic = (1/N)·IDFT_unnorm(g_ic)`
/// on the kernel support):
/// `pairs`: `g_ic = 2(Σ_{j≠i} P_jc)·k̂_ic`; `adjacent`: `g_ic = 2(P_{i−1,c} + P_{i+1,c})·k̂_ic`;
/// `symmetric`: `g_i = (Σ_j ν_j − 2ν_i)·k̂_i + A·conj(k̂_i)` (`= Σ_{j≠i} ν_j k̂_i + k̂_j(k̂_jᵀ conj k̂_i)`).
///
/// **Certified bound.** Write `CS = ‖V‖²/N`, `V` the vector over frequencies and pairs of
/// `|k_ic||k_jc|` (pairs, adjacent) or `½‖conj(k_i)k_jᵀ + conj(k_j)k_iᵀ‖_F` (symmetric).
/// FFTW's spectra satisfy `‖Δk_ic‖₂ ≤ ε‖k_ic‖₂ = ε√N‖K_ic‖₂` (`ε` = `FFTErrorModel.transformError`),
/// every entry of `V` moves by at most `e_i a_j + a_i e_j + e_i e_j` (`a, e` the channel-vector
/// norms of `k̂` and `Δk` at ω), and `sup_ω Σ_j a_j² ≤ Λ = Σ_{j,c} ‖K_jc‖₁²`, so
/// `‖Ṽ − V‖ ≤ R = 2ε√(NΛ)‖K‖ + ε²N‖K‖²` and `|CS̃ − CS| ≤ R(2√(N·CS̃) + R)/N`.
/// Rounding in the per-frequency algebra is at most `γ_{4(M+C)+16}·ψ(ω)` with
/// `ψ = (Σ_i ν_i)²` (symmetric) or `Σ_c (Σ_i P_ic)²` (pairs, adjacent), and the final
/// sum adds `γ_{N_h+1} Σ_ω w|φ̂(ω)|`. Hence
/// `bound = [γ_{4(M+C)+16} Σ_ω w ψ + γ_{N_h+1} Σ_ω w|φ̂|]/N + R(2√(N·(CŜ + that)) + R)/N`,
/// evaluated in floating point and inflated.
/// The gradient bound per kernel `i` (Euclidean norm of the error over its entries) is
/// `[ε‖ĝ_i‖ + Γ_i + γ_{2(M+C)+12}·4‖s·a_i‖]/√N + u·max|grad_i|` with
/// `Γ_i = 2[Λε√N‖K_i‖ + D(L_i + ε√N‖K_i‖)]`, `D = 2√Λ ε√N‖K‖ + ε²N‖K‖²`,
/// `L_i² = Σ_c ‖K_ic‖₁²`, `s = Σ_j ν_j` (norms over the full spectrum): the spectral
/// perturbation of the trilinear `g_i`, its rounding, and the c2r transform error.
///
/// An instance owns its FFTW buffers: use one instance per thread (large `pairs`/`adjacent`
/// banks are split internally over fixed channel blocks, each with its own transform pair,
/// so results do not depend on the number of cores).
public final class FastSimilarity {
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let n1: Int
    public let n2: Int
    let fft: RealFFT2D
    /// Stored half-spectrum frequencies and their weights (1 or 2).
    let halfCount: Int
    let weights: [Double]
    /// How `pairs` / `adjacent` are evaluated (default: the cheaper of the lag-domain form and
    /// the Fourier form, `FastSimilarity.prefersLagDomain`; see `LagSimilarity.swift`).
    public var sameChannelAlgorithm: SameChannelAlgorithm = .automatic

    /// Plans the transforms for `kh×kw` kernels (do this once, reuse the instance).
    public init(kernelHeight: Int, kernelWidth: Int) throws {
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        n1 = RealFFT2D.smoothSize(atLeast: 2 * kernelHeight - 1)
        n2 = RealFFT2D.smoothSize(atLeast: 2 * kernelWidth - 1)
        fft = try RealFFT2D(n1, n2)
        let hw = n2 / 2 + 1
        halfCount = n1 * hw
        var w = [Double](repeating: 1, count: halfCount)
        for a in 0..<n1 { for b in 0..<hw {
            let selfMirror = b == 0 || (n2 % 2 == 0 && b == n2 / 2)
            w[a * hw + b] = selfMirror ? 1 : 2
        } }
        weights = w
    }

    public convenience init(shapeOf bank: KernelBank) throws {
        try self.init(kernelHeight: bank.kernelHeight, kernelWidth: bank.kernelWidth)
    }

    /// `N = n1·n2`.
    public var transformSize: Int { n1 * n2 }

    /// Loads kernel entries (`kh·kw` taps) into the zero-padded buffer and transforms.
    @inline(__always) func forward(_ taps: UnsafePointer<Double>) {
        let r = fft.real
        r.update(repeating: 0, count: n1 * n2)
        for uy in 0..<kernelHeight { for ux in 0..<kernelWidth { r[uy * n2 + ux] = taps[uy * kernelWidth + ux] } }
        fft.forward()
    }

    /// Inverse transform of the half spectrum already in `fft.spectrum`, scaled by `1/N`, onto the support.
    @inline(__always) func backward(into out: UnsafeMutablePointer<Double>) {
        fft.backward()
        let r = fft.real
        let inv = 1.0 / Double(n1 * n2)
        for uy in 0..<kernelHeight { for ux in 0..<kernelWidth { out[uy * kernelWidth + ux] = r[uy * n2 + ux] * inv } }
    }

    /// The value (and gradient) with certified bounds.
    public func evaluate(_ bank: KernelBank, variant: CSVariant, gradient: Bool = false) -> CSResult {
        precondition(bank.kernelHeight == kernelHeight && bank.kernelWidth == kernelWidth, "kernel shape does not match the plan")
        if bank.count < 2 {
            // No pair: the CS and its gradient are exactly zero.
            return CSResult(variant: variant, value: 0, bound: 0,
                            gradient: gradient ? [Double](repeating: 0, count: bank.values.count) : nil,
                            gradientBound: gradient ? [0] : nil)
        }
        // Without a sink the lag-domain form cannot fail.
        if usesLagDomain(for: variant), let r = try? FastSimilarity.lagDomain(bank, variant: variant, gradient: gradient) { return r }
        let acc: Accumulated
        switch variant {
        case .pairs, .adjacent: acc = sameChannel(bank, variant: variant, gradient: gradient)
        case .symmetric: acc = symmetric(bank, gradient: gradient)
        }
        return finish(bank, variant: variant, acc, gradient: gradient)
    }

    /// Per-evaluation sums the bound needs.
    struct Accumulated {
        var phi: [Double]            // φ̂(ω) per stored frequency
        var psi: [Double]            // ψ(ω)
        var grad: [Double]?
        var gNorm2: [Double]         // Σ_ω w ‖ĝ_i(ω)‖² per kernel
        var rho2: [Double]           // Σ_ω w (ψ-scale·a_i)² per kernel (before 16γ²)
    }

    /// One transform pair per channel group (each planned once, under `RealFFT2D`'s planner lock).
    /// (If memory does not allow them, the pass runs in one group on the main transform pair.)
    lazy var groupTransforms: [RealFFT2D] = (try? (0..<FastSimilarity.groups).map { _ in try RealFFT2D(n1, n2) }) ?? [fft]
    /// Channel groups of the parallel pass: fixed, so that results do not depend on the core count.
    static let groups = 8

    /// `pairs` / `adjacent`: channels are independent, so large banks are split into
    /// `groups` contiguous channel blocks (no false sharing of gradient cache lines) run in parallel, each with its
    /// own transforms and partial sums, merged in group order (deterministic).
    func sameChannel(_ k: KernelBank, variant: CSVariant, gradient: Bool) -> Accumulated {
        let m = k.count, cc = k.channels, nh = halfCount
        let wanted = cc * m >= 4096 ? min(FastSimilarity.groups, cc) : 1
        let ffts = wanted > 1 ? groupTransforms : [fft]
        let t = min(wanted, ffts.count)
        var grad: [Double] = gradient ? HugePages.zeros(count: k.values.count) : []
        let parts = k.values.withUnsafeBufferPointer { kvb in
            grad.withUnsafeMutableBufferPointer { gpb in
                let ptrs = SharedPointers(kernels: kvb.baseAddress!, gradient: gradient ? gpb.baseAddress : nil)
                let ctx = WorkerContext(engine: self, ffts: ffts)
                return Parallel.map(blocks: t) { w in
                    // Each group uses only its own transform pair and writes disjoint gradient entries.
                    ctx.engine.sameChannelWorker(k, isPairs: variant == .pairs, channels: Array((w * cc / t)..<((w + 1) * cc / t)),
                                                 fft: ctx.ffts[w], ptrs: ptrs)
                }
            }
        }
        var acc = Accumulated(phi: [Double](repeating: 0, count: nh), psi: [Double](repeating: 0, count: nh),
                              grad: gradient ? grad : nil, gNorm2: [Double](repeating: 0, count: m),
                              rho2: [Double](repeating: 0, count: m))
        for r in parts {
            for f in 0..<nh { acc.phi[f] += r.phi[f]; acc.psi[f] += r.psi[f] }
            for i in 0..<m { acc.gNorm2[i] += r.gNorm2[i]; acc.rho2[i] += r.rho2[i] }
        }
        return acc
    }

    func sameChannelWorker(_ k: KernelBank, isPairs: Bool, channels: [Int], fft: RealFFT2D, ptrs: SharedPointers) -> Accumulated {
        let m = k.count, cc = k.channels, kk = k.taps, nh = halfCount
        let kh = kernelHeight, kw = kernelWidth, n2 = self.n2, nAll = n1 * n2
        let inv = 1.0 / Double(nAll)
        // Raw buffers: no exclusivity checks or copy-on-write in the hot loops.
        let spec = UnsafeMutablePointer<Double>.allocate(capacity: m * nh * 2)
        let p = UnsafeMutablePointer<Double>.allocate(capacity: m * nh)
        let s = UnsafeMutablePointer<Double>.allocate(capacity: nh)
        let w = UnsafeMutablePointer<Double>.allocate(capacity: nh)
        let phi = UnsafeMutablePointer<Double>.allocate(capacity: nh)
        let psi = UnsafeMutablePointer<Double>.allocate(capacity: nh)
        let gN = UnsafeMutablePointer<Double>.allocate(capacity: m)
        let rN = UnsafeMutablePointer<Double>.allocate(capacity: m)
        defer { for b in [spec, p, s, w, phi, psi, gN, rN] { b.deallocate() } }
        for f in 0..<nh { w[f] = weights[f]; phi[f] = 0; psi[f] = 0 }
        gN.update(repeating: 0, count: m); rN.update(repeating: 0, count: m)
        let fs = fft.spectrum, real = fft.real
        let kv = ptrs.kernels
        for c in channels {
            real.update(repeating: 0, count: nAll)
            for i in 0..<m {
                let taps = kv + (i * cc + c) * kk
                for uy in 0..<kh { for ux in 0..<kw { real[uy * n2 + ux] = taps[uy * kw + ux] } }
                fft.forward()     // out-of-place r2c preserves `real` (zeros outside the support stay)
                let dst = spec + i * nh * 2
                dst.update(from: fs, count: nh * 2)
                let pi = p + i * nh
                for f in 0..<nh { pi[f] = dst[2 * f] * dst[2 * f] + dst[2 * f + 1] * dst[2 * f + 1] }
            }
            s.update(repeating: 0, count: nh)
            if isPairs {
                let q = UnsafeMutablePointer<Double>.allocate(capacity: nh); defer { q.deallocate() }
                q.update(repeating: 0, count: nh)
                for i in 0..<m { let pi = p + i * nh; for f in 0..<nh { let v = pi[f]; s[f] += v; q[f] += v * v } }
                for f in 0..<nh { phi[f] += 0.5 * (s[f] * s[f] - q[f]); psi[f] += s[f] * s[f] }
            } else {
                for i in 0..<m { let pi = p + i * nh; for f in 0..<nh { s[f] += pi[f] } }
                for f in 0..<nh {
                    var q = 0.0
                    for i in 0..<(m - 1) { q += p[i * nh + f] * p[(i + 1) * nh + f] }
                    phi[f] += q; psi[f] += s[f] * s[f]
                }
            }
            if let gp = ptrs.gradient {
                for i in 0..<m {
                    let src = spec + i * nh * 2
                    let pi = p + i * nh
                    let pPrev = i > 0 ? p + (i - 1) * nh : nil
                    let pNext = i + 1 < m ? p + (i + 1) * nh : nil
                    var gn = 0.0, rn = 0.0
                    for f in 0..<nh {
                        let wgt: Double
                        if isPairs { wgt = s[f] - pi[f] } else { wgt = (pPrev?[f] ?? 0) + (pNext?[f] ?? 0) }
                        let re = 2 * wgt * src[2 * f], im = 2 * wgt * src[2 * f + 1]
                        fs[2 * f] = re; fs[2 * f + 1] = im
                        gn += w[f] * (re * re + im * im)
                        rn += w[f] * s[f] * s[f] * pi[f]
                    }
                    gN[i] += gn
                    rN[i] += rn
                    fft.backward()
                    let out = gp + (i * cc + c) * kk
                    for uy in 0..<kh { for ux in 0..<kw { out[uy * kw + ux] = real[uy * n2 + ux] * inv } }
                }
            }
        }
        func arr(_ b: UnsafeMutablePointer<Double>, _ n: Int) -> [Double] { Array(UnsafeBufferPointer(start: b, count: n)) }
        return Accumulated(phi: arr(phi, nh), psi: arr(psi, nh), grad: nil, gNorm2: arr(gN, m), rho2: arr(rN, m))
    }

    func symmetric(_ k: KernelBank, gradient: Bool) -> Accumulated {
        let m = k.count, cc = k.channels, kk = k.taps, nh = halfCount
        let block = m * cc * 2                     // one frequency: M×C complex, row-major
        var spec = [Double](repeating: 0, count: nh * block)
        var phi = [Double](repeating: 0, count: nh)
        var psi = [Double](repeating: 0, count: nh)
        var gspec: [Double] = gradient ? [Double](repeating: 0, count: nh * block) : []
        var grad: [Double] = gradient ? HugePages.zeros(count: k.values.count) : []
        var gNorm2 = [Double](repeating: 0, count: m)
        var rho2 = [Double](repeating: 0, count: m)
        let useA = cc <= m
        let side = useA ? cc : m
        var work = [Double](repeating: 0, count: side * side * 2)
        var workConj = [Double](repeating: 0, count: side * side * 2)
        var y = [Double](repeating: 0, count: gradient ? block : 0)
        var nu = [Double](repeating: 0, count: m)
        let w = weights
        k.values.withUnsafeBufferPointer { kv in
            spec.withUnsafeMutableBufferPointer { sp in
                for i in 0..<m { for c in 0..<cc {
                    forward(kv.baseAddress! + (i * cc + c) * kk)
                    let src = fft.spectrum
                    for f in 0..<nh {
                        let t = f * block + (i * cc + c) * 2
                        sp[t] = src[2 * f]; sp[t + 1] = src[2 * f + 1]
                    }
                } }
            }
        }
        var one = [1.0, 0.0], zero = [0.0, 0.0]
        for f in 0..<nh {
            spec.withUnsafeMutableBufferPointer { sp in
                let kw = sp.baseAddress! + f * block
                var sTot = 0.0, q = 0.0
                for i in 0..<m {
                    var v = 0.0
                    for c in 0..<cc { let re = kw[(i * cc + c) * 2], im = kw[(i * cc + c) * 2 + 1]; v += re * re + im * im }
                    nu[i] = v; sTot += v; q += v * v
                }
                var t2 = 0.0
                work.withUnsafeMutableBufferPointer { wp in
                    wp.update(repeating: 0)
                    if useA {
                        // A = Kᵀ K (C×C, symmetric, upper triangle)
                        OpenBLAS.zsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(cc), Int32(m), &one,
                                    kw, Int32(cc), &zero, wp.baseAddress, Int32(cc))
                        var diag = 0.0, off = 0.0
                        for a in 0..<cc {
                            let d = (a * cc + a) * 2
                            diag += wp[d] * wp[d] + wp[d + 1] * wp[d + 1]
                            var row = 0.0
                            for b in (a + 1)..<max(a + 1, cc) { let o = (a * cc + b) * 2; row += wp[o] * wp[o] + wp[o + 1] * wp[o + 1] }
                            off += row
                        }
                        let alpha = diag + 2 * off
                        t2 = 0.5 * (alpha - q)
                    } else {
                        // Z = K Kᴴ (M×M Hermitian, upper triangle): t2 = Re Σ_{i<j} z_ij²
                        OpenBLAS.zherk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(m), Int32(cc), 1.0,
                                    kw, Int32(cc), 0.0, wp.baseAddress, Int32(m))
                        var acc = 0.0
                        for a in 0..<m {
                            var row = 0.0
                            for b in (a + 1)..<max(a + 1, m) { let o = (a * m + b) * 2; row += wp[o] * wp[o] - wp[o + 1] * wp[o + 1] }
                            acc += row
                        }
                        t2 = acc
                    }
                }
                let t1 = 0.5 * (sTot * sTot - q)
                phi[f] = 0.5 * (t1 + t2)
                psi[f] = sTot * sTot
                if gradient {
                    // conj of the full symmetric A (or conj of Hermitian Z = Zᵀ)
                    work.withUnsafeBufferPointer { wp in
                        workConj.withUnsafeMutableBufferPointer { cp in
                            for a in 0..<side { for b in 0..<side {
                                let (r, s2) = a <= b ? (a, b) : (b, a)
                                let o = (r * side + s2) * 2
                                let im = wp[o + 1]
                                // A symmetric: conj(A)_ab = conj(A_upper). Z Hermitian: Z_ab = conj(Z_ba) for a > b.
                                let conjIm: Double = useA ? -im : (a < b ? -im : (a > b ? im : 0))
                                cp[(a * side + b) * 2] = wp[o]
                                cp[(a * side + b) * 2 + 1] = conjIm
                            } }
                        }
                    }
                    y.withUnsafeMutableBufferPointer { yp in
                        workConj.withUnsafeBufferPointer { cp in
                            if useA {
                                // Y' = K·conj(A)  (M×C);  A conj(k_i) = conj(Y'_i)
                                OpenBLAS.zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(cc), Int32(cc), &one,
                                            kw, Int32(cc), cp.baseAddress, Int32(cc), &zero, yp.baseAddress, Int32(cc))
                            } else {
                                // Y = conj(Z)·K  (M×C);  A conj(k_i) = Y_i
                                OpenBLAS.zgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(cc), Int32(m), &one,
                                            cp.baseAddress, Int32(m), kw, Int32(cc), &zero, yp.baseAddress, Int32(cc))
                            }
                        }
                        gspec.withUnsafeMutableBufferPointer { gp in
                            let g = gp.baseAddress! + f * block
                            for i in 0..<m {
                                let coef = sTot - 2 * nu[i]
                                var gn = 0.0
                                for c in 0..<cc {
                                    let t = (i * cc + c) * 2
                                    let yr = yp[t], yi = useA ? -yp[t + 1] : yp[t + 1]
                                    let re = coef * kw[t] + yr, im = coef * kw[t + 1] + yi
                                    g[t] = re; g[t + 1] = im
                                    gn += re * re + im * im
                                }
                                gNorm2[i] += w[f] * gn
                                rho2[i] += w[f] * sTot * sTot * nu[i]
                            }
                        }
                    }
                }
            }
        }
        if gradient {
            gspec.withUnsafeBufferPointer { gp in
                grad.withUnsafeMutableBufferPointer { out in
                    for i in 0..<m { for c in 0..<cc {
                        let dst = fft.spectrum
                        for f in 0..<nh {
                            let t = f * block + (i * cc + c) * 2
                            dst[2 * f] = gp[t]; dst[2 * f + 1] = gp[t + 1]
                        }
                        backward(into: out.baseAddress! + (i * cc + c) * kk)
                    } }
                }
            }
        }
        return Accumulated(phi: phi, psi: psi, grad: gradient ? grad : nil, gNorm2: gNorm2, rho2: rho2)
    }

    /// Value and the certified bounds from the accumulated sums.
    func finish(_ k: KernelBank, variant: CSVariant, _ a: Accumulated, gradient: Bool) -> CSResult {
        let m = k.count, cc = k.channels, nh = halfCount
        let nD = Double(n1 * n2)
        var total = 0.0, absTotal = 0.0, psiTotal = 0.0
        for f in 0..<nh {
            total += weights[f] * a.phi[f]
            absTotal += weights[f] * abs(a.phi[f])
            psiTotal += weights[f] * a.psi[f]
        }
        let value = total / nD
        let st = SpectralStats(k)
        let eps = FFTErrorModel.transformError(n1, n2)
        let nOmega = 4 * (m + cc) + 16
        let rounding = FloatingPointBounds.inflate(
            (FloatingPointBounds.gamma(nOmega) * FloatingPointBounds.inflate(psiTotal, operations: nOmega + nh)
             + FloatingPointBounds.gamma(nh + 1) * absTotal) / nD, operations: 8)
        let upper = max(0, value) + rounding
        let sqN = nD.squareRoot()
        let r = 2 * eps * sqN * st.lambda.squareRoot() * st.norm + eps * eps * nD * st.norm * st.norm
        let spectral = r * (2 * (nD * upper).squareRoot() + r) / nD
        let bound = FloatingPointBounds.inflate(rounding + spectral, operations: 16)
        // The exact CS is a sum of squares (≥ 0): clamping can only reduce the error.
        var result = CSResult(variant: variant, value: max(0, value), bound: bound, gradient: a.grad)
        if gradient, let g = a.grad {
            let ng = 2 * (m + cc) + 12
            let dd = 2 * st.lambda.squareRoot() * eps * sqN * st.norm + eps * eps * nD * st.norm * st.norm
            let len = k.kernelLength
            result.gradientBound = (0..<m).map { i in
                if m < 2 { return 0 }
                let ki = st.kernelNorms[i]
                let gammaI = 2 * (st.lambda * eps * sqN * ki + dd * (st.l1[i] + eps * sqN * ki))
                let rho = FloatingPointBounds.gamma(ng) * 4 * FloatingPointBounds.inflate(a.rho2[i], operations: ng + nh + FastSimilarity.groups).squareRoot()
                let gnorm = FloatingPointBounds.inflate(a.gNorm2[i], operations: 2 * cc + nh + 2 + FastSimilarity.groups).squareRoot()
                var gmax = 0.0
                for t in (i * len)..<((i + 1) * len) { gmax = max(gmax, abs(g[t])) }
                return FloatingPointBounds.inflate((eps * gnorm + gammaI + rho) / sqN, operations: 16)
                    + 2 * FloatingPointBounds.unitRoundoff * gmax
            }
        }
        return result
    }
}

/// Norms of a bank used by the spectral error bounds, each an upper bound of its
/// exact value: `‖K‖₂`, `‖K_i‖₂`, `L_i = (Σ_c ‖K_ic‖₁²)^{1/2}` (≥ `sup_ω ‖k̂_i(ω)‖`)
/// and `Λ = Σ_i L_i²` (≥ `sup_ω Σ_i ‖k̂_i(ω)‖²`).
struct SpectralStats {
    var norm: Double
    var kernelNorms: [Double]
    var l1: [Double]
    var lambda: Double

    init(_ k: KernelBank) {
        let m = k.count, cc = k.channels, kk = k.taps
        var total = 0.0, lam = 0.0
        var kn = [Double](repeating: 0, count: m), l1 = kn
        for i in 0..<m {
            var s2 = 0.0, li = 0.0
            for c in 0..<cc {
                var a = 0.0
                for t in 0..<kk { let v = k.values[(i * cc + c) * kk + t]; a += abs(v); s2 += v * v }
                let aU = FloatingPointBounds.inflate(a, operations: kk)
                li += aU * aU
            }
            let s2U = FloatingPointBounds.inflate(s2, operations: cc * kk + 1)
            let liU = FloatingPointBounds.inflate(li, operations: cc + 2)
            kn[i] = s2U.squareRoot() * (1 + 2 * FloatingPointBounds.unitRoundoff)
            l1[i] = liU.squareRoot() * (1 + 2 * FloatingPointBounds.unitRoundoff)
            total += s2U
            lam += liU
        }
        norm = FloatingPointBounds.inflate(total, operations: m + 1).squareRoot() * (1 + 2 * FloatingPointBounds.unitRoundoff)
        lambda = FloatingPointBounds.inflate(lam, operations: m + 1)
        kernelNorms = kn
        self.l1 = l1
    }
}

/// Raw pointers shared by the worker threads (each writes disjoint gradient entries).
struct SharedPointers: @unchecked Sendable {
    let kernels: UnsafePointer<Double>
    let gradient: UnsafeMutablePointer<Double>?
}

/// The engine and the per-group transforms, handed to the worker threads.
struct WorkerContext: @unchecked Sendable {
    let engine: FastSimilarity
    let ffts: [RealFFT2D]
}
