import ConvSimCore
import Foundation

/// A minimal ordered JSON writer: keys keep the order given, numbers are
/// printed with full round-trip precision, non-finite numbers become `null`.
/// Same input ⇒ same bytes.
indirect enum JSON {
    case number(Double)
    case int(Int)
    /// An unsigned 64-bit integer (seeds take the whole range).
    case uint(UInt64)
    case string(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    static func matrix(_ m: [[Double]]) -> JSON { .array(m.map { .array($0.map { .number($0) }) }) }

    func render(indent: Int = 0, pretty: Bool = true) -> String {
        let pad = pretty ? String(repeating: "  ", count: indent + 1) : ""
        let end = pretty ? String(repeating: "  ", count: indent) : ""
        let nl = pretty ? "\n" : ""
        switch self {
        case .number(let d): return d.isFinite ? JSON.format(d) : "null"
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .string(let s): return JSON.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let a):
            if a.isEmpty { return "[]" }
            // Arrays of scalars stay on one line.
            if a.allSatisfy({ if case .array = $0 { return false }; if case .object = $0 { return false }; return true }) {
                return "[" + a.map { $0.render(indent: indent + 1, pretty: pretty) }.joined(separator: ", ") + "]"
            }
            return "[" + nl + a.map { pad + $0.render(indent: indent + 1, pretty: pretty) }.joined(separator: "," + nl) + nl + end + "]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            return "{" + nl + o.map { pad + JSON.quote($0.0) + ": " + $0.1.render(indent: indent + 1, pretty: pretty) }
                .joined(separator: "," + nl) + nl + end + "}"
        }
    }

    static func format(_ d: Double) -> String {
        if d == d.rounded() && abs(d) < 1e15 { return String(Int(d)) }
        return "\(d)"
    }

    static func quote(_ s: String) -> String { JSONText.quote(s) }
}
