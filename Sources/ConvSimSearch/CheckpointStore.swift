import ConvSimCore
import Foundation

/// The on-disk form of a search checkpoint, in two files whose size grows with the new data
/// only:
///
/// - `checkpoint.log` — append-only. The magic line `convsimkit-search-log/3\n`, then records
///   `u16 strategy-name length, name (UTF-8), u16 key length, key, u32 n, n × binary64` (all
///   little-endian), each holding the values a series gained since the previous checkpoint.
/// - `checkpoint.json` — small, rewritten atomically after the log: the configuration, each
///   strategy's counters, best values and vectors, the length of each of its series, and the
///   length and FNV-1a hash of the log prefix it covers; sealed by an FNV-1a hash of itself.
///
/// A checkpoint covers exactly `logBytes` bytes of the log: bytes appended after it (a run killed
/// between the two writes) are ignored and cut on resume. Reading checks the format, both hashes,
/// every record's bounds and values, and that the series rebuilt from the log have the lengths
/// the head states; anything else is refused with a message, never trapped on and never used.
public struct CheckpointStore: Sendable {
    public static let headFormat = "convsimkit-search-checkpoint/3"
    static let magic = Array("convsimkit-search-log/3\n".utf8)

    /// The length of the log this store has written or read (the offset of the next append).
    public private(set) var logBytes = 0
    private var logHash: UInt64 = FNV.offset
    /// Values of each series already in the log, by strategy and key.
    private var persisted: [String: [String: Int]] = [:]

    /// A store for a new run (the first save writes the log from offset 0).
    public init() {}

    /// The bytes to write at offset `offset` of the log (truncating it there first) and the
    /// head to write after them, for `checkpoint`; the store then covers them.
    /// - Throws: if a series got shorter than what was persisted (series only grow).
    public mutating func save(_ checkpoint: SearchCheckpoint) throws -> (offset: Int, append: Data, head: Data) {
        let offset = logBytes
        var out: [UInt8] = offset == 0 ? Self.magic : []
        for name in checkpoint.states.keys.sorted() {
            guard let state = checkpoint.states[name] else { continue }
            for key in state.series.keys.sorted() {
                let values = state.series[key] ?? []
                let have = persisted[name]?[key] ?? 0
                guard values.count >= have else {
                    throw ConvSimError.invalidArgument("internal: series \(name)/\(key) shrank from \(have) to \(values.count) values")
                }
                var start = have
                while start < values.count {
                    let end = min(values.count, start + 1 << 20)
                    Self.appendRecord(name: name, key: key, values: values[start..<end], to: &out)
                    start = end
                }
                persisted[name, default: [:]][key] = values.count
            }
        }
        logHash = FNV.hash(out, from: logHash)
        logBytes = offset + out.count
        let head = Head(format: Self.headFormat, config: checkpoint.config,
                        states: checkpoint.states.mapValues(StoredState.init), logBytes: logBytes,
                        logHash: String(logHash, radix: 16), contentHash: "").sealed
        return (offset, Data(out), try Head.encoder.encode(head))
    }

