import ConvSimIO
import ArgumentParser
import ConvSimCore
import ConvSimCorrelation
import ConvSimReport
import Foundation

extension Padding: ExpressibleByArgument {}

/// `convsim gram`: the exact feature-map Gram of a kernel bank on one or many inputs.
struct GramCommand: ParsableCommand {
    enum Method: String, ExpressibleByArgument, CaseIterable { case fft, direct }

    static let name = "gram"
    static let configuration = CommandConfiguration(
        commandName: name, _superCommandName: ConvSim.name,
        abstract: "Exact feature-map Gram and cosine matrices of a kernel bank on one or many inputs.",
        discussion: """
        G_ij = Σ_inputs <F_i, F_j>, computed from kernel and input correlations through FFTW \
        (T1 for full/circular padding, T1b's boundary correction for valid/same; images of \
        256×256 and more with 3×3 kernels sum their correlations directly in the lag domain, \
        which is faster there and has a tighter bound), or directly. \
        Every entry carries a certified a-priori rounding-error bound. The fft method also \
        reports how far the paper's Toeplitz form <K_i ⋆ K_j, X ⋆ X> is from the exact value.

        Inputs: PNG/JPEG images (values/255; RGB → 3 channels, gray → 1), .npy arrays \
        (H,W), (C,H,W), (N,C,H,W), (L,) / (C,L) with --one-dimensional, or directories of them. \
        Kernels: .npy (M,C,kh,kw) or .safetensors (each 4-D tensor is a layer, OIHW).

        Examples:
          convsim gram --input data/images/astronaut.png --kernels data/weights/mtcnn.safetensors --layer pnet.conv1.weight
          convsim gram --input data/images --gray --kernels bank.npy --padding valid --json
          convsim gram --input crops.npy --kernels model.safetensors --layer features.3.weight --stride 2 --groups 32
          convsim gram --input crops.npy --kernels bank.npy --npy out/bank   # out/bank-gram.npy, -bound, -cosine
          convsim gram --stats all.stats --kernels bank.npy        # statistics from `convsim stats build`
        """)

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var kernelOptions: KernelOptions
    @Option(help: "Padding: valid, same, full or circular (PyTorch conv2d semantics, stride 1).")
    var padding: Padding = .same
    @Option(help: "fft (the correlation route: input correlations through FFTW, or in the lag domain for large images and small kernels) or direct (summation reference).")
    var method: Method = .fft
    @Flag(name: .customLong("one-dimensional"), help: "Read 2-D .npy arrays as (C, L) 1-D signals.")
    var oneDimensional = false
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false
    @Option(name: .customLong("npy"), help: ArgumentHelp("Also write the matrices as float64 .npy files (M×M): PREFIX-gram.npy, PREFIX-bound.npy (the certified bound of each entry) and PREFIX-cosine.npy — the data without 3·M² numbers formatted as text.", valueName: "prefix"))
    var npy: String?
    @Option(help: "Stride S or SY,SX (PyTorch Conv2d stride), each 1…64: the Gram of the feature maps sampled every S positions.")
    var stride = "1"
    @Option(help: "Dilation D or DY,DX (PyTorch Conv2d dilation), each 1…64: kernel taps D apart.")
    var dilation = "1"
    @Option(help: "A statistics file (convsim stats build) instead of --input: the Gram from its patch statistics.")
    var stats: String?
    @Option(help: "Bias of the layer, a .npy of M values (a .safetensors layer NAME.weight takes NAME.bias from the same file unless --no-bias).")
    var bias: String?
    @Flag(name: .customLong("no-bias"), help: "Ignore the layer's bias (feature maps without it).")
    var noBias = false
    @Option(parsing: .unconditional, help: "Groups of a grouped convolution (PyTorch Conv2d groups; weights (M, C/G, kh, kw), depthwise when C/G = 1), 1…65536.")
    var groups = 1

    @OptionGroup var parallel: ThreadsOption

    func validate() throws {
        if inputOptions.inputs.isEmpty && stats == nil { throw ValidationError("give at least one --input (an image, a .npy file or a directory), or --stats FILE") }
        if !inputOptions.inputs.isEmpty && stats != nil { throw ValidationError("--stats and --input exclude each other") }
        try ArgumentLimits.check(groups, "--groups", 1...65_536)
        _ = try lattice()
        if let npy, npy.isEmpty || npy.hasSuffix("/") { throw ValidationError("--npy needs a file name prefix (got '\(npy)'): e.g. --npy out/layer1 writes out/layer1-gram.npy") }
    }

