import ConvSimIO
import ArgumentParser
import ConvSimCore
import ConvSimReport
import ConvSimSimilarity
import Foundation

extension CSVariant: ExpressibleByArgument {}

/// `convsim cs`: the Convolutional Similarity of a kernel bank (one layer or all layers).
struct CSCommand: ParsableCommand {
    static let name = "cs"
    static let configuration = CommandConfiguration(
        commandName: name, _superCommandName: ConvSim.name,
        abstract: "Convolutional Similarity of a kernel bank, with a certified error bound.",
        discussion: """
        T_ij,cc'(d) = Σ_u K[i,c](u)·K[j,c'](u+d), all lags |d| ≤ k−1. Variants:
          adjacent   Σ_{i<M−1} Σ_c ‖T_{i,i+1,cc}‖²  (the authors' CUDA code)
          pairs      Σ_{i<j} Σ_c ‖T_{ij,cc}‖²       (all pairs, same channel)
          symmetric  Σ_{i<j} Σ_{c,c'} ‖S_ij,cc'‖²,
                     S_ij,cc'(d) = ½(T_ij,cc'(d) + T_ij,c'c(−d));
                     zero iff every pair is orthogonal for every input (T2)
        Computed by Parseval/FFT (FFTW) with a certified bound on the error.
        --normalize: unit-norm kernels K_i/‖K_i‖ (zero kernels are an error).
        --gradient: ∂CS/∂K as float64 .npy in OIHW layout (with --normalize,
        with respect to the normalized kernels).

        Examples:
          convsim cs --kernels data/kernels/gaussian_sobel.npy --variant symmetric
          convsim cs --kernels data/weights/mtcnn.safetensors --all-layers \\
              --variant pairs --normalize --json
          convsim cs --kernels data/weights/mtcnn_pnet_conv1.npy --gradient g.npy
        """)

    @OptionGroup var kernelOptions: KernelOptions
    @Flag(name: .customLong("all-layers"), help: "Evaluate every 4-D layer in the file.")
    var allLayers = false
    @Option(help: "adjacent, pairs or symmetric.")
    var variant: CSVariant = .symmetric
    @Flag(help: "Evaluate on unit-norm kernels (zero kernels are an error).")
    var normalize = false
    @Option(help: "Write the gradient ∂CS/∂K to this .npy file (OIHW, float64).")
    var gradient: String?
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false
    @Option(parsing: .unconditional, help: "Groups of a grouped convolution (weights (M, C/G, kh, kw)): the CS is the sum over the groups of each group's CS, 1…65536.")
    var groups = 1

    @OptionGroup var parallel: ThreadsOption

    /// The value of `--kernels` in raw words (`--kernels P` or `--kernels=P`, the last one),
    /// before any parsing: what `KernelLoader.prefetch` may read early. A guess only — the
    /// loader uses the early read just for the path the parser settles on.
    static func kernelPath(in words: [String]) -> String? {
        var found: String?
        var i = 0
        while i < words.count {
            let w = words[i]
            if w == "--" { break }
            if w == "--kernels", i + 1 < words.count { found = words[i + 1]; i += 2; continue }
            if w.hasPrefix("--kernels=") { found = String(w.dropFirst("--kernels=".count)) }
            i += 1
        }
        return found
    }

    func validate() throws {
        if allLayers && kernelOptions.layer != nil { throw ValidationError("--layer and --all-layers exclude each other") }
        try ArgumentLimits.check(groups, "--groups", 1...65_536)
        if allLayers && gradient != nil { throw ValidationError("--gradient needs a single layer (not --all-layers)") }
        if let g = gradient {
            if !g.lowercased().hasSuffix(".npy") { throw ValidationError("--gradient must name a .npy file (got \(g))") }
            if CSPaths.same(g, kernelOptions.kernels) { throw ValidationError("--gradient \(g) is the kernel file itself; choose another path") }
        }
    }

