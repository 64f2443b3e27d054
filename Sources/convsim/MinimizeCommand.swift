import ConvSimIO
import ArgumentParser
import ConvSimCore
import ConvSimCorrelation
import ConvSimReport
import ConvSimSimilarity
import Foundation

extension OptimizerKind: ExpressibleByArgument {}

/// `convsim minimize`: the paper's iterative initialization (CS minimization) and the
/// two closed-form initializations, writing the new bank in the same OIHW layout.
struct MinimizeCommand: ParsableCommand {
    enum Method: String, ExpressibleByArgument, CaseIterable {
        case gradient
        case shiftGramSchmidt = "shift-gram-schmidt"
        case dataOrthogonal = "data-orthogonal"
    }

    static let name = "minimize"
    static let configuration = CommandConfiguration(
        commandName: name, _superCommandName: ConvSim.name,
        abstract: "Minimize the Convolutional Similarity of a bank, or apply the authors' / data-aware orthogonal initialization.",
        discussion: """
        Methods:
          gradient            --steps optimizer steps on the CS variant (default
                              Adam, lr 0.002: the authors' iterative initialization)
          shift-gram-schmidt  the authors' z_init: for each kernel i and channel c,
                              subtract in turn the projections on every circular
                              shift of each earlier kernel, then normalize
          data-orthogonal     T6: K = Q·𝐆^{−1/2} (Q orthonormal rows, 𝐆 the patch
                              Gram of --input): feature maps exactly orthogonal
                              on those inputs; needs M ≤ C·kh·kw
        --out gets the new bank (.npy or .safetensors, float64, same (M,C,kh,kw)
        layout, written atomically; never the input file). A non-finite loss
        stops the run: the last bank with a finite loss is written, the reason
        is printed, and the exit status is 3. With --input, the off-diagonal
        feature-map |cosine| statistics (exact Gram, --padding) are reported
        before and after.

        Examples:
          convsim minimize --kernels data/weights/mtcnn_pnet_conv1.npy \\
              --variant pairs --steps 500 --out min.npy
          convsim minimize --kernels data/weights/mtcnn.safetensors \\
              --layer pnet.conv1.weight --variant symmetric \\
              --input data/images/astronaut.png --out out.safetensors --json
          convsim minimize --kernels bank.npy --variant symmetric \\
              --method data-orthogonal --input data/images --out ortho.npy
        """)

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var kernelOptions: KernelOptions
    @Option(help: "CS variant: adjacent, pairs or symmetric.")
    var variant: CSVariant
    @Option(help: "sgd, momentum (0.9) or adam (β1 0.9, β2 0.999, ε 1e-8).")
    var optimizer: OptimizerKind = .adam
    @Option(help: "Learning rate.")
    var lr: Double = 0.002
    @Option(parsing: .unconditional, help: "Optimizer steps (method gradient), 0…10⁷.")
    var steps: Int = 100
    @Option(help: "Seed (data-orthogonal: random restart when the given kernels' feature maps are dependent).")
    var seed: UInt64 = 0
    @Option(help: "Output bank: .npy or .safetensors.")
    var out: String
    @Option(help: "gradient, shift-gram-schmidt or data-orthogonal.")
    var method: Method = .gradient
    @Option(help: "Padding for the feature maps: valid, same, full or circular.")
    var padding: Padding = .same
    @Flag(help: "Print one JSON object instead of a summary.")
    var json = false
    @Option(parsing: .unconditional, help: "Groups of a grouped convolution (weights (M, C/G, kh, kw)): each group's CS is minimized (--method gradient), 1…65536.")
    var groups = 1

    @OptionGroup var parallel: ThreadsOption

    @OptionGroup var exporting: ExportOption

    func validate() throws {
        try ArgumentLimits.check(groups, "--groups", 1...65_536)
        if groups > 1 && method != .gradient { throw ValidationError("--groups needs --method gradient (the closed-form methods act on the whole bank)") }
        let ext = URL(fileURLWithPath: out).pathExtension.lowercased()
        if ext != "npy" && ext != "safetensors" { throw ValidationError("--out must end in .npy or .safetensors (got \(out))") }
        if CSPaths.same(out, kernelOptions.kernels) { throw ValidationError("--out \(out) is the input kernel file; refusing to overwrite it — choose another path") }
        try ArgumentLimits.check(steps, "--steps", 0...10_000_000)
        if !(lr.isFinite && lr > 0) { throw ValidationError("--lr must be a positive number") }
        if method == .dataOrthogonal && inputOptions.inputs.isEmpty { throw ValidationError("--method data-orthogonal needs --input (the data the feature maps must be orthogonal on)") }
    }

