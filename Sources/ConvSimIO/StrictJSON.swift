import ConvSimCore
import Foundation

/// A JSON value that keeps what a strict reader needs: the **text** of every
/// number (so `0.9974399` can be read as the exact rational 9974399/10⁷ and a
/// data value as the binary64 nearest to its text), the **order** of object
/// members, and no silent merging of duplicated keys (the parser refuses them).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's text, exactly as written (validated against the JSON grammar).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    public static func number(_ v: Double) -> JSONValue { .number(JSONValue.shortest(v)) }
    public static func integer(_ v: Int) -> JSONValue { .number(String(v)) }

    /// The shortest text that reads back as `v` (integers without a fraction part).
    /// `v` must be finite.
    public static func shortest(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 0x1p53 { return String(Int64(v)) }
        return "\(v)"
    }

    /// A short name of the value's type, for messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The same value with every object's members in key order (a canonical form).
    public var sortedKeys: JSONValue {
        switch self {
        case .object(let m): return .object(m.map { JSONMember($0.key, $0.value.sortedKeys) }.sorted { $0.key < $1.key })
        case .array(let a): return .array(a.map(\.sortedKeys))
        default: return self
        }
    }

    /// The members of an object (nil for other values).
    public var members: [JSONMember]? { if case .object(let m) = self { return m } else { return nil } }

    /// The member `key` of an object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let m) = self else { return nil }
        return m.first { $0.key == key }?.value
    }

    /// Pretty-printed text (two-space indent); object members sorted by key when `sortKeys`.
    public func rendered(sortKeys: Bool = true) -> String {
        var out = ""
        render(into: &out, indent: 0, sortKeys: sortKeys)
        return out
    }

    private func render(into out: inout String, indent: Int, sortKeys: Bool) {
        let pad = String(repeating: "  ", count: indent + 1), close = String(repeating: "  ", count: indent)
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let t): out += t
        case .string(let s): out += JSONValue.quoted(s)
        case .array(let a):
            // Arrays of scalars stay on one line (tensor values); others one element per line.
            if a.allSatisfy({ if case .array = $0 { return false }; if case .object = $0 { return false }; return true }) {
                out += "["
                for (i, v) in a.enumerated() { if i > 0 { out += ", " }; v.render(into: &out, indent: indent, sortKeys: sortKeys) }
                out += "]"
            } else {
                out += "[\n"
                for (i, v) in a.enumerated() {
                    out += pad; v.render(into: &out, indent: indent + 1, sortKeys: sortKeys)
                    out += i + 1 < a.count ? ",\n" : "\n"
                }
                out += close + "]"
            }
        case .object(let m):
            if m.isEmpty { out += "{}"; return }
            let ms = sortKeys ? m.sorted { $0.key < $1.key } : m
            out += "{\n"
            for (i, e) in ms.enumerated() {
                out += pad + JSONValue.quoted(e.key) + ": "
                e.value.render(into: &out, indent: indent + 1, sortKeys: sortKeys)
                out += i + 1 < ms.count ? ",\n" : "\n"
            }
            out += close + "}"
        }
    }

    /// A JSON string literal (`JSONText.quote`).
    public static func quoted(_ s: String) -> String { JSONText.quote(s) }
}

/// One member of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) { self.key = key; self.value = value }
}

