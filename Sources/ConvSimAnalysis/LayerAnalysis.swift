import ConvSimCore
import ConvSimCorrelation
import ConvSimSimilarity

/// What `convsim analyze` reports for one convolution layer of a trained model:
/// kernel similarity, the three Convolutional Similarity variants on unit-norm
/// kernels, and — when the layer reads the images themselves — the exact
/// feature-map cosines on those images and the T4 worst case for orthogonal
/// kernels on the same data (Documentation/Theory.md#t4, Documentation/Theory.md#cs).
public struct LayerAnalysis: Sendable {
    public struct Pair: Sendable { public let i: Int; public let j: Int; public let featureCosine: Double?; public let kernelCosine: Double }

    public let name: String
    public let shape: [Int]
    /// Number of groups (1 = an ordinary convolution; `M` with `(M, 1, kh, kw)` weights = depthwise).
    public let groups: Int
    public let groupsDetected: Bool
    public let kernelCosineMean: Double
    public let kernelCosineMax: Double
    /// Kernel cosine matrix `<K_i, K_j>/(‖K_i‖‖K_j‖)` over all kernels (NaN where a kernel is
    /// zero); the means and the pairs use only pairs within a group.
    public let kernelCosine: Matrix
    /// CS variants on unit-norm kernels, summed over groups (nil when no group has two kernels).
    public let cs: [CSVariant: CSResult]
    /// CS variants of the weights as they are (`convsim cs`), summed over groups.
    public let csRaw: [CSVariant: CSResult]
    /// Exact feature-map cosine matrix on the layer's inputs (when it has inputs).
    public let featureCosine: Matrix?
    /// The Gram `Σ_inputs <F_i, F_j>` of the layer's pre-activation outputs (with its bias when
    /// the bias entered), from `K𝐆^P Kᵀ` (Documentation/Theory.md#patch-gram).
    public let featureGram: Matrix?
    public let featureCosineMean: Double?
    public let featureCosineMax: Double?
    /// Wielandt bound `(λmax − λmin)/(λmax + λmin)` of the inputs' patch Gram: the worst
    /// feature-map |cos| an orthogonal pair can have on these data.
    public let t4Bound: Double?
    /// Extreme eigenvalues of the inputs' patch Gram (LAPACK; `λmin` clamped at 0), for the
    /// bound at any kernel angle (`orthogonalityBound(kernelCosine:)`).
    public let lambdaMin: Double?
    public let lambdaMax: Double?
    /// Largest feature-map |cos| among this layer's nearly orthogonal pairs (|kernel cos| ≤ 0.1).
    public let maxFeatureCosineOfOrthogonalPairs: Double?
    public let redundantPairs: [Pair]
    public let notes: [String]
    /// The same for the maps after the activation that follows the layer, when they were given
    /// (`ModelAnalysis.activated`): computed from the maps themselves, no closed form.
    public var activated: ActivatedMaps? = nil

    /// The largest feature |cos| two kernels at `|kernel cos| = c` can have on these inputs
    /// (`Wielandt.bound(kernelCosine:lambdaMin:lambdaMax:)`, Documentation/Theory.md#t4-angle).
    public func orthogonalityBound(kernelCosine c: Double) -> Double? {
        guard let lambdaMin, let lambdaMax else { return nil }
        return Wielandt.bound(kernelCosine: min(1, abs(c)), lambdaMin: lambdaMin, lambdaMax: lambdaMax)
    }
}

/// A layer's activated maps `φ(F_i + b_i)`: their Gram summed over the inputs, cosines, and the
/// mean and largest off-diagonal |cos| within the layer's groups.
public struct ActivatedMaps: Sendable {
    public let activation: String
    public let gram: Matrix
    public let cosine: Matrix
    public let cosineMean: Double?
    public let cosineMax: Double?
}

