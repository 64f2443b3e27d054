import BigInt
import ConvSimCertificates
import ConvSimCore
import ConvSimCorrelation

/// The counterexample search on a dataset known only through its patch statistics
/// (`convsim search --stats S.stats`, Documentation/Theory.md#stats): the dataset's patch Gram
/// `𝐆` (the fold of the file's blocks) and its entrywise rounding bound `E` stand for the
/// images. For kernels `a`, `b`, `<F_a, F_b> = aᵀ𝐆*b` summed over the dataset
/// (Documentation/Theory.md#patch-gram), so a trial costs `O(m²)`, `m = C·kh·kw`, whatever the
/// dataset's size.
///
/// Strategies (a table, as `Strategies` for images):
/// - `adversarial`: the Wielandt pair `v_max ± v_min` of `𝐆` (T4), the most similar feature
///   maps an orthogonal pair can have on these data;
/// - `random`: `trials` Haar-random orthonormal pairs, the distribution of `|cos|`;
/// - `gradient`: one projected ascent of `Σ_{i<j} cos²` over orthonormal banks of `bankSize`
///   kernels per 100 trials (`GradientStrategy.ascend`, the image search's), the most similar
///   pair of the best bank certified.
///
/// Each best pair is shrunk to small integers (`IntegerPairs.orthogonal`, exactly orthogonal)
/// and certified by `DatasetPairVerifier`: the claim `|cos| ≥ τ` holds for every patch Gram in
/// the box `|𝐆* − 𝐆| ≤ E`, decided in exact arithmetic. Nothing is written that does not hold.
/// There are no crops to shrink: the images are not at hand.
public enum DatasetSearch {
    public static let strategies: [(name: String, summary: String)] = [
        ("adversarial", "Wielandt pair of the dataset's patch Gram: the most similar feature maps orthogonal kernels can have (T4)"),
        ("random", "Haar-random orthogonal pairs: the distribution of feature-map |cos| over the dataset"),
        ("gradient", "projected gradient ascent of feature-map similarity over orthonormal banks of M kernels"),
    ]
    public static var names: [String] { strategies.map(\.name) }

    public struct Config: Sendable {
        public var strategies: [String]
        public var trials: Int
        public var seed: UInt64
        public var threshold: Rational
        /// Kernels per bank for `gradient` (2 … the order `C·kh·kw`).
        public var bankSize: Int = 4
        /// The command line that reproduces the run, and what the statistics are (for provenance).
        public var command: String
        public var statistics: String
        public init(strategies: [String], trials: Int, seed: UInt64, threshold: Rational, command: String, statistics: String) {
            self.strategies = strategies; self.trials = trials; self.seed = seed; self.threshold = threshold
            self.command = command; self.statistics = statistics
        }
    }

    /// What the search found, typed; the report module renders it.
    public struct Result: Sendable {
        public let config: Config
        public let channels: Int, kernelHeight: Int, kernelWidth: Int
        public let padding: Padding
        public let images: Int
        /// Eigenvalues of `(𝐆 + 𝐆ᵀ)/2`, ascending (LAPACK, floating point).
        public let eigenvalues: [Double]
        /// `(λmax − λmin)/(λmax + λmin)` (NaN for a zero Gram).
        public let wielandtBound: Double
        /// `max |𝐆_rs|` and `max E_rs`: how wide the certified box is.
        public let largestEntry: Double, largestBound: Double
        /// The unrounded Wielandt pair's `|cos|` on `𝐆` (adversarial).
        public var adversarialCosine: Double?
        /// `|cos|` of each Haar-random orthonormal pair, in trial order (random).
        public var randomCosines: [Double] = []
        /// Each `gradient` start's final mean pairwise `|cos|`, and the best bank's.
        public var gradientFinal: [Double] = []
        public var gradientBest: Double?
        public var findings: [Finding] = []
        public var order: Int { channels * kernelHeight * kernelWidth }
    }

