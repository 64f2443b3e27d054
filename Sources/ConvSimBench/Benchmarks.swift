import CFFTW
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
        for p in cropPositions(count) { try body(source.cropped(y0: p.y, x0: p.x, height: crop, width: crop)) }
    }

    package func fftGram(count: Int) throws -> GramResult {
        let acc = PatchGramAccumulator(channels: bank.channels, kernelHeight: 3, kernelWidth: 3, padding: .same)
        // Each crop cut by the worker that accumulates it (positions drawn first, in order):
        // memory stays flat in N.
        let positions = cropPositions(count)
        let source = source, crop = crop
        try acc.add(count: count) { i in
            (source.cropped(y0: positions[i].y, x0: positions[i].x, height: crop, width: crop), "crop")
        }
        return CorrelationGram.gram(kernels: bank, patchGram: acc.result())
    }

    /// The top-left corners of the first `count` crops (seeded, drawn in order).
    func cropPositions(_ count: Int) -> [(y: Int, x: Int)] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            let y = rng.integer(in: 0...(source.height - crop)), x = rng.integer(in: 0...(source.width - crop))
            return (y, x)
        }
    }

    package func directGram(count: Int) throws -> Matrix {
        let acc = DirectGramAccumulator(kernels: bank, padding: .same, certified: false)
        try forEachCrop(count) { try acc.add($0) }
        return acc.result().gram
    }

    package struct NumpyResult {
        package var im2colSeconds: Double, fftSeconds: Double
        package var version: String, blas: String
        package var im2colGram: [Double], fftGram: [Double]
        /// The PyTorch peers, when torch imported in the child: unfold patch Gram and conv2d + F·Fᵀ.
        package var torch: (version: String, threads: Int, unfoldSeconds: Double, convSeconds: Double,
                            unfoldGram: [Double], convGram: [Double])?
        /// The fastest peer's time.
        package var bestSeconds: Double {
            min(im2colSeconds, fftSeconds, torch.map { min($0.unfoldSeconds, $0.convSeconds) } ?? .infinity)
        }
    }

    /// Runs the NumPy peers (scripts/bench_gram_numpy.py) on the same crops and bank, with
    /// this machine's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from that child's
    /// environment only (they slow NumPy's BLAS several-fold; the toolkit keeps them).
    package func numpyGram(count: Int, script: String, runs: Int = 3) throws -> NumpyResult {
        guard FileManager.default.fileExists(atPath: script) else {
            throw ConvSimError.fileNotFound(path: script)
        }
        return try withWorkloadFiles(count: count) { cropsPath, bankPath, dir in
            let outPrefix = dir.appendingPathComponent("gram").path
            let data = try ChildProcess.run(["/usr/bin/env", "python3", script, cropsPath, bankPath, "same", outPrefix, String(runs)], unsetBLAS: true)
            guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let a = obj["im2col_seconds"] as? Double, let f = obj["fft_seconds"] as? Double else {
                throw ConvSimError.invalidArgument("python3 with NumPy printed no timing (is NumPy installed?)")
            }
            var r = NumpyResult(im2colSeconds: a, fftSeconds: f, version: obj["numpy"] as? String ?? "?",
                                blas: obj["blas"] as? String ?? "?",
                                im2colGram: try NPY.read(path: outPrefix + "-im2col.npy").values,
                                fftGram: try NPY.read(path: outPrefix + "-fft.npy").values)
            if let tu = obj["torch_unfold_seconds"] as? Double, let tc = obj["torch_conv_seconds"] as? Double {
                r.torch = (obj["torch"] as? String ?? "?", obj["torch_threads"] as? Int ?? 0, tu, tc,
                           try NPY.read(path: outPrefix + "-torch-unfold.npy").values,
                           try NPY.read(path: outPrefix + "-torch-conv.npy").values)
            }
            return r
        }
    }

    /// `convsim gram --input CROPS.npy --kernels BANK.npy --npy PREFIX` as a user runs it: a child
    /// process of `executable` that reads the .npy files, computes, prints its summary and writes
    /// the Gram, its bound and the cosines as .npy files (best of `runs`, the whole process timed).
    /// With `json`, `--json` instead of `--npy` (the matrices printed as text). Returns the
    /// seconds and the Gram it wrote.
    package func cliGram(count: Int, executable: String, threads: Int, json: Bool = false, runs: Int = 3) throws -> (seconds: Double, gram: [Double]) {
        try withWorkloadFiles(count: count) { cropsPath, bankPath, dir in
            var best = Double.infinity, out = Data()
            let prefix = dir.appendingPathComponent("cli").path
            let output = json ? ["--json"] : ["--npy", prefix]
            for _ in 0..<max(runs, 1) {
                let t0 = Clock.now()
                out = try ChildProcess.run([executable, "gram", "--input", cropsPath, "--kernels", bankPath] + output
                                           + ["--threads", String(threads)], unsetBLAS: false)
                best = min(best, Clock.since(t0))
            }
            if !json { return (best, try NPY.read(path: prefix + "-gram.npy").values) }
            guard let obj = try? JSONSerialization.jsonObject(with: out) as? [String: Any],
                  let g = obj["gram"] as? [[Double]] else {
                throw ConvSimError.invalidArgument("convsim gram printed no Gram")
            }
            return (best, g.flatMap { $0 })
        }
    }

    /// Writes the workload (crops `(N, C, crop, crop)` and the bank, float64 .npy) to a
    /// temporary folder for `body`, removed afterwards.
    func withWorkloadFiles<T>(count: Int, _ body: (String, String, URL) throws -> T) throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("convsim-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var crops: [Double] = []
        crops.reserveCapacity(count * source.channels * crop * crop)
        forEachCrop(count) { crops += $0.values }
        let cropsPath = dir.appendingPathComponent("crops.npy").path
        let bankPath = dir.appendingPathComponent("bank.npy").path
        try NPY.write(crops, shape: [count, source.channels, crop, crop], dtype: .float64, to: cropsPath)
        try NPY.write(bank.values, shape: [bank.count, bank.channels, 3, 3], dtype: .float64, to: bankPath)
        return try body(cropsPath, bankPath, dir)
    }
}