public enum ModelAnalysis {
    /// Groups of a layer: an override, or depthwise detection (`C = 1`, `M > 1`,
    /// and the layer does not read the images).
    /// With `inputChannels` (the images' channels), depthwise weights `(M, 1, kh, kw)` reading
    /// `C > 1` channels with `C | M` get `G = C` (PyTorch: `groups = in_channels`, `M/C`
    /// kernels per channel); without, one group per kernel.
    public static func groups(for bank: KernelBank, override: Int?, readsImages: Bool, inputChannels: Int? = nil) throws -> (Int, Bool) {
        if let g = override {
            guard g >= 1, bank.count % g == 0 else {
                throw ConvSimError.invalidArgument("--groups \(g) does not divide the \(bank.count) output channels")
            }
            return (g, false)
        }
        if bank.channels == 1 && bank.count > 1 && !readsImages {
            if let c = inputChannels, c > 1, bank.count % c == 0 { return (c, true) }
            return (bank.count, true)
        }
        return (1, false)
    }

    static func kernelCosines(_ bank: KernelBank) -> Matrix {
        let m = bank.count
        let norms = (0..<m).map { bank.norm($0) }
        var c = Matrix(order: m, repeating: .nan)
        for i in 0..<m { for j in 0..<m {
            let a = bank.kernel(i), b = bank.kernel(j)
            var s = 0.0
            for t in 0..<bank.kernelLength { s += a[a.startIndex + t] * b[b.startIndex + t] }
            c[i, j] = norms[i] > 0 && norms[j] > 0 ? s / (norms[i] * norms[j]) : .nan
        } }
        return c
    }

    /// Analyses one layer. `patchGram` is the inputs' patch Gram for this kernel size and
    /// padding when the layer reads the images: with the weights' channels (an ordinary
    /// convolution) or with `G ×` them (a grouped one: the feature maps are those of the dense
    /// bank `bank.embedded(groups: G)`, Documentation/Theory.md#groups); else nil.
    /// With `bias` and the first `moments` of the same patches, the feature maps include the
    /// bias (`F_i + b_i𝟙`, Documentation/Theory.md#stride).
    public static func analyze(name: String, bank: KernelBank, groupsOverride: Int?, patchGram: PatchGram?,
                               inputNote: String?, bias: [Double]? = nil, moments: PatchMoments? = nil) throws -> LayerAnalysis {
        if let bad = Finite.firstNonFinite(bank.values) {
            throw ConvSimError.nonFinite(what: "layer '\(name)'", index: bad)
        }
        var notes: [String] = []
        if let n = inputNote { notes.append(n) }
        let readsDirectly = patchGram.map { $0.channels == bank.channels } ?? false
        let (g, detected) = try groups(for: bank, override: groupsOverride, readsImages: readsDirectly,
                                       inputChannels: patchGram?.channels)
        if detected {
            notes.append("recognised as depthwise: (\(bank.count), 1, \(bank.kernelHeight), \(bank.kernelWidth)) weights, \(g) groups of \(bank.count / g) kernel(s); pass --groups \(name)=G to set the groups")
        }
        let per = bank.count / g
        let zero = bank.zeroKernels
        if !zero.isEmpty { notes.append("kernel(s) \(zero.map(String.init).joined(separator: ", ")) are zero: left out of cosines and of the normalized CS") }
        // Kernel cosines within groups.
        let kc = kernelCosines(bank)
        var s = 0.0, mx = 0.0, n = 0
        for i in 0..<bank.count { for j in (i + 1)..<max(i + 1, bank.count) where i / per == j / per && kc[i, j].isFinite {
            s += abs(kc[i, j]); mx = max(mx, abs(kc[i, j])); n += 1
        } }
        // CS per group on unit-norm kernels (zero kernels dropped), summed.
        var cs: [CSVariant: CSResult] = [:], csRaw: [CSVariant: CSResult] = [:]
        if per >= 2 {
            for v in CSVariant.allCases {
                var total = CSResult(variant: v, value: 0, bound: 0)
                for grp in 0..<g {
                    let idx = (grp * per..<(grp + 1) * per).filter { !zero.contains($0) }
                    if idx.count < 2 { continue }
                    let r = try ConvolutionalSimilarity.evaluate(bank.selecting(idx), variant: v, normalize: true)
                    total.value += r.value
                    total.bound += r.bound
                }
                cs[v] = total
                csRaw[v] = try ConvolutionalSimilarity.evaluate(bank, variant: v, groups: g)
            }
        } else {
            notes.append("one kernel per group: no pair, so no kernel cosine and no CS")
        }
        var fc: Matrix? = nil, fg: Matrix? = nil, lmin: Double? = nil, lmax: Double? = nil, fMean: Double? = nil, fMax: Double? = nil, t4: Double? = nil, orthMax: Double? = nil
        // The dense bank the feature maps come from (the bank itself when G = 1).
        let dense: KernelBank? = try patchGram.flatMap { p in
            p.channels == bank.channels * g ? try bank.embedded(groups: g) : nil
        }
        if let p = patchGram, let dense {
            var r = CorrelationGram.gram(kernels: dense, patchGram: p)
            if let bias, let moments {
                r = try moments.biased(r, kernels: dense, bias: bias)
                notes.append("feature maps with the layer's bias")
            }
            fc = r.cosine
            fg = r.gram
            var fs = 0.0, fm = 0.0, fn = 0
            var om = 0.0, on = 0
            for i in 0..<bank.count { for j in (i + 1)..<max(i + 1, bank.count) where r.cosine[i, j].isFinite {
                let a = abs(r.cosine[i, j]); fs += a; fm = max(fm, a); fn += 1
                if kc[i, j].isFinite && abs(kc[i, j]) <= 0.1 { om = max(om, a); on += 1 }
            } }
            fMean = fn > 0 ? fs / Double(fn) : nil
            fMax = fn > 0 ? fm : nil
            orthMax = on > 0 ? om : nil
            let e = try LinearAlgebra.symmetricEigen(p.matrix, order: p.order)
            t4 = Wielandt.bound(ascendingEigenvalues: e.values)
            lmin = e.values.first.map { max($0, 0) }
            lmax = e.values.last
        } else if let p = patchGram {
            notes.append("the inputs have \(p.channels) channel(s), not \(bank.channels) × \(g) group(s): analysed without the image part")
        }
        // Most redundant pairs: by feature-map |cos| when available, else by kernel |cos|.
        var pairs: [LayerAnalysis.Pair] = []
        for i in 0..<bank.count { for j in (i + 1)..<max(i + 1, bank.count) where i / per == j / per && kc[i, j].isFinite {
            pairs.append(.init(i: i, j: j, featureCosine: fc?[i, j], kernelCosine: kc[i, j]))
        } }
        pairs.sort { a, b in
            let ka = abs(a.featureCosine ?? a.kernelCosine), kb = abs(b.featureCosine ?? b.kernelCosine)
            return ka != kb ? ka > kb : (a.i, a.j) < (b.i, b.j)
        }
        return LayerAnalysis(name: name, shape: [bank.count, bank.channels, bank.kernelHeight, bank.kernelWidth],
                             groups: g, groupsDetected: detected,
                             kernelCosineMean: n > 0 ? s / Double(n) : .nan, kernelCosineMax: n > 0 ? mx : .nan,
                             kernelCosine: kc,
                             cs: cs, csRaw: csRaw, featureCosine: fc, featureGram: fg, featureCosineMean: fMean, featureCosineMax: fMax,
                             t4Bound: t4, lambdaMin: lmin, lambdaMax: lmax, maxFeatureCosineOfOrthogonalPairs: orthMax,
                             redundantPairs: Array(pairs.prefix(5)), notes: notes)
    }
}

