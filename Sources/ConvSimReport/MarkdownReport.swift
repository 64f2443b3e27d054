import ConvSimIO
import ConvSimCore
import Foundation

/// A Markdown report with its figures, built in memory and written at the end:
/// each file goes to a temporary name in the target folder and is renamed into
/// place, so a reader (or an interrupted run) never sees a half-written file.
public struct MarkdownReport {
    public private(set) var text = ""
    /// Figures (relative path → SVG source) and other attachments (relative path → bytes).
    public private(set) var files: [(path: String, data: Data)] = []

    public init(title: String) { text = "# \(title)\n\n" }

    public mutating func heading(_ s: String, level: Int = 2) { text += String(repeating: "#", count: level) + " " + s + "\n\n" }
    public mutating func paragraph(_ s: String) { text += s + "\n\n" }
    public mutating func bullet(_ items: [String]) { text += items.map { "- " + $0 }.joined(separator: "\n") + "\n\n" }
    public mutating func code(_ s: String, language: String = "") { text += "```\(language)\n" + s + "\n```\n\n" }

    /// A Markdown table; cells are escaped for `|`.
    public mutating func table(_ header: [String], _ rows: [[String]]) {
        func esc(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        text += "| " + header.map(esc).joined(separator: " | ") + " |\n"
        text += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for r in rows { text += "| " + r.map(esc).joined(separator: " | ") + " |\n" }
        text += "\n"
    }

    /// Adds a figure under `figures/` — the SVG, embedded, and its data as CSV beside it,
    /// linked under the caption.
    public mutating func figure(_ name: String, figure: Figure, caption: String) {
        let path = "figures/\(name).svg", data = "figures/\(name).csv"
        files.append((path, Data(figure.svg.utf8)))
        files.append((data, Data(figure.csv.utf8)))
        text += "![\(caption)](\(path))\n\n*\(caption)* Data: [\(name).csv](\(data)).\n\n"
    }

    /// Adds an attachment (e.g. a certificate) without embedding it.
    public mutating func attach(_ path: String, data: Data) { files.append((path, data)) }

    /// Writes `report.md` and every attachment under `directory`, each atomically, then
    /// removes what the folder's previous report wrote and this one does not (`OutputFolder`).
    /// `keep` names further files of the run (e.g. the checkpoint).
    public func write(to directory: String, reportName: String = "report.md", keep: [String] = []) throws {
        for (path, data) in files { try AtomicFile.write(data, to: directory + "/" + path) }
        try AtomicFile.write(Data(text.utf8), to: directory + "/" + reportName)
        try OutputFolder.replaceManifest(directory, with: files.map(\.path) + [reportName] + keep)
    }
}

/// Atomic file writes: temporary file in the same folder, then rename (`IOFiles.writeAtomically`:
/// the temporary file is removed on every failure, and the error names the path and the cause).
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws { try IOFiles.writeAtomically(data, to: path) }
}