    func run() throws {
        parallel.apply()
        OpenBLAS.preload()   // the Gram's products need it; opened while the inputs are read
        do {
            let (name, weights) = try kernelOptions.load()
            // A grouped convolution is the dense one with each kernel on its group's channels.
            let bank = try weights.embedded(groups: groups)
            let lat = try lattice()
            // Bias: from --bias, or NAME.bias beside NAME.weight in a safetensors file; its first
            // moments are gathered in the same pass over the inputs as the Gram.
            let b: [Double]? = noBias ? nil : try bias.map { try NPY.read(path: $0).values } ?? KernelLoader.bias(path: kernelOptions.kernels, layer: name)
            var moments: PatchMoments? = b == nil ? nil : PatchMoments(order: bank.kernelLength)
            var result: GramResult
            if let stats {
                let s = try StatsFile.read(path: stats)
                guard lat.isDense else { throw ConvSimError.invalidArgument("--stats holds dense statistics; --stride/--dilation need --input") }
                guard method == .fft else { throw ConvSimError.invalidArgument("--method direct sums over the images: it needs --input, not --stats") }
                guard s.channels == bank.channels, s.kernelHeight == bank.kernelHeight, s.kernelWidth == bank.kernelWidth else {
                    throw ConvSimError.invalidArgument("\(stats) holds statistics for C = \(s.channels), \(s.kernelHeight)×\(s.kernelWidth) kernels; the bank needs C = \(bank.channels), \(bank.kernelHeight)×\(bank.kernelWidth) (build them with --kernel-size \(bank.kernelHeight),\(bank.kernelWidth))")
                }
                guard s.padding == padding else {
                    throw ConvSimError.invalidArgument("\(stats) holds statistics for \(s.padding.rawValue) padding; pass --padding \(s.padding.rawValue)")
                }
                result = CorrelationGram.gram(kernels: bank, patchGram: try DatasetStatistics.patchGram(s))
                if b != nil { moments = try DatasetStatistics.moments(s) }
            } else {
                result = try lat.isDense ? computeGram(bank: bank, moments: &moments)
                                         : computeLatticeGram(bank: bank, lattice: lat, moments: &moments)
            }
            result = try result.requireFinite()
            if let b, let moments {
                result = try moments.biased(result, kernels: bank, bias: b).requireFinite()
            }
            if let npy {
                // Three files, written at once on the toolkit's threads (no lock between them), each
                // atomically; the first error in file order is thrown.
                let files = [("gram", result.gram), ("bound", result.bound), ("cosine", result.cosine)]
                let failures = Parallel.map(blocks: files.count) { k -> Error? in
                    let (suffix, matrix) = files[k]
                    do {
                        try NPY.write(matrix.values, shape: [matrix.rows, matrix.columns], dtype: .float64, to: "\(npy)-\(suffix).npy")
                        return nil
                    } catch { return error }
                }
                if let failure = failures.compactMap({ $0 }).first { throw failure }
            }
            if json {
                renderJSON(result, layerName: name, bank: weights, bias: b != nil).printLine()
            } else {
                printTable(result, layerName: name, bank: weights, bias: b != nil)
            }
        }
    }

    /// `--stride` and `--dilation` as a lattice (each "N" or "NY,NX", 1…64).
    func lattice() throws -> Lattice {
        func pair(_ text: String, _ flag: String) throws -> (Int, Int) {
            guard let p = ArgumentLimits.pair(text) else { throw ValidationError("\(flag) must be N or NY,NX with each in 1…64 (got '\(text)')") }
            return p
        }
        let (sy, sx) = try pair(stride, "--stride"), (dy, dx) = try pair(dilation, "--dilation")
        return Lattice(strideY: sy, strideX: sx, dilationY: dy, dilationX: dx)
    }

    /// With stride or dilation: the lattice patch Gram, accumulated directly (Documentation/Theory.md#stride).
    func computeLatticeGram(bank: KernelBank, lattice: Lattice, moments: inout PatchMoments?) throws -> GramResult {
        guard method == .fft else {
            throw ConvSimError.invalidArgument("--method direct with --stride/--dilation: the lattice path is already a direct accumulation; drop --method")
        }
        let acc = LatticePatchGramAccumulator(channels: bank.channels, kernelHeight: bank.kernelHeight,
                                              kernelWidth: bank.kernelWidth, padding: padding, lattice: lattice)
        try forEachInput { s in
            try acc.add(s.signal, name: s.name)
            moments?.add(s.signal, kernelHeight: bank.kernelHeight, kernelWidth: bank.kernelWidth, padding: padding, lattice: lattice)
        }
        return CorrelationGram.gram(kernels: bank, patchGram: acc.result())
    }

