import ConvSimCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one JSON value type the toolkit writes (every command's `--json`, `search.json`, the
/// experiments' summaries): keys keep the order given, numbers are printed with full
/// round-trip precision, non-finite numbers become `null`; same input ⇒ same bytes. (Reading
/// goes through `StrictJSON` → `JSONValue`, which keeps each number's text for exact checks.)
public indirect enum JSON: Sendable {
    case number(Double)
    case int(Int)
    /// An unsigned 64-bit integer (seeds take the whole range).
    case uint(UInt64)
    case string(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])
    /// An array of numbers, written as `.array` of `.number`s is (one line), without a boxed
    /// value per number: the rows of the M×M matrices (786,432 numbers at M = 512).
    case numbers([Double])

    public static func matrix(_ m: [[Double]]) -> JSON { .array(m.map { .numbers($0) }) }

    /// The JSON text. Written as UTF-8 bytes into one growing buffer, so the time is linear in
    /// the output's size (a 512×512 matrix is 262,144 numbers).
    public func render(indent: Int = 0, pretty: Bool = true) -> String {
        String(decoding: bytes(indent: indent, pretty: pretty), as: UTF8.self)
    }

    /// The JSON text as UTF-8 bytes. The rows of large matrices are written on the toolkit's
    /// threads, each into a buffer of its own, then joined in order: the same bytes for any
    /// thread count.
    public func bytes(indent: Int = 0, pretty: Bool = true) -> [UInt8] {
        var out = JSONBytes()
        out.bytes.reserveCapacity(estimatedSize)
        write(into: &out, indent: indent, pretty: pretty)
        return out.bytes
    }

    /// Writes the JSON text and a newline to standard output, in pieces of about 1 MiB as it is
    /// made (never the whole text in memory, nor a `String` of it). What `print` buffered is
    /// flushed first, so the order of lines is kept.
    public func printLine(pretty: Bool = true) {
        fflush(nil)
        var out = JSONBytes(sink: { p in
            var done = 0
            while done < p.count, let base = p.baseAddress {
                let n = Glibc.write(1, base + done, p.count - done)
                if n < 0 { if errno == EINTR { continue }; return }   // a closed pipe: nothing more to say
                done += n
            }
        })
        out.bytes.reserveCapacity(JSONBytes.spillSize + (1 << 16))
        write(into: &out, indent: 0, pretty: pretty)
        out.bytes.append(0x0A)
        out.finish()
    }

    /// A generous guess of the text's size (numbers at 26 bytes with their separator), to
    /// reserve the buffer once.
    var estimatedSize: Int {
        switch self {
        case .numbers(let a): return 26 * a.count + 2
        case .array(let a): return a.reduce(2) { $0 + $1.estimatedSize + 8 }
        case .object(let o): return o.reduce(2) { $0 + $1.0.utf8.count + $1.1.estimatedSize + 8 }
        case .string(let s): return s.utf8.count + 2
        default: return 24
        }
    }

    func write(into out: inout JSONBytes, indent: Int, pretty: Bool) {
        switch self {
        case .number(let d): JSON.writeNumber(d, into: &out)
        case .int(let i): out.append(String(i))
        case .uint(let u): out.append(String(u))
        case .string(let s): out.append(JSON.quote(s))
        case .bool(let b): out.append(b ? "true" : "false")
        case .null: out.append("null")
        case .numbers(let a):
            out.bytes.append(UInt8(ascii: "["))
            for (k, d) in a.enumerated() {
                if k > 0 { out.bytes.append(UInt8(ascii: ",")); out.bytes.append(UInt8(ascii: " ")) }
                JSON.writeNumber(d, into: &out)
            }
            out.bytes.append(UInt8(ascii: "]"))
        case .array(let a):
            if a.isEmpty { out.append("[]"); return }
            // Arrays of scalars stay on one line.
            let scalars = a.allSatisfy {
                switch $0 { case .array, .object, .numbers: return false; default: return true }
            }
            // The rows of a large matrix: written in parallel, a wave of rows at a time, joined in order.
            let rows = a.reduce(0) { if case .numbers(let r) = $1 { return $0 + r.count }; return $0 }
            let parallel = rows >= JSON.parallelNumbers && Parallel.threads > 1
            let wave = parallel ? 64 * Parallel.threads : a.count
            out.append("[")
            var start = 0
            while start < a.count {
                let range = start..<min(start + wave, a.count)
                let parts = parallel ? JSON.renderInParallel(a[range], indent: indent + 1, pretty: pretty) : nil
                for k in range {
                    if k > 0 { out.append(scalars ? ", " : ",") }
                    if !scalars && pretty { out.append("\n"); JSON.pad(&out, indent + 1) }
                    if let parts { out.bytes.append(contentsOf: parts[k - range.lowerBound]) } else { a[k].write(into: &out, indent: indent + 1, pretty: pretty) }
                    out.spill()
                }
                start = range.upperBound
            }
            if !scalars && pretty { out.append("\n"); JSON.pad(&out, indent) }
            out.append("]")
        case .object(let o):
            if o.isEmpty { out.append("{}"); return }
            out.append("{")
            for (k, (key, v)) in o.enumerated() {
                if k > 0 { out.append(",") }
                if pretty { out.append("\n"); JSON.pad(&out, indent + 1) }
                out.append(JSON.quote(key))
                out.append(": ")
                v.write(into: &out, indent: indent + 1, pretty: pretty)
                out.spill()
            }
            if pretty { out.append("\n"); JSON.pad(&out, indent) }
            out.append("}")
        }
    }

    /// Arrays holding at least this many numbers in rows are written in parallel.
    static let parallelNumbers = 1 << 15

    /// Each element of `a` rendered on its own, on the toolkit's threads (blocks of elements).
    static func renderInParallel(_ a: ArraySlice<JSON>, indent: Int, pretty: Bool) -> [[UInt8]] {
        let blockSize = 16, first = a.startIndex
        let blocks = (a.count + blockSize - 1) / blockSize
        return Parallel.map(blocks: blocks) { b in
            ((b * blockSize)..<min((b + 1) * blockSize, a.count)).map { k -> [UInt8] in
                var out = JSONBytes()
                out.bytes.reserveCapacity(a[first + k].estimatedSize)
                a[first + k].write(into: &out, indent: indent, pretty: pretty)
                return out.bytes
            }
        }.flatMap { $0 }
    }

    static func pad(_ out: inout JSONBytes, _ level: Int) { for _ in 0..<level { out.append("  ") } }

    /// A number: `null` when not finite, an integer below 10¹⁵ without a fraction, else the
    /// shortest round-trip digits (`"\(d)"`), straight into the buffer (no `String` per number).
    static func writeNumber(_ d: Double, into out: inout JSONBytes) {
        if !d.isFinite { out.append("null"); return }
        if d == d.rounded() && abs(d) < 1e15 { out.append(String(Int(d))); return }
        d.write(to: &out)   // the shortest round-trip digits, as `"\(d)"`
    }

    public static func quote(_ s: String) -> String { JSONText.quote(s) }
}

/// The byte sink of the JSON writer. `Double.write(to:)` hands its digits to `_writeASCII` as
/// bytes (the standard library's hook for ASCII output), so a number costs no `String`. With a
/// `sink`, the bytes are handed on whenever more than `spillSize` have gathered.
struct JSONBytes: TextOutputStream {
    static let spillSize = 1 << 20
    var bytes: [UInt8] = []
    let sink: ((UnsafeRawBufferPointer) -> Void)?
    init(sink: ((UnsafeRawBufferPointer) -> Void)? = nil) { self.sink = sink }
    mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }
    mutating func append(_ string: String) { bytes.append(contentsOf: string.utf8) }
    /// Hands the gathered bytes on when there are enough of them (and there is a sink).
    mutating func spill() {
        guard let sink, bytes.count >= Self.spillSize else { return }
        bytes.withUnsafeBytes(sink)
        bytes.removeAll(keepingCapacity: true)
    }
    /// Hands on whatever is left.
    mutating func finish() {
        guard let sink, !bytes.isEmpty else { return }
        bytes.withUnsafeBytes(sink)
        bytes.removeAll(keepingCapacity: true)
    }
}