extension LayerAnalysis {
    /// Every pair `i < j` within a group of every layer: `layer, group, i, j, kernel_cosine,
    /// feature_cosine` (the feature cosine empty where the layer does not read the inputs).
    /// `analyze --export csv|jsonl` writes it beside the report.
    public static func pairsTable(_ layers: [LayerAnalysis]) -> DataTable {
        var t = DataTable(columns: ["layer", "group", "i", "j", "kernel_cosine", "feature_cosine"])
        for r in layers {
            let m = r.kernelCosine.rows, per = max(1, m / max(r.groups, 1))
            for i in 0..<m { for j in (i + 1)..<max(i + 1, m) where i / per == j / per {
                t.append([.text(r.name), .integer(i / per), .integer(i), .integer(j), .number(r.kernelCosine[i, j]),
                          r.featureCosine.map { .number($0[i, j]) } ?? .missing])
            } }
        }
        return t
    }
}

/// How each layer of a model is analysed: its groups, stride and dilation, and where its
/// inputs come from (Documentation/Theory.md#groups, Documentation/Theory.md#stride).
public struct LayerSettings: Sendable {
    public var groups: [String: Int] = [:]
    public var lattices: [String: Lattice] = [:]
    /// Each layer's bias (M values), when its feature maps are to include it.
    public var biases: [String: [Double]] = [:]
    public var padding: Padding = .same
    public init(groups: [String: Int] = [:], lattices: [String: Lattice] = [:], biases: [String: [Double]] = [:], padding: Padding = .same) {
        self.groups = groups; self.lattices = lattices; self.biases = biases; self.padding = padding
    }
}

