/// The three variants of the Convolutional Similarity (CS) of a bank
/// `K (M, C, kh, kw)` (Documentation/Theory.md#cs), built from the kernel cross-correlations
/// `T_ij,cc'(d) = Σ_u K[i,c](u)·K[j,c'](u+d)` at every lag `|d| ≤ k−1` per axis.
///
/// - `adjacent`  = `Σ_{i<M−1} Σ_c ‖T_{i,i+1,cc}‖²` — what the authors' CUDA library computes;
/// - `pairs`     = `Σ_{i<j} Σ_c ‖T_{ij,cc}‖²` — all pairs, same channel;
/// - `symmetric` = `Σ_{i<j} Σ_{c,c'} ‖S_{ij,cc'}‖²`, `S_{ij,cc'}(d) = ½(T_{ij,cc'}(d) + T_{ij,c'c}(−d))`,
///   summed over all ordered channel pairs `(c, c')` and all lags — zero iff every
///   pair of kernels gives orthogonal feature maps for every input (T2).
///
/// `‖·‖²` is the sum of squares over all lags. Because `T_{ij,c'c}(−d) = T_{ji,cc'}(d)`,
/// `S_{ij} = ½(T_{ij} + T_{ji})` is symmetric in `(i, j)`.
public enum CSVariant: String, CaseIterable, Sendable, Codable {
    case adjacent, pairs, symmetric

    /// The unordered kernel pairs `(i, j)`, `i < j`, the variant sums over.
    public func pairs(count m: Int) -> [(Int, Int)] {
        switch self {
        case .adjacent: return m < 2 ? [] : (0..<(m - 1)).map { ($0, $0 + 1) }
        case .pairs, .symmetric:
            var p: [(Int, Int)] = []
            for i in 0..<m { for j in (i + 1)..<max(i + 1, m) { p.append((i, j)) } }
            return p
        }
    }

    /// Whether the variant couples different channels (`c ≠ c'`).
    public var crossChannel: Bool { self == .symmetric }

    /// The formula in words, for help texts and reports.
    public var formula: String {
        switch self {
        case .adjacent: return "Σ_{i<M−1} Σ_c ‖T_{i,i+1,cc}‖²"
        case .pairs: return "Σ_{i<j} Σ_c ‖T_{ij,cc}‖²"
        case .symmetric: return "Σ_{i<j} Σ_{c,c'} ‖½(T_{ij,cc'}(d) + T_{ij,c'c}(−d))‖²"
        }
    }
}

/// A Convolutional Similarity value with a certified bound on its rounding error
/// and, optionally, the exact gradient with respect to every kernel entry.
public struct CSResult: Sendable {
    public var variant: CSVariant
    /// The computed value.
    public var value: Double
    /// A-priori bound: `|value − CS_exact(bank)| ≤ bound` (bank = the floating-point bank evaluated).
    public var bound: Double
    /// `∂CS/∂K[i,c,u,v]` in the bank's OIHW layout, when requested.
    public var gradient: [Double]?
    /// Per kernel `i`: a bound on the Euclidean norm of the gradient error over all
    /// entries of kernel `i` (hence on the error of each of its entries), when requested.
    public var gradientBound: [Double]?

    public init(variant: CSVariant, value: Double, bound: Double, gradient: [Double]? = nil, gradientBound: [Double]? = nil) {
        self.variant = variant; self.value = value; self.bound = bound
        self.gradient = gradient; self.gradientBound = gradientBound
    }

    /// The per-entry gradient bound expanded to the bank's layout.
    public func gradientBoundPerEntry(kernelLength: Int) -> [Double]? {
        gradientBound.map { b in b.flatMap { [Double](repeating: $0, count: kernelLength) } }
    }
}
