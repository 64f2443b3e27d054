import ConvSimCore

/// The authors' Gram–Schmidt-style initialization `z_init` (Documentation/Theory.md#training).
///
/// For each kernel `i` in order and each channel `c`, with `v = vec(K[i,c])` the
/// flattened `kh·kw` vector: for every earlier kernel `j < i` (already processed) and
/// every circular shift `s = 0 … kh·kw−1` of its flattened channel `c`,
/// `r = roll(vec(K[j,c]), s)`, subtract in turn `v ← v − (⟨v, r⟩/⟨r, r⟩)·r`; then
/// `v ← v/‖v‖₂`. The shifts are not mutually orthogonal, so this is sequential
/// projection, not an exact Gram–Schmidt: the result is not orthogonal to every
/// shift in general. Every output `K[i,c]` has unit norm.
public enum ShiftGramSchmidt {
    /// `roll(x, s)[t] = x[(t − s) mod n]` (NumPy `np.roll` convention).
    public static func roll(_ x: [Double], _ s: Int) -> [Double] {
        let n = x.count
        return (0..<n).map { x[(($0 - s) % n + n) % n] }
    }

    /// - Throws: `ConvSimError.invalidArgument` when some `K[i,c]` becomes exactly
    ///   zero (it lies in the span of the projections, or was zero), naming it.
    public static func apply(_ bank: KernelBank) throws -> KernelBank {
        let m = bank.count, cc = bank.channels, kk = bank.taps
        var out = bank
        for i in 0..<m {
            for c in 0..<cc {
                let base = (i * cc + c) * kk
                var v = Array(out.values[base..<(base + kk)])
                for j in 0..<i {
                    let rb = (j * cc + c) * kk
                    let r0 = Array(out.values[rb..<(rb + kk)])
                    for s in 0..<kk {
                        let r = roll(r0, s)
                        var vr = 0.0, rr = 0.0
                        for t in 0..<kk { vr += v[t] * r[t]; rr += r[t] * r[t] }
                        if rr == 0 { continue }
                        let coef = vr / rr
                        for t in 0..<kk { v[t] -= coef * r[t] }
                    }
                }
                var n2 = 0.0
                for t in 0..<kk { n2 += v[t] * v[t] }
                guard n2 > 0, n2.isFinite else {
                    throw ConvSimError.invalidArgument("shift-gram-schmidt: kernel \(i), channel \(c) is zero after removing the projections on the shifts of earlier kernels; it cannot be normalized")
                }
                let n = n2.squareRoot()
                for t in 0..<kk { out.values[base + t] = v[t] / n }
            }
        }
        return out
    }
}
