import ConvSimIO
import ArgumentParser
import ConvSimAnalysis
import ConvSimCore
import ConvSimCorrelation
import ConvSimReport
import ConvSimSimilarity
import ConvSimONNX
import Foundation

/// `convsim analyze`: every convolution layer of a trained model through the lens of
/// kernel similarity, Convolutional Similarity and exact feature-map similarity.
struct AnalyzeCommand: ParsableCommand {
    static let name = "analyze"
    static let configuration = CommandConfiguration(
        commandName: name, _superCommandName: ConvSim.name,
        abstract: "Analyse every convolution weight of a model: kernel cosines, CS variants, feature-map similarity.",
        discussion: """
        MODEL is a .safetensors file (every 4-D tensor is a layer, OIHW) or a directory of .npy files. \
        Per layer: shape, mean/max off-diagonal kernel |cos|, the three CS variants (adjacent, pairs, \
        symmetric) of the weights as they are ("raw", as convsim cs) and of the unit-norm kernels \
        ("unit", as convsim cs --normalize), and the most redundant pairs. For layers whose input channels match \
        the images (first layers), with --input: the exact feature-map cosine matrix on those images, \
        the T4 bound (the worst feature-map |cos| any orthogonal pair can have on them) and how close \
        the layer's own nearly orthogonal pairs come to it. Depthwise weights (M, 1, kh, kw) are \
        analysed per group; --groups NAME=G overrides.

        MODEL may also be an ONNX model (.onnx): the model runs forward (Float64) on the --input \
        images, prepared by --scale, --mean, --std, --channel-order and --resize, and every Conv node \
        is analysed on the tensor that really reaches it, with its own groups, stride, dilation, bias \
        and pads (taken from the model: --groups, --stride, --dilation, --padding do not apply).

        Examples:
          convsim analyze data/weights/mtcnn.safetensors
          convsim analyze data/weights/mtcnn.safetensors --input data/images/astronaut.png --report mtcnn.md
          convsim analyze weights_dir --groups block1.dw.weight=32 --json
          convsim analyze weights_dir --activations acts --stride features.0.weight=2   # scripts/dump_activations.py
          convsim analyze pnet.onnx --input data/images/astronaut.png --scale 255 --mean 127.5 --std 128
        """)

