import ConvSimIO
import ConvSimCertificates
import ConvSimCore
import ConvSimCorrelation
import ConvSimONNX
import ConvSimReport
import ConvSimSearch
import ConvSimTheorems
import Foundation

/// The entry points of the fuzz targets (Fuzz/, run by `scripts/fuzz.sh` under libFuzzer)
/// and of the corpus replay in the tests: each feeds untrusted bytes to one reader, exactly
/// as the CLI does, and swallows the errors a bad input must produce. A trap, a hang or an
/// allocation beyond the limits is the only way to fail.
public enum FuzzEntries {
    public static let targets: [(name: String, run: @Sendable (Data) -> Void)] = [
        ("npy", { data in _ = try? NPY.read(data: data, path: "fuzz.npy") }),
        ("inputs", { data in inputs(data) }),
        ("safetensors", { data in _ = try? Safetensors.read(data: data, path: "fuzz.safetensors") }),
        ("png", { data in _ = try? ImageDecoder.decode(data: data, path: "fuzz.png") }),
        ("jpeg", { data in _ = try? ImageDecoder.decode(data: data, path: "fuzz.jpg") }),
        ("certificate", { data in
            // The whole replay, with a small work limit so every input runs in milliseconds.
            guard let c = try? Certificate.decode(data, path: "fuzz.json") else { return }
            _ = try? CertificateChecker(SearchClaimVerifiers.all + [TheoremCertificates.verifier], maxWork: 1e6).verify(c, path: "fuzz.json")
        }),
        ("notebook", { data in
            guard let text = String(validating: [UInt8](data), as: UTF8.self) else { return }
            _ = Notebook.parse(text).render()
        }),
        ("json", { data in _ = try? StrictJSON.parse(data) }),
        ("onnx", { data in onnx(data) }),
        ("stats", { data in
            guard let s = try? StatsFile.decode(data, path: "fuzz.stats") else { return }
            _ = try? DatasetStatistics.patchGram(s)
            _ = try? DatasetStatistics.moments(s)
        }),
        ("checkpoint", { data in
            // Head and log in one input (split at the first zero byte): read with both hash
            // checks, then resume (validation), run and shrink on a small fixed context. The
            // validation behind the hashes is fuzzed too: an input starting with "*" skips them.
            let cp: SearchCheckpoint?
            if data.first == UInt8(ascii: "*") {
                cp = try? CheckpointStore.read(blob: data.dropFirst(), path: "fuzz", checkingHashes: false)
            } else {
                cp = try? CheckpointStore.read(blob: data, path: "fuzz")
            }
            guard let cp, let ctx = checkpointContext,
                  var run = try? SearchRun(context: ctx, strategies: Strategies.all, resumeFrom: cp) else { return }
            run.checkpointInterval = .infinity
            _ = try? run.run()
            _ = run.finish()
        }),
    ]

    /// The fixed run the checkpoint target resumes: every strategy on an 8×8 RGB image.
    public static let checkpointContext: SearchContext? = {
        var rng = SeededRandom(seed: 1)
        let x = Signal(channels: 3, height: 8, width: 8, values: (0..<192).map { _ in Double(rng.integer(in: 0...255)) })
        let cfg = SearchConfig(strategies: Strategies.names, inputs: ["fuzz"], kernelSize: 2, padding: .same,
                               trials: 20, seed: 1, threshold: Rational(9, 10), bankSize: 2)
        return try? SearchContext(config: cfg, inputs: [("fuzz", x)], command: "fuzz")
    }()

    /// A valid checkpoint of `checkpointContext` after half of its units (the seed of the corpus).
    public static func checkpointSeed() throws -> Data {
        guard let ctx = checkpointContext else { return Data() }
        var run = try SearchRun(context: ctx, strategies: Strategies.all)
        run.chunk = 10
        var saved: [SearchCheckpoint] = []
        run.checkpointInterval = 0
        run.onCheckpoint = { saved.append($0) }
        try run.run()
        return try CheckpointStore.blob(saved.count > 1 ? saved[saved.count / 2] : run.checkpoint)
    }

    /// The `onnx` target: read a model and, when its window attributes are small (every
    /// integer attribute within ±64), run it on a fixed input of its declared shape (named axes:
    /// 1 for the batch, 16 otherwise; at most 4096 values), with every tensor limited to 2¹⁶
    /// values so that each input runs in milliseconds.
    static func onnx(_ data: Data) {
        Tensor.$elementLimit.withValue(1 << 16) {
            guard let model = try? ONNXModel(data: data, path: "fuzz.onnx") else { return }
            _ = model.convLayers.map { $0.pads(height: 8, width: 8) }
            for n in model.nodes {
                for a in n.attributes.values {
                    switch a {
                    case .int(let v): if abs(v) > 64 { return }
                    case .ints(let v): if v.contains(where: { abs($0) > 64 }) { return }
                    default: break
                    }
                }
            }
            let shape = model.inputShape.isEmpty ? [1, 3, 8, 8] : model.inputShape.enumerated().map { k, d -> Int in
                if case .fixed(let n) = d { return n }
                return k == 0 ? 1 : 16
            }
            guard let n = try? Tensor.elementCount(shape), n <= 4096,
                  let input = try? Tensor(shape: shape, values: (0..<n).map { Double($0 % 7) / 7 - 0.4 }) else { return }
            _ = try? model.run(tensors: [input])
        }
    }

    public static func target(named name: String) -> (@Sendable (Data) -> Void)? {
        targets.first { $0.name == name }?.run
    }
}

extension FuzzEntries {
    /// The dataset reader as `convsim gram --input FILE` runs it: the bytes as a `.npy` file,
    /// opened by `InputSet` (header checked, file mapped) and every signal decoded, as the
    /// accumulating workers decode them.
    static func inputs(_ data: Data) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("convsim-fuzz-inputs-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("x.npy").path
        guard (try? data.write(to: URL(fileURLWithPath: path))) != nil else { return }
        defer { try? FileManager.default.removeItem(atPath: path) }
        for oneDimensional in [false, true] {
            guard let set = try? InputSet.open(paths: [path], gray: true, oneDimensional: oneDimensional) else { continue }
            for i in 0..<min(set.count, 64) { _ = try? set.signal(i) }
            _ = try? set.signal(set.count)   // out of range: an error, not a trap
        }
    }
}
