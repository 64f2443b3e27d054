import BigInt
import ConvSimCertificates
import ConvSimCore

/// A counterexample found by a strategy, with everything needed to write its
/// certificate and its section of the report.
public struct Finding: Sendable, Equatable {
    public var strategy: String
    /// Certificate claim kind (Documentation/Certificates.md).
    public var claim: ClaimKind
    /// The belief this refutes, in words.
    public var refutes: String
    public var kernels: KernelBank
    public var inputName: String
    public var featureCosine: Double
    public var kernelCosine: Double
    /// Wielandt bound for the data (adversarial) when relevant.
    public var bound: Double?
    public var exact: Bool
    public var notes: [String]
    public var extra: [String: Double]
    /// The certificate written for it (set when the report is written).
    public var certificate: Certificate?

    public init(strategy: String, claim: ClaimKind, refutes: String, kernels: KernelBank, inputName: String,
                featureCosine: Double, kernelCosine: Double, bound: Double? = nil, exact: Bool,
                notes: [String] = [], extra: [String: Double] = [:], certificate: Certificate? = nil) {
        self.strategy = strategy; self.claim = claim; self.refutes = refutes; self.kernels = kernels
        self.inputName = inputName; self.featureCosine = featureCosine; self.kernelCosine = kernelCosine
        self.bound = bound; self.exact = exact; self.notes = notes; self.extra = extra; self.certificate = certificate
    }
}

/// Turning real kernel pairs into small-integer ones that keep the property
/// exactly, and the exact check of the claim "orthogonal kernels, similar
/// feature maps".
public enum IntegerPairs {
    /// Rounds `a` and `b` to integers at scale `s` (largest entry ≈ s), then
    /// makes them exactly orthogonal with one fraction-free Gram–Schmidt step,
    /// `b' = (a·a)·b − (a·b)·a`, and divides each by the gcd of its entries.
    /// Returns nil when a rounded vector vanishes or entries would pass 2⁵³.
    public static func orthogonal(_ a: [Double], _ b: [Double], scale s: Double) -> ([Double], [Double])? {
        let ma = a.map(abs).max() ?? 0, mb = b.map(abs).max() ?? 0
        guard ma > 0, mb > 0 else { return nil }
        let ai = a.map { ($0 / ma * s).rounded() }
        let bi = b.map { ($0 / mb * s).rounded() }
        guard let A = ExactArithmetic.integers(ai), let B = ExactArithmetic.integers(bi) else { return nil }
        let aa = ExactForms.dot(A, A)
        let ab = ExactForms.dot(A, B)
        guard aa != 0 else { return nil }
        var bp = zip(A, B).map { aa * $0.1 - ab * $0.0 }
        guard bp.contains(where: { $0 != 0 }) else { return nil }
        let g = bp.reduce(BigInt(0)) { $0.greatestCommonDivisor(with: $1) }
        if g > 1 { bp = bp.map { $0 / g } }
        let ga = A.reduce(BigInt(0)) { $0.greatestCommonDivisor(with: $1) }
        let ar = ga > 1 ? A.map { $0 / ga } : A
        let limit = BigInt(1) << 53
        guard bp.allSatisfy({ $0.magnitude < limit.magnitude }) else { return nil }
        return (ar.map { Double($0) }, bp.map { Double($0) })
    }

    /// Exact evaluation of a pair on exact statistics: kernel dot, feature Gram entries.
    public struct ExactPair {
        public let dot: BigInt
        public let gab: BigInt, gaa: BigInt, gbb: BigInt
        public var featureCosine: Double { ExactArithmetic.cosine(gab, gaa, gbb) }
        /// `|G_ab|/√(G_aa·G_bb) ≥ τ` exactly, for an exact threshold `τ`.
        public func cosineAtLeast(_ tau: Rational) -> Bool {
            guard gaa > 0, gbb > 0 else { return false }
            return ExactArithmetic.cosineAtLeast(gab, gaa, gbb, p: tau.num, q: tau.den)
        }
    }

    public static func exact(_ a: [Double], _ b: [Double], on stats: PatchStatistics) -> ExactPair? {
        guard let A = ExactArithmetic.integers(a), let B = ExactArithmetic.integers(b),
              let G = ExactArithmetic.integers(stats.gram) else { return nil }
        let dot = ExactForms.dot(A, B)
        return ExactPair(dot: dot, gab: ExactArithmetic.quadratic(A, G, B),
                         gaa: ExactArithmetic.quadratic(A, G, A), gbb: ExactArithmetic.quadratic(B, G, B))
    }
}

/// Shrinking (as Hypothesis does): from a found counterexample, try simpler
/// variants in order — smaller kernels, then smaller centred crops, then
/// smaller integer entries — and keep the first that still refutes the claim,
/// checked exactly.
public enum PairShrinker {
    public struct Result {
        public let stats: PatchStatistics
        public let a: [Double]
        public let b: [Double]
        public let exact: IntegerPairs.ExactPair
        public let scale: Double
        public let crop: Int
    }

    public static let scales: [Double] = [1, 2, 3, 4, 6, 10, 20, 50, 100, 1000, 100_000]

    /// - Parameters:
    ///   - construct: builds a real pair for given statistics (nil if impossible).
    ///   - kernelSizes: candidate kernel sizes, simplest first.
    ///   - holds: the exact predicate the shrunk pair must satisfy.
    public static func shrink(input: Signal, name: String, padding: Padding, kernelSizes: [Int],
                              construct: (PatchStatistics) -> ([Double], [Double])?,
                              holds: (IntegerPairs.ExactPair) -> Bool) -> Result? {
        let full = min(input.height, input.width)
        var crops = [4, 8, 16, 32, 64, 128, 256].filter { $0 < full }
        crops.append(full)
        for k in kernelSizes {
            for c in crops where c >= k || padding != .valid {
                let h = min(c, input.height), w = min(c, input.width)
                let x = (h == input.height && w == input.width) ? input
                    : input.cropped(y0: (input.height - h) / 2, x0: (input.width - w) / 2, height: h, width: w)
                guard let stats = try? PatchStatistics(name: name, input: x, kernelSize: k, padding: padding),
                      let (a, b) = construct(stats) else { continue }
                for s in scales {
                    guard let (ai, bi) = IntegerPairs.orthogonal(a, b, scale: s),
                          let e = IntegerPairs.exact(ai, bi, on: stats), holds(e) else { continue }
                    return Result(stats: stats, a: ai, b: bi, exact: e, scale: s, crop: c)
                }
            }
        }
        return nil
    }
}
