/// The four padding modes of PyTorch's `conv2d` at stride 1 (Documentation/Theory.md#padding).
public enum Padding: String, Sendable, CaseIterable, Codable {
    case valid, same, full, circular

    /// Left padding `o` on an axis with kernel size `k`.
    @inlinable public func leftPad(kernel k: Int) -> Int {
        switch self {
        case .valid: return 0
        case .same, .circular: return (k - 1) / 2
        case .full: return k - 1
        }
    }

    /// Output length on an axis of input length `n` and kernel size `k`
    /// (`0` when a valid correlation has no output).
    @inlinable public func outputLength(input n: Int, kernel k: Int) -> Int {
        switch self {
        case .valid: return max(0, n - k + 1)
        case .same, .circular: return n
        case .full: return n + k - 1
        }
    }

    /// The offsets `s = p − o` of the output positions `p` on one axis: output `p`
    /// reads input samples `s + u`, `u = 0…k−1`. A contiguous range.
    @inlinable public func offsets(input n: Int, kernel k: Int) -> Range<Int> {
        let o = leftPad(kernel: k)
        return (-o)..<(-o + outputLength(input: n, kernel: k))
    }

    /// Zero padding (valid, same, full) as opposed to wrap-around (circular).
    @inlinable public var isCircular: Bool { self == .circular }

    /// Whether T1 (the correlation identity with linear or circular `R`) is exact:
    /// true for `full` and `circular`, false for `valid` and `same` (T1b).
    @inlinable public var correlationIdentityIsExact: Bool { self == .full || self == .circular }
}
