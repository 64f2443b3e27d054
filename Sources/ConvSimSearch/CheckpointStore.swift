import ConvSimCore
import Foundation

/// The on-disk form of a search checkpoint, in two files whose size grows with the new data
/// only:
///
/// - `checkpoint.log` — append-only. The magic line `convsimkit-search-log/4\n`, then records
///   `u16 path length, path (UTF-8), u32 n, n × binary64` (little-endian), each holding the
///   values a `Series` gained since the previous checkpoint; the path is the series' place in
///   the typed state (`random/…/inputs/astronaut.png/orthogonal`).
/// - `checkpoint.json` — small, rewritten atomically after the log: the configuration and each
///   strategy's typed state with every series replaced by its length, and the length and
///   FNV-1a hash of the log prefix it covers; sealed by an FNV-1a hash of itself.
///
/// A checkpoint covers exactly `logBytes` bytes of the log: bytes appended after it (a run killed
/// between the two writes) are ignored and cut on resume. Reading checks the format, both hashes,
/// every record's bounds and values, that each series gets from the log exactly the length the
/// head states and that the log holds no other series; anything else is refused with a message,
/// never trapped on and never used.
public struct CheckpointStore: Sendable {
    public static let headFormat = "convsimkit-search-checkpoint/4"
    static let magic = Array("convsimkit-search-log/4\n".utf8)

    /// The length of the log this store has written or read (the offset of the next append).
    public private(set) var logBytes = 0
    private var logHash: UInt64 = FNV.offset
    /// Values of each series already in the log, by path.
    private var persisted: [String: Int] = [:]

    /// A store for a new run (the first save writes the log from offset 0).
    public init() {}

    /// The bytes to write at offset `offset` of the log (truncating it there first) and the
    /// head to write after them, for `checkpoint`; the store then covers them.
    /// - Throws: if a series got shorter than what was persisted (series only grow).
    public mutating func save(_ checkpoint: SearchCheckpoint) throws -> (offset: Int, append: Data, head: Data) {
        let collector = SeriesLog()
        var head = Head(format: Self.headFormat, config: checkpoint.config, states: checkpoint.states,
                        logBytes: 0, logHash: "", contentHash: "")
        _ = try Head.encoder(collector).encode(head)   // collects every series by path
        let offset = logBytes
        var out: [UInt8] = offset == 0 ? Self.magic : []
        for (path, values) in collector.collected.sorted(by: { $0.path < $1.path }) {
            let have = persisted[path] ?? 0
            guard values.count >= have else {
                throw ConvSimError.invalidArgument("internal: series \(path) shrank from \(have) to \(values.count) values")
            }
            var start = have
            while start < values.count {
                let end = min(values.count, start + 1 << 20)
                Self.appendRecord(path: path, values: values[start..<end], to: &out)
                start = end
            }
            persisted[path] = values.count
        }
        logHash = FNV.hash(out, from: logHash)
        logBytes = offset + out.count
        head.logBytes = logBytes
        head.logHash = String(logHash, radix: 16)
        // The hash of the head's bytes with an empty contentHash, then the same bytes with it set.
        let unsealed = try Head.encoder(SeriesLog()).encode(head)
        head.contentHash = String(FNV.hash([UInt8](unsealed), from: FNV.offset), radix: 16)
        let sealed = try Head.encoder(SeriesLog()).encode(head)
        guard Head.bytesHash(sealed) == head.contentHash else {
            throw ConvSimError.invalidArgument("internal: the checkpoint head does not reproduce its hash")
        }
        return (offset, Data(out), sealed)
    }

