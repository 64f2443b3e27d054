import ConvSimCore
import ConvSimCorrelation
import Foundation

/// How `FastSimilarity` evaluates the same-channel variants (`pairs`, `adjacent`).
public enum SameChannelAlgorithm: String, Sendable, CaseIterable {
    /// `lagDomain` when `FastSimilarity.prefersLagDomain` says it is cheaper, else `fourier`.
    case automatic
    /// Autocorrelations and their inner products in the lag domain (`LagSimilarity` below).
    case lagDomain
    /// Parseval with FFTW (Documentation/Theory.md#cs-fast).
    case fourier
}

/// The lag-domain Parseval form of the same-channel Convolutional Similarity.
///
/// With the autocorrelations `A_ic = K_ic ⋆ K_ic`, `A_ic(d) = Σ_u K_ic(u)·K_ic(u+d)` on the
/// `(2kh−1)(2kw−1)` lags, and `T_ij,cc = K_ic ⋆ K_jc`:
///
/// **Lemma.** `‖K_ic ⋆ K_jc‖² = ⟨A_ic, A_jc⟩`.
/// *Proof.* Zero-pad to `n ≥ 2k−1` per axis (`N` points, so circular = linear correlation
/// at every lag and no lag aliases). The DFT of a correlation `a ⋆ b` is `conj(â)·b̂`, so
/// `T̂ = conj(K̂_ic) K̂_jc` and `Â_ic = |K̂_ic|²` (real). Parseval (`Σ_d f(d)g(d) = (1/N) Σ_ω f̂(ω) conj(ĝ(ω))`
/// for real `f, g`): `‖T‖² = (1/N) Σ_ω |K̂_ic|²|K̂_jc|²` and
/// `⟨A_ic, A_jc⟩ = (1/N) Σ_ω |K̂_ic|² |K̂_jc|²` — the same number. ∎
///
/// Hence, with `S_c = Σ_i A_ic`:
/// - `pairs = Σ_c Σ_{i<j} ⟨A_ic, A_jc⟩ = Σ_c ½[‖S_c‖² − Σ_i ‖A_ic‖²]`;
/// - `adjacent = Σ_c Σ_i ⟨A_ic, A_{i+1,c}⟩`.
///
/// **Gradient.** `∂A_ic(d)/∂K_ic(u) = K_ic(u+d) + K_ic(u−d)` (the tap `u` enters the products
/// `K(u)K(u+d)` and `K(u−d)K(u)`; out-of-support taps are 0). With `W_ic = Σ_{j~i} A_jc`
/// over the partners of `i` (`W_ic = S_c − A_ic` for `pairs`, `A_{i−1,c} + A_{i+1,c}` for
/// `adjacent`), `CS` contains `⟨A_ic, A_jc⟩` once per pair, so
/// `∂CS/∂K_ic(u) = Σ_d W_ic(d)·(K_ic(u+d) + K_ic(u−d)) = 2 Σ_d W_ic(d) K_ic(u+d)`
/// (substitute `d → −d` in the second sum; `W_ic(−d) = W_ic(d)` as every autocorrelation is
/// even). Check at `k = 1`: `CS = a²b²`, `W = b²`, gradient `b²(a + a) = 2ab²` ✓. (A factor 2
/// in front of the symmetrized sum would double it.) This equals `DirectSimilarity`'s
/// `2 Σ_j Σ_d T_ij(d) K_j(w+d)`; the tests check it exactly on integer data.
///
/// **Evaluation.** By evenness only the `H = (D+1)/2` lags `d ⪰ 0` (lexicographic) are stored,
/// weighted 1 (`d = 0`) or 2; per channel the kernels are transposed to `Kt[u][i]` so that
/// every operation runs over `i` contiguously (SIMD across kernels). Per `(i, c)`:
/// `kk(kk+1)/2` multiply-adds for `A`, `H` for the norms and `kk²` for the gradient,
/// against two FFTs of `N = n1·n2` points for the Fourier path.
///
/// **Certified bound** (Higham Lemma 3.1, a sum of monomials each carried through at most
/// `n` roundings differs from the exact value by at most `γ_n` times the same sum on `|K|`).
/// `Â_ih` is a `≤ kk`-term dot product; `Ŝ_h` adds `M`; a square adds 1; the weighted sum over
/// `h` adds `H`; the subtraction 1, the channel sum `C`, the merge of channel groups `G`:
/// `n = 2(kk + M) + H + C + G + 4` covers `pairs` (both `‖S‖²` and `Σ‖A_i‖²`) and `adjacent`. So
/// `|CS̃ − CS| ≤ γ_n (‖S(|K|)‖² + Σ_i ‖A_i(|K|)‖²)` per channel, and since
/// `A_i(|K|)(d) ≤ ‖K_ic‖₂²` (Cauchy–Schwarz), `Σ_d A_i(|K|)(d) = ‖K_ic‖₁²`:
/// `‖S(|K|)‖² ≤ σ_c λ_c` and `Σ_i ‖A_i(|K|)‖² ≤ σ_c λ_c`, `σ_c = Σ_i ‖K_ic‖₂²`,
/// `λ_c = Σ_i ‖K_ic‖₁²`. The value bound is `2γ_n Σ_c σ_c λ_c` (the adjacent sum
/// `Σ_i ⟨A_i, A_{i+1}⟩(|K|) ≤ ‖S(|K|)‖²` too).
/// Gradient: `Ŵ = Ŝ − Â_i` (or `Â_{i−1} + Â_{i+1}`) errs by at most `γ_{kk+M+1}(S + A_i)(|K|)`,
/// and the `kk`-term sum `2 Σ_v Ŵ(v−u) K(v)` adds `kk` roundings, so with `n' = 2kk + M + 2`
/// each entry errs by at most `γ_{n'}·2 Σ_v (S + A_i)(|K|)(v−u)|K_ic(v)| ≤ 2γ_{n'}(σ_c + ‖K_ic‖₂²)‖K_ic‖₁`;
/// the bound of kernel `i` is the Euclidean norm of these over its `C·kk` entries.
/// All bound arithmetic is itself inflated (`FloatingPointBounds.inflate`).
///
/// **Determinism.** Channels are split into a fixed number of contiguous groups (depending on
/// the bank's size only), each summed in order and merged in group order: the same bits on
/// any number of cores.
extension FastSimilarity {
    /// The rule of `.automatic`: the lag domain when its multiply-add count per kernel and
    /// channel, `kk(kk+1)/2 + kk² + H` (value + gradient), is below the Fourier path's estimate
    /// of two real FFTs of `N = n1·n2` points, `2·(5/2)·N·log₂N`, plus `4·N` for the spectral
    /// products. For square kernels this selects the lag domain up to 11×11 (3×3: 139 vs ≈ 680;
    /// 11×11: ≈ 22 200 vs ≈ 28 700; 13×13: ≈ 43 200 vs ≈ 31 500 → Fourier), for 1-D kernels up to
    /// length ≈ 48. An operation-count model, not a measurement: it ignores that the lag loops
    /// vectorize across channels and FFTW's per-call overhead, both of which favour the lag domain.
    public static func prefersLagDomain(kernelHeight kh: Int, kernelWidth kw: Int) -> Bool {
        let kk = Double(kh * kw)
        let lag = kk * (kk + 1) / 2 + kk * kk + Double(((2 * kh - 1) * (2 * kw - 1) + 1) / 2)
        let n = Double(RealFFT2D.smoothSize(atLeast: 2 * kh - 1) * RealFFT2D.smoothSize(atLeast: 2 * kw - 1))
        let fourier = 5 * n * log2(max(n, 2)) + 4 * n
        return lag <= fourier
    }