extension ModelAnalysis {
    /// The inputs a layer reads: its own activations when given (`activations(name)` → the
    /// samples and where they came from), else the images.
    public typealias ActivationSource = (String) throws -> (samples: [Signal], origin: String)?

    /// Analyses every layer: a layer gets the image part from its activations if `activations`
    /// has them, else from `images` when it reads them — its channels equal theirs, or × its
    /// groups (a `--groups` setting, or depthwise weights `(M, 1, kh, kw)` with `C | M`). Patch
    /// Grams of the images are shared by layers of the same kernel size and lattice.
    /// `stats`: dataset statistics (`convsim stats build`: the folded patch Gram and first moments)
    /// standing in for the images, for the layers whose kernel size, channels and padding they
    /// match (dense layers; a bias through the first moments).
    public static func analyzeModel(_ layers: [(name: String, bank: KernelBank)], images: [Signal], settings: LayerSettings,
                                    activations: ActivationSource? = nil, stats: (gram: PatchGram, moments: PatchMoments)? = nil,
                                    progress: ((String, Int, Int) -> Void)? = nil) throws -> [LayerAnalysis] {
        let imageChannels = Set(images.map(\.channels))
        if imageChannels.count > 1 {
            throw ConvSimError.invalidArgument("the inputs mix channel counts \(imageChannels.sorted()); use --gray or inputs of one kind")
        }
        // Reads C channels: its own (an ordinary layer), or its channels × its groups (`groups(for:)`:
        // the override, or depthwise detection with these inputs). An invalid override is refused
        // by `analyze` below.
        func reads(_ c: Int, _ name: String, _ bank: KernelBank) -> (Bool, Int) {
            let g = (try? groups(for: bank, override: settings.groups[name], readsImages: c == bank.channels, inputChannels: c))?.0 ?? 1
            return (c == bank.channels || (g > 1 && c == bank.channels * g), g)
        }
        var shared: [String: PatchGram] = [:]
        var results: [LayerAnalysis] = []
        for (i, (name, bank)) in layers.enumerated() {
            progress?(name, i + 1, layers.count)
            let lattice = settings.lattices[name] ?? Lattice()
            var pg: PatchGram? = nil
            var note: String? = nil
            var samples: [Signal] = []
            var statsMoments: PatchMoments? = nil
            if let source = try activations?(name) {
                guard let c = source.samples.first?.channels else { throw ConvSimError.noInputs(path: source.origin) }
                let (ok, g) = reads(c, name, bank)
                if ok {
                    pg = try patchGram(source.samples, channels: c, bank: bank, padding: settings.padding, lattice: lattice)
                    samples = source.samples
                    note = "image part on its input activations \(source.origin) (\(source.samples.count) sample(s))"
                } else {
                    note = "the activations in \(source.origin) have \(c) channel(s), not \(bank.channels)\(g > 1 ? " × \(g) groups" : ""): analysed without the image part"
                }
            } else if let s = stats?.gram, let sm = stats?.moments, images.isEmpty {
                let (ok, g) = reads(s.channels, name, bank)
                if ok && s.kernelHeight == bank.kernelHeight && s.kernelWidth == bank.kernelWidth && lattice.isDense && s.padding == settings.padding {
                    pg = s
                    statsMoments = sm
                    note = "image part from the dataset statistics (\(s.images) image(s))"
                } else {
                    note = "the dataset statistics (C = \(s.channels), \(s.kernelHeight)×\(s.kernelWidth), \(s.padding.rawValue)) do not fit this layer (\(bank.channels)\(g > 1 ? " × \(g) groups" : "") channels, \(bank.kernelHeight)×\(bank.kernelWidth)\(lattice.isDense ? "" : ", strided or dilated")): analysed without the image part"
                }
            } else if let c = imageChannels.first {
                if reads(c, name, bank).0 {
                    samples = images
                    let key = "\(bank.kernelHeight)x\(bank.kernelWidth) \(lattice.strideY),\(lattice.strideX) \(lattice.dilationY),\(lattice.dilationX)"
                    if let p = shared[key] { pg = p } else {
                        pg = try patchGram(images, channels: c, bank: bank, padding: settings.padding, lattice: lattice)
                        shared[key] = pg
                    }
                } else {
                    note = "input channels \(bank.channels) ≠ image channels \(c): this layer does not read the images, analysed without the image part"
                }
            }
            var moments: PatchMoments? = nil
            if let statsMoments, settings.biases[name] != nil {
                moments = statsMoments
            } else if let pg, settings.biases[name] != nil {
                var mo = PatchMoments(order: pg.order)
                for x in samples { mo.add(x, kernelHeight: bank.kernelHeight, kernelWidth: bank.kernelWidth, padding: settings.padding, lattice: lattice) }
                moments = mo
            }
            results.append(try analyze(name: name, bank: bank, groupsOverride: settings.groups[name], patchGram: pg, inputNote: note,
                                       bias: settings.biases[name], moments: moments))
        }
        return results
    }

