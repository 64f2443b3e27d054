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
        end to end (convsim gram on the crops as a .npy, the matrices written with --npy; \
        its --json run is shown too); within 3× of the FFTW floor; \
        peak memory at N = 10,000 within 1.5× of N = 1,000.

        Examples:
          convsim bench gram --n 1000 --memory-n 10000
          convsim bench gram --n 50000 --memory-n 0 --skip-direct
          convsim bench gram --n 1 --crop 512 --kernels 512 --memory-n 0 --skip-direct
        """)

    @Option(parsing: .unconditional, help: "Number of crops, 1…10⁶.") var n = 1000
    @Option(name: .customLong("memory-n"), parsing: .unconditional, help: "Larger N for the memory-flatness check (0 to skip), 0…10⁶.") var memoryN = 10_000
    @Option(help: "Source image for the crops.") var image = "data/images/astronaut.png"
    @Option(parsing: .unconditional, help: "Crop size, 1…4096.") var crop = 32
    @Option(parsing: .unconditional, help: "Kernels in the random bank, 1…4096.") var kernels = 64
    @Option(help: "Seed for crop positions and the bank.") var seed: UInt64 = 1
    @Option(name: .customLong("numpy-script"), help: "The NumPy baseline script.") var numpyScript = "scripts/bench_gram_numpy.py"
    @Option(parsing: .unconditional, help: "Runs of every contender (in process, floor, CLI, NumPy, torch), the best kept, 1…100.") var runs = 3

    @OptionGroup var parallel: ThreadsOption

    func validate() throws {
        try ArgumentLimits.check(n, "--n", 1...1_000_000)
        try ArgumentLimits.check(memoryN, "--memory-n", 0...1_000_000)
        try ArgumentLimits.check(crop, "--crop", 1...4096)
        try ArgumentLimits.check(kernels, "--kernels", 1...4096)
        try ArgumentLimits.check(runs, "--runs", 1...100)
    }
    @Flag(name: .customLong("skip-numpy"), help: "Do not run the NumPy baseline.") var skipNumpy = false
    @Flag(name: .customLong("skip-direct"), help: "Do not run the direct summation reference (it takes minutes at N = 5·10⁴).") var skipDirect = false
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        parallel.apply()
        do {
            let setup = try BenchSetup(image: image, crop: crop, kernels: kernels, seed: seed)
            progress("bench gram: \(n) crops \(crop)×\(crop)×\(setup.source.channels) of \(image), bank \(kernels)×\(setup.source.channels)×3×3, same padding")

            // Best of `runs`, as every peer is timed.
            var tFFT = Double.infinity
            var fastResult: GramResult? = nil
            for _ in 0..<runs {
                let t0 = Clock.now()
                fastResult = try setup.fftGram(count: n)
                tFFT = min(tFFT, Clock.since(t0))
            }
            guard let fast = fastResult else { return }
            progress("  fft     \(Fmt.f(tFFT, 4)) s (best of \(runs), \(Parallel.threads) thread(s))")

            let floor = try setup.fftFloor(count: n, runs: runs)
            progress("  floor   \(Fmt.f(floor.seconds, 4)) s (FFTW r2c of every channel + cross-power spectra, 1 thread)")
            let cli = try setup.cliGram(count: n, executable: Self.executable().path, threads: Parallel.threads, runs: runs)
            progress("  cli     \(Fmt.f(cli.seconds, 4)) s (convsim gram on a .npy, end to end, --npy output)")
            let cliJSON = try setup.cliGram(count: n, executable: Self.executable().path, threads: Parallel.threads, json: true, runs: runs)
            progress("  cli     \(Fmt.f(cliJSON.seconds, 4)) s (the same with --json)")

            // The direct reference (O(N·H·W·M·m), minutes at N = 5·10⁴): skipped with --skip-direct.
            var tDirect = Double.nan, relFD = Double.nan
            if !skipDirect {
                let t1 = Clock.now()
                let direct = try setup.directGram(count: n)
                tDirect = Clock.since(t1)
                relFD = maxRelativeDifference(fast.gram.values, direct.values)
                progress("  direct  \(Fmt.f(tDirect, 4)) s")
            }

            var numpy: BenchSetup.NumpyResult? = nil
            var numpyNote = "skipped (--skip-numpy)"
            if !skipNumpy {
                do { numpy = try setup.numpyGram(count: n, script: numpyScript, runs: runs); numpyNote = "ok" }
                catch { numpyNote = "skipped: \(error)" }
                if let np = numpy {
                    progress("  numpy   im2col \(Fmt.f(np.im2colSeconds, 4)) s, fft \(Fmt.f(np.fftSeconds, 4)) s")
                    if let t = np.torch { progress("  torch   unfold \(Fmt.f(t.unfoldSeconds, 4)) s, conv2d \(Fmt.f(t.convSeconds, 4)) s") }
                } else { progress("  numpy   \(numpyNote)") }
            }

            let relCLI = max(maxRelativeDifference(fast.gram.values, cli.gram), maxRelativeDifference(fast.gram.values, cliJSON.gram))
            let relFN = numpy.map { np in
                ([np.im2colGram, np.fftGram] + (np.torch.map { [$0.unfoldGram, $0.convGram] } ?? []))
                    .map { maxRelativeDifference(fast.gram.values, $0) }.max() ?? 0
            }
            let maxBound = fast.bound.largestEntry ?? 0
            let scale = fast.gram.values.map(abs).max() ?? 1

            var memory: [(Int, Double, Double)] = []
            if memoryN > 0 {
                for count in [n, memoryN] {
                    let r = try childPeakMemory(count: count)
                    memory.append((count, r.kb, r.seconds))
                    progress("  memory  N = \(count): peak RSS \(Fmt.f(r.kb / 1024, 1)) MiB (fft \(Fmt.f(r.seconds, 3)) s)")
                }
            }

            if json {
                var fields: [(String, JSON)] = [
                    ("n", .int(n)), ("seed", .uint(seed)),
                    ("fft_seconds", .number(tFFT)), ("direct_seconds", skipDirect ? .null : .number(tDirect)),
                    ("speedup_vs_direct", skipDirect ? .null : .number(tDirect / tFFT)),
                    ("max_relative_difference_fft_direct", skipDirect ? .null : .number(relFD)),
                    ("fftw_floor_seconds", .number(floor.seconds)), ("fft_over_floor", .number(tFFT / floor.seconds)),
                    ("cli_seconds", .number(cli.seconds)), ("cli_over_floor", .number(cli.seconds / floor.seconds)),
                    ("cli_json_seconds", .number(cliJSON.seconds)),
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
                print("  FFT (FFTW + boundary correction)  \(Fmt.f(tFFT, 4, width: 9)) s   (best of \(runs), \(Parallel.threads) thread(s); every peer best of \(runs))")
                if skipDirect { print("  direct (summation reference)      skipped (--skip-direct)") } else {
                    print("  direct (summation reference)      \(Fmt.f(tDirect, 4, width: 9)) s   ratio direct/FFT = \(Fmt.f(tDirect / tFFT, 1))×  (goal ≥ 20×)")
                }
                print("  FFTW floor (FFTs + spectra, 1 thr) \(Fmt.f(floor.seconds, 4, width: 8)) s   FFT/floor = \(Fmt.f(tFFT / floor.seconds, 2))×  (goal ≤ 3×)")
                print("  convsim gram CLI, end to end      \(Fmt.f(cli.seconds, 4, width: 9)) s   CLI/floor = \(Fmt.f(cli.seconds / floor.seconds, 2))×  (reads the .npy, writes --npy files)")
                print("  the same CLI with --json          \(Fmt.f(cliJSON.seconds, 4, width: 9)) s   (\(Fmt.f(cliJSON.seconds / cli.seconds, 2))× the --npy run: 3·M² numbers as text)")
                if let np = numpy {
                    print("  NumPy im2col in slabs + BLAS      \(Fmt.f(np.im2colSeconds, 4, width: 9)) s   ratio = \(Fmt.f(np.im2colSeconds / tFFT, 2))×")
                    print("  NumPy FFT (this algorithm)        \(Fmt.f(np.fftSeconds, 4, width: 9)) s   ratio = \(Fmt.f(np.fftSeconds / tFFT, 2))×")
                    if let t = np.torch {
                        print("  torch unfold patch Gram, f64      \(Fmt.f(t.unfoldSeconds, 4, width: 9)) s   ratio = \(Fmt.f(t.unfoldSeconds / tFFT, 2))×   (torch \(t.version), \(t.threads) threads)")
                        print("  torch conv2d then F·Fᵀ, f64       \(Fmt.f(t.convSeconds, 4, width: 9)) s   ratio = \(Fmt.f(t.convSeconds / tFFT, 2))×")
                    } else { print("  PyTorch: not importable in the child (its peers skipped)") }
                    let best = np.bestSeconds
                    print("  best peer / FFT = \(Fmt.f(best / tFFT, 2))×, best peer / CLI end to end = \(Fmt.f(best / cli.seconds, 2))×  (goal ≥ 2×)   NumPy \(np.version), BLAS \(np.blas)")
                } else { print("  NumPy baseline: \(numpyNote)") }
                if !skipDirect { print("  max relative difference FFT vs direct: \(Fmt.e(relFD, 3))   (certified bound on FFT error, relative: \(Fmt.e(maxBound / scale, 3)))") }
                print("  max relative difference FFT vs CLI:    \(Fmt.e(relCLI, 3))")
                if let r = relFN { print("  max relative difference FFT vs peers:  \(Fmt.e(r, 3))") }
                for (count, kb, s) in memory { print("  peak memory, FFT path, N = \(Fmt.d(count, width: 6)): \(Fmt.f(kb / 1024, 1, width: 8)) MiB  (\(Fmt.f(s, 3)) s)") }
                if memory.count == 2 { print("  memory ratio N=\(memory[1].0) / N=\(memory[0].0): \(Fmt.f(memory[1].1 / memory[0].1, 3))  (goal ≤ 1.5)") }
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