    /// Whether `evaluate` uses the lag domain for `variant` with the current setting.
    public func usesLagDomain(for variant: CSVariant) -> Bool {
        guard variant != .symmetric else { return false }
        switch sameChannelAlgorithm {
        case .automatic: return FastSimilarity.prefersLagDomain(kernelHeight: kernelHeight, kernelWidth: kernelWidth)
        case .lagDomain: return true
        case .fourier: return false
        }
    }

    /// Half-lag pair table: every `(u, v)` with `u ≤ v` (flat index) and the index `h` of the
    /// lag `d = v − u ⪰ 0`. Flat order `u < v` is exactly lexicographically positive lags.
    struct LagTable {
        var u: [Int32], v: [Int32], h: [Int32]
        var lags: Int
        init(kh: Int, kw: Int) {
            u = []; v = []; h = []
            let lw = 2 * kw - 1
            for a in 0..<(kh * kw) { for b in a..<(kh * kw) {
                let dy = b / kw - a / kw, dx = b % kw - a % kw
                let idx = dy == 0 ? dx : kw + (dy - 1) * lw + (dx + kw - 1)
                u.append(Int32(a)); v.append(Int32(b)); h.append(Int32(idx))
            } }
            lags = ((2 * kh - 1) * lw + 1) / 2
        }
    }