    /// The patch Gram of `xs` for a layer: dense (FFT, blocks in parallel) or on its lattice.
    public static func patchGram(_ xs: [Signal], channels c: Int, bank: KernelBank, padding: Padding, lattice: Lattice) throws -> PatchGram {
        if lattice.isDense {
            let acc = PatchGramAccumulator(channels: c, kernelHeight: bank.kernelHeight, kernelWidth: bank.kernelWidth, padding: padding)
            try acc.add(contentsOf: xs.enumerated().map { ($0.element, "sample #\($0.offset + 1)") })
            return acc.result()
        }
        let acc = LatticePatchGramAccumulator(channels: c, kernelHeight: bank.kernelHeight, kernelWidth: bank.kernelWidth,
                                              padding: padding, lattice: lattice)
        for (n, x) in xs.enumerated() { try acc.add(x, name: "sample #\(n + 1)") }
        return acc.result()
    }
}

extension ModelAnalysis {
    /// The activated maps of a layer with `groups` groups: `maps` are `φ(F + b)` on each input,
    /// `M` channels each. The Gram `Σ_n A_n A_nᵀ` (BLAS `dsyrk`, floating point: each entry
    /// within `γ_P Σ_n ‖A_{n,i}‖‖A_{n,j}‖` of the exact sum of the given maps), the cosines, and
    /// the mean and largest off-diagonal |cos| within groups (NaN cosines of zero maps left out).
    public static func activated(_ activation: String, maps: [Signal], groups: Int) throws -> ActivatedMaps {
        guard let m = maps.first?.channels, m > 0 else { throw ConvSimError.invalidArgument("no activated maps for '\(activation)'") }
        guard maps.allSatisfy({ $0.channels == m }) else {
            throw ConvSimError.invalidArgument("the activated maps of '\(activation)' differ in channel count")
        }
        var c = [Double](repeating: 0, count: m * m)
        for x in maps {
            let p = x.pixelsPerChannel
            if p == 0 { continue }
            var t = [Double](repeating: 0, count: p * m)   // P × M, the layout `addGramUpper` takes
            for i in 0..<m { for q in 0..<p { t[q * m + i] = x.values[i * p + q] } }
            t.withUnsafeBufferPointer { b in if let base = b.baseAddress { LinearAlgebra.addGramUpper(base, rows: p, columns: m, into: &c) } }
        }
        LinearAlgebra.symmetrizeUpper(&c, order: m)
        let gram = Matrix(order: m, rowMajor: c)
        let cos = DirectConvolution.cosine(fromGram: gram)
        let per = max(1, m / max(groups, 1))
        var s = 0.0, mx = 0.0, n = 0
        for i in 0..<m { for j in (i + 1)..<max(i + 1, m) where i / per == j / per && cos[i, j].isFinite {
            s += abs(cos[i, j]); mx = max(mx, abs(cos[i, j])); n += 1
        } }
        return ActivatedMaps(activation: activation, gram: gram, cosine: cos,
                             cosineMean: n > 0 ? s / Double(n) : nil, cosineMax: n > 0 ? mx : nil)
    }
}
