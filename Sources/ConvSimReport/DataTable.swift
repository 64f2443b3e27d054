import ConvSimIO
import Foundation
import ConvSimCore

/// The format of a data export (`--export`).
public enum ExportFormat: String, CaseIterable, Sendable {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    case csv
    /// JSON Lines: one object per row, keys in column order.
    case jsonl

    public var fileExtension: String { rawValue }
}

/// CSV and JSON Lines renderings of a `DataTable`. Numbers are written in the shortest form that
/// reads back to the same binary64 (`Double.description`); a non-finite number is an empty CSV
/// cell and `null` in JSON.
extension DataTable {
    public func render(_ format: ExportFormat) -> String {
        switch format {
        case .csv: return csv()
        case .jsonl: return jsonLines()
        }
    }

    public func csv() -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        func cell(_ c: Cell) -> String {
            switch c {
            case .number(let x): return x.isFinite ? "\(x)" : ""
            case .integer(let i): return String(i)
            case .text(let s): return field(s)
            case .missing: return ""
            }
        }
        var out = columns.map(field).joined(separator: ",") + "\n"
        for r in rows { out += r.map(cell).joined(separator: ",") + "\n" }
        return out
    }

    public func jsonLines() -> String {
        var out = ""
        for r in rows {
            out += "{" + zip(columns, r).map { "\(JSONText.quote($0)):\(Self.json($1))" }.joined(separator: ",") + "}\n"
        }
        return out
    }

    static func json(_ c: Cell) -> String {
        switch c {
        case .number(let x): return x.isFinite ? "\(x)" : "null"
        case .integer(let i): return String(i)
        case .text(let t): return JSONText.quote(t)
        case .missing: return "null"
        }
    }
}