    /// The lag-domain value, gradient and certified bounds for `pairs` / `adjacent` (static:
    /// the lag domain plans no transform, so `ConvolutionalSimilarity` calls it without
    /// building a `FastSimilarity`).
    ///
    /// With a `sink`, the gradient pass runs in chunks of kernels (about 2 MiB of gradient
    /// each), every channel group finishing one chunk before the next starts; each finished
    /// chunk is written in two halves, the first and the last task of the next chunk's parallel
    /// section, taken by whichever thread is free (no third thread competing for the cores), and
    /// the last chunk whole at the end. Every entry is computed by the
    /// same operations in the same order either way, so the values are the same bytes with or
    /// without a sink, for any chunking and any thread count.
    ///
    /// With `reuseStorage`, the gradient is written over the bank's own values: group `g`
    /// reads kernel `i`'s channels of `g` into its transposed copy before it writes their
    /// gradient, and no pass reads them after that (the first pass of `pairs` is over before
    /// the gradient pass starts; `adjacent` has read kernel `i` before writing its gradient and
    /// reads only `i + 1` ahead). It saves allocating (and the kernel zeroing) `M·C·kk` doubles.
    /// When the caller still shares the storage, Swift copies it first (copy-on-write).
    /// With `checkFinite` (`pairs` only; the two passes then run apart even without a sink), the
    /// bank's finiteness is checked after the first pass:
    /// a NaN or ±∞ entry makes its autocorrelation at lag 0, hence `S`, `Q` and the group's
    /// partial value, non-finite; only then is the bank scanned (`Finite.firstNonFinite`), and
    /// a non-finite entry is reported as `ConvSimError.nonFinite` with its flat index, before
    /// any gradient is handed to a sink. (A finite bank whose products overflow also gives a
    /// non-finite partial; the scan then finds nothing and the evaluation goes on as without
    /// the check.)
    ///
    /// (`chunkValues`: the gradient values a chunk aims at, at least one kernel; the tests set it
    /// small to run many chunks.)
    static func lagDomain(_ bank: consuming KernelBank, variant: CSVariant, gradient: Bool,
                          sink: GradientSink? = nil, reuseStorage: Bool = false, checkFinite: Bool = false,
                          chunkValues: Int = 1 << 18) throws -> CSResult {
        let reuse = gradient && reuseStorage
        var values = bank.values
        if reuse { bank.values = [] }   // `values` is then the storage's only owner (unless the caller kept one)
        let passes = LagPasses(m: bank.count, cc: bank.channels, kh: bank.kernelHeight, kw: bank.kernelWidth,
                               variant: variant, sink: sink, checkFinite: checkFinite, chunkValues: chunkValues)
        let parts: [LagPartial]
        var grad: [Double] = []
        if reuse {
            parts = try values.withUnsafeMutableBufferPointer { vb in
                guard let base = vb.baseAddress else { return [] }
                return try passes.run(UnsafePointer(base), .whole(base))
            }
            grad = values
        } else {
            // Every gradient entry is written exactly once (by the group owning its channel), so
            // the buffer is not zero-filled first (saves a pass over M·C·kk doubles).
            if gradient {
                grad = [Double](unsafeUninitializedCapacity: values.count) { b, n in
                    if let base = b.baseAddress { HugePages.advise(UnsafeMutableRawPointer(base), bytes: values.count * 8) }
                    n = values.count
                }
            }
            parts = try values.withUnsafeBufferPointer { kvb in
                try grad.withUnsafeMutableBufferPointer { gpb in
                    guard let kernels = kvb.baseAddress else { return [] }
                    return try passes.run(kernels, gradient ? gpb.baseAddress.map { .whole($0) } ?? .none : .none)
                }
            }
        }
        return passes.result(parts, gradient: gradient ? grad : nil, bounds: gradient)
    }