/// Child processes of the benchmarks: the NumPy peers (with this machine's OPENBLAS_CORETYPE and
/// OPENBLAS_L2_SIZE removed from that child's environment only — they slow NumPy's BLAS several-
/// fold; the toolkit keeps them) and the CLI itself, end to end.
package enum ChildProcess {
    /// Runs a child process and returns its standard output (throws on a non-zero exit); its
    /// standard error goes to /dev/null. Spawned with `posix_spawn` and reaped with `waitpid`,
    /// so a timed child costs what the process itself costs (Foundation's `Process` added tens
    /// of milliseconds of its own to every end-to-end timing).
    package static func run(_ argv: [String], unsetBLAS: Bool) throws -> Data {
        guard let path = argv.first else { throw ConvSimError.invalidArgument("no program to run") }
        var env = ProcessInfo.processInfo.environment
        if unsetBLAS { env["OPENBLAS_CORETYPE"] = nil; env["OPENBLAS_L2_SIZE"] = nil }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ConvSimError.invalidArgument("cannot create a pipe for \(path)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        let cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in cArgs + cEnv { free(p) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, path, &actions, nil, cArgs, cEnv)
        posix_spawn_file_actions_destroy(&actions)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw ConvSimError.invalidArgument("cannot start \(path) (error \(rc))")
        }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n > 0 { buffer.withUnsafeBytes { data.append(contentsOf: $0.prefix(n)) } }
            else if n == 0 || errno != EINTR { break }
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = status & 0x7f == 0, code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw ConvSimError.invalidArgument("\(argv.dropFirst().prefix(2).joined(separator: " ")) exited with status \(exited ? code : 128 + (status & 0x7f))")
        }
        return data
    }
}