    /// Every input, file by file (directories expanded, sorted): memory independent of their number.
    func forEachInput(_ body: (NamedSignal) throws -> Void) throws {
        let set = try InputSet.open(paths: inputOptions.inputs, gray: inputOptions.gray, oneDimensional: oneDimensional)
        for i in 0..<set.count { try body(try set.signal(i)) }
    }

    /// The Gram of the inputs (and, when asked, the first moments of their patches, in the same pass).
    func computeGram(bank: KernelBank, moments: inout PatchMoments?) throws -> GramResult {
        switch method {
        case .fft:
            let acc = PatchGramAccumulator(channels: bank.channels, kernelHeight: bank.kernelHeight,
                                           kernelWidth: bank.kernelWidth, padding: padding)
            // Every image in blocks accumulated in parallel, each decoded by its block's worker
            // (same bytes for any --threads).
            let set = try InputSet.open(paths: inputOptions.inputs, gray: inputOptions.gray, oneDimensional: oneDimensional)
            try acc.add(count: set.count, moments: &moments) { let s = try set.signal($0); return (s.signal, s.name) }
            return CorrelationGram.gram(kernels: bank, patchGram: acc.result())
        case .direct:
            let acc = DirectGramAccumulator(kernels: bank, padding: padding)
            try forEachInput { s in
                try InputChecks.check(s.signal, name: s.name, bank: bank, padding: padding)
                moments?.add(s.signal, kernelHeight: bank.kernelHeight, kernelWidth: bank.kernelWidth, padding: padding)
                try acc.add(s.signal, name: s.name)
            }
            let r = acc.result(), g = r.gram, b = r.bound, n = acc.inputs
            return GramResult(gram: g, bound: b, cosine: DirectConvolution.cosine(fromGram: g), padding: padding,
                              paperForm: g, paperDiscrepancy: .nan, paperRelativeDiscrepancy: .nan, images: n)
        }
    }

    func renderJSON(_ r: GramResult, layerName: String, bank: KernelBank, bias: Bool) -> JSON {
        let maxBound = r.bound.largestEntry ?? 0
        let lat = (try? lattice()) ?? Lattice()
        var fields: [(String, JSON)] = [
            ("method", .string(lat.isDense ? method.rawValue : "lattice")),
            ("padding", .string(padding.rawValue)),
            ("stride", .array([.int(lat.strideY), .int(lat.strideX)])),
            ("dilation", .array([.int(lat.dilationY), .int(lat.dilationX)])),
            ("bias", .bool(bias)),
            ("layer", .string(layerName)),
            ("kernel_shape", .array([bank.count, bank.channels, bank.kernelHeight, bank.kernelWidth].map { .int($0) })),
            ("groups", .int(groups)),
            ("inputs", .int(r.images)),
            ("gram", .matrix(r.gram.nested)),
            ("cosine", .matrix(r.cosine.nested)),
            ("bound", .matrix(r.bound.nested)),
            ("max_bound", .number(maxBound)),
        ]
        if method == .fft && lat.isDense && !bias {
            fields.append(("paper_form_discrepancy", .number(r.paperDiscrepancy)))
            fields.append(("paper_form_relative_discrepancy", .number(r.paperRelativeDiscrepancy)))
        }
        let zero = (0..<bank.count).filter { r.gram[$0, $0] == 0 }
        if !zero.isEmpty {
            fields.append(("zero_feature_maps", .array(zero.map { .int($0) })))
        }
        return .object(fields)
    }