    /// `lagDomain` on kernels it does not own (`ConvolutionalSimilarity.evaluateGradient(inPlace:)`:
    /// a mapped file), the gradient handed to `sink` chunk by chunk from two buffers of one chunk
    /// each (one filled while the other is written) and not kept: `gradient` of the result is
    /// nil, everything else — value, bound, gradient bounds, the pieces — the same bytes as
    /// `lagDomain` with a sink. Memory: two chunks, not `M·C·kk` doubles.
    static func lagDomainStreaming(kernels: UnsafePointer<Double>, count m: Int, channels cc: Int, kernelHeight kh: Int,
                                   kernelWidth kw: Int, variant: CSVariant, sink: GradientSink, checkFinite: Bool,
                                   chunkValues: Int = 1 << 18) throws -> CSResult {
        let passes = LagPasses(m: m, cc: cc, kh: kh, kw: kw, variant: variant, sink: sink, checkFinite: checkFinite,
                               chunkValues: chunkValues)
        return passes.result(try passes.run(kernels, .chunks), gradient: nil, bounds: true)
    }

    /// Where the lag-domain passes put the gradient.
    enum GradientTarget {
        /// No gradient (value and bound only).
        case none
        /// All of it, kernel `i`'s entries at `(i·C + c)·kk + u`.
        case whole(UnsafeMutablePointer<Double>)
        /// Chunk by chunk into two buffers of one chunk, each handed to the sink (which is required).
        case chunks
    }

    /// The passes of the lag-domain form over one bank's shape: its channel groups, chunking and
    /// certified bounds (the work of `lagDomain` and `lagDomainStreaming`).
    struct LagPasses {
        let m: Int, cc: Int, kk: Int, variant: CSVariant
        let sink: GradientSink?
        let checkFinite: Bool
        let groupCount: Int, table: LagTable, chunk: Int

        init(m: Int, cc: Int, kh: Int, kw: Int, variant: CSVariant, sink: GradientSink?, checkFinite: Bool, chunkValues: Int) {
            self.m = m; self.cc = cc; kk = kh * kw; self.variant = variant; self.sink = sink; self.checkFinite = checkFinite
            groupCount = cc * m >= 4096 ? min(FastSimilarity.groups, cc) : 1
            table = LagTable(kh: kh, kw: kw)
            // 2 MiB of gradient a chunk (one huge page): the best of 0.5, 1, 2, 4 MiB and one chunk,
            // `cs` at 512×512×3×3 end to end (medians 31.8, 29.8, 28.7, 29.3 and 31.6 ms).
            chunk = sink == nil ? max(m, 1) : max(1, chunkValues / max(cc * kk, 1))
        }