    func run() throws {
        parallel.apply()
        do {
            let (name, bank) = try kernelOptions.load()
            if let bad = Finite.firstNonFinite(bank.values) {
                throw ConvSimError.nonFinite(what: "layer '\(name)' in \(kernelOptions.kernels)", index: bad)
            }
            let signals = try inputOptions.namedSignals().map(\.signal)
            var patchGram: PatchGram? = nil
            if !signals.isEmpty {
                let acc = PatchGramAccumulator(channels: bank.channels, kernelHeight: bank.kernelHeight,
                                               kernelWidth: bank.kernelWidth, padding: padding)
                for (n, x) in signals.enumerated() { try acc.add(x, name: "input #\(n + 1)") }
                patchGram = acc.result()
            }
            let fast = try FastSimilarity(shapeOf: bank)
            let before = patchGram.map { FeatureCosineStatistics.compute(bank: bank, patchGram: $0) }

            var result: MinimizeResult
            switch method {
            case .gradient:
                let every = max(1, steps / 10)
                result = try Minimizer.minimize(bank, groups: groups, variant: variant, optimizer: optimizer, learningRate: lr, steps: steps) { t, loss in
                    if !json && (t % every == 0 || t == steps) { progress("  step \(Fmt.d(t, width: 6))  loss \(Fmt.g(loss, 10))") }
                }
            case .shiftGramSchmidt:
                let z = try ShiftGramSchmidt.apply(bank)
                result = closedForm(bank, z, fast)
            case .dataOrthogonal:
                var z: KernelBank
                do { z = try DataOrthogonalInit.apply(bank, patchGram: patchGram!) } catch is DependentFeatureMaps {
                    progress("data-orthogonal: the given kernels' feature maps are dependent; restarting from random Gaussian kernels (seed \(seed))")
                    var rng = SeededRandom(seed: seed)
                    var start = bank
                    start.values = bank.values.map { _ in rng.gaussian() }
                    z = try DataOrthogonalInit.apply(start, patchGram: patchGram!)
                }
                result = closedForm(bank, z, fast)
            }
            let after = patchGram.map { FeatureCosineStatistics.compute(bank: result.bank, patchGram: $0) }
            try write(result.bank, name: name)
            if let format = exporting.export {
                // The whole loss curve (every step), beside the kernels: OUT without its extension + .loss.csv|jsonl.
                var table = DataTable(columns: ["step", "loss"])
                for (t, loss) in result.losses.enumerated() { table.append([.integer(t), .number(loss)]) }
                let path = URL(fileURLWithPath: out).deletingPathExtension().path + ".loss.\(format.fileExtension)"
                try IOFiles.writeAtomically(Data(table.render(format).utf8), to: path)
            }
            if let msg = result.message { progress("warning: " + msg) }
            report(result, name: name, bank: bank, before: before, after: after)
            if result.stoppedNonFinite { throw ExitCode(3) }
        }
    }

    /// Loss "curve" of a closed-form method: the CS before and after.
    func closedForm(_ start: KernelBank, _ z: KernelBank, _ fast: FastSimilarity) -> MinimizeResult {
        let a = fast.evaluate(start, variant: variant).value, b = fast.evaluate(z, variant: variant).value
        return MinimizeResult(bank: z, losses: [a, b], stepsTaken: 1, stoppedNonFinite: false, message: nil)
    }

    func write(_ bank: KernelBank, name: String) throws {
        let shape = [bank.count, bank.channels, bank.kernelHeight, bank.kernelWidth]
        if URL(fileURLWithPath: out).pathExtension.lowercased() == "npy" {
            try NPY.write(bank.values, shape: shape, dtype: .float64, to: out)
        } else {
            try Safetensors.write(tensors: [(name: name, shape: shape, values: bank.values)], dtype: .f64,
                                  metadata: ["convsim": "minimize --method \(method.rawValue) --variant \(variant.rawValue)"], to: out)
        }
    }