    func printTable(_ r: GramResult, layerName: String, bank: KernelBank, bias: Bool) {
        let m = bank.count
        let lat = (try? lattice()) ?? Lattice()
        let latticeText = lat.isDense ? "" : "  stride \(lat.strideY),\(lat.strideX)  dilation \(lat.dilationY),\(lat.dilationX)"
        print("layer \(layerName)  kernels \(m)×\(bank.channels)×\(bank.kernelHeight)×\(bank.kernelWidth)\(groups > 1 ? "  groups \(groups)" : "")\(latticeText)\(bias ? "  with bias" : "")  padding \(padding.rawValue)  method \(lat.isDense ? method.rawValue : "lattice")  inputs \(r.images)")
        let maxBound = r.bound.largestEntry ?? 0
        print("certified max |error| of any Gram entry: \(Fmt.e(maxBound, 3))")
        if method == .fft && lat.isDense && !bias {
            if r.paperDiscrepancy <= 2 * maxBound {
                print("paper Toeplitz form vs exact: equal within the certified rounding bound\(padding.correlationIdentityIsExact ? "  [T1 is exact for \(padding.rawValue) padding]" : "")")
            } else {
                print("paper Toeplitz form vs exact: max |Δ| = \(Fmt.e(r.paperDiscrepancy, 6)) (relative \(Fmt.e(r.paperRelativeDiscrepancy, 3)))  [T1b boundary term]")
            }
        }
        let zero = (0..<m).filter { r.gram[$0, $0] == 0 }
        if !zero.isEmpty { print("feature maps identically zero (cosine undefined): \(zero.map(String.init).joined(separator: ", "))") }
        if m <= 12 {
            print("\nfeature-map cosine matrix:")
            // Row index in 4 characters, two spaces, then the cosines in 8 characters each.
            var table = TextTable([TextTable.Column("", width: 4, before: "")]
                                  + (0..<m).map { TextTable.Column(String($0), width: 8, before: $0 == 0 ? "  " : "") })
            for i in 0..<m {
                table.add([String(i)] + r.cosine.row(i).map { $0.isNaN ? "n/a" : (abs($0) < 5e-5 ? "0.0000" : Fmt.f($0, 4)) })
            }
            for line in table.lines { print(line) }
            print("\nGram diagonal ‖F_i‖²: " + (0..<m).map { Fmt.g(r.gram[$0, $0], 6) }.joined(separator: "  "))
            if m <= 4 {
                print("off-diagonal inner products <F_i, F_j> with certified error bounds:")
                for i in 0..<m { for j in (i + 1)..<max(i + 1, m) {
                    if abs(r.gram[i, j]) <= r.bound[i, j] {
                        print("  |<F_\(i), F_\(j)>| ≤ \(Fmt.e(r.bound[i, j], 3))  (certified bound; consistent with exactly 0)")
                    } else {
                        print("  <F_\(i), F_\(j)> = \(Fmt.e(r.gram[i, j], 10, plus: true))  ± \(Fmt.e(r.bound[i, j], 3))")
                    }
                } }
            }
        }
        // The five most similar pairs, kept while scanning (O(M²), not a sort of all M² pairs).
        func before(_ a: (Int, Int, Double), _ b: (Int, Int, Double)) -> Bool {
            abs(a.2) > abs(b.2) || (abs(a.2) == abs(b.2) && (a.0, a.1) < (b.0, b.1))
        }
        var pairs: [(Int, Int, Double)] = []
        for i in 0..<m { for j in (i + 1)..<max(i + 1, m) where !r.cosine[i, j].isNaN {
            let p = (i, j, r.cosine[i, j])
            if pairs.count < 5 || before(p, pairs[pairs.count - 1]) {
                pairs.insert(p, at: pairs.firstIndex { before(p, $0) } ?? pairs.count)
                if pairs.count > 5 { pairs.removeLast() }
            }
        } }
        if !pairs.isEmpty {
            print("\nmost similar feature-map pairs (|cosine|):")
            for (i, j, c) in pairs.prefix(5) {
                print("  \(Fmt.d(i, width: 3)) – \(Fmt.left(String(j), 3))  " + (abs(c) < 5e-7 ? "0.000000" : Fmt.f(c, 6, plus: true)))
            }
            if m > 12 { print("(use --json for the full \(m)×\(m) matrices)") }
        }
    }
}

/// Input validation shared by the direct paths (the FFT accumulator does its own).
enum InputChecks {
    static func check(_ x: Signal, name: String, bank: KernelBank, padding: Padding) throws {
        guard x.channels == bank.channels else {
            throw ConvSimError.channelMismatch(inputChannels: x.channels, kernelChannels: bank.channels, input: name)
        }
        if padding == .valid && (bank.kernelHeight > x.height || bank.kernelWidth > x.width) {
            throw ConvSimError.kernelLargerThanInput(kernel: (bank.kernelHeight, bank.kernelWidth),
                                                     input: (x.height, x.width), padding: padding)
        }
    }
}
