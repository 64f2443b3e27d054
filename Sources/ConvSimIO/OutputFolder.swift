import ConvSimCore
import Foundation

/// The folders commands write their reports into (`search --out`, `experiment --out`).
///
/// A folder is claimed before any work: an empty path or `/` is refused; an existing folder
/// that holds files is refused unless convsim wrote it (its manifest `.convsim-output` is
/// there) or `force` is given. When a report is written, the files of the folder's previous
/// report that the new one does not rewrite are removed (no stale certificate or figure
/// stays beside a new report), and the manifest lists the new files.
package enum OutputFolder {
    package static let manifestName = ".convsim-output"

    /// Validates `path` and creates it (with an empty manifest when new).
    package static func claim(_ path: String, force: Bool) throws {
        let trimmed = path.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ConvSimError.invalidArgument("--out is empty; name a folder, e.g. --out report") }
        let resolved = URL(fileURLWithPath: trimmed).standardizedFileURL.resolvingSymlinksInPath().path
        guard resolved != "/" else { throw ConvSimError.invalidArgument("--out \(path) is the root folder; name a folder of its own") }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: trimmed, isDirectory: &isDir) {
            guard isDir.boolValue else { throw ConvSimError.invalidArgument("--out \(path) is a file, not a folder") }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: trimmed)) ?? []
            let ours = entries.contains(manifestName)
            if !entries.isEmpty && !ours && !force {
                throw ConvSimError.invalidArgument("--out \(path) already holds \(entries.count) file(s) that convsim did not write; choose an empty or new folder, or pass --force to write into it")
            }
            if ours { return }
        } else {
            do { try FileManager.default.createDirectory(atPath: trimmed, withIntermediateDirectories: true) } catch {
                throw ConvSimError.writeFailed(path: trimmed, reason: IOFiles.reason(error))
            }
        }
        try IOFiles.writeAtomically(Data(), to: trimmed + "/" + manifestName)
    }

    /// The files the previous report listed.
    package static func previousFiles(_ path: String) -> [String] {
        guard let d = FileManager.default.contents(atPath: path + "/" + manifestName) else { return [] }
        return String(decoding: d, as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { !$0.isEmpty && !$0.hasPrefix("/") && !$0.contains("..") }
    }

    /// Removes the previous report's files that `keep` does not name, then records `keep`.
    package static func replaceManifest(_ path: String, with keep: [String]) throws {
        let kept = Set(keep)
        for f in previousFiles(path) where !kept.contains(f) { try? FileManager.default.removeItem(atPath: path + "/" + f) }
        try IOFiles.writeAtomically(Data((keep.sorted().joined(separator: "\n") + "\n").utf8), to: path + "/" + manifestName)
    }
}
