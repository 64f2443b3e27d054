/// FNV-1a, 64 bits (Fowler–Noll–Vo): a fast hash that detects damage (any changed byte), not
/// tampering. Used for the content hashes of checkpoints and statistics files, and to derive
/// per-check seeds from names.
package enum FNV {
    package static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    /// The hash of `bytes`, continued from `h` (start from `offset`).
    package static func hash<S: Sequence>(_ bytes: S, from h: UInt64 = offset) -> UInt64 where S.Element == UInt8 {
        var h = h
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}