        func run(_ kernels: UnsafePointer<Double>, _ target: GradientTarget) throws -> [LagPartial] {
            let m = self.m, cc = self.cc, kk = self.kk, table = self.table, groupCount = self.groupCount
            let isPairs = variant == .pairs
            // `.chunks`: two buffers of one chunk, allocated (and zeroed by the system) once.
            let chunkBuffers: [UnsafeMutablePointer<Double>]
            if case .chunks = target, sink != nil {
                chunkBuffers = (0..<2).map { _ in
                    let b = UnsafeMutablePointer<Double>.allocate(capacity: max(1, chunk * cc * kk))
                    HugePages.advise(UnsafeMutableRawPointer(b), bytes: max(1, chunk * cc * kk) * 8)
                    return b
                }
            } else { chunkBuffers = [] }
            defer { for b in chunkBuffers { b.deallocate() } }
            let gp: UnsafeMutablePointer<Double>?
            switch target {
            case .none: gp = nil
            case .whole(let p): gp = p
            case .chunks: guard let first = chunkBuffers.first else { return [] }; gp = first
            }
            let ptrs = SharedPointers(kernels: kernels, gradient: gp)
            @Sendable func state(_ g: Int) -> LagGroupState {
                LagGroupState(m: m, cc: cc, kk: kk, table: table,
                              channels: (g * cc / groupCount)..<((g + 1) * cc / groupCount), ptrs: ptrs)
            }
            if isPairs && (sink == nil || gp == nil) && !checkFinite {
                // Nothing to stream: each group runs both passes in one block, while its slice of
                // the bank is still in cache, on buffers its own thread allocates.
                let withGradient = gp != nil
                return Parallel.map(blocks: groupCount) { g in
                    let st = state(g)
                    st.run(.pairsFirst, upTo: m)
                    if withGradient { st.run(.pairsGradient, upTo: m) }
                    return st.partial()
                }
            }
            let states = LagGroups((0..<groupCount).map(state))
            if isPairs {
                Parallel.forEach(blocks: groupCount) { g in states.all[g].run(.pairsFirst, upTo: m) }
                // The first pass wrote only the groups' own buffers: the bank is as given.
                if checkFinite, !states.all.allSatisfy({ $0.total.isFinite }),
                   let bad = Finite.firstNonFinite(UnsafeBufferPointer(start: kernels, count: m * cc * kk)) {
                    throw ConvSimError.nonFinite(what: "the kernel bank", index: bad)
                }
            }
            let writes = SinkWrites(sink)
            var start = 0, round = 0, pending: UnsafeBufferPointer<Double>? = nil
            while start < m {
                let end = min(m, start + chunk)
                if !chunkBuffers.isEmpty {
                    // This chunk's gradient goes to the buffer the chunk before last used (written by now).
                    for st in states.all { st.gp = chunkBuffers[round % 2]; st.gpFirst = start }
                }
                // The previous chunk is written in two halves: the first task and the last. One
                // whole write beside the groups' tasks ended the section a write later on one
                // thread (8 group tasks split 4 + 4, the write on top of one side); its halves at
                // both ends are taken by whichever thread is free first and last.
                let previous = SplitPiece(pending)
                let lead = pending == nil ? 0 : 1
                Parallel.forEachDynamic(tasks: groupCount + 2 * lead) { t in
                    if lead == 1 && t == 0 {
                        previous.writeFirstHalf(to: writes)
                    } else if lead == 1 && t == groupCount + 1 {
                        previous.writeSecondHalf(to: writes)
                    } else {
                        states.all[t - lead].run(isPairs ? .pairsGradient : .adjacent, upTo: end)
                    }
                }
                try writes.rethrow()
                if sink != nil, let gp = states.all.first?.gp {
                    let offset = chunkBuffers.isEmpty ? start * cc * kk : 0
                    pending = UnsafeBufferPointer(start: gp + offset, count: (end - start) * cc * kk)
                }
                start = end
                round += 1
            }
            if let p = pending { writes.write(p); try writes.rethrow() }
            return states.all.map { $0.partial() }
        }

        /// The value, its certified bound and (with `bounds`) the gradient's per-kernel bounds
        /// from the groups' partial results, merged in group order.
        func result(_ parts: [LagPartial], gradient: [Double]?, bounds: Bool) -> CSResult {
            var value = 0.0, boundSum = 0.0
            var gradErr2 = [Double](repeating: 0, count: m)
            for p in parts {
                value += p.value; boundSum += p.sigmaLambda
                for i in 0..<m { gradErr2[i] += p.gradErr2[i] }
            }
            let n = 2 * (kk + m) + table.lags + cc + FastSimilarity.groups + 4
            let valueBound = FloatingPointBounds.inflate(2 * FloatingPointBounds.gamma(n) * boundSum, operations: cc + FastSimilarity.groups + 8)
            var result = CSResult(variant: variant, value: max(0, value), bound: valueBound, gradient: gradient)
            if bounds {
                let ng = 2 * kk + m + 2
                result.gradientBound = (0..<m).map { i in
                    2 * FloatingPointBounds.gamma(ng)
                        * FloatingPointBounds.inflate(gradErr2[i], operations: cc * kk + FastSimilarity.groups + 8).squareRoot()
                        * (1 + 4 * FloatingPointBounds.unitRoundoff)
                }
            }
            return result
        }
    }

    struct LagPartial {
        var value: Double
        /// Σ_c σ_c λ_c (inflated to an upper bound).
        var sigmaLambda: Double
        /// Per kernel: Σ_{c,u} [(σ_c + ‖K_ic‖²)‖K_ic‖₁]² (inflated), the squared per-entry bounds without 2γ.
        var gradErr2: [Double]
    }
}

