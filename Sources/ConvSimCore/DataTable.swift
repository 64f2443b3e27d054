/// Rows of values under named columns: per-run and per-trial results as data (rendered as CSV
/// or JSON Lines by ConvSimReport's `DataTable.render`).
public struct DataTable: Sendable, Equatable {
    public enum Cell: Sendable, Equatable {
        case number(Double)
        case integer(Int)
        case text(String)
        case missing
    }
    public var columns: [String]
    public var rows: [[Cell]]

    public init(columns: [String], rows: [[Cell]] = []) { self.columns = columns; self.rows = rows }

    public mutating func append(_ row: [Cell]) { rows.append(row) }
}
