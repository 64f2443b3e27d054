import ConvSimIO
import BigInt
import ConvSimCertificates
import ConvSimCore
import ConvSimCorrelation
import ConvSimSearch
import ConvSimTheorems
import Foundation
import Testing

/// Tampering with certificates: every operator below makes a true certificate false or
/// malformed *by construction* (it changes a stated number away from its exact value,
/// removes a required key, adds an unknown one, breaks a shape, …).
enum Tamper {
    typealias Path = [String]

    static func get(_ v: JSONValue, _ path: Path) -> JSONValue? {
        var cur = v
        for k in path {
            if case .array(let a) = cur, let i = Int(k), a.indices.contains(i) { cur = a[i]; continue }
            guard let next = cur[k] else { return nil }
            cur = next
        }
        return cur
    }

    static func set(_ v: JSONValue, _ path: Path, _ new: JSONValue?) -> JSONValue {
        guard let k = path.first else { return new ?? .null }
        switch v {
        case .object(var m):
            if let i = m.firstIndex(where: { $0.key == k }) {
                if path.count == 1 && new == nil { m.remove(at: i) } else { m[i].value = set(m[i].value, Array(path.dropFirst()), new) }
            } else if path.count == 1, let n = new { m.append(JSONMember(k, n)) }
            return .object(m)
        case .array(var a):
            if let i = Int(k), a.indices.contains(i) { a[i] = set(a[i], Array(path.dropFirst()), new) }
            return .array(a)
        default: return v
        }
    }

    static func plusOne(_ s: String) -> String {
        guard case .success(let r) = Rational.parse(s) else { return s + "1" }
        return (r + .one).description
    }

    /// Leaves under `claimed`, with their paths.
    static func leaves(_ v: JSONValue, _ path: Path) -> [(Path, JSONValue)] {
        switch v {
        case .object(let m):
            if m.count == 2, m[0].key == "lower" || m[1].key == "lower" { return [(path, v)] }   // an interval
            return m.flatMap { leaves($0.value, path + [$0.key]) }
        case .array(let a): return a.enumerated().flatMap { leaves($0.element, path + [String($0.offset)]) }
        default: return [(path, v)]
        }
    }

    /// Objects (paths) of the certificate where an unknown key is malformed.
    static func objects(_ v: JSONValue, _ path: Path) -> [Path] {
        guard case .object(let m) = v else {
            if case .array(let a) = v { return a.enumerated().flatMap { objects($0.element, path + [String($0.offset)]) } }
            return []
        }
        return [path] + m.flatMap { objects($0.value, path + [$0.key]) }
    }

    /// Tampers that make the certificate false or malformed by construction.
    static func falsifying(_ c: Certificate) -> [(String, JSONValue)] { corpus(c).falsifying }

