import ConvSimIO
import ArgumentParser
import ConvSimCore
import ConvSimCorrelation
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `convsim bench gram`: FFT path vs the direct path vs a NumPy im2col + BLAS
/// script, all measured in this run, plus peak memory of the FFT path at two
/// dataset sizes (each in its own child process).
struct BenchGramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gram",
        abstract: "Benchmark the FFT Gram against the direct path and NumPy (im2col + BLAS).",
        discussion: """
        N RGB 32×32 crops of a bundled image (seeded positions), a random 64×3×3×3 bank, \
        same padding. Prints each time, the ratios, the max relative difference between \
        methods and the peak resident memory of the FFT path for N and for --memory-n images.
        Goals: FFT ≥ 20× faster than direct and faster than NumPy at N = 1000; \
        peak memory at N = 10,000 within 1.5× of N = 1,000.

        Example:
          convsim bench gram --n 1000 --memory-n 10000
        """)

    @Option(parsing: .unconditional, help: "Number of crops, 1…10⁶.") var n = 1000
    @Option(name: .customLong("memory-n"), parsing: .unconditional, help: "Larger N for the memory-flatness check (0 to skip), 0…10⁶.") var memoryN = 10_000
    @Option(help: "Source image for the crops.") var image = "data/images/astronaut.png"
    @Option(parsing: .unconditional, help: "Crop size, 1…4096.") var crop = 32
    @Option(parsing: .unconditional, help: "Kernels in the random bank, 1…4096.") var kernels = 64
    @Option(help: "Seed for crop positions and the bank.") var seed: UInt64 = 1
    @Option(name: .customLong("numpy-script"), help: "The NumPy baseline script.") var numpyScript = "scripts/bench_gram_numpy.py"

    @OptionGroup var parallel: ThreadsOption

    func validate() throws {
        try ArgumentLimits.check(n, "--n", 1...1_000_000)
        try ArgumentLimits.check(memoryN, "--memory-n", 0...1_000_000)
        try ArgumentLimits.check(crop, "--crop", 1...4096)
        try ArgumentLimits.check(kernels, "--kernels", 1...4096)
    }
    @Flag(name: .customLong("skip-numpy"), help: "Do not run the NumPy baseline.") var skipNumpy = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        parallel.apply()
        do {
            let setup = try BenchSetup(image: image, crop: crop, kernels: kernels, seed: seed)
            progress("bench gram: \(n) crops \(crop)×\(crop)×\(setup.source.channels) of \(image), bank \(kernels)×\(setup.source.channels)×3×3, same padding")

            // Best of 3, as the NumPy peers are timed.
            var tFFT = Double.infinity
            var fastResult: GramResult? = nil
            for _ in 0..<3 {
                let t0 = Clock.now()
                fastResult = try setup.fftGram(count: n)
                tFFT = min(tFFT, Clock.since(t0))
            }
            guard let fast = fastResult else { return }
            progress(String(format: "  fft     %.4f s (best of 3, %d thread(s))", tFFT, Parallel.threads))

            let t1 = Clock.now()
            let direct = setup.directGram(count: n)
            let tDirect = Clock.since(t1)
            progress(String(format: "  direct  %.4f s", tDirect))

            var numpy: BenchSetup.NumpyResult? = nil
            var numpyNote = "skipped (--skip-numpy)"
            if !skipNumpy {
                do { numpy = try setup.numpyGram(count: n, script: numpyScript); numpyNote = "ok" }
                catch { numpyNote = "skipped: \(error)" }
                if let np = numpy { progress(String(format: "  numpy   im2col %.4f s, fft %.4f s", np.im2colSeconds, np.fftSeconds)) } else { progress("  numpy   \(numpyNote)") }
            }

            let relFD = maxRelativeDifference(fast.gram.flatMap { $0 }, direct.flatMap { $0 })
            let relFN = numpy.map { max(maxRelativeDifference(fast.gram.flatMap { $0 }, $0.im2colGram),
                                        maxRelativeDifference(fast.gram.flatMap { $0 }, $0.fftGram)) }
            let maxBound = fast.bound.flatMap { $0 }.max() ?? 0
            let scale = fast.gram.flatMap { $0 }.map(abs).max() ?? 1

            var memory: [(Int, Double, Double)] = []
            if memoryN > 0 {
                for count in [n, memoryN] {
                    let r = try childPeakMemory(count: count)
                    memory.append((count, r.kb, r.seconds))
                    progress(String(format: "  memory  N = %d: peak RSS %.1f MiB (fft %.3f s)", count, r.kb / 1024, r.seconds))
                }
            }

            if json {
                var fields: [(String, JSON)] = [
                    ("n", .int(n)), ("seed", .uint(seed)),
                    ("fft_seconds", .number(tFFT)), ("direct_seconds", .number(tDirect)),
                    ("speedup_vs_direct", .number(tDirect / tFFT)),
                    ("max_relative_difference_fft_direct", .number(relFD)),
                    ("certified_relative_bound_fft", .number(maxBound / scale)),
                ]
                if let np = numpy, let rel = relFN {
                    fields += [("numpy_im2col_seconds", .number(np.im2colSeconds)), ("numpy_fft_seconds", .number(np.fftSeconds)),
                               ("numpy_version", .string(np.version)), ("numpy_blas", .string(np.blas)),
                               ("speedup_vs_best_numpy", .number(min(np.im2colSeconds, np.fftSeconds) / tFFT)),
                               ("max_relative_difference_fft_numpy", .number(rel))]
                } else { fields.append(("numpy", .string(numpyNote))) }
                fields.append(("memory", .array(memory.map { .object([("n", .int($0.0)), ("peak_rss_kib", .number($0.1)), ("fft_seconds", .number($0.2))]) })))
                if memory.count == 2 { fields.append(("memory_ratio", .number(memory[1].1 / memory[0].1))) }
                print(JSON.object(fields).render())
            } else {
                print("bench gram — N = \(n) RGB \(crop)×\(crop) crops, \(kernels)×3×3×3 bank, same padding, seed \(seed)")
                print(String(format: "  FFT (FFTW + boundary correction)  %9.4f s   (best of 3, %d thread(s); peers best of 3)", tFFT, Parallel.threads))
                print(String(format: "  direct (summation reference)      %9.4f s   ratio direct/FFT = %.1f×  (goal ≥ 20×)", tDirect, tDirect / tFFT))
                if let np = numpy {
                    print(String(format: "  NumPy im2col in slabs + BLAS      %9.4f s   ratio = %.2f×", np.im2colSeconds, np.im2colSeconds / tFFT))
                    print(String(format: "  NumPy FFT (this algorithm)        %9.4f s   ratio = %.2f×", np.fftSeconds, np.fftSeconds / tFFT))
                    let best = min(np.im2colSeconds, np.fftSeconds)
                    print(String(format: "  best peer / FFT = %.2f×  (goal ≥ 2×)   NumPy %@, BLAS %@", best / tFFT, np.version, np.blas))
                } else { print("  NumPy baseline: \(numpyNote)") }
                print(String(format: "  max relative difference FFT vs direct: %.3e   (certified bound on FFT error, relative: %.3e)", relFD, maxBound / scale))
                if let r = relFN { print(String(format: "  max relative difference FFT vs NumPy:  %.3e", r)) }
                for (count, kb, s) in memory { print(String(format: "  peak memory, FFT path, N = %6d: %8.1f MiB  (%.3f s)", count, kb / 1024, s)) }
                if memory.count == 2 { print(String(format: "  memory ratio N=%d / N=%d: %.3f  (goal ≤ 1.5)", memory[1].0, memory[0].0, memory[1].1 / memory[0].1)) }
            }
        }
    }

    func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
        let scale = max(a.map(abs).max() ?? 0, 1e-300)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    /// Runs the FFT path in a child process and reads its peak resident set size.
    func childPeakMemory(count: Int) throws -> (kb: Double, seconds: Double) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !FileManager.default.isExecutableFile(atPath: p.executableURL!.path) {
            p.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
        }
        p.arguments = ["bench", "gram-worker", "--n", String(count), "--image", image, "--crop", String(crop),
                       "--kernels", String(kernels), "--seed", String(seed)]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let kb = obj["peak_rss_kib"] as? Double, let s = obj["seconds"] as? Double else {
            throw ConvSimError.invalidArgument("memory worker failed (status \(p.terminationStatus))")
        }
        return (kb, s)
    }
}