/// A sink's writes from the worker threads, one at a time, the first error kept.
private final class SinkWrites: @unchecked Sendable {
    private let sink: GradientSink?
    private var failure: Error?
    init(_ sink: GradientSink?) { self.sink = sink }
    /// Called by one task of a parallel section, so never by two threads at once.
    func write(_ p: UnsafeBufferPointer<Double>) {
        guard failure == nil, let sink else { return }
        do { try sink.write(p) } catch { failure = error }
    }
    /// After the parallel section: the sink's error, if any.
    func rethrow() throws { if let failure { throw failure } }
}

/// A finished piece of the gradient handed to the two tasks that write its halves, in order:
/// the second waits until the first is written (it is the section's last task, so the first
/// was taken before it; with one thread the tasks run in order and it never waits).
private final class SplitPiece: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<Double>?
    private let firstWritten = DispatchSemaphore(value: 0)
    init(_ buffer: UnsafeBufferPointer<Double>?) { self.buffer = buffer }
    private var half: Int { (buffer?.count ?? 0) / 2 }
    func writeFirstHalf(to writes: SinkWrites) {
        if let b = buffer, half > 0 { writes.write(UnsafeBufferPointer(rebasing: b[..<half])) }
        firstWritten.signal()
    }
    func writeSecondHalf(to writes: SinkWrites) {
        firstWritten.wait()
        if let b = buffer, half < b.count { writes.write(UnsafeBufferPointer(rebasing: b[half...])) }
    }
}

/// The channel groups' states, handed to the worker threads (each group touched by one worker).
private struct LagGroups: @unchecked Sendable {
    let all: [LagGroupState]
    init(_ all: [LagGroupState]) { self.all = all }
}

/// One channel group `[c0, c1)` of the lag-domain form, streaming over the kernels in storage
/// order (kernel `i`'s channels of the group are contiguous), resumable between chunks of
/// kernels. Per kernel the group's taps are transposed to `Kt[u][c]` so that every loop runs
/// over channels contiguously. Buffers are `H×Cg` or `kk×Cg`.
/// `pairs`: the first pass accumulates `S[h][c] = Σ_i A_ic(h)` and `Q[h][c] = Σ_i A_ic(h)²` in
/// kernel order; the gradient pass recomputes `A_ic` (bit-identical) and forms the gradient from
/// `W = S − A_i`. `adjacent`: one pass with `A_{i−1}, A_i, A_{i+1}` rolling.
private final class LagGroupState {
    enum Pass { case pairsFirst, pairsGradient, adjacent }

    let m: Int, cc: Int, kk: Int, hN: Int, np: Int, cg: Int, c0: Int
    let kv: UnsafePointer<Double>
    /// Where kernel `gpFirst`'s gradient starts (the whole gradient: `gpFirst = 0`; a chunk
    /// buffer: the chunk's first kernel). Set between parallel sections only.
    var gp: UnsafeMutablePointer<Double>?
    var gpFirst = 0
    let kt0: UnsafeMutablePointer<Double>, kt1: UnsafeMutablePointer<Double>
    let a0: UnsafeMutablePointer<Double>, a1: UnsafeMutablePointer<Double>, a2: UnsafeMutablePointer<Double>
    let s: UnsafeMutablePointer<Double>, q: UnsafeMutablePointer<Double>, w: UnsafeMutablePointer<Double>
    let g: UnsafeMutablePointer<Double>, l1: UnsafeMutablePointer<Double>
    let sigma: UnsafeMutablePointer<Double>, lambda: UnsafeMutablePointer<Double>
    let pu: UnsafeMutablePointer<Int>, pv: UnsafeMutablePointer<Int>, ph: UnsafeMutablePointer<Int>
    var gradErr2: [Double]
    var total = 0.0
    /// The next kernel of the resumable pass; the rolling buffers of `adjacent`.
    var next = 0
    var rolling: (ktCur: UnsafeMutablePointer<Double>, ktNext: UnsafeMutablePointer<Double>,
                  aPrev: UnsafeMutablePointer<Double>, aCur: UnsafeMutablePointer<Double>, aNext: UnsafeMutablePointer<Double>)

