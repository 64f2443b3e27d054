import ConvSimIO
import ArgumentParser
import ConvSimBench
import ConvSimCore
import ConvSimSimilarity
import Foundation

/// `convsim bench cs`: the fast (Parseval/FFTW) Convolutional Similarity against the
/// direct summation, both measured in this run (a benchmark, not a test).
struct BenchCSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cs",
        abstract: "Benchmark the fast Convolutional Similarity (value + gradient) against the direct sums.",
        discussion: """
        1. A random M×C×3×3 bank (default 256×256): symmetric CS value + gradient, fast vs direct, \
        equal within the certified bounds (goal: fast ≥ 100× faster).
        2. A random 512×512×3×3 bank: pairs CS value + gradient (fast; for 3×3 kernels the lag-domain \
        form ⟨A_i, A_j⟩ of autocorrelations, chosen by kernel size) vs one pass of the direct \
        adjacent value (goal: faster, although it covers all M(M−1)/2 pairs instead of M−1).
        3. On the same bank, interleaved with 2: `convsim cs --variant pairs --gradient` end to end         (a new process reading the bank's .npy and writing the gradient's; goal: within 2× of the         in-process computation) and NumPy FFT with a hand-written gradient         (scripts/bench_cs_numpy.py, OPENBLAS_* unset in that process only; goal: ≥ 5× slower).
        Times are wall-clock (monotonic clock), the direct symmetric pass runs on all cores \
        (it takes minutes at the default size); OpenBLAS threads serve the fast path.

        Example:
          convsim bench cs
          convsim bench cs --m 64 --c 64 --json
        """)

    @Option(parsing: .unconditional, help: "Kernels M of the symmetric benchmark bank, 2…4096.") var m = 256
    @Option(parsing: .unconditional, help: "Channels C of the symmetric benchmark bank, 1…4096.") var c = 256
    @Option(name: .customLong("pairs-size"), parsing: .unconditional, help: "M = C of the pairs-vs-adjacent bank, 2…4096.") var pairsSize = 512
    @Option(help: "Seed of the random banks.") var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Runs of each side of the pairs-vs-adjacent comparison (best time kept), 1…1000.") var repeats = 5
    @Flag(help: "Print one JSON object.") var json = false
    @Option(name: .customLong("numpy-script"), help: "The NumPy peer for the pairs CS with gradient.") var numpyScript = "scripts/bench_cs_numpy.py"
    @Flag(name: .customLong("skip-numpy"), help: "Skip the NumPy peer and the end-to-end run.") var skipNumpy = false

    @OptionGroup var parallel: ThreadsOption

    func validate() throws {
        try ArgumentLimits.check(m, "--m", 2...4096)
        try ArgumentLimits.check(c, "--c", 1...4096)
        try ArgumentLimits.check(pairsSize, "--pairs-size", 2...4096)
        try ArgumentLimits.check(repeats, "--repeats", 1...1000)
    }

    func run() throws {
        parallel.apply()
        do {
            var rng = SeededRandom(seed: seed)
            let bank = KernelBank(count: m, channels: c, kernelHeight: 3, kernelWidth: 3,
                                  values: (0..<(m * c * 9)).map { _ in rng.gaussian() })
            progress("bench cs: symmetric CS + gradient of a random \(m)×\(c)×3×3 bank")
            var t0 = Clock.now()
            let fastEngine = try FastSimilarity(shapeOf: bank)
            let fast = fastEngine.evaluate(bank, variant: .symmetric, gradient: true)
            let tFast = Clock.since(t0)
            progress("  fast    \(Fmt.f(tFast, 4)) s")
            progress("  direct  running (O(M²C²k⁴), this takes a while)…")
            t0 = Clock.now()
            let direct = DirectSimilarity.compute(bank, variant: .symmetric, gradient: true)
            let tDirect = Clock.since(t0)
            progress("  direct  \(Fmt.f(tDirect, 4)) s")
            // Direct-side bound from CS(|K|), ∂CS(|K|) (fast path on |K| + its bound; not timed).
            let dBound = DirectSimilarity.bounds(shape: bank, variant: .symmetric,
                                                 fastOnAbs: fastEngine.evaluate(bank.magnitudes, variant: .symmetric, gradient: true))
            let valueDiff = abs(fast.value - direct.value), valueBound = fast.bound + dBound.value
            var gradOK = true, maxGradDiff = 0.0, maxGradRatio = 0.0
            let len = bank.kernelLength
            for i in 0..<(fast.gradient!.count) {
                let d = abs(fast.gradient![i] - direct.gradient![i])
                let b = fast.gradientBound![i / len] + dBound.gradient![i / len]
                maxGradDiff = max(maxGradDiff, d)
                maxGradRatio = max(maxGradRatio, d / b)
                if d > b { gradOK = false }
            }
            let valueOK = valueDiff <= valueBound

            var rng2 = SeededRandom(seed: seed &+ 1)
            let big = KernelBank(count: pairsSize, channels: pairsSize, kernelHeight: 3, kernelWidth: 3,
                                 values: (0..<(pairsSize * pairsSize * 9)).map { _ in rng2.gaussian() })
            progress("bench cs: pairs CS + gradient (fast) vs one direct adjacent pass and `convsim cs` end to end, \(pairsSize)×\(pairsSize)×3×3 (best of \(repeats) runs each, interleaved)")
            let bigEngine = try FastSimilarity(shapeOf: big)   // planned once, outside the timings
            // The bank as a file for the peers: this tool end to end (`convsim cs … --gradient`,
            // one run in each round, so it sees the machine as the computation it is compared
            // with does) and NumPy FFT with a hand-written gradient (OPENBLAS_* unset in that
            // child only).
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("convsim-bench-cs-\(getpid())")
            defer { try? FileManager.default.removeItem(at: dir) }
            var bankPath: String? = nil
            if !skipNumpy {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                let path = dir.appendingPathComponent("bank.npy").path
                try NPY.write(big.values, shape: [pairsSize, pairsSize, 3, 3], to: path)
                bankPath = path
            }
            var tPairs = Double.infinity, tAdj = Double.infinity, tEndToEnd = Double.infinity
            var pairs = CSResult(variant: .pairs, value: .nan, bound: .nan)
            var adj: (value: Double, gradient: [Double]?) = (.nan, nil)
            for _ in 0..<repeats {
                var t0 = Clock.now()
                pairs = bigEngine.evaluate(big, variant: .pairs, gradient: true)
                tPairs = min(tPairs, Clock.since(t0))
                t0 = Clock.now()
                adj = DirectSimilarity.compute(big, variant: .adjacent, gradient: false)
                tAdj = min(tAdj, Clock.since(t0))
                if let bankPath {
                    let gradPath = dir.appendingPathComponent("g-convsim.npy").path
                    t0 = Clock.now()
                    _ = try ChildProcess.run(["/proc/self/exe", "cs", "--kernels", bankPath, "--variant", "pairs", "--gradient", gradPath], unsetBLAS: false)
                    tEndToEnd = min(tEndToEnd, Clock.since(t0))
                }
            }
            let endToEnd: Double? = bankPath == nil ? nil : tEndToEnd
            // The CLI's gradient file holds the in-process gradient, byte for byte (the same
            // code on the same machine; the thread count changes no byte).
            let endToEndSameBytes: Bool? = try bankPath.map { _ in
                try NPY.read(path: dir.appendingPathComponent("g-convsim.npy").path).values.map(\.bitPattern)
                    == (pairs.gradient ?? []).map(\.bitPattern)
            }
            progress("  fast pairs + gradient  \(Fmt.f(tPairs, 4)) s;  direct adjacent value  \(Fmt.f(tAdj, 4)) s" + (endToEnd.map { ";  convsim cs end to end  \(Fmt.f($0, 4)) s" } ?? ""))
            var peer: (seconds: Double, value: Double, gradDiff: Double)? = nil
            var peerNote = "skipped (--skip-numpy)"
            if let bankPath {
                let gradPath = dir.appendingPathComponent("g.npy").path
                do {
                    let out = try ChildProcess.run(["/usr/bin/env", "python3", numpyScript, bankPath, gradPath], unsetBLAS: true)
                    if let obj = try? JSONSerialization.jsonObject(with: out) as? [String: Any],
                       let s = obj["seconds"] as? Double, let v = obj["value"] as? Double {
                        let g = try NPY.read(path: gradPath).values
                        let diff = zip(g, pairs.gradient ?? []).map { abs($0 - $1) }.max() ?? .nan
                        peer = (s, v, diff)
                        peerNote = "ok"
                    } else { peerNote = "skipped: python3 with NumPy not available" }
                } catch { peerNote = "skipped: \(error)" }
            }

            if json {
                print(JSON.object([
                    ("seed", .uint(seed)),
                    ("symmetric", .object([
                        ("shape", .array([.int(m), .int(c), .int(3), .int(3)])),
                        ("fast_seconds", .number(tFast)), ("direct_seconds", .number(tDirect)),
                        ("speedup", .number(tDirect / tFast)), ("goal_speedup", .int(100)),
                        ("fast_value", .number(fast.value)), ("direct_value", .number(direct.value)),
                        ("difference", .number(valueDiff)), ("certified_bound", .number(valueBound)),
                        ("value_within_bound", .bool(valueOK)),
                        ("max_gradient_difference", .number(maxGradDiff)),
                        ("max_gradient_difference_over_bound", .number(maxGradRatio)),
                        ("gradient_within_bound", .bool(gradOK)),
                    ])),
                    ("pairs_vs_adjacent", .object([
                        ("shape", .array([.int(pairsSize), .int(pairsSize), .int(3), .int(3)])),
                        ("fast_pairs_algorithm", .string(bigEngine.usesLagDomain(for: .pairs) ? "lag-domain" : "fourier")),
                        ("fast_pairs_with_gradient_seconds", .number(tPairs)),
                        ("direct_adjacent_value_seconds", .number(tAdj)), ("best_of", .int(repeats)),
                        ("ratio_direct_adjacent_over_fast_pairs", .number(tAdj / tPairs)),
                        ("pairs_value", .number(pairs.value)), ("pairs_bound", .number(pairs.bound)),
                        ("adjacent_value", .number(adj.value)),
                        ("numpy_fft_pairs_with_gradient_seconds", peer.map { .number($0.seconds) } ?? .null),
                        ("ratio_numpy_over_fast_pairs", peer.map { .number($0.seconds / tPairs) } ?? .null),
                        ("end_to_end_cs_pairs_gradient_seconds", endToEnd.map { .number($0) } ?? .null),
                        ("end_to_end_gradient_same_bytes", endToEndSameBytes.map { .bool($0) } ?? .null),
                    ])),
                ]).render())
            } else {
                print("bench cs — seed \(seed)")
                print("symmetric CS + gradient, random \(m)×\(c)×3×3 bank:")
                print("  fast (FFTW + BLAS)     \(Fmt.f(tFast, 4, width: 10)) s")
                print("  direct (summation)     \(Fmt.f(tDirect, 4, width: 10)) s   ratio direct/fast = \(Fmt.f(tDirect / tFast, 1))×  (goal ≥ 100×)")
                print("  value fast \(Fmt.g(fast.value, 17))  direct \(Fmt.g(direct.value, 17))")
                print("  |difference| \(Fmt.e(valueDiff, 3))  ≤ certified bound \(Fmt.e(valueBound, 3)) : \(valueOK ? "yes" : "NO")")
                print("  gradient: max |difference| \(Fmt.e(maxGradDiff, 3)), max difference/bound \(Fmt.e(maxGradRatio, 3)) : \(gradOK ? "within bound" : "NOT within bound")")
                print("pairs CS + gradient (fast, \(bigEngine.usesLagDomain(for: .pairs) ? "lag-domain form" : "FFT form")) vs one pass of the direct adjacent CS, random \(pairsSize)×\(pairsSize)×3×3 bank:")
                print("  fast pairs + gradient  \(Fmt.f(tPairs, 4, width: 10)) s")
                print("  direct adjacent value  \(Fmt.f(tAdj, 4, width: 10)) s   ratio direct-adjacent/fast-pairs = \(Fmt.f(tAdj / tPairs, 2))×  (goal > 1×)")
                if let p = peer {
                    print("  NumPy FFT pairs + hand-written gradient \(Fmt.f(p.seconds, 4, width: 8)) s   ratio NumPy/fast = \(Fmt.f(p.seconds / tPairs, 2))×  (goal ≥ 5×); |Δvalue| \(Fmt.e(abs(p.value - pairs.value), 3)), max |Δgradient| \(Fmt.e(p.gradDiff, 3))")
                } else { print("  NumPy peer: \(peerNote)") }
                if let e = endToEnd {
                    print("  convsim cs --variant pairs --gradient, end to end \(Fmt.f(e, 4, width: 8)) s   ratio end-to-end/computation = \(Fmt.f(e / tPairs, 2))×  (goal ≤ 2×); gradient file = in-process gradient: \(endToEndSameBytes == true ? "yes" : "NO")")
                }
            }
        }
    }
}