    /// Runs the configured strategies on `gram` (the fold of a statistics file).
    /// - Throws: `invalidArgument` for an unknown strategy or a Gram without positive
    ///   eigenvalue; LAPACK's failure as `ConvSimError`.
    public static func run(gram: PatchGram, config: Config, onProgress: ((String, Int, Int) -> Void)? = nil) throws -> Result {
        let m = gram.order
        for s in config.strategies where !names.contains(s) {
            throw ConvSimError.invalidArgument("strategy '\(s)' does not run on statistics (known with --stats: \(names.joined(separator: ", ")))")
        }
        guard m >= 2 else { throw ConvSimError.invalidArgument("the statistics have order C·kh·kw = \(m); a pair of orthogonal kernels needs at least 2") }
        if config.strategies.contains("gradient") && !(2...m).contains(config.bankSize) {
            throw ConvSimError.invalidArgument("--bank-size \(config.bankSize) must lie in 2…\(m) = C·k², the most orthonormal kernels these statistics allow")
        }
        var sym = gram.matrix
        for r in 0..<m { for c in (r + 1)..<m {
            let v = 0.5 * (sym[r * m + c] + sym[c * m + r]); sym[r * m + c] = v; sym[c * m + r] = v
        } }
        let eigen = try LinearAlgebra.symmetricEigen(sym, order: m)
        var result = Result(config: config, channels: gram.channels, kernelHeight: gram.kernelHeight, kernelWidth: gram.kernelWidth,
                            padding: gram.padding, images: gram.images, eigenvalues: eigen.values,
                            wielandtBound: Wielandt.bound(ascendingEigenvalues: eigen.values) ?? .nan,
                            largestEntry: gram.matrix.map(abs).max() ?? 0, largestBound: gram.bound.max() ?? 0)
        let cosine = { (a: [Double], b: [Double]) in PatchStatistics.featureCosine(gram.matrix, order: m, a, b) }
        if config.strategies.contains("adversarial"), (eigen.values.last ?? 0) > 0 {
            onProgress?("adversarial", 0, 1)
            let vMin = Array(eigen.vectors[0..<m]), vMax = Array(eigen.vectors[((m - 1) * m)..<(m * m)])
            let p = Wielandt.pair(vMin: vMin, vMax: vMax)
            let cos = abs(cosine(p.a, p.b))
            result.adversarialCosine = cos
            if let f = finding(strategy: "adversarial", a: p.a, b: p.b, best: cos, gram: gram, config: config,
                               bound: result.wielandtBound, note: "unrounded Wielandt pair: |cos| \(Fmt.f(cos, 6)) = bound \(Fmt.f(result.wielandtBound, 6))") {
                result.findings.append(f)
            }
            onProgress?("adversarial", 1, 1)
        }
        if config.strategies.contains("random") {
            var rng = SeededRandom(seed: config.seed)
            var best: (cos: Double, a: [Double], b: [Double])? = nil
            result.randomCosines.reserveCapacity(config.trials)
            let step = max(1, config.trials / 100)
            for t in 0..<config.trials {
                let (a, b) = rng.orthonormalPair(m)
                let c = abs(cosine(a, b))
                result.randomCosines.append(c)
                if c > (best?.cos ?? -1) { best = (c, a, b) }
                if (t + 1) % step == 0 || t + 1 == config.trials { onProgress?("random", t + 1, config.trials) }
            }
            if let b = best, let f = finding(strategy: "random", a: b.a, b: b.b, best: b.cos, gram: gram,
                                             config: config, note: "best of \(config.trials) Haar-random orthogonal pairs: |cos| \(Fmt.f(b.cos, 6))") {
                result.findings.append(f)
            }
        }
        if config.strategies.contains("gradient") {
            var rng = SeededRandom(seed: config.seed ^ 0x6772_6164_6965_6e74)   // its own stream ("gradient")
            let starts = max(1, config.trials / 100), b = config.bankSize
            var best: [[Double]]? = nil
            for s in 0..<starts {
                let (bank, curve) = GradientStrategy.ascend(gram: gram.matrix, order: m, m: b, rng: &rng)
                let final = curve.last ?? 0
                result.gradientFinal.append(final)
                if final > (result.gradientBest ?? -1) { result.gradientBest = final; best = bank }
                onProgress?("gradient", s + 1, starts)
            }
            if let bank = best {
                var bi = 0, bj = 1, bc = -1.0
                for i in 0..<b { for j in (i + 1)..<b { let c = abs(cosine(bank[i], bank[j])); if c > bc { bc = c; bi = i; bj = j } } }
                if let f = finding(strategy: "gradient", a: bank[bi], b: bank[bj], best: bc, gram: gram, config: config,
                                   note: "best of \(starts) bank(s) of \(b): mean pairwise |cos| \(Fmt.f(result.gradientBest ?? .nan, 6)); pair (\(bi), \(bj)) |cos| \(Fmt.f(bc, 6))") {
                    result.findings.append(f)
                }
            }
        }
        return result
    }

    /// The pair shrunk to the smallest integer scale whose exactly orthogonal integer pair is
    /// certified at the claim threshold (the configured one, or `⌊best·1000⌋/1000` when the
    /// best is below it); nil when none is.
    static func finding(strategy: String, a: [Double], b: [Double], best: Double, gram: PatchGram,
                        config: Config, bound: Double? = nil, note: String) -> Finding? {
        let stated = gram.stated
        let tau = ClaimThreshold.capped(config.threshold, best: best)
        guard tau.sign > 0 else { return nil }
        let statement = "Refutes: \(Claims.orthogonalityBelief) Kernels 0 and 1 have kernel dot product exactly 0, yet their feature maps over the dataset (\(gram.images) image(s), \(gram.padding.rawValue) padding) have |cosine| ≥ \(tau.text) for every patch Gram within the statistics' certified bound."
        let provenance = Provenance(command: config.command, seed: String(config.seed), statement: statement,
                                    inputDescription: config.statistics, strategy: strategy)
        for s in PairShrinker.scales {
            guard let (ai, bi) = IntegerPairs.orthogonal(a, b, scale: s) else { continue }
            let bank = KernelBank(count: 2, channels: gram.channels, kernelHeight: gram.kernelHeight, kernelWidth: gram.kernelWidth,
                                  values: ai + bi)
            guard let cert = DatasetPairVerifier.certificate(kernels: bank, patchGram: stated, padding: gram.padding,
                                                             threshold: tau, provenance: provenance) else { continue }
            return Finding(strategy: strategy, claim: .orthogonalKernelsSimilarDatasetFeatureMaps, refutes: Claims.orthogonalityBelief,
                           kernels: bank, inputName: config.statistics,
                           featureCosine: PatchStatistics.featureCosine(gram.matrix, order: stated.order, ai, bi), kernelCosine: 0,
                           bound: bound, exact: false,
                           notes: [note, "shrunk to integer scale \(Int(s)); certified for every patch Gram within the statistics' bound, at |cos| ≥ \(tau.text)"],
                           certificate: cert)
        }
        return nil
    }
}

extension PatchGram {
    /// The patch Gram and its bound as a dataset certificate states them (`data.patch_gram`).
    public var stated: StatedPatchGram { StatedPatchGram(order: order, values: matrix, bound: bound) }
}
