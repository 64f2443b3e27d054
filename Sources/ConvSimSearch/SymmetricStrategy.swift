import BigInt
import ConvSimCertificates
import ConvSimCore
import ConvSimCorrelation

/// `symmetric`: pairs whose feature maps are orthogonal for *every* input
/// (T2: the symmetric part `S_ab` vanishes) although the kernels do not look
/// related, and which the paper's Convolutional Similarity penalizes.
///
/// Construction: a random integer kernel `a₀` (`k×k`, every channel), a random
/// antisymmetric integer filter `h` (`h(−u) = −h(u)`, 3×3, so `ĥ(ω)` is purely
/// imaginary), `b = a₀ ∗ h` (full 2-D convolution, `(k+2)×(k+2)`) and `a = a₀`
/// centred in `(k+2)×(k+2)`. Then `k_b(ω) = ĥ(ω) k_a(ω)` channel by channel, the
/// Hermitian part of `k_a k_bᴴ` is zero, `S_ab ≡ 0`, and `<F_a, F_b> = 0` on
/// every input for full and circular padding — checked exactly in integers.
public struct SymmetricStrategy: SearchStrategy {
    public let name = "symmetric"
    public let summary = "pairs with exactly orthogonal feature maps for every input that the paper's CS penalizes (T2)"
    public init() {}

    public func units(_ context: SearchContext) -> Int { context.config.trials }

    /// Builds `(a, b)` of size `(k+2)×(k+2)` over `c` channels from `a₀` (`c·k·k`) and `h` (3×3).
    static func construct(a0: [Int], h: [Int], channels c: Int, k: Int) -> ([Double], [Double]) {
        let n = k + 2
        var a = [Double](repeating: 0, count: c * n * n), b = a
        for ch in 0..<c {
            for y in 0..<k { for x in 0..<k {
                let v = a0[(ch * k + y) * k + x]
                a[(ch * n + y + 1) * n + x + 1] = Double(v)
                for dy in 0..<3 { for dx in 0..<3 {
                    // true convolution: b(y+dy, x+dx) += a0(y,x)·h(dy,dx)
                    b[(ch * n + y + dy) * n + x + dx] += Double(v * h[dy * 3 + dx])
                } }
            } }
        }
        return (a, b)
    }

    /// Random antisymmetric 3×3 integer filter (centre 0, `h(2−y, 2−x) = −h(y, x)`), not zero.
    static func antisymmetric(_ rng: inout SeededRandom) -> [Int] {
        while true {
            var h = [Int](repeating: 0, count: 9)
            for i in 0..<4 { let v = rng.integer(in: -2...2); h[i] = v; h[8 - i] = -v }
            if h.contains(where: { $0 != 0 }) { return h }
        }
    }

    /// Exact `(paper CS, symmetric CS, ‖a‖², ‖b‖², <a,b>)` of the pair.
    static func exactMeasures(_ a: [Double], _ b: [Double], channels c: Int, n: Int) -> (paper: Rational, sym: Rational, aa: Rational, bb: Rational, dot: Rational) {
        let e = ExactInstance(kernels: KernelBank(count: 2, channels: c, kernelHeight: n, kernelWidth: n, values: a + b))
        return (e.paperCS(0, 1), e.symmetricCS(0, 1), e.kernelDot(0, 0), e.kernelDot(1, 1), e.kernelDot(0, 1))
    }

    public func initialData(_ context: SearchContext) -> StrategyData { .symmetric(SymmetricState()) }

    public func advance(_ state: inout StrategyState, context: SearchContext, count: Int) {
        guard case .symmetric(var data) = state.data else { return }   // `validate` refuses another kind
        var rng = SeededRandom(seed: state.rng)
        let k = context.config.kernelSize
        let channels = context.stats.first?.input.channels ?? 1
        for _ in 0..<count {
            let a0 = (0..<(channels * k * k)).map { _ in rng.integer(in: -3...3) }
            let h = Self.antisymmetric(&rng)
            guard a0.contains(where: { $0 != 0 }) else { state.done += 1; continue }
            let (a, b) = Self.construct(a0: a0, h: h, channels: channels, k: k)
            let e = Self.exactMeasures(a, b, channels: channels, n: k + 2)
            // Normalized paper CS: CS / (‖a‖²‖b‖²), scale-free (it can exceed 1: ‖a ⋆ b‖₂ ≤ ‖a‖₁‖b‖₂ only).
            let norm = (e.paper / (e.aa * e.bb)).approximate
            data.paperCSNormalized.append(norm)
            if e.sym.isZero { data.symmetricPartZero += 1 }
            if norm > (data.best?.cosine ?? -1) { data.best = BestPair(cosine: norm, a: a, b: b) }
            state.done += 1
        }
        state.rng = rng.state
        state.data = .symmetric(data)
    }