    init(m: Int, cc: Int, kk: Int, table: FastSimilarity.LagTable, channels: Range<Int>, ptrs: SharedPointers) {
        self.m = m; self.cc = cc; self.kk = kk
        let hN = table.lags, np = table.u.count, cg = channels.count
        self.hN = hN; self.np = np; self.cg = cg; c0 = channels.lowerBound
        kv = ptrs.kernels; gp = ptrs.gradient
        func buf(_ n: Int) -> UnsafeMutablePointer<Double> {
            let b = UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1)); b.initialize(repeating: 0, count: max(n, 1)); return b
        }
        kt0 = buf(kk * cg); kt1 = buf(kk * cg)
        a0 = buf(hN * cg); a1 = buf(hN * cg); a2 = buf(hN * cg)
        s = buf(hN * cg); q = buf(hN * cg); w = buf(hN * cg); g = buf(kk * cg); l1 = buf(cg)
        sigma = buf(cg); lambda = buf(cg)
        gradErr2 = [Double](repeating: 0, count: m)
        pu = UnsafeMutablePointer<Int>.allocate(capacity: max(np, 1)); pv = UnsafeMutablePointer<Int>.allocate(capacity: max(np, 1))
        ph = UnsafeMutablePointer<Int>.allocate(capacity: max(np, 1))
        for p in 0..<np { pu[p] = Int(table.u[p]); pv[p] = Int(table.v[p]); ph[p] = Int(table.h[p]) }
        rolling = (kt0, kt1, a0, a1, a2)
    }

    deinit {
        for b in [kt0, kt1, a0, a1, a2, s, q, w, g, l1, sigma, lambda] { b.deallocate() }
        pu.deallocate(); pv.deallocate(); ph.deallocate()
    }

    /// Runs `pass` over kernels `next..<end` (`pairsFirst`: over all kernels). Every size and
    /// pointer is copied into a local first: the loops write through pointers, after which
    /// values read from the object would have to be read again.
    func run(_ pass: Pass, upTo end: Int) {
        let m = self.m, cc = self.cc, kk = self.kk, hN = self.hN, np = self.np, cg = self.cg, c0 = self.c0
        let kv = self.kv, s = self.s, q = self.q, w = self.w, g = self.g, l1 = self.l1, gpFirst = self.gpFirst
        let sigma = self.sigma, lambda = self.lambda, pu = self.pu, pv = self.pv, ph = self.ph
        let inflK = kk + 2, inflM = m + kk + 4
        // Inflation by a precomputed factor (no division in the loops): x·f with
        // f = inflate(1, n + 4) ≥ 1/(1 − γ_n)·(1 + 2u)², an upper bound of inflate(x, n) after rounding.
        let fK = FloatingPointBounds.inflate(1, operations: inflK + 4), f4 = FloatingPointBounds.inflate(1, operations: 8)
        let fK1 = FloatingPointBounds.inflate(1, operations: inflK + 5)
        var gradErr2 = self.gradErr2
        self.gradErr2 = []
        defer { self.gradErr2 = gradErr2 }

        func load(_ i: Int, _ kt: UnsafeMutablePointer<Double>) {
            let base = kv + (i * cc + c0) * kk
            for c in 0..<cg { let src = base + c * kk; for u in 0..<kk { kt[u * cg + c] = src[u] } }
        }
        func autocorrelate(_ kt: UnsafeMutablePointer<Double>, _ a: UnsafeMutablePointer<Double>) {
            a.update(repeating: 0, count: hN * cg)
            for p in 0..<np {
                let ku = kt + pu[p] * cg, kw = kt + pv[p] * cg, ah = a + ph[p] * cg
                for c in 0..<cg { ah[c] += ku[c] * kw[c] }
            }
        }
        func norms1(_ kt: UnsafeMutablePointer<Double>) {
            l1.update(repeating: 0, count: cg)
            for u in 0..<kk { let ku = kt + u * cg; for c in 0..<cg { l1[c] += abs(ku[c]) } }
        }
        /// G = 2 Σ_v W(v−u) K(v) (W already doubled), scattered into kernel i's gradient.
        func gradient(_ i: Int, _ kt: UnsafeMutablePointer<Double>, into gp: UnsafeMutablePointer<Double>) {
            g.update(repeating: 0, count: kk * cg)
            for p in 0..<np {
                let uu = pu[p], vv = pv[p], wh = w + ph[p] * cg
                let ku = kt + uu * cg, kw = kt + vv * cg, gu = g + uu * cg
                if uu == vv {
                    for c in 0..<cg { gu[c] += wh[c] * ku[c] }
                } else {
                    let gv = g + vv * cg
                    for c in 0..<cg { gu[c] += wh[c] * kw[c]; gv[c] += wh[c] * ku[c] }
                }
            }
            let base = gp + ((i - gpFirst) * cc + c0) * kk
            for c in 0..<cg { let dst = base + c * kk; for u in 0..<kk { dst[u] = g[u * cg + c] } }
        }
        /// Per-entry gradient error factor (σ-part + ‖K_ic‖²)·‖K_ic‖₁, squared and summed over the group.
        func addGradErr(_ i: Int, _ aCur: UnsafeMutablePointer<Double>, _ omega: (Int) -> Double) {
            var e2 = 0.0
            for c in 0..<cg {
                let e = (omega(c) + aCur[c] * fK) * (l1[c] * fK) * f4
                e2 += Double(kk) * e * e
            }
            gradErr2[i] += e2
        }
        func addNorms(_ aCur: UnsafeMutablePointer<Double>) {
            for c in 0..<cg {
                sigma[c] += aCur[c] * fK
                let l = l1[c] * fK
                lambda[c] += l * l
            }
        }

        var (ktCur, ktNext, aPrev, aCur, aNext) = rolling
        defer { rolling = (ktCur, ktNext, aPrev, aCur, aNext) }
        switch pass {
        case .pairsFirst:
            for i in 0..<m {
                load(i, ktCur); autocorrelate(ktCur, aCur); norms1(ktCur); addNorms(aCur)
                for t in 0..<(hN * cg) { let x = aCur[t]; s[t] += x; q[t] += x * x }
            }
            var pS = 0.0, qS = 0.0
            for h in 0..<hN {
                let wt = h == 0 ? 1.0 : 2.0
                var ps = 0.0, qs = 0.0
                for c in 0..<cg { let x = s[h * cg + c]; ps += x * x; qs += q[h * cg + c] }
                pS += wt * ps; qS += wt * qs
            }
            total = 0.5 * (pS - qS)
            if gp != nil {
                for c in 0..<cg { sigma[c] = FloatingPointBounds.inflate(sigma[c], operations: inflM) }
            }
        case .pairsGradient:
            guard let gp else { return }
            var i = next
            while i < end {
                load(i, ktCur); autocorrelate(ktCur, aCur); norms1(ktCur)
                for t in 0..<(hN * cg) { w[t] = 2 * (s[t] - aCur[t]) }
                gradient(i, ktCur, into: gp)
                addGradErr(i, aCur) { sigma[$0] }
                i += 1
            }
            next = i
        case .adjacent:
            let acc = q   // Σ_i A_i(h)·A_{i+1}(h) per (h, c)
            var i = next
            if i == 0 && end > 0 { load(0, ktCur); autocorrelate(ktCur, aCur) }
            while i < end {
                if i + 1 < m { load(i + 1, ktNext); autocorrelate(ktNext, aNext) } else { aNext.update(repeating: 0, count: hN * cg) }
                if i + 1 < m { for t in 0..<(hN * cg) { acc[t] += aCur[t] * aNext[t] } }
                norms1(ktCur); addNorms(aCur)
                if let gp {
                    for t in 0..<(hN * cg) { w[t] = 2 * (aPrev[t] + aNext[t]) }
                    gradient(i, ktCur, into: gp)
                    let prev = aPrev, nextA = aNext
                    addGradErr(i, aCur) { (prev[$0] + nextA[$0]) * fK1 }
                }
                swap(&aPrev, &aCur); swap(&aCur, &aNext); swap(&ktCur, &ktNext)
                i += 1
            }
            next = i
            if i == m && m > 0 {
                total = 0
                for h in 0..<hN {
                    var t = 0.0
                    for c in 0..<cg { t += acc[h * cg + c] }
                    total += (h == 0 ? 1.0 : 2.0) * t
                }
            }
        }
    }

    func partial() -> FastSimilarity.LagPartial {
        let inflM = m + kk + 4
        var sl = 0.0
        for c in 0..<cg {
            sl += FloatingPointBounds.inflate(sigma[c], operations: inflM) * FloatingPointBounds.inflate(lambda[c], operations: inflM)
        }
        return FastSimilarity.LagPartial(value: total, sigmaLambda: FloatingPointBounds.inflate(sl, operations: cg + 2), gradErr2: gradErr2)
    }
}