    func run() throws {
        parallel.apply()
        do {
            if allLayers {
                let layers = try KernelLoader.loadAll(path: kernelOptions.kernels)
                var rows: [(String, KernelBank, CSResult)] = []
                for (name, bank) in layers {
                    rows.append((name, bank, try evaluate(bank, name: name)))
                }
                if json {
                    print(JSON.object([
                        ("variant", .string(variant.rawValue)), ("normalize", .bool(normalize)),
                        ("layers", .array(rows.map { name, bank, r in
                            .object([("name", .string(name)), ("shape", CSPaths.shapeJSON(bank)),
                                     ("value", .number(r.value)), ("bound", .number(r.bound))])
                        })),
                    ]).render())
                } else {
                    print("Convolutional Similarity (\(variant.rawValue)\(normalize ? ", unit-norm kernels" : "")) of \(kernelOptions.kernels)")
                    var table = TextTable([
                        .init("layer", width: max(5, rows.map { $0.0.count }.max() ?? 5), .left, before: "  "),
                        .init("shape (M,C,kh,kw)", width: 20, .left, before: "  ", truncates: true),
                        .init("value", width: 22, .left, before: "  "),
                        .init("± bound", width: 0, .left, before: "  "),
                    ])
                    for (name, bank, r) in rows {
                        let shape = "(\(bank.count),\(bank.channels),\(bank.kernelHeight),\(bank.kernelWidth))"
                        table.add([name, shape, Fmt.g(r.value, 15), Fmt.e(r.bound, 2)])
                    }
                    for line in table.lines { print(line) }
                }
                return
            }
            let name: String, shape: [Int], r: CSResult
            if let g = gradient {
                // The gradient file is written while the gradient is computed (`GradientSink`) and
                // moved into place only when complete: on any error an existing file is untouched.
                // A float64 .npy bank is computed on in place (mapped, not read); any other is
                // loaded and its gradient written over its own storage (not needed afterwards).
                switch try KernelLoader.loadInPlace(path: kernelOptions.kernels, layer: kernelOptions.layer) {
                case .mapped(let layer):
                    (name, shape) = (layer.name, layer.shape)
                    let file = try NPYStreamWriter(path: g, shape: shape)
                    do {
                        r = try ConvolutionalSimilarity.evaluateGradient(
                            inPlace: layer.file.values, count: shape[0], channels: shape[1], kernelHeight: shape[2],
                            kernelWidth: shape[3], variant: variant, groups: groups, normalize: normalize,
                            describedAs: "layer '\(layer.name)' in \(kernelOptions.kernels)", gradientTo: file)
                    } catch { throw explained(error, name) }
                    try layer.file.verifyUnchanged()
                    try file.commit()
                case .bank(let n, let bank):
                    (name, shape) = (n, [bank.count, bank.channels, bank.kernelHeight, bank.kernelWidth])
                    let file = try NPYStreamWriter(path: g, shape: shape)
                    do {
                        r = try ConvolutionalSimilarity.evaluateGradient(reusing: consume bank, variant: variant, groups: groups,
                                                                         normalize: normalize, gradientTo: file)
                    } catch { throw explained(error, name) }
                    try file.commit()
                }
            } else {
                let (n, bank) = try kernelOptions.load()
                (name, shape) = (n, [bank.count, bank.channels, bank.kernelHeight, bank.kernelWidth])
                r = try evaluate(bank, name: name)
            }
            if json {
                var fields: [(String, JSON)] = [
                    ("variant", .string(variant.rawValue)), ("value", .number(r.value)), ("bound", .number(r.bound)),
                    ("layer", .string(name)), ("shape", CSPaths.shapeJSON(shape)), ("normalize", .bool(normalize)),
                    ("groups", .int(groups)),
                ]
                if let g = gradient {
                    fields.append(("gradient", .string(g)))
                    fields.append(("gradient_bound_max", .number(r.gradientBound?.max() ?? 0)))
                }
                JSON.object(fields).printLine()
            } else {
                print("layer      \(name)  (M, C, kh, kw) = (\(shape.map(String.init).joined(separator: ", ")))")
                print("variant    \(variant.rawValue)  = \(variant.formula)\(normalize ? "  on unit-norm kernels" : "")\(groups > 1 ? ", summed over \(groups) groups" : "")")
                print("value      \(Fmt.g(r.value, 17))")
                print("bound      \(Fmt.e(r.bound, 3))  (certified: |value − exact| ≤ bound)")
                if let g = gradient {
                    print("gradient   written to \(g) (max per-kernel error bound \(Fmt.e(r.gradientBound?.max() ?? 0, 3)))")
                }
            }
        }
    }

    func evaluate(_ bank: KernelBank, name: String) throws -> CSResult {
        do {
            return try ConvolutionalSimilarity.evaluate(bank, variant: variant, groups: groups, normalize: normalize)
        } catch { throw explained(error, name) }
    }

    /// The library's zero-kernel error explained for the command line; other errors as they are.
    func explained(_ error: Error, _ name: String) -> Error {
        guard case ConvSimError.zeroKernels(let idx) = error else { return error }
        return ConvSimError.invalidArgument("layer '\(name)': kernel(s) \(idx.map(String.init).joined(separator: ", ")) are identically zero, so --normalize (unit-norm kernels) is undefined for them; drop them or run without --normalize")
    }
}

/// The gradient file of `cs --gradient` takes the gradient as it is computed.
extension NPYStreamWriter: GradientSink {}

/// Small helpers shared by the CS commands.
enum CSPaths {
    /// True when two paths name the same file (after resolving `.`/`..` and symlinks).
    static func same(_ a: String, _ b: String) -> Bool {
        let ua = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath()
        let ub = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath()
        return ua.path == ub.path
    }

    static func shapeJSON(_ b: KernelBank) -> JSON {
        shapeJSON([b.count, b.channels, b.kernelHeight, b.kernelWidth])
    }

    static func shapeJSON(_ shape: [Int]) -> JSON { .array(shape.map { .int($0) }) }
}
