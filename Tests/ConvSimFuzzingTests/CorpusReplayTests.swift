import ConvSimFuzzing
import ConvSimSearch
import Foundation
import Testing

/// Replays the committed fuzz corpus (Fuzz/corpus/TARGET) and every file that once broke the
/// CLI (Tests/Regressions) through the fuzz targets' entry points: a trap fails the run.
@Suite struct CorpusReplay {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func files(_ dir: String) -> [URL] {
        let d = root.appendingPathComponent(dir)
        guard let e = FileManager.default.enumerator(at: d, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath }.sorted { $0.path < $1.path }
    }

    @Test("the seed corpus of every target replays without a trap", arguments: FuzzEntries.targets.map(\.name))
    func seedCorpus(_ name: String) throws {
        let run = try #require(FuzzEntries.target(named: name))
        let seeds = Self.files("Fuzz/corpus/\(name)")
        #expect(!seeds.isEmpty, "no seed corpus for \(name)")
        for f in seeds { run(try Data(contentsOf: f)) }
    }

    /// The committed checkpoint seed is a valid checkpoint of the fuzz context — read, hash
    /// checked and validated — so the fuzzer starts inside the validation (regenerate it with
    /// CONVSIM_WRITE_FUZZ_SEEDS=1 after a change to the checkpoint format; its last digits
    /// depend on the machine's BLAS, its validity does not).
    @Test func checkpointSeedIsValid() throws {
        let path = Self.root.appendingPathComponent("Fuzz/corpus/checkpoint/seed.bin")
        if ProcessInfo.processInfo.environment["CONVSIM_WRITE_FUZZ_SEEDS"] != nil {
            try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FuzzEntries.checkpointSeed().write(to: path)
            // The same with hashes unchecked ("*"), so the fuzzer reaches the validation directly.
            try (Data("*".utf8) + FuzzEntries.checkpointSeed()).write(to: path.deletingLastPathComponent().appendingPathComponent("unhashed.bin"))
        }
        let cp = try CheckpointStore.read(blob: try Data(contentsOf: path), path: path.path)
        let ctx = try #require(FuzzEntries.checkpointContext)
        var run = try SearchRun(context: ctx, strategies: Strategies.all, resumeFrom: cp)
        try run.run()
        #expect(run.finish().count == Strategies.all.count)
    }

    @Test("every regression file goes through every reader without a trap")
    func regressions() throws {
        let all = Self.files("Tests/Regressions")
        #expect(all.count >= 40)
        for f in all {
            let data = try Data(contentsOf: f)
            for t in FuzzEntries.targets { t.run(data) }
        }
    }
}