    /// `falsifying`, and `neutral` changes of the data (an input entry, a shape of the same size,
    /// another padding) that may or may not change the truth of the claim: on those both
    /// checkers must simply agree (for example, moving a pixel that no kernel sees, or any pixel
    /// under a T2 pair with `S ≡ 0`, leaves the claim true).
    static func corpus(_ c: Certificate) -> (falsifying: [(String, JSONValue)], neutral: [(String, JSONValue)]) {
        let root = c.json
        var out: [(String, JSONValue)] = [], neutral: [(String, JSONValue)] = []
        guard let claimed = root["claimed"] else { return ([], []) }
        for (p, v) in leaves(claimed, ["claimed"]) {
            let name = p.joined(separator: ".")
            switch v {
            case .string(let s):
                if p.last == "theorem" { out.append(("\(name)=T9", set(root, p, .string("T9")))); continue }
                if p.last?.hasSuffix("_at_most") != true { out.append(("\(name)+1", set(root, p, .string(plusOne(s))))) }
                if p.last?.hasSuffix("_at_least") == true { out.append(("\(name)=1", set(root, p, .string("1")))) }
                if p.last?.hasSuffix("_at_most") == true { out.append(("\(name)=0", set(root, p, .string("0")))) }
                out.append(("\(name) as a number", set(root, p, .number(s.contains("/") ? "0.5" : (Double(s) == nil ? "0.5" : s)))))
            case .object:
                guard case .string(let hi)? = v["upper"] else { continue }
                let moved = JSONValue.object([JSONMember("lower", .string(plusOne(hi))), JSONMember("upper", .string(plusOne(plusOne(hi))))])
                out.append(("\(name) moved", set(root, p, moved)))
                out.append(("\(name) reversed", set(root, p, .object([JSONMember("lower", .string(plusOne(hi))), JSONMember("upper", .string(hi))]))))
            case .bool(let b): out.append(("\(name) flipped", set(root, p, .bool(!b))))
            case .null: out.append(("\(name)=1", set(root, p, .string("1"))))
            case .number(let t):
                if p.last == "steps" { out.append(("\(name)+1", set(root, p, .number(String((Int(t) ?? 0) + 1))))) }
                else { out.append(("\(name)×2", set(root, p, .number((Double(t) ?? 1) * 2)))) }
            default: break
            }
        }
        // Missing keys (every required key at every level; `wielandt` is optional, provenance unverified).
        for p in objects(root, []) where p.first != "provenance" {
            guard case .object(let m)? = get(root, p) else { continue }
            for e in m where e.key != "wielandt" {
                out.append(("missing \((p + [e.key]).joined(separator: "."))", set(root, p + [e.key], nil)))
            }
            out.append(("unknown key in \(p.isEmpty ? "top" : p.joined(separator: "."))", set(root, p + ["unexpected_key"], .string("x"))))
        }
        out.append(("unknown provenance key", set(root, ["provenance", "unexpected_key"], .string("x"))))
        out.append(("format 1", set(root, ["format"], .string("convsimkit-certificate/1"))))
        out.append(("unknown claim", set(root, ["claim"], .string("orthogonal-kernels"))))
        // Data: kernel and input (or patch Gram) entries, shapes, padding.
        let nk = c.kernels.values.count, nx = c.input.values.count
        for i in Set([0, nk / 2, nk - 1]) {
            out.append(("kernel value \(i) + 1", set(root, ["data", "kernels", "values", String(i)], .number(c.kernels.values[i] + 1))))
        }
        if let g = c.patchGram {
            let n2 = g.values.count
            for i in Set([0, n2 / 2, n2 - 1]) {
                neutral.append(("patch Gram value \(i) + 1000", set(root, ["data", "patch_gram", "values", String(i)], .number(g.values[i] + 1000))))
                neutral.append(("patch Gram bound \(i) + 1000", set(root, ["data", "patch_gram", "bound", String(i)], .number(g.bound[i] + 1000))))
                out.append(("patch Gram bound \(i) negative", set(root, ["data", "patch_gram", "bound", String(i)], .number(-1))))
            }
            out.append(("patch Gram value NaN text", set(root, ["data", "patch_gram", "values", "0"], .string("NaN"))))
            out.append(("patch Gram shape [n+1, n]", set(root, ["data", "patch_gram", "shape", "0"], .integer(g.order + 1))))
            out.append(("an input beside the patch Gram", set(root, ["data", "input"], .object([
                JSONMember("shape", .array([.integer(c.kernels.channels), .integer(1), .integer(1)])),
                JSONMember("values", .array([JSONValue](repeating: .number(0), count: c.kernels.channels)))]))))
            out.append(("claim about an input", set(root, ["claim"], .string(ClaimKind.orthogonalKernelsSimilarFeatureMaps.rawValue))))
        } else {
            for i in Set([0, nx / 2, nx - 1]) {
                neutral.append(("input value \(i) + 1000", set(root, ["data", "input", "values", String(i)], .number(c.input.values[i] + 1000))))
            }
            out.append(("input value NaN text", set(root, ["data", "input", "values", "0"], .string("NaN"))))
            neutral.append(("input shape H·W swapped", set(root, ["data", "input", "shape"], .array([.integer(c.input.channels), .integer(c.input.width * c.input.height), .integer(1)]))))
            out.append(("input shape 0", set(root, ["data", "input", "shape", "0"], .integer(0))))
            if c.claim == .orthogonalKernelsSimilarFeatureMaps {
                out.append(("claim about a patch Gram", set(root, ["claim"], .string(ClaimKind.orthogonalKernelsSimilarDatasetFeatureMaps.rawValue))))
            }
        }
        out.append(("kernel value 1e999", set(root, ["data", "kernels", "values", "0"], .number("1e999"))))
        out.append(("kernels shape[0] + 1", set(root, ["data", "kernels", "shape", "0"], .integer(c.kernels.count + 1))))
        out.append(("kernel shape 2^32", set(root, ["data", "kernels", "shape", "2"], .integer(1 << 32))))
        if c.claim != .theoremCounterexample {
            for p in Padding.allCases where p != c.padding {
                neutral.append(("padding \(p.rawValue)", set(root, ["data", "padding"], .string(p.rawValue))))
            }
        }
        out.append(("padding unknown", set(root, ["data", "padding"], .string("reflect"))))
        return (out, neutral)
    }
}

