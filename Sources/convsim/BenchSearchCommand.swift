import ConvSimIO
import ArgumentParser
import ConvSimBench
import ConvSimCore
import ConvSimSearch
import Foundation

/// `convsim bench search`: random-strategy trials per second through the patch
/// Gram against the naive per-trial convolution of the image, same pairs.
struct BenchSearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Benchmark random-strategy trials/s (patch Gram) against naive per-trial convolution.",
        discussion: """
        Each trial draws a Haar-random orthogonal kernel pair and computes the feature-map cosine. \
        The fast path evaluates aᵀ𝐆b, aᵀ𝐆a, bᵀ𝐆b with the exact patch Gram (computed once, timed \
        separately); the naive path convolves the image with both kernels. Both paths see the same \
        pairs, and the largest difference of their cosines is printed. Goal: ≥ 1,000× more \
        trials per second for k = 3 on a 512×512 image.

        Example:
          convsim bench search --image data/images/astronaut.png --trials 200000 --naive-trials 20
        """)
    @Option var image = "data/images/astronaut.png"
    @Option(name: .customLong("kernel-size"), parsing: .unconditional, help: "Kernel size, 1…64.") var kernelSize = 3
    @Option var padding: Padding = .same
    @Option(parsing: .unconditional, help: "Trials on the fast path, 1…10⁹.") var trials = 200_000
    @Option(name: .customLong("naive-trials"), parsing: .unconditional, help: "Trials on the naive path, 1…10⁶.") var naiveTrials = 20
    @Option var seed: UInt64 = 1
    @Flag var json = false

    func validate() throws {
        try ArgumentLimits.check(kernelSize, "--kernel-size", 1...64)
        try ArgumentLimits.check(trials, "--trials", 1...1_000_000_000)
        try ArgumentLimits.check(naiveTrials, "--naive-trials", 1...1_000_000)
    }

    func run() throws {
        do {
            let x = try InputLoader.loadSignals(path: image)[0]
            let t0 = Clock.now()
            let st = try PatchStatistics(name: image, input: x, kernelSize: kernelSize, padding: padding)
            let tSetup = Clock.since(t0)
            progress("bench search: patch Gram of \(image) (order \(st.order)) in \(Fmt.f(tSetup, 3)) s")

            var rng = SeededRandom(seed: seed)
            let t1 = Clock.now()
            var sink = 0.0
            for _ in 0..<trials {
                let (a, b) = rng.orthonormalPair(st.order)
                sink += abs(st.featureCosine(a, b))
            }
            let tFast = Clock.since(t1)

            // The naive path on the first `naiveTrials` pairs of the same stream, and the fast values for them.
            var rng2 = SeededRandom(seed: seed)
            var maxDiff = 0.0
            var tNaive = 0.0
            let xi = st.input
            for _ in 0..<naiveTrials {
                let (a, b) = rng2.orthonormalPair(st.order)
                let bank = KernelBank(count: 2, channels: x.channels, kernelHeight: kernelSize, kernelWidth: kernelSize, values: a + b)
                let t = Clock.now()
                let maps = DirectConvolution.featureMaps(input: xi, kernels: bank, padding: padding)
                var ab = 0.0, aa = 0.0, bb = 0.0
                for p in 0..<maps.columns { ab += maps[0, p] * maps[1, p]; aa += maps[0, p] * maps[0, p]; bb += maps[1, p] * maps[1, p] }
                let naive = abs(ab / (aa.squareRoot() * bb.squareRoot()))
                tNaive += Clock.since(t)
                maxDiff = max(maxDiff, abs(naive - abs(st.featureCosine(a, b))))
            }
            let fastRate = Double(trials) / tFast, naiveRate = Double(naiveTrials) / tNaive
            let amortized = Double(trials) / (tFast + tSetup)
            if json {
                print(JSON.object([
                    ("image", .string(image)), ("kernel_size", .int(kernelSize)), ("padding", .string(padding.rawValue)),
                    ("setup_seconds", .number(tSetup)), ("fast_trials", .int(trials)), ("fast_trials_per_second", .number(fastRate)),
                    ("naive_trials", .int(naiveTrials)), ("naive_trials_per_second", .number(naiveRate)),
                    ("speedup", .number(fastRate / naiveRate)), ("speedup_including_setup", .number(amortized / naiveRate)),
                    ("max_cosine_difference", .number(maxDiff)), ("checksum", .number(sink)),
                ]).render())
            } else {
                print("bench search — \(image) (\(x.channels)×\(x.height)×\(x.width)), k = \(kernelSize), \(padding.rawValue) padding")
                print("  patch Gram (exact, once)        \(Fmt.f(tSetup, 3, width: 10)) s")
                print("  fast: \(trials) trials                 \(Fmt.f(tFast, 3, width: 10)) s   \(Fmt.f(fastRate, 0, width: 12)) trials/s")
                print("  naive: \(naiveTrials) trials (convolution)  \(Fmt.f(tNaive, 3, width: 10)) s   \(Fmt.f(naiveRate, 2, width: 12)) trials/s")
                print("  ratio fast/naive: \(Fmt.f(fastRate / naiveRate, 0))×   (including the patch Gram: \(Fmt.f(amortized / naiveRate, 0))×; goal ≥ 1000×)")
                print("  max |cos_fast − cos_naive| over the shared pairs: \(Fmt.e(maxDiff, 3))")
            }
        }
    }
}
