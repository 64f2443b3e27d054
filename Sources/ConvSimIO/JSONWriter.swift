import ConvSimCore
import Foundation

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

    /// The JSON text. Written into one growing buffer, so the time is linear in the output's
    /// size (a 512×512 matrix is 262,144 numbers).
    public func render(indent: Int = 0, pretty: Bool = true) -> String {
        var out = ""
        write(into: &out, indent: indent, pretty: pretty)
        return out
    }

    func write(into out: inout String, indent: Int, pretty: Bool) {
        switch self {
        case .number(let d): out += d.isFinite ? JSON.format(d) : "null"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .string(let s): out += JSON.quote(s)
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .numbers(let a):
            out += "["
            for (k, d) in a.enumerated() {
                if k > 0 { out += ", " }
                out += d.isFinite ? JSON.format(d) : "null"
            }
            out += "]"
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            // Arrays of scalars stay on one line.
            let scalars = a.allSatisfy {
                switch $0 { case .array, .object, .numbers: return false; default: return true }
            }
            out += "["
            for (k, v) in a.enumerated() {
                if k > 0 { out += scalars ? ", " : "," }
                if !scalars && pretty { out += "\n"; JSON.pad(&out, indent + 1) }
                v.write(into: &out, indent: indent + 1, pretty: pretty)
            }
            if !scalars && pretty { out += "\n"; JSON.pad(&out, indent) }
            out += "]"
        case .object(let o):
            if o.isEmpty { out += "{}"; return }
            out += "{"
            for (k, (key, v)) in o.enumerated() {
                if k > 0 { out += "," }
                if pretty { out += "\n"; JSON.pad(&out, indent + 1) }
                out += JSON.quote(key)
                out += ": "
                v.write(into: &out, indent: indent + 1, pretty: pretty)
            }
            if pretty { out += "\n"; JSON.pad(&out, indent) }
            out += "}"
        }
    }

    static func pad(_ out: inout String, _ level: Int) { for _ in 0..<level { out += "  " } }

    public static func format(_ d: Double) -> String {
        if d == d.rounded() && abs(d) < 1e15 { return String(Int(d)) }
        return "\(d)"
    }

    public static func quote(_ s: String) -> String { JSONText.quote(s) }
}