@Suite("Both checkers on the corpus")
struct CorpusTests {
    /// True certificates: every search strategy on a synthetic image and on the astronaut
    /// crop, large integers, theorem certificates whose hypothesis is not met (real
    /// counterexamples showing a hypothesis is needed).
    static func trueCertificates() throws -> [(String, Certificate)] {
        var out: [(String, Certificate)] = []
        var rng = SeededRandom(seed: 11)
        let x = Signal(channels: 3, height: 12, width: 12, values: (0..<432).map { _ in Double(rng.integer(in: 0...255)) })
        let cfg = SearchConfig(strategies: Strategies.names, inputs: ["synthetic"], kernelSize: 3, padding: .same,
                               trials: 60, seed: 4, threshold: Rational(9, 10), bankSize: 3)
        var run = try SearchRun(context: try SearchContext(config: cfg, inputs: [("synthetic", x)], command: "test"), strategies: Strategies.all)
        try run.run()
        for r in run.finish() { for (i, f) in r.findings.enumerated() { if let c = f.certificate { out.append(("\(r.strategy)-\(i)", c)) } } }
        if let c = SimilarPairVerifier.certificate(kind: .orthogonalKernelsSimilarFeatureMaps, kernels: Astronaut.kernels, input: Astronaut.input,
                                                   padding: .same, threshold: decimal("0.9974394"), eigenvalues: (13.4, 19131.5), provenance: Provenance()) {
            out.append(("astronaut-exact-threshold", c))
        }
        let big = Signal(channels: 3, height: 4, width: 4, values: Astronaut.input.values.map { $0 * 0x1p40 })
        let bigK = KernelBank(count: 2, channels: 3, kernelHeight: 1, kernelWidth: 1, values: Astronaut.kernels.values.map { $0 * 0x1p30 })
        if let c = SimilarPairVerifier.certificate(kind: .orthogonalKernelsSimilarFeatureMaps, kernels: bigK, input: big, padding: .same,
                                                   threshold: Rational(9, 10), provenance: Provenance()) {
            out.append(("astronaut-scaled-2^70", c))
        }
        // Dataset certificates (search --stats) from statistics of random images, two paddings.
        for (seed, padding) in [(UInt64(1), Padding.same), (2, .circular)] {
            let file = try DatasetCertificateTests.statistics(seed: seed, n: 5, channels: 2, height: 7, width: 6, k: 2, padding: padding)
            let cfg = DatasetSearch.Config(strategies: DatasetSearch.names, trials: 30, seed: seed, threshold: Rational(9, 10), command: "test", statistics: "t")
            for f in try DatasetSearch.run(gram: try DatasetStatistics.patchGram(file), config: cfg).findings {
                if let c = f.certificate { out.append(("dataset-\(padding.rawValue)-\(f.strategy)", c)) }
            }
        }
        out.append(("dataset-small", try DatasetCertificateTests.small()))
        let k = KernelBank(oneDimensional: [[[1, 2, 3]], [[-1, 0, 2]]])
        let s = Signal(oneDimensional: [[1, 2, 3, 4, 5]])
        out.append(("T1-valid", TheoremCertificates.certificate(id: "T1", instance: TheoremInstance(kernels: k, input: s, padding: .valid, origin: "t"), provenance: Provenance())))
        // Gaussian vs Sobel: S ≡ 0, so T5's bound is 0, yet <F_0, F_1> ≠ 0 under same padding (Documentation/Theory.md#errata-4: T5 needs full/circular).
        let gs = KernelBank(count: 2, channels: 1, kernelHeight: 3, kernelWidth: 3, values: [1, 2, 1, 2, 4, 2, 1, 2, 1, 1, 0, -1, 2, 0, -2, 1, 0, -1])
        let img = Signal(channels: 1, height: 5, width: 5, values: (0..<25).map { Double(($0 * 37) % 11) })
        out.append(("T5-same", TheoremCertificates.certificate(id: "T5", instance: TheoremInstance(kernels: gs, input: img, padding: .same, origin: "t"), provenance: Provenance())))
        out.append(("T2-same", TheoremCertificates.certificate(id: "T2", instance: TheoremInstance(kernels: gs, input: img, padding: .same, origin: "t"), provenance: Provenance())))
        return out
    }