    /// Reads a checkpoint from its head and its log; returns it with the store to continue
    /// appending (at `logBytes`, after the covered prefix).
    /// (`checkingHashes: false` only for fuzzing the checks behind the hashes.)
    /// - Throws: `malformedFile` naming `path` and what is wrong.
    public static func read(head headData: Data, log: Data, path: String,
                            checkingHashes: Bool = true) throws -> (SearchCheckpoint, CheckpointStore) {
        func bad(_ why: String) -> ConvSimError {
            .malformedFile(path: path, reason: "\(why); run without --resume to start again")
        }
        // The log first: the head's series are filled from it while decoding.
        let meta: HeadMeta
        do { meta = try JSONDecoder().decode(HeadMeta.self, from: headData) } catch {
            throw bad("not a search checkpoint (\(error))")
        }
        guard meta.format == headFormat else { throw bad("checkpoint format '\(meta.format)', expected '\(headFormat)'") }
        guard meta.logBytes >= magic.count else { throw bad("the checkpoint covers \(meta.logBytes) bytes of its log, fewer than the log's header") }
        guard log.count >= meta.logBytes else {
            throw bad("checkpoint.log has \(log.count) bytes, the checkpoint covers \(meta.logBytes)")
        }
        let bytes = [UInt8](log.prefix(meta.logBytes))
        let hash = FNV.hash(bytes, from: FNV.offset)
        guard !checkingHashes || String(hash, radix: 16) == meta.logHash else { throw bad("checkpoint.log is damaged (its hash does not match the checkpoint's)") }
        guard bytes.starts(with: magic) else { throw bad("checkpoint.log does not start with '\(String(decoding: magic.dropLast(), as: UTF8.self))'") }

        let source = SeriesLog()
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
        while p < bytes.count {
            guard let seriesPath = String(validating: try take(try uint(2)), as: UTF8.self) else {
                throw bad("checkpoint.log: a series path is not UTF-8 (offset \(p))")
            }
            let n = try uint(4)
            guard n <= (bytes.count - p) / 8 else { throw bad("checkpoint.log: a record of \(n) values ends past the log (offset \(p))") }
            var values = [Double]()
            values.reserveCapacity(n)
            for _ in 0..<n {
                var bits: UInt64 = 0
                for (i, b) in try take(8).enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
                let v = Double(bitPattern: bits)
                guard v.isFinite else { throw bad("checkpoint.log: a non-finite value in \(seriesPath)") }
                values.append(v)
            }
            source.available[seriesPath, default: []] += values
        }
        let head: Head
        do { head = try Head.decoder(source).decode(Head.self, from: headData) } catch {
            throw bad(source.problem ?? "not a search checkpoint (\(error))")
        }
        guard !checkingHashes || Head.bytesHash(headData) == head.contentHash else {
            throw bad("the checkpoint is damaged (its content hash does not match)")
        }
        if let extra = source.available.keys.sorted().first(where: { source.taken[$0] == nil }) {
            throw bad("checkpoint.log holds series \(extra), which the checkpoint does not have")
        }
        var store = CheckpointStore()
        store.logBytes = meta.logBytes
        store.logHash = hash
        store.persisted = source.taken
        return (SearchCheckpoint(config: head.config, states: head.states), store)
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

    static func appendRecord(path: String, values: ArraySlice<Double>, to out: inout [UInt8]) {
        func le(_ x: UInt64, _ n: Int) { for i in 0..<n { out.append(UInt8(truncatingIfNeeded: x >> (8 * UInt64(i)))) } }
        let u = Array(path.utf8.prefix(Int(UInt16.max)))
        le(UInt64(u.count), 2); out += u
        le(UInt64(values.count), 4)
        for v in values { le(v.bitPattern, 8) }
    }

    /// `checkpoint.json`.
    struct Head: Codable {
        var format: String
        var config: SearchConfig
        var states: [String: StrategyState]
        var logBytes: Int
        var logHash: String
        var contentHash: String

        static func encoder(_ log: SeriesLog) -> JSONEncoder {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            if let key = SeriesLog.key { e.userInfo[key] = log }
            return e
        }
        static func decoder(_ log: SeriesLog) -> JSONDecoder {
            let d = JSONDecoder()
            if let key = SeriesLog.key { d.userInfo[key] = log }
            return d
        }

        /// The FNV-1a hash of the head's bytes as written, with the value of its (first, top-level:
        /// keys are sorted and `config` has no such key) `"contentHash":"…"` emptied: any changed
        /// byte of the file changes it, even one that would decode to the same numbers.
        static func bytesHash(_ data: Data) -> String? {
            let bytes = [UInt8](data), marker = Array(#""contentHash":""#.utf8)
            guard bytes.count >= marker.count,
                  let start = (0...(bytes.count - marker.count)).first(where: { bytes[$0..<($0 + marker.count)].elementsEqual(marker) }) else { return nil }
            let valueStart = start + marker.count
            guard let end = bytes[valueStart...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return String(FNV.hash(bytes[..<valueStart] + bytes[end...], from: FNV.offset), radix: 16)
        }
    }

    /// The head's fields read before the states (which need the log).
    struct HeadMeta: Codable {
        var format: String
        var logBytes: Int
        var logHash: String
    }
}

/// Carries the values of every `Series` between the typed state and the log: encoding collects
/// them by path (and writes only their lengths), decoding hands each path its values.
final class SeriesLog: @unchecked Sendable {
    static let key = CodingUserInfoKey(rawValue: "convsimkit.seriesLog")
    var collected: [(path: String, values: [Double])] = []
    var available: [String: [Double]] = [:]
    var taken: [String: Int] = [:]
    /// The first inconsistency met while decoding (reported instead of the decoder's error).
    var problem: String?

    static func path(_ codingPath: [CodingKey]) -> String { codingPath.map(\.stringValue).joined(separator: "/") }

    func collect(path: String, values: [Double]) { collected.append((path, values)) }

    func take(path: String, count: Int) throws -> [Double] {
        let v = available[path] ?? []
        guard count >= 0, v.count == count, taken[path] == nil else {
            let why = "series \(path) has \(v.count) values in checkpoint.log, the checkpoint states \(count)"
            if problem == nil { problem = why }
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: why))
        }
        taken[path] = count
        return v
    }
}

extension SearchCheckpoint {
    /// Every per-trial value the strategies collected (each `Series` of their typed states), in
    /// long form: `strategy, series, index, value` — the series named by its place in the state
    /// (`inputs/astronaut.png/orthogonal`). `search --export csv|jsonl` writes it as `trials.*`.
    public func trialsTable() throws -> DataTable {
        let collector = SeriesLog()
        let encoder = JSONEncoder()
        if let key = SeriesLog.key { encoder.userInfo[key] = collector }
        var table = DataTable(columns: ["strategy", "series", "index", "value"])
        for name in states.keys.sorted() {
            guard let state = states[name] else { continue }
            collector.collected = []
            _ = try encoder.encode(state.data)
            // The path starts with the state's kind (`random/…`); the strategy is its own column.
            for (path, values) in collector.collected.sorted(by: { $0.path < $1.path }) {
                let series = path.split(separator: "/", maxSplits: 1).dropFirst().first.map(String.init) ?? path
                for (i, v) in values.enumerated() { table.append([.text(name), .text(series), .integer(i), .number(v)]) }
            }
        }
        return table
    }
}
