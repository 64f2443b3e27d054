/// Exact dot products and quadratic forms over integers (`Int` where a bit bound rules out
/// overflow, `BigInt` otherwise): the one implementation of `Σ a_t b_t` and of the Gram entry
/// `<F_a, F_b> = aᵀ 𝐆^P b` (Documentation/Theory.md#patch-gram), used by the certificates
/// (`ExactInstance`) and by the search's exact checks (`IntegerPairs`).
public enum ExactForms {
    /// `Σ_t a_t b_t` over the common length.
    @inlinable
    public static func dot<T: SignedInteger, A: Collection<T>, B: Collection<T>>(_ a: A, _ b: B) -> T {
        var s: T = 0
        for (x, y) in zip(a, b) { s += x * y }
        return s
    }

    /// `aᵀ G b` for a row-major `m×m` matrix `G`, `m = a.count = b.count` (zero entries of `a`
    /// and `b` skipped).
    @inlinable
    public static func quadratic<T: SignedInteger, A: Collection<T>, B: Collection<T>>(_ a: A, _ g: [T], _ b: B) -> T {
        let m = a.count
        var s: T = 0
        for (r, ar) in a.enumerated() where ar != 0 {
            var row: T = 0
            for (c, bc) in b.enumerated() where bc != 0 { row += g[r * m + c] * bc }
            s += ar * row
        }
        return s
    }
}
