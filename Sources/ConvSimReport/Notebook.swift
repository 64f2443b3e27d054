import Foundation

/// Executable Markdown notebooks: prose, then fenced ```` ```convsim ```` blocks
/// of commands, each followed by a fenced ```` ```output ```` block holding what
/// the commands printed. `run` re-executes every block and rewrites the
/// outputs; `check` re-executes and reports the blocks whose stored output no
/// longer matches (a stored line `…` matches any number of lines: `matches`).
public struct Notebook: Equatable {
    public enum Part: Equatable {
        case text(String)
        /// Commands (one per line, `#` comments allowed) and the stored output (nil if none yet).
        case cell(commands: [String], output: String?)
    }
    public var parts: [Part]

    public init(parts: [Part]) { self.parts = parts }

    /// Parses a notebook. Lines are kept byte for byte outside the cells.
    public static func parse(_ text: String) -> Notebook {
        var parts: [Part] = []
        var buffer: [String] = []
        let lines = text.components(separatedBy: "\n")
        var i = 0
        func flush() { if !buffer.isEmpty { parts.append(.text(buffer.joined(separator: "\n"))); buffer = [] } }
        while i < lines.count {
            if lines[i].trimmingCharacters(in: .whitespaces) == "```convsim" {
                flush()
                var cmds: [String] = []
                i += 1
                while i < lines.count && lines[i].trimmingCharacters(in: .whitespaces) != "```" { cmds.append(lines[i]); i += 1 }
                i += 1  // closing fence
                // An output block may follow after blank lines.
                var j = i
                while j < lines.count && lines[j].trimmingCharacters(in: .whitespaces).isEmpty { j += 1 }
                var output: String? = nil
                if j < lines.count && lines[j].trimmingCharacters(in: .whitespaces) == "```output" {
                    var out: [String] = []
                    j += 1
                    while j < lines.count && lines[j] != "```" { out.append(lines[j]); j += 1 }
                    output = out.joined(separator: "\n")
                    i = j + 1
                }
                parts.append(.cell(commands: cmds, output: output))
            } else {
                buffer.append(lines[i])
                i += 1
            }
        }
        flush()
        return Notebook(parts: parts)
    }

    /// Renders the notebook back to Markdown.
    public func render() -> String {
        var out: [String] = []
        for p in parts {
            switch p {
            case .text(let t): out.append(t)
            case .cell(let cmds, let output):
                out.append("```convsim\n" + cmds.joined(separator: "\n") + "\n```")
                if let o = output { out.append("\n```output\n" + o + "\n```") }
            }
        }
        return out.joined(separator: "\n")
    }

    /// Splits a command line into words: whitespace separates, single and double
    /// quotes group, backslash escapes. No shell is involved.
    public static func words(_ line: String) -> [String] {
        var words: [String] = [], cur = "", quote: Character? = nil, escape = false, has = false
        for ch in line {
            if escape { cur.append(ch); escape = false; continue }
            if ch == "\\" && quote != "'" { escape = true; has = true; continue }
            if let q = quote { if ch == q { quote = nil } else { cur.append(ch) }; continue }
            if ch == "'" || ch == "\"" { quote = ch; has = true; continue }
            if ch == " " || ch == "\t" { if has || !cur.isEmpty { words.append(cur); cur = ""; has = false }; continue }
            cur.append(ch)
        }
        if has || !cur.isEmpty { words.append(cur) }
        return words
    }

    /// The commands of a cell that are to be executed (blank lines and `#` comments skipped).
    public static func executable(_ cmds: [String]) -> [[String]] {
        cmds.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }.map(words)
    }

    /// Whether an output matches a stored one. A stored line that is exactly `…` stands for
    /// any number of lines (zero or more), so a long output can be shown in part, as in the
    /// README; every other line must be equal. (Dynamic programming over the lines, no
    /// recursion: `ok[i][j]` — the first `i` stored lines match the first `j` actual ones.)
    public static func matches(stored: String, actual: String) -> Bool {
        let s = stored.components(separatedBy: "\n"), a = actual.components(separatedBy: "\n")
        if !s.contains(Notebook.elision) { return s == a }
        var previous = [Bool](repeating: false, count: a.count + 1)
        previous[0] = true
        for i in 1...s.count {
            var row = [Bool](repeating: false, count: a.count + 1)
            let wild = s[i - 1] == Notebook.elision
            row[0] = wild && previous[0]
            if a.count > 0 {
                for j in 1...a.count {
                    row[j] = wild ? (previous[j] || row[j - 1]) : (previous[j - 1] && s[i - 1] == a[j - 1])
                }
            }
            previous = row
        }
        return previous[a.count]
    }

    /// The stored-output line that stands for any number of lines.
    public static let elision = "…"

    /// Executes every cell with `execute` (argument vector → printed text) and
    /// returns the new notebook and the indices of cells whose output changed.
    public func executed(_ execute: ([String]) throws -> String) rethrows -> (Notebook, [Int]) {
        var copy = self
        var changed: [Int] = []
        var cell = 0
        for (k, p) in parts.enumerated() {
            guard case .cell(let cmds, let old) = p else { continue }
            var outs: [String] = []
            for argv in Notebook.executable(cmds) { outs.append(try execute(argv)) }
            let new = outs.joined(separator: "\n").trimmingCharacters(in: .newlines)
            if let old, Notebook.matches(stored: old, actual: new) {
                // Unchanged: the stored text stays as written (with its elisions).
            } else {
                changed.append(cell)
                copy.parts[k] = .cell(commands: cmds, output: new)
            }
            cell += 1
        }
        return (copy, changed)
    }
}