/// Hidden worker: runs the FFT path on N crops and prints its own peak RSS.
struct BenchGramWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gram-worker", shouldDisplay: false)
    @Option var n = 1000
    @Option var image = "data/images/astronaut.png"
    @Option var crop = 32
    @Option var kernels = 64
    @Option var seed: UInt64 = 1

    func run() throws {
        do {
            let setup = try BenchSetup(image: image, crop: crop, kernels: kernels, seed: seed)
            let t0 = Clock.now()
            _ = try setup.fftGram(count: n)
            let s = Clock.since(t0)
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print("{\"peak_rss_kib\": \(Double(usage.ru_maxrss)), \"seconds\": \(s)}")
        }
    }
}

/// Monotonic wall clock in seconds.
enum Clock {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
    static func since(_ t: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9 }
}

/// The benchmark's data: seeded crops of one image and a seeded Gaussian bank.
/// Crops are generated on the fly, so memory does not depend on N.
struct BenchSetup {
    let source: Signal
    let crop: Int
    let bank: KernelBank
    let seed: UInt64

    init(image: String, crop: Int, kernels: Int, seed: UInt64) throws {
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

    func forEachCrop(_ count: Int, _ body: (Signal) throws -> Void) rethrows {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<count {
            let y = rng.integer(in: 0...(source.height - crop)), x = rng.integer(in: 0...(source.width - crop))
            try body(source.cropped(y0: y, x0: x, height: crop, width: crop))
        }
    }

    func fftGram(count: Int) throws -> GramResult {
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

    func directGram(count: Int) -> [[Double]] {
        var g = [[Double]](repeating: [Double](repeating: 0, count: bank.count), count: bank.count)
        forEachCrop(count) { x in
            let r = DirectConvolution.gram(inputs: [x], kernels: bank, padding: .same)
            for i in 0..<bank.count { for j in 0..<bank.count { g[i][j] += r.gram[i][j] } }
        }
        return g
    }

    struct NumpyResult {
        var im2colSeconds: Double, fftSeconds: Double
        var version: String, blas: String
        var im2colGram: [Double], fftGram: [Double]
    }

    /// Runs the NumPy peers (scripts/bench_gram_numpy.py) on the same crops and bank, with
    /// this machine's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from that child's
    /// environment only (they slow NumPy's BLAS several-fold; the toolkit keeps them).
    func numpyGram(count: Int, script: String) throws -> NumpyResult {
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
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, cropsPath, bankPath, "same", outPrefix]
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_CORETYPE"] = nil
        env["OPENBLAS_L2_SIZE"] = nil
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0, let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let a = obj["im2col_seconds"] as? Double, let f = obj["fft_seconds"] as? Double else {
            throw ConvSimError.invalidArgument("python3 with NumPy is not available or the script failed (status \(p.terminationStatus))")
        }
        return NumpyResult(im2colSeconds: a, fftSeconds: f, version: obj["numpy"] as? String ?? "?",
                           blas: obj["blas"] as? String ?? "?",
                           im2colGram: try NPY.read(path: outPrefix + "-im2col.npy").values,
                           fftGram: try NPY.read(path: outPrefix + "-fft.npy").values)
    }
}
