import ConvSimCore
import ConvSimCorrelation
import ConvSimIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Monotonic wall clock in seconds.
package enum Clock {
    package static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    package static func since(_ t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
}

/// The benchmark's data: seeded crops of one image and a seeded Gaussian bank.
/// Crops are generated on the fly, so memory does not depend on N.
package struct BenchSetup {
    package let source: Signal
    package let crop: Int
    package let bank: KernelBank
    package let seed: UInt64

    package init(image: String, crop: Int, kernels: Int, seed: UInt64) throws {
        source = try InputLoader.loadSignals(path: image)[0]
        guard source.height >= crop, source.width >= crop else {
            throw ConvSimError.invalidArgument("image \(image) (\(source.height)×\(source.width)) is smaller than the crop \(crop)")
        }
        self.crop = crop
        self.seed = seed
        var rng = SeededRandom(seed: seed ^ 0xB4A7)
        bank = KernelBank(count: kernels, channels: source.channels, kernelHeight: 3, kernelWidth: 3,
                          values: (0..<(kernels * source.channels * 9)).map { _ in rng.gaussian() })
    }

    package func forEachCrop(_ count: Int, _ body: (Signal) throws -> Void) rethrows {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<count {
            let y = rng.integer(in: 0...(source.height - crop)), x = rng.integer(in: 0...(source.width - crop))
            try body(source.cropped(y0: y, x0: x, height: crop, width: crop))
        }
    }

    package func fftGram(count: Int) throws -> GramResult {
        let acc = PatchGramAccumulator(channels: bank.channels, kernelHeight: 3, kernelWidth: 3, padding: .same)
        // Batches of whole blocks, accumulated in parallel; memory stays flat in N.
        var batch: [(signal: Signal, name: String)] = []
        try forEachCrop(count) { x in
            batch.append((x, "crop"))
            if batch.count == PatchGramAccumulator.blockSize * 64 { try acc.add(contentsOf: batch); batch = [] }
        }
        try acc.add(contentsOf: batch)
        return CorrelationGram.gram(kernels: bank, patchGram: acc.result())
    }

    package func directGram(count: Int) throws -> [[Double]] {
        let acc = DirectGramAccumulator(kernels: bank, padding: .same, certified: false)
        try forEachCrop(count) { try acc.add($0) }
        return acc.result().gram
    }

    package struct NumpyResult {
        package var im2colSeconds: Double, fftSeconds: Double
        package var version: String, blas: String
        package var im2colGram: [Double], fftGram: [Double]
    }

    /// Runs the NumPy peers (scripts/bench_gram_numpy.py) on the same crops and bank, with
    /// this machine's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from that child's
    /// environment only (they slow NumPy's BLAS several-fold; the toolkit keeps them).
    package func numpyGram(count: Int, script: String) throws -> NumpyResult {
        guard FileManager.default.fileExists(atPath: script) else {
            throw ConvSimError.fileNotFound(path: script)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("convsim-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var crops: [Double] = []
        crops.reserveCapacity(count * source.channels * crop * crop)
        forEachCrop(count) { crops += $0.values }
        let cropsPath = dir.appendingPathComponent("crops.npy").path
        let bankPath = dir.appendingPathComponent("bank.npy").path
        let outPrefix = dir.appendingPathComponent("gram").path
        try NPY.write(crops, shape: [count, source.channels, crop, crop], dtype: .float64, to: cropsPath)
        try NPY.write(bank.values, shape: [bank.count, bank.channels, 3, 3], dtype: .float64, to: bankPath)
        let data = try ChildProcess.run(["/usr/bin/env", "python3", script, cropsPath, bankPath, "same", outPrefix], unsetBLAS: true)
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let a = obj["im2col_seconds"] as? Double, let f = obj["fft_seconds"] as? Double else {
            throw ConvSimError.invalidArgument("python3 with NumPy printed no timing (is NumPy installed?)")
        }
        return NumpyResult(im2colSeconds: a, fftSeconds: f, version: obj["numpy"] as? String ?? "?",
                           blas: obj["blas"] as? String ?? "?",
                           im2colGram: try NPY.read(path: outPrefix + "-im2col.npy").values,
                           fftGram: try NPY.read(path: outPrefix + "-fft.npy").values)
    }
}

/// Child processes of the benchmarks: the NumPy peers (with this machine's OPENBLAS_CORETYPE and
/// OPENBLAS_L2_SIZE removed from that child's environment only — they slow NumPy's BLAS several-
/// fold; the toolkit keeps them) and the CLI itself, end to end.
package enum ChildProcess {
    /// Runs a child process and returns its standard output (throws on a non-zero exit).
    package static func run(_ argv: [String], unsetBLAS: Bool) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        if unsetBLAS {
            var env = ProcessInfo.processInfo.environment
            env["OPENBLAS_CORETYPE"] = nil
            env["OPENBLAS_L2_SIZE"] = nil
            p.environment = env
        }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ConvSimError.invalidArgument("\(argv.dropFirst().prefix(2).joined(separator: " ")) exited with status \(p.terminationStatus)")
        }
        return data
    }
}

/// The largest entrywise difference of two results, relative to the largest entry of `a`.
package func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    let scale = max(a.map(abs).max() ?? 0, 1e-300)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}