    @Argument(help: "A .safetensors file, a directory of .npy layers, or an ONNX model (.onnx).") var model: String
    @Option(name: .customLong("input"), help: "Image, .npy or directory (repeatable).") var inputs: [String] = []
    @Option(help: "Padding for the feature-map part.") var padding: Padding = .same
    @Option(help: "Group count for a layer, NAME=G (repeatable).") var groups: [String] = []
    @Option(help: "Stride of a layer, NAME=S or NAME=SY,SX (repeatable; PyTorch Conv2d stride).") var stride: [String] = []
    @Option(help: "Dilation of a layer, NAME=D or NAME=DY,DX (repeatable).") var dilation: [String] = []
    @Option(help: "A folder of each layer's input activations: DIR/LAYER.npy, (N, C, H, W), for LAYER = the weight's name with or without '.weight' (scripts/dump_activations.py writes one from a PyTorch model).")
    var activations: String?
    @Flag(help: "Convert RGB inputs to one channel (BT.601 luma).") var gray = false
    @Option(help: "Dataset statistics (convsim stats build) instead of --input, for the layers they fit.") var stats: String?
    @Flag(name: .customLong("no-bias"), help: "Ignore the layers' biases (NAME.bias beside NAME.weight) in the feature maps.") var noBias = false
    @Option(help: "Write a Markdown report (figures next to it).") var report: String?
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "With --json: also the M×M matrices (kernel_cosine, feature_cosine, feature_gram).") var full = false

    @OptionGroup var parallel: ThreadsOption

    @OptionGroup var figures: FigureOption
    @OptionGroup var exporting: ExportOption
    @OptionGroup(title: "ONNX models") var onnxInput: ONNXInputOptions

    func run() throws {
        parallel.apply()
        figures.apply()
        if Self.isONNX(model) { return try runONNX() }
        if try onnxInput.isSet() {
            throw ConvSimError.invalidArgument("--scale, --mean, --std, --channel-order, --resize and --after-activation apply to ONNX models; MODEL is not a .onnx file")
        }
        do {
            var overrides: [String: Int] = [:]
            for g in groups {
                let parts = g.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let v = Int(parts[1]) else {
                    throw ConvSimError.invalidArgument("--groups expects NAME=G (got '\(g)')")
                }
                overrides[parts[0]] = v
            }
            let layers = try KernelLoader.loadAll(path: model)
            let strides = try Self.pairs(stride, "--stride"), dilations = try Self.pairs(dilation, "--dilation")
            for name in Set(overrides.keys).union(strides.keys).union(dilations.keys) where !layers.contains(where: { $0.name == name }) {
                throw ConvSimError.unknownLayer(name: name, available: layers.map(\.name))
            }
            var images: [Signal] = []
            for path in inputs { images += try InputLoader.loadSignals(path: path, gray: gray) }
            var lattices: [String: Lattice] = [:]
            for name in Set(strides.keys).union(dilations.keys) {
                lattices[name] = Lattice(strideY: strides[name]?.0 ?? 1, strideX: strides[name]?.1 ?? 1,
                                         dilationY: dilations[name]?.0 ?? 1, dilationX: dilations[name]?.1 ?? 1)
            }
            let dir = activations
            let settings = LayerSettings(groups: overrides, lattices: lattices, biases: noBias ? [:] : try biases(layers), padding: padding)
            if stats != nil && !inputs.isEmpty { throw ConvSimError.invalidArgument("--stats and --input exclude each other") }
            let statsGram = try stats.map { path in
                let file = try StatsFile.read(path: path)
                return (gram: try DatasetStatistics.patchGram(file), moments: try DatasetStatistics.moments(file))
            }
            let results = try ModelAnalysis.analyzeModel(
                layers, images: images, settings: settings,
                activations: { name in
                    guard let dir, let file = Self.activationFile(dir, layer: name) else { return nil }
                    return (try InputLoader.loadSignals(path: file), file)
                },
                stats: statsGram,
                progress: { name, i, n in progress("analyze: \(name) (\(i)/\(n))") })
            try emit(results, settings: settings, images: images.count)
        }
    }

    /// Writes what was asked: the report (`--report`), the pairs table (`--export`), and the JSON
    /// or the table on stdout. Shared by the weights and the ONNX paths.
    func emit(_ results: [LayerAnalysis], settings: LayerSettings, images: Int) throws {
        if let path = report { try writeReport(results, to: path, images: images) }
        if let format = exporting.export {
            let base = report.map { URL(fileURLWithPath: $0).deletingPathExtension().path } ?? "analysis"
            try IOFiles.writeAtomically(Data(LayerAnalysis.pairsTable(results).render(format).utf8), to: base + ".pairs.\(format.fileExtension)")
        }
        if json { renderJSON(results, settings: settings).printLine() } else { printTable(results) }
    }

    /// The biases stored beside the layers' weights (`NAME.bias` for `NAME.weight`).
    func biases(_ layers: [(name: String, bank: KernelBank)]) throws -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for (name, bank) in layers {
            if let b = try KernelLoader.bias(path: model, layer: name) {
                guard b.count == bank.count else {
                    throw ConvSimError.invalidArgument("the bias of \(name) has \(b.count) values, the layer \(bank.count) kernels")
                }
                out[name] = b
            }
        }
        return out
    }

    /// `NAME=N` or `NAME=NY,NX` options, each in 1…64.
    static func pairs(_ specs: [String], _ flag: String) throws -> [String: (Int, Int)] {
        var out: [String: (Int, Int)] = [:]
        for spec in specs {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let p = ArgumentLimits.pair(parts[1]) else {
                throw ConvSimError.invalidArgument("\(flag) expects NAME=N or NAME=NY,NX with each in 1…64 (got '\(spec)')")
            }
            out[parts[0]] = p
        }
        return out
    }

    /// `DIR/LAYER.npy`, or `DIR/NAME.npy` for a layer `NAME.weight`, if it exists.
    static func activationFile(_ dir: String, layer: String) -> String? {
        var names = [layer]
        if layer.hasSuffix(".weight") { names.append(String(layer.dropLast(".weight".count))) }
        return names.map { (dir as NSString).appendingPathComponent($0 + ".npy") }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The padding the feature maps use: `--padding`, or each Conv's own pads for an ONNX model.
    var paddingLabel: String { Self.isONNX(model) ? "model" : padding.rawValue }

    func renderJSON(_ rs: [LayerAnalysis], settings: LayerSettings) -> JSON {
        /// `{"adjacent": {"raw": …, "unit_norm": …}, …}` from the two CS tables of a layer.
        func csObject(_ r: LayerAnalysis, _ part: (CSResult) -> Double) -> JSON {
            r.cs.isEmpty ? .null : .object(CSVariant.allCases.compactMap { v in
                guard let unit = r.cs[v] else { return nil }
                return (v.rawValue, .object([("raw", r.csRaw[v].map { .number(part($0)) } ?? .null), ("unit_norm", .number(part(unit)))]))
            })
        }
        return .object([
            ("model", .string(model)), ("padding", .string(paddingLabel)), ("inputs", .int(inputs.count)),
            ("layers", .array(rs.map { r in
                var o: [(String, JSON)] = [
                    ("name", .string(r.name)), ("shape", .array(r.shape.map { .int($0) })), ("groups", .int(r.groups)),
                    ("stride", .array([.int(settings.lattices[r.name]?.strideY ?? 1), .int(settings.lattices[r.name]?.strideX ?? 1)])),
                    ("dilation", .array([.int(settings.lattices[r.name]?.dilationY ?? 1), .int(settings.lattices[r.name]?.dilationX ?? 1)])),
                    ("bias", .bool(settings.biases[r.name] != nil)),
                    ("kernel_cosine_mean", .number(r.kernelCosineMean)), ("kernel_cosine_max", .number(r.kernelCosineMax)),
                ]
                if full { o.append(("kernel_cosine", .matrix(r.kernelCosine.nested))) }
                o.append(("cs", csObject(r, \.value)))
                o.append(("cs_bound", csObject(r, \.bound)))
                if let f = r.featureCosine {
                    if full {
                        o.append(("feature_cosine", .matrix(f.nested)))
                        if let g = r.featureGram { o.append(("feature_gram", .matrix(g.nested))) }
                    }
                    o.append(("feature_cosine_mean", .number(r.featureCosineMean ?? .nan)))
                    o.append(("feature_cosine_max", .number(r.featureCosineMax ?? .nan)))
                    o.append(("t4_bound", .number(r.t4Bound ?? .nan)))
                    o.append(("max_feature_cosine_of_orthogonal_pairs", r.maxFeatureCosineOfOrthogonalPairs.map { .number($0) } ?? .null))
                }
                if let a = r.activated {
                    var act: [(String, JSON)] = [("activation", .string(a.activation)),
                                                 ("feature_cosine_mean", a.cosineMean.map { .number($0) } ?? .null),
                                                 ("feature_cosine_max", a.cosineMax.map { .number($0) } ?? .null)]
                    if full { act += [("feature_cosine", .matrix(a.cosine.nested)), ("feature_gram", .matrix(a.gram.nested))] }
                    o.append(("after_activation", .object(act)))
                }
                o.append(("redundant_pairs", .array(r.redundantPairs.map { p in
                    .object([("i", .int(p.i)), ("j", .int(p.j)), ("feature_cosine", p.featureCosine.map { .number($0) } ?? .null),
                             ("kernel_cosine", .number(p.kernelCosine))])
                })))
                o.append(("notes", .array(r.notes.map { .string($0) })))
                return .object(o)
            })),
        ])
    }

    func printTable(_ rs: [LayerAnalysis]) {
        print("model \(model)  padding \(paddingLabel)  inputs \(inputs.isEmpty ? (stats.map { "statistics \($0)" } ?? "none") : inputs.joined(separator: ", "))")
        print("")
        func f(_ x: Double?) -> String { x.map { Fmt.f($0, 4) } ?? "-" }
        let layer = TextTable.Column("layer", width: 21, .left, before: "", truncates: true)
        var shapes = TextTable([layer, .init("shape", width: 14, .left, truncates: true),
                                .init("kcos mean", width: 9), .init("kcos max", width: 9), .init("fcos mean", width: 11),
                                .init("fcos max", width: 9), .init("T4 bound", width: 9)])
        for r in rs {
            shapes.add([r.name, r.shape.map(String.init).joined(separator: "×"), f(r.kernelCosineMean), f(r.kernelCosineMax),
                        f(r.featureCosineMean), f(r.featureCosineMax), f(r.t4Bound)])
        }
        for line in shapes.lines { print(line) }
        print("")
        print("Convolutional Similarity, summed over each layer's groups: raw = the weights as they are (convsim cs),")
        print("unit = the unit-norm kernels (convsim cs --normalize)")
        var cs = TextTable([layer, .init("adjacent raw", width: 14), .init("adjacent unit", width: 14),
                            .init("pairs raw", width: 12), .init("pairs unit", width: 12),
                            .init("symmetric raw", width: 14), .init("symmetric unit", width: 15)])
        for r in rs {
            func c(_ t: [CSVariant: CSResult], _ v: CSVariant) -> String { t[v].map { Fmt.g($0.value, 4) } ?? "-" }
            cs.add([r.name, c(r.csRaw, .adjacent), c(r.cs, .adjacent), c(r.csRaw, .pairs), c(r.cs, .pairs),
                    c(r.csRaw, .symmetric), c(r.cs, .symmetric)])
        }
        for line in cs.lines { print(line) }
        for r in rs {
            var lines: [String] = []
            if let p = r.redundantPairs.first {
                let fcs = p.featureCosine.map { "feature cos \(Fmt.f($0, 4, plus: true)), " } ?? ""
                lines.append("most redundant pair (\(p.i), \(p.j)): \(fcs)kernel cos \(Fmt.f(p.kernelCosine, 4, plus: true))")
            }
            if let o = r.maxFeatureCosineOfOrthogonalPairs, let b = r.t4Bound {
                lines.append("nearly orthogonal pairs (|kernel cos| ≤ 0.1) reach feature |cos| \(Fmt.f(o, 4)); T4 allows up to \(Fmt.f(b, 6))")
            }
            if let a = r.activated, let m = a.cosineMean, let x = a.cosineMax {
                lines.append("after \(a.activation): feature |cos| mean \(Fmt.f(m, 4)), max \(Fmt.f(x, 4))")
            }
            lines += r.notes
            if !lines.isEmpty { print("\n\(r.name):"); for l in lines { print("  " + l) } }
        }
    }

    func writeReport(_ rs: [LayerAnalysis], to path: String, images: Int) throws {
        let command = "convsim analyze \(model)\(inputs.map { " --input \($0)" }.joined())\(Self.isONNX(model) ? "" : " --padding \(padding.rawValue)")"
        let md = AnalysisReportRenderer.report(rs, model: model, command: command, padding: paddingLabel, images: images)
        let url = URL(fileURLWithPath: path)
        try md.write(to: url.deletingLastPathComponent().path, reportName: url.lastPathComponent)
    }
}

