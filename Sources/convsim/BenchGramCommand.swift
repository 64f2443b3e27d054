import ConvSimIO
import ArgumentParser
import ConvSimBench
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
        abstract: "Benchmark the FFT Gram against the direct path, the FFTW floor, the CLI end to end and the NumPy/PyTorch peers.",
        discussion: """
        N RGB 32×32 crops of a bundled image (seeded positions), a random 64×3×3×3 bank, \
        same padding. Prints each time, the ratios, the max relative difference between \
        methods and the peak resident memory of the FFT path for N and for --memory-n images. \
        Peers (scripts/bench_gram_numpy.py, OPENBLAS_* unset in that child only): NumPy im2col \
        in slabs + BLAS, NumPy FFT, and PyTorch unfold / conv2d (float64) when torch imports.
        Goals: FFT ≥ 20× faster than direct; ≥ 2× faster than the best peer, in process and \
        end to end (convsim gram on the crops as a .npy); within 3× of the FFTW floor; \
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

            let floor = try setup.fftFloor(count: n)
            progress(String(format: "  floor   %.4f s (FFTW r2c of every channel + cross-power spectra, 1 thread)", floor.seconds))
            let cli = try setup.cliGram(count: n, executable: Self.executable().path, threads: Parallel.threads)
            progress(String(format: "  cli     %.4f s (convsim gram on a .npy, end to end)", cli.seconds))

            let t1 = Clock.now()
            let direct = try setup.directGram(count: n)
            let tDirect = Clock.since(t1)
            progress(String(format: "  direct  %.4f s", tDirect))

            var numpy: BenchSetup.NumpyResult? = nil
            var numpyNote = "skipped (--skip-numpy)"
            if !skipNumpy {
                do { numpy = try setup.numpyGram(count: n, script: numpyScript); numpyNote = "ok" }
                catch { numpyNote = "skipped: \(error)" }
                if let np = numpy {
                    progress(String(format: "  numpy   im2col %.4f s, fft %.4f s", np.im2colSeconds, np.fftSeconds))
                    if let t = np.torch { progress(String(format: "  torch   unfold %.4f s, conv2d %.4f s", t.unfoldSeconds, t.convSeconds)) }
                } else { progress("  numpy   \(numpyNote)") }
            }

            let relFD = maxRelativeDifference(fast.gram.flatMap { $0 }, direct.flatMap { $0 })
            let relCLI = maxRelativeDifference(fast.gram.flatMap { $0 }, cli.gram)
            let relFN = numpy.map { np in
                ([np.im2colGram, np.fftGram] + (np.torch.map { [$0.unfoldGram, $0.convGram] } ?? []))
                    .map { maxRelativeDifference(fast.gram.flatMap { $0 }, $0) }.max() ?? 0
            }
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
                    ("fftw_floor_seconds", .number(floor.seconds)), ("fft_over_floor", .number(tFFT / floor.seconds)),
                    ("cli_seconds", .number(cli.seconds)), ("cli_over_floor", .number(cli.seconds / floor.seconds)),
                    ("max_relative_difference_fft_cli", .number(relCLI)),
                    ("certified_relative_bound_fft", .number(maxBound / scale)),
                ]
                if let np = numpy, let rel = relFN {
                    fields += [("numpy_im2col_seconds", .number(np.im2colSeconds)), ("numpy_fft_seconds", .number(np.fftSeconds)),
                               ("numpy_version", .string(np.version)), ("numpy_blas", .string(np.blas)),
                               ("speedup_vs_best_peer", .number(np.bestSeconds / tFFT)),
                               ("cli_speedup_vs_best_peer", .number(np.bestSeconds / cli.seconds)),
                               ("max_relative_difference_fft_peers", .number(rel))]
                    if let t = np.torch {
                        fields += [("torch_version", .string(t.version)), ("torch_threads", .int(t.threads)),
                                   ("torch_unfold_seconds", .number(t.unfoldSeconds)), ("torch_conv_seconds", .number(t.convSeconds))]
                    }
                } else { fields.append(("numpy", .string(numpyNote))) }
                fields.append(("memory", .array(memory.map { .object([("n", .int($0.0)), ("peak_rss_kib", .number($0.1)), ("fft_seconds", .number($0.2))]) })))
                if memory.count == 2 { fields.append(("memory_ratio", .number(memory[1].1 / memory[0].1))) }
                JSON.object(fields).printLine()
            } else {
                print("bench gram — N = \(n) RGB \(crop)×\(crop) crops, \(kernels)×3×3×3 bank, same padding, seed \(seed)")
                print(String(format: "  FFT (FFTW + boundary correction)  %9.4f s   (best of 3, %d thread(s); peers best of 3)", tFFT, Parallel.threads))
                print(String(format: "  direct (summation reference)      %9.4f s   ratio direct/FFT = %.1f×  (goal ≥ 20×)", tDirect, tDirect / tFFT))
                print(String(format: "  FFTW floor (FFTs + spectra, 1 thr) %8.4f s   FFT/floor = %.2f×  (goal ≤ 3×)", floor.seconds, tFFT / floor.seconds))
                print(String(format: "  convsim gram CLI, end to end      %9.4f s   CLI/floor = %.2f×  (reads the .npy, prints JSON)", cli.seconds, cli.seconds / floor.seconds))
                if let np = numpy {
                    print(String(format: "  NumPy im2col in slabs + BLAS      %9.4f s   ratio = %.2f×", np.im2colSeconds, np.im2colSeconds / tFFT))
                    print(String(format: "  NumPy FFT (this algorithm)        %9.4f s   ratio = %.2f×", np.fftSeconds, np.fftSeconds / tFFT))
                    if let t = np.torch {
                        print(String(format: "  torch unfold patch Gram, f64      %9.4f s   ratio = %.2f×   (torch %@, %d threads)", t.unfoldSeconds, t.unfoldSeconds / tFFT, t.version, t.threads))
                        print(String(format: "  torch conv2d then F·Fᵀ, f64       %9.4f s   ratio = %.2f×", t.convSeconds, t.convSeconds / tFFT))
                    } else { print("  PyTorch: not importable in the child (its peers skipped)") }
                    let best = np.bestSeconds
                    print(String(format: "  best peer / FFT = %.2f×, best peer / CLI end to end = %.2f×  (goal ≥ 2×)   NumPy %@, BLAS %@",
                                 best / tFFT, best / cli.seconds, np.version, np.blas))
                } else { print("  NumPy baseline: \(numpyNote)") }
                print(String(format: "  max relative difference FFT vs direct: %.3e   (certified bound on FFT error, relative: %.3e)", relFD, maxBound / scale))
                print(String(format: "  max relative difference FFT vs CLI:    %.3e", relCLI))
                if let r = relFN { print(String(format: "  max relative difference FFT vs peers:  %.3e", r)) }
                for (count, kb, s) in memory { print(String(format: "  peak memory, FFT path, N = %6d: %8.1f MiB  (%.3f s)", count, kb / 1024, s)) }
                if memory.count == 2 { print(String(format: "  memory ratio N=%d / N=%d: %.3f  (goal ≤ 1.5)", memory[1].0, memory[0].0, memory[1].1 / memory[0].1)) }
            }
        }
    }


    /// This program's own executable (for the child processes).
    static func executable() -> URL {
        let u = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        return FileManager.default.isExecutableFile(atPath: u.path) ? u : URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
    }

    /// Runs the FFT path in a child process and reads its peak resident set size.
    func childPeakMemory(count: Int) throws -> (kb: Double, seconds: Double) {
        let p = Process()
        p.executableURL = Self.executable()
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
