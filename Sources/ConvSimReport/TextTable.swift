import ConvSimCore

/// A fixed-width text table for the terminal: one header line of column titles, then one line per
/// row. Each cell is its column's `before` text (the gap, or the line's indent for the first
/// column) followed by the cell text aligned in the column's `width` (`Fmt.left` / `Fmt.right`);
/// a column that `truncates` cuts longer text to `width` characters, any other keeps it whole
/// (the line gets longer). Titles are aligned like the cells. The cell texts are the caller's,
/// numbers formatted with `Fmt`; a row shorter than the columns leaves the rest empty, extra
/// cells are ignored.
public struct TextTable: Sendable {
    public enum Alignment: Sendable { case left, right }

    public struct Column: Sendable {
        public var title: String
        public var width: Int
        public var alignment: Alignment
        public var before: String
        public var truncates: Bool
        public init(_ title: String, width: Int, _ alignment: Alignment = .right, before: String = " ", truncates: Bool = false) {
            self.title = title; self.width = width; self.alignment = alignment; self.before = before; self.truncates = truncates
        }
    }

    public var columns: [Column]
    public var rows: [[String]] = []

    public init(_ columns: [Column]) { self.columns = columns }

    public mutating func add(_ row: [String]) { rows.append(row) }

    /// One line of cells (no trailing newline).
    public func line(_ cells: [String]) -> String {
        var out = ""
        for (k, c) in columns.enumerated() {
            var text = k < cells.count ? cells[k] : ""
            if c.truncates && text.count > c.width { text = String(text.prefix(c.width)) }
            out += c.before + (c.alignment == .left ? Fmt.left(text, c.width) : Fmt.right(text, c.width))
        }
        return out
    }

    public var header: String { line(columns.map(\.title)) }

    /// The header line, then every row's line.
    public var lines: [String] { [header] + rows.map(line) }
}