    /// Theorem certificates whose hypothesis holds: false (the theorems are proven).
    static func falseTheoremCertificates() -> [(String, Certificate)] {
        let gs = KernelBank(count: 3, channels: 1, kernelHeight: 3, kernelWidth: 3,
                            values: [1, 2, 1, 2, 4, 2, 1, 2, 1, 1, 0, -1, 2, 0, -2, 1, 0, -1, 0, 1, 0, 1, -4, 1, 0, 1, 0])
        let img = Signal(channels: 1, height: 5, width: 6, values: (0..<30).map { Double(($0 * 37) % 11) - 3 })
        var out: [(String, Certificate)] = []
        for id in TheoremCounterexampleVerifier.theorems {
            let p: Padding = id == "T1b" ? .same : .full
            out.append(("\(id)-false", TheoremCertificates.certificate(id: id, instance: TheoremInstance(kernels: gs, input: img, padding: p, origin: "t"), provenance: Provenance())))
        }
        return out
    }

    @Test("both checkers accept every true certificate and reject every tampered or malformed one, with the same exit codes")
    func agreement() throws {
        // CONVSIM_CORPUS_DIR keeps the corpus (with expected.tsv: file, Swift's exit code) for other checkers.
        let keep = ProcessInfo.processInfo.environment["CONVSIM_CORPUS_DIR"]
        let dir = keep.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("convsim-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(at: dir) } }
        var expected: [String: Set<Int32>] = [:]   // file → acceptable codes
        var swift: [String: Int32] = [:]
        func add(_ name: String, _ data: Data, _ codes: Set<Int32>) throws {
            let path = dir.appendingPathComponent(name.replacingOccurrences(of: "/", with: "_") + ".json").path
            try data.write(to: URL(fileURLWithPath: path))
            expected[path] = codes
            swift[path] = swiftCode(data, path: path)
        }
        let trues = try Self.trueCertificates()
        #expect(Set(trues.map { $0.1.claim }).count == ClaimKind.allCases.count, "every claim kind has a true certificate")
        var tampered = 0, neutral = 0
        for (name, c, truth) in trues.map({ ($0.0, $0.1, Int32(0)) }) + Self.falseTheoremCertificates().map({ ($0.0, $0.1, Int32(1)) }) {
            try add("\(truth == 0 ? "true" : "false")-\(name)", c.encoded(), [truth])
            let (bad, other) = Tamper.corpus(c)
            for (label, j) in bad {
                try add("tampered-\(name)-\(tampered)-\(label)", Data(j.rendered().utf8), [1, 2, 3])
                tampered += 1
            }
            for (label, j) in other {
                try add("neutral-\(name)-\(neutral)-\(label)", Data(j.rendered().utf8), [0, 1, 2, 3])
                neutral += 1
            }
        }
        for path in try regressionCertificates() {
            try add("regression-\((path as NSString).lastPathComponent)", Data(contentsOf: URL(fileURLWithPath: path)), [1, 2, 3])
        }
        if keep != nil {
            let tsv = swift.sorted { $0.key < $1.key }.map { "\(($0.key as NSString).lastPathComponent)\t\($0.value)" }.joined(separator: "\n")
            try Data((tsv + "\n").utf8).write(to: dir.appendingPathComponent("expected.tsv"))
        }
        let python = try pythonCodes(Array(expected.keys))
        var disagreements: [String] = []
        for (path, codes) in expected.sorted(by: { $0.key < $1.key }) {
            let s = swift[path] ?? -1, p = python[path] ?? -1
            let name = (path as NSString).lastPathComponent
            #expect(codes.contains(s), "swift checker: \(name) exit \(s)")
            #expect(codes.contains(p), "python checker: \(name) exit \(p)")
            if s != p { disagreements.append("\(name): swift \(s), python \(p)") }
        }
        #expect(disagreements.isEmpty, "exit codes differ:\n\(disagreements.joined(separator: "\n"))")
        let accepted = expected.keys.filter { (swift[$0] ?? -1) == 0 && (python[$0] ?? -1) == 0 }.count
        print("certificate corpus: \(trues.count) true, \(tampered) falsifying tampers, \(neutral) neutral data changes, \(expected.count) files in all; \(expected.count - disagreements.count) with equal exit codes; \(accepted) accepted by both")
    }
}