    /// Indices of the loss curve to show: first, last and about every 10%.
    func curveIndices(_ n: Int) -> [Int] {
        if n <= 12 { return Array(0..<n) }
        var idx = Set((0...10).map { ($0 * (n - 1)) / 10 })
        idx.insert(n - 1)
        return idx.sorted()
    }

    func report(_ r: MinimizeResult, name: String, bank: KernelBank,
                before: FeatureCosineStatistics?, after: FeatureCosineStatistics?) {
        let idx = curveIndices(r.losses.count)
        let normsBefore = (0..<bank.count).map { bank.norm($0) }, normsAfter = (0..<bank.count).map { r.bank.norm($0) }
        if json {
            var fields: [(String, JSON)] = [
                ("method", .string(method.rawValue)), ("variant", .string(variant.rawValue)),
                ("layer", .string(name)), ("shape", CSPaths.shapeJSON(bank)), ("out", .string(out)),
            ]
            if method == .gradient {
                fields += [("optimizer", .string(optimizer.rawValue)), ("lr", .number(lr)), ("steps", .int(steps)),
                           ("steps_taken", .int(r.stepsTaken))]
            }
            fields += [
                ("seed", .uint(seed)), ("groups", .int(groups)),
                ("loss_first", .number(r.losses.first ?? .nan)), ("loss_last", .number(r.losses.last ?? .nan)),
                ("loss_curve", .array(idx.map { .object([("step", .int($0)), ("loss", .number(r.losses[$0]))]) })),
                ("stopped_non_finite", .bool(r.stoppedNonFinite)),
                ("message", r.message.map { .string($0) } ?? .null),
                ("mean_kernel_norm_before", .number(normsBefore.reduce(0, +) / Double(bank.count))),
                ("mean_kernel_norm_after", .number(normsAfter.reduce(0, +) / Double(bank.count))),
            ]
            if let b = before, let a = after {
                fields.append(("feature_cosine", .object([
                    ("padding", .string(padding.rawValue)), ("inputs", .int(inputOptions.inputs.count)),
                    ("before", .object([("mean_abs", .number(b.meanAbs)), ("max_abs", .number(b.maxAbs))])),
                    ("after", .object([("mean_abs", .number(a.meanAbs)), ("max_abs", .number(a.maxAbs))])),
                ])))
            }
            JSON.object(fields).printLine()
            return
        }
        print("layer   \(name)  (M, C, kh, kw) = (\(bank.count), \(bank.channels), \(bank.kernelHeight), \(bank.kernelWidth))")
        switch method {
        case .gradient:
            print("method  gradient: \(optimizer.rawValue), lr \(lr), \(r.stepsTaken)/\(steps) steps on the \(variant.rawValue) CS")
            print("loss curve:")
            for t in idx { print("  step \(Fmt.d(t, width: 6))  \(Fmt.g(r.losses[t], 10))") }
        default:
            print("method  \(method.rawValue)")
            print("\(variant.rawValue) CS  before \(Fmt.g(r.losses[0], 10))   after \(Fmt.g(r.losses[1], 10))")
        }
        if r.losses.count >= 2, let f = r.losses.first, let l = r.losses.last, f > 0 {
            print("change  \(Fmt.g(f, 10)) → \(Fmt.g(l, 10))  (×\(Fmt.g(l / f, 4)))")
        }
        print("mean kernel norm  \(Fmt.g(normsBefore.reduce(0, +) / Double(bank.count), 6)) → \(Fmt.g(normsAfter.reduce(0, +) / Double(bank.count), 6))")
        if let msg = r.message { print("STOPPED: \(msg)") }
        if let b = before, let a = after {
            print("feature-map |cosine| off-diagonal (\(padding.rawValue) padding, \(inputOptions.inputs.count) input path(s)):")
            print("  before  mean \(Fmt.f(b.meanAbs, 6))  max \(Fmt.f(b.maxAbs, 6))")
            print("  after   mean \(Fmt.f(a.meanAbs, 6))  max \(Fmt.f(a.maxAbs, 6))")
        }
        print("wrote   \(out)")
    }
}