/// A strict, non-recursive JSON reader (RFC 8259): no trailing commas, no
/// comments, no `NaN`/`Infinity`, no duplicated keys, a nesting-depth limit,
/// valid UTF-8 only. Errors name the byte offset and what was expected.
public enum StrictJSON {
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let offset: Int
        public let reason: String
        public var description: String { "at byte \(offset): \(reason)" }
    }

    /// Parses `data` as one JSON value.
    /// - Parameter maxDepth: the deepest nesting of arrays and objects accepted.
    public static func parse(_ data: Data, maxDepth: Int = 64) throws -> JSONValue {
        let bytes = [UInt8](data)
        var p = Parser(bytes: bytes, maxDepth: maxDepth)
        return try p.parseDocument()
    }

    /// An open array or object (a class, so appending never copies the elements).
    private final class Frame {
        let isArray: Bool
        var values: [JSONValue] = []
        var members: [JSONMember] = []
        var keys: Set<String> = []
        var pendingKey = ""
        init(array: Bool) { isArray = array }
    }

    private struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var i = 0

        init(bytes: [UInt8], maxDepth: Int) { self.bytes = bytes; self.maxDepth = maxDepth }

        func fail(_ reason: String) -> ParseError { ParseError(offset: i, reason: reason) }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for b in literal.utf8 {
                guard i < bytes.count, bytes[i] == b else { throw fail("expected '\(literal)'") }
                i += 1
            }
        }

        mutating func parseDocument() throws -> JSONValue {
            var stack: [Frame] = []
            var result: JSONValue?
            skipSpace()
            outer: while true {
                // Parse one value start (scalar, or open a container).
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end of input") }
                var value: JSONValue
                switch bytes[i] {
                case UInt8(ascii: "{"):
                    i += 1; skipSpace()
                    guard stack.count < maxDepth else { throw fail("nesting deeper than \(maxDepth) levels") }
                    if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; value = .object([]) }
                    else {
                        let f = Frame(array: false)
                        f.pendingKey = try parseKey()
                        stack.append(f)
                        continue outer
                    }
                case UInt8(ascii: "["):
                    i += 1; skipSpace()
                    guard stack.count < maxDepth else { throw fail("nesting deeper than \(maxDepth) levels") }
                    if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; value = .array([]) }
                    else { stack.append(Frame(array: true)); continue outer }
                case UInt8(ascii: "\""): value = .string(try parseString())
                case UInt8(ascii: "t"): try expect("true"); value = .bool(true)
                case UInt8(ascii: "f"): try expect("false"); value = .bool(false)
                case UInt8(ascii: "n"): try expect("null"); value = .null
                default: value = .number(try parseNumber())
                }
                // Attach the finished value to its container; close containers as they end.
                while true {
                    guard let top = stack.last else { result = value; break outer }
                    skipSpace()
                    if top.isArray {
                        top.values.append(value)
                        guard i < bytes.count else { throw fail("unexpected end of input in an array") }
                        if bytes[i] == UInt8(ascii: ",") { i += 1; continue outer }
                        guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in an array") }
                        i += 1; value = .array(top.values)
                    } else {
                        top.members.append(JSONMember(top.pendingKey, value)); top.keys.insert(top.pendingKey)
                        guard i < bytes.count else { throw fail("unexpected end of input in an object") }
                        if bytes[i] == UInt8(ascii: ",") {
                            i += 1; skipSpace()
                            let next = try parseKey()
                            guard !top.keys.contains(next) else { throw fail("duplicated key '\(next)'") }
                            top.pendingKey = next
                            continue outer
                        }
                        guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in an object") }
                        i += 1; value = .object(top.members)
                    }
                    stack.removeLast()
                }
            }
            skipSpace()
            guard i == bytes.count else { throw fail("unexpected text after the JSON value") }
            return result ?? .null
        }

        /// `"key"` followed by `:`.
        mutating func parseKey() throws -> String {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key (a string)") }
            let k = try parseString()
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key '\(k)'") }
            i += 1
            return k
        }

        mutating func parseString() throws -> String {
            i += 1 // opening quote
            var out = [UInt8]()
            while true {
                guard i < bytes.count else { throw fail("unterminated string") }
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { i += 1; break }
                if b < 0x20 { throw fail("control character in a string") }
                if b != UInt8(ascii: "\\") { out.append(b); i += 1; continue }
                i += 1
                guard i < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[i]; i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        try expect("\\u")
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate in a \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) { throw fail("unpaired surrogate in a \\u escape") }
                    guard let s = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(s)).utf8))
                default: throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
                }
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
            return s
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[i]; i += 1
                let d: UInt32
                switch b {
                case 0x30...0x39: d = UInt32(b - 0x30)
                case 0x41...0x46: d = UInt32(b - 0x41 + 10)
                case 0x61...0x66: d = UInt32(b - 0x61 + 10)
                default: throw fail("invalid hex digit in a \\u escape")
                }
                v = v * 16 + d
            }
            return v
        }

        /// A number per the JSON grammar, returned as its text.
        mutating func parseNumber() throws -> String {
            let start = i
            func digits() -> Int { let s = i; while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }; return i - s }
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, (0x30...0x39).contains(bytes[i]) else { throw fail("expected a value") }
            if bytes[i] == 0x30 { i += 1 } else { _ = digits() }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard digits() > 0 else { throw fail("expected digits after '.'") }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { throw fail("expected digits in an exponent") }
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }
    }
}