    /// Reads a checkpoint from its head and its log; returns it with the store to continue
    /// appending (at `logBytes`, after the covered prefix).
    /// - Throws: `malformedFile` naming `path` and what is wrong.
    /// (`checkingHashes: false` only for fuzzing the checks behind the hashes.)
    public static func read(head headData: Data, log: Data, path: String,
                            checkingHashes: Bool = true) throws -> (SearchCheckpoint, CheckpointStore) {
        func bad(_ why: String) -> ConvSimError {
            .malformedFile(path: path, reason: "\(why); run without --resume to start again")
        }
        let head: Head
        do { head = try JSONDecoder().decode(Head.self, from: headData) } catch {
            throw bad("not a search checkpoint (\(error))")
        }
        guard head.format == headFormat else { throw bad("checkpoint format '\(head.format)', expected '\(headFormat)'") }
        guard !checkingHashes || head.contentHash == head.sealed.contentHash else {
            throw bad("the checkpoint is damaged (its content hash does not match)")
        }
        guard head.logBytes >= magic.count else { throw bad("the checkpoint covers \(head.logBytes) bytes of its log, fewer than the log's header") }
        guard log.count >= head.logBytes else {
            throw bad("checkpoint.log has \(log.count) bytes, the checkpoint covers \(head.logBytes)")
        }
        let bytes = [UInt8](log.prefix(head.logBytes))
        let hash = FNV.hash(bytes, from: FNV.offset)
        guard !checkingHashes || String(hash, radix: 16) == head.logHash else { throw bad("checkpoint.log is damaged (its hash does not match the checkpoint's)") }
        guard bytes.starts(with: magic) else { throw bad("checkpoint.log does not start with '\(String(decoding: magic.dropLast(), as: UTF8.self))'") }

        var series: [String: [String: [Double]]] = [:]
        var p = magic.count
        func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, n <= bytes.count - p else { throw bad("checkpoint.log ends inside a record (offset \(p))") }
            defer { p += n }
            return bytes[p..<(p + n)]
        }
        func uint(_ n: Int) throws -> Int {
            var v = 0
            for (i, b) in try take(n).enumerated() { v |= Int(b) << (8 * i) }
            return v
        }
        func text() throws -> String {
            guard let s = String(validating: try take(try uint(2)), as: UTF8.self) else { throw bad("checkpoint.log: a name is not UTF-8 (offset \(p))") }
            return s
        }
        while p < bytes.count {
            let name = try text(), key = try text()
            guard let stated = head.states[name]?.seriesLengths[key] else {
                throw bad("checkpoint.log holds series \(name)/\(key), which the checkpoint does not list")
            }
            let n = try uint(4)
            guard n <= (bytes.count - p) / 8 else { throw bad("checkpoint.log: a record of \(n) values ends past the log (offset \(p))") }
            var values = series[name]?[key] ?? []
            guard values.count + n <= stated else { throw bad("checkpoint.log holds more values of \(name)/\(key) than the checkpoint's \(stated)") }
            values.reserveCapacity(values.count + n)
            for _ in 0..<n {
                var bits: UInt64 = 0
                for (i, b) in try take(8).enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
                let v = Double(bitPattern: bits)
                guard v.isFinite else { throw bad("checkpoint.log: a non-finite value in \(name)/\(key)") }
                values.append(v)
            }
            series[name, default: [:]][key] = values
        }
        var states: [String: StrategyState] = [:]
        var persisted: [String: [String: Int]] = [:]
        for (name, s) in head.states {
            var st = StrategyState(seed: s.rng)
            st.done = s.done; st.best = s.best; st.vectors = s.vectors
            for (key, n) in s.seriesLengths {
                let v = series[name]?[key] ?? []
                guard v.count == n else { throw bad("series \(name)/\(key) has \(v.count) values in checkpoint.log, the checkpoint states \(n)") }
                st.series[key] = v
            }
            states[name] = st
            persisted[name] = s.seriesLengths
        }
        var store = CheckpointStore()
        store.logBytes = head.logBytes
        store.logHash = hash
        store.persisted = persisted
        return (SearchCheckpoint(config: head.config, states: states), store)
    }

    /// Both files in one blob (head, a zero byte, log): for tests and the fuzz target.
    public static func blob(_ checkpoint: SearchCheckpoint) throws -> Data {
        var store = CheckpointStore()
        let (_, log, head) = try store.save(checkpoint)
        return head + Data([0]) + log
    }

    /// Reads a blob made by `blob` (a blob without a zero byte is all head, with an empty log).
    public static func read(blob: Data, path: String, checkingHashes: Bool = true) throws -> SearchCheckpoint {
        let bytes = [UInt8](blob)
        let cut = bytes.firstIndex(of: 0) ?? bytes.count
        let log = cut < bytes.count ? Data(bytes[(cut + 1)...]) : Data()
        return try read(head: Data(bytes[..<cut]), log: log, path: path, checkingHashes: checkingHashes).0
    }

    static func appendRecord(name: String, key: String, values: ArraySlice<Double>, to out: inout [UInt8]) {
        func le(_ x: UInt64, _ n: Int) { for i in 0..<n { out.append(UInt8(truncatingIfNeeded: x >> (8 * UInt64(i)))) } }
        for s in [name, key] {
            let u = Array(s.utf8.prefix(Int(UInt16.max)))
            le(UInt64(u.count), 2); out += u
        }
        le(UInt64(values.count), 4)
        for v in values { le(v.bitPattern, 8) }
    }

    /// One strategy's state as `checkpoint.json` holds it: the series by length only.
    struct StoredState: Codable, Equatable {
        var done: Int
        var rng: UInt64
        var best: [String: Double]
        var vectors: [String: [Double]]
        var seriesLengths: [String: Int]
        init(_ s: StrategyState) {
            done = s.done; rng = s.rng; best = s.best; vectors = s.vectors
            seriesLengths = s.series.mapValues(\.count)
        }
    }

    struct Head: Codable {
        var format: String
        var config: SearchConfig
        var states: [String: StoredState]
        var logBytes: Int
        var logHash: String
        var contentHash: String

        static var encoder: JSONEncoder { let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]; return e }

        /// With `contentHash` set to the FNV-1a hash of the canonical JSON of everything else.
        var sealed: Head {
            var h = self
            h.contentHash = ""
            let bytes = (try? Head.encoder.encode(h)).map { [UInt8]($0) } ?? []
            h.contentHash = String(FNV.hash(bytes, from: FNV.offset), radix: 16)
            return h
        }
    }
}

/// FNV-1a, 64 bits: detects damage (any changed byte), not tampering.
enum FNV {
    static let offset: UInt64 = 0xcbf2_9ce4_8422_2325
    static func hash<S: Sequence>(_ bytes: S, from h: UInt64) -> UInt64 where S.Element == UInt8 {
        var h = h
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }
}
