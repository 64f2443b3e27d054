import Foundation

/// Executable Markdown notebooks: prose, then fenced ```` ```convsim ```` blocks
/// of commands, each followed by a fenced ```` ```output ```` block holding what
/// the commands printed. `run` re-executes every block and rewrites the
/// outputs; `check` re-executes and reports the blocks whose stored output no
/// longer matches.
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
            if new != old { changed.append(cell) }
            copy.parts[k] = .cell(commands: cmds, output: new)
            cell += 1
        }
        return (copy, changed)
    }
}