/// The largest entrywise difference of two results, relative to the largest entry of `a`.
package func maxRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
    let scale = max(a.map(abs).max() ?? 0, 1e-300)
    return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

extension BenchSetup {
    /// The floor of the FFT algorithm on this workload, measured in C-speed FFTW calls: the
    /// real-to-complex transforms of every channel of every crop, zero-padded to
    /// `(crop + 2) × (crop + 2)` (lags up to ±2 without wrap, 3×3 kernels), in batches of 64 crops
    /// through one `fftw_plan_many_dft_r2c` plan, plus the cross-power spectra
    /// `Σ_n X_c · conj(X_c')` for `c ≤ c'` over the half spectrum. No border term, no Gram, no
    /// copies into Swift arrays: nothing an implementation of this algorithm can skip. Crops are
    /// generated before the clock starts. Returns the seconds (best of `runs`) and one checksum.
    package func fftFloor(count: Int, runs: Int = 3) throws -> (seconds: Double, checksum: Double) {
        let c = source.channels, n1 = crop + 2, n2 = crop + 2, half = n2 / 2 + 1
        let batch = min(64, max(count, 1))
        let howMany = batch * c
        guard let real = fftw_alloc_real(howMany * n1 * n2), let spec = fftw_alloc_complex(howMany * n1 * half) else {
            throw ConvSimError.outOfMemory(what: "the FFTW floor's buffers")
        }
        defer { fftw_free(real); fftw_free(spec) }
        var dims = [Int32(n1), Int32(n2)]
        let plan = dims.withUnsafeMutableBufferPointer { d in
            fftw_plan_many_dft_r2c(2, d.baseAddress, Int32(howMany), real, nil, 1, Int32(n1 * n2), spec, nil, 1, Int32(n1 * half), 1 << 6)
        }
        guard let plan else { throw ConvSimError.outOfMemory(what: "FFTW could not plan the floor's batch") }
        defer { fftw_destroy_plan(plan) }
        var crops: [Signal] = []
        crops.reserveCapacity(count)
        forEachCrop(count) { crops.append($0) }
        let bins = n1 * half, pairs = c * (c + 1) / 2
        var best = Double.infinity, checksum = 0.0
        for _ in 0..<max(runs, 1) {
            var acc = [Double](repeating: 0, count: 2 * pairs * bins)
            let t0 = Clock.now()
            var start = 0
            while start < count {
                let b = min(batch, count - start)
                real.initialize(repeating: 0, count: howMany * n1 * n2)
                for i in 0..<b {
                    let x = crops[start + i]
                    x.values.withUnsafeBufferPointer { v in
                        for ch in 0..<c {
                            let base = (i * c + ch) * n1 * n2
                            for y in 0..<crop { for xx in 0..<crop { real[base + y * n2 + xx] = v[(ch * crop + y) * crop + xx] } }
                        }
                    }
                }
                fftw_execute(plan)
                acc.withUnsafeMutableBufferPointer { a in
                    let s = UnsafeMutableRawPointer(spec).assumingMemoryBound(to: Double.self)
                    for i in 0..<b {
                        var p = 0
                        for c1 in 0..<c { for c2 in c1..<c {
                            let x1 = s + 2 * (i * c + c1) * bins, x2 = s + 2 * (i * c + c2) * bins
                            let out = 2 * p * bins
                            for k in 0..<bins {
                                let ar = x1[2 * k], ai = x1[2 * k + 1], br = x2[2 * k], bi = x2[2 * k + 1]
                                a[out + 2 * k] += ar * br + ai * bi
                                a[out + 2 * k + 1] += ai * br - ar * bi
                            }
                            p += 1
                        } }
                    }
                }
                start += b
            }
            best = min(best, Clock.since(t0))
            checksum = acc.reduce(0, +)
        }
        return (best, checksum)
    }
}