    public func finish(_ state: StrategyState, context: SearchContext) -> (findings: [Finding], measured: Measurements) {
        var result = SymmetricResult(settings: ResultSettings(context.config))
        let k = context.config.kernelSize, n = k + 2
        guard case .symmetric(let data) = state.data else { return ([], .symmetric(result)) }
        result.paperCSNormalized = data.paperCSNormalized.values
        result.symmetricPartZero = data.symmetricPartZero
        var findings: [Finding] = []
        if let best = data.best, let st = context.stats.first {
            let a = best.a, b = best.b
            let c = st.input.channels
            // Cosines of the found pair under every padding (T2 needs full/circular; same/valid are off by a border term).
            let bank = KernelBank(count: 2, channels: c, kernelHeight: n, kernelWidth: n, values: a + b)
            var paddings: [SymmetricResult.PaddingCosine] = []
            for p in Padding.allCases {
                if let r = try? CorrelationGram.gram(inputs: [st.input], kernels: bank, padding: p) {
                    paddings.append(.init(padding: p, cosine: r.cosine[0, 1], bound: r.bound[0, 1]))
                }
            }
            result.best = .init(inputName: st.name, channels: c, size: n, a: a, b: b, normalizedPaperCS: best.cosine, paddings: paddings)
            // Shrink: the simplest pair of the family — a₀ = [1] on channel 0, h = horizontal difference.
            let shrunk = Self.simplest(channels: c)
            let e = Self.exactMeasures(shrunk.0, shrunk.1, channels: c, n: 3)
            let crop = min(16, st.input.height, st.input.width)
            let x = st.input.cropped(y0: (st.input.height - crop) / 2, x0: (st.input.width - crop) / 2, height: crop, width: crop)
            let sb = KernelBank(count: 2, channels: c, kernelHeight: 3, kernelWidth: 3, values: shrunk.0 + shrunk.1)
            let ex = ExactInstance(kernels: sb, input: x, padding: .full)
            let gFull = ex.gram(0, 1), gCirc = ex.gram(0, 1, padding: .circular)
            let provenance = Provenance(
                command: context.command, seed: String(context.config.seed),
                statement: "Refutes: a positive paper Convolutional Similarity means redundant feature maps. Kernels 0 and 1 have S_ab ≡ 0, so <F_0, F_1> = 0 on every input for full and circular padding (T2), while the paper's CS of the pair is \(e.paper) > 0. The stored input is one such input.",
                inputDescription: "\(st.name), centred crop \(crop)×\(crop), 8-bit values", strategy: name)
            if let cert = EveryInputVerifier.certificate(kernels: sb, input: x, padding: .full, provenance: provenance) {
                findings.append(Finding(strategy: name, claim: .orthogonalFeatureMapsForEveryInput,
                                        refutes: "A positive Convolutional Similarity means redundant feature maps.",
                                        kernels: sb, inputName: "every input (checked on \(st.name) crop \(crop)×\(crop))",
                                        featureCosine: 0, kernelCosine: 0, exact: true,
                                        notes: ["most penalized found pair: normalized paper CS \(Fmt.f(best.cosine, 4)) with S ≡ 0",
                                                "shrunk to a = centre delta, b = horizontal difference [1, 0, −1] on channel 0: paper CS \(e.paper), S ≡ 0: \(e.sym.isZero), exact <F_a,F_b> full = \(gFull), circular = \(gCirc)"],
                                        extra: ["paper_cs": e.paper.approximate], certificate: cert))
            }
        }
        return (findings, .symmetric(result))
    }

    static func simplest(channels c: Int) -> ([Double], [Double]) {
        var a = [Double](repeating: 0, count: c * 9), b = a
        a[4] = 1
        b[3] = 1; b[5] = -1
        return (a, b)
    }

    public func validate(_ state: StrategyState, context: SearchContext) throws {
        let check = StateCheck(strategy: name)
        guard case .symmetric(let data) = state.data else { throw check.fail("not the state of this strategy") }
        try check.series(data.paperCSNormalized, "paperCSNormalized", count: 0...state.done)
        guard (0...data.paperCSNormalized.count).contains(data.symmetricPartZero) else {
            throw check.fail("symmetricPartZero = \(data.symmetricPartZero) outside 0…\(data.paperCSNormalized.count)")
        }
        let c = context.stats.first?.input.channels ?? 1, n = context.config.kernelSize + 2
        try check.pair(data.best, order: c * n * n, "best")
    }
}

/// What `symmetric` collects: the normalized paper CS `CS/(‖a‖²‖b‖²)` of every pair, how many
/// had `S ≡ 0` checked exactly, and the pair the paper's CS penalizes most (`best.cosine` holds
/// its normalized CS).
public struct SymmetricState: Codable, Sendable, Equatable {
    public var paperCSNormalized = Series()
    public var symmetricPartZero = 0
    public var best: BestPair?
}
