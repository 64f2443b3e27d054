import ConvSimIO
import ConvSimCore
import Foundation

/// The claim kinds of `convsimkit-certificate/2` (Documentation/Certificates.md).
public enum ClaimKind: String, CaseIterable, Sendable, Codable {
    case orthogonalKernelsSimilarFeatureMaps = "orthogonal-kernels-similar-feature-maps"
    case zeroPaperCSSimilarFeatureMaps = "zero-paper-cs-similar-feature-maps"
    case orthogonalFeatureMapsForEveryInput = "orthogonal-feature-maps-for-every-input"
    case orthogonalizedKernelsFeatureSimilarity = "orthogonalized-kernels-feature-similarity"
    case theoremCounterexample = "theorem-counterexample"
    case orthogonalKernelsSimilarDatasetFeatureMaps = "orthogonal-kernels-similar-dataset-feature-maps"

    /// Whether the kind's data are a dataset's patch Gram (`data.patch_gram`) instead of an input.
    public var aboutPatchGram: Bool { self == .orthogonalKernelsSimilarDatasetFeatureMaps }
}

/// `data.patch_gram` (Documentation/Certificates.md): a dataset's patch Gram of order `n`,
/// row-major, and an entrywise bound `|𝐆* − values| ≤ bound` on the true one.
public struct StatedPatchGram: Sendable, Equatable {
    public var order: Int
    public var values: [Double], bound: [Double]
    public init(order: Int, values: [Double], bound: [Double]) { self.order = order; self.values = values; self.bound = bound }
}

/// Why a certificate was not checked: malformed (exit 2) or over a limit (exit 3).
public enum CertificateError: Error, CustomStringConvertible, Equatable, Sendable {
    case malformed(path: String, reason: String)
    case overLimit(path: String, reason: String)

    public var description: String {
        switch self {
        case .malformed(let p, let r): return "malformed certificate \(p): \(r)"
        case .overLimit(let p, let r): return "certificate \(p) refused: \(r)"
        }
    }
}

/// Unverified information about where a certificate came from; printed as such.
public struct Provenance: Sendable, Equatable {
    public var command: String?, seed: String?, statement: String?, inputDescription: String?, strategy: String?, tool: String?
    public init(command: String? = nil, seed: String? = nil, statement: String? = nil, inputDescription: String? = nil,
                strategy: String? = nil, tool: String? = "convsimkit") {
        self.command = command; self.seed = seed; self.statement = statement
        self.inputDescription = inputDescription; self.strategy = strategy; self.tool = tool
    }
    static let keys = ["command", "seed", "statement", "input_description", "strategy", "tool"]
    var members: [JSONMember] {
        zip(Self.keys, [command, seed, statement, inputDescription, strategy, tool]).compactMap { k, v in v.map { JSONMember(k, .string($0)) } }
    }
}

/// A certificate: a claim, the data it is about, every stated number, and provenance.
/// Read strictly (`decode`): every key is required or documented optional, no other
/// key is accepted, every type is checked, and sizes are held to `Limits` before any
/// arithmetic.
public struct Certificate: Sendable, Equatable {
    public static let format = "convsimkit-certificate/2"

    public var claim: ClaimKind
    public var padding: Padding
    public var kernels: KernelBank
    /// The input (every kind but the dataset kind; for that one a 1×1 zero image, never written).
    public var input: Signal
    /// The dataset's patch Gram (the dataset kind only).
    public var patchGram: StatedPatchGram?
    /// The members of `claimed` (in key order), verified by the claim kind's verifier.
    public var claimed: [JSONMember]
    public var provenance: Provenance

    public init(claim: ClaimKind, padding: Padding, kernels: KernelBank, input: Signal,
                claimed: [JSONMember], provenance: Provenance) {
        self.claim = claim; self.padding = padding; self.kernels = kernels; self.input = input
        self.claimed = JSONValue.object(claimed).sortedKeys.members ?? claimed   // canonical key order, as written
        self.provenance = provenance
    }

    /// A certificate about a dataset known through its patch Gram (`data.patch_gram`).
    public init(claim: ClaimKind, padding: Padding, kernels: KernelBank, patchGram: StatedPatchGram,
                claimed: [JSONMember], provenance: Provenance) {
        self.init(claim: claim, padding: padding, kernels: kernels, input: Signal(channels: kernels.channels, height: 1, width: 1),
                  claimed: claimed, provenance: provenance)
        self.patchGram = patchGram
    }

    /// Documented limits (Documentation/Certificates.md, "Limits").
    public enum Limits {
        public static let fileBytes = 64 << 20
        public static let depth = 64
        public static let valuesPerTensor = 10_000_000
        public static let defaultMaxWork = 2e8
    }

    // MARK: - Writing

    public var json: JSONValue {
        func tensor(_ shape: [Int], _ v: [Double]) -> JSONValue {
            .object([JSONMember("shape", .array(shape.map { .integer($0) })), JSONMember("values", .array(v.map { .number($0) }))])
        }
        let about: JSONMember
        if let g = patchGram {
            about = JSONMember("patch_gram", .object([
                JSONMember("shape", .array([.integer(g.order), .integer(g.order)])),
                JSONMember("values", .array(g.values.map { .number($0) })),
                JSONMember("bound", .array(g.bound.map { .number($0) })),
            ]))
        } else {
            about = JSONMember("input", tensor([input.channels, input.height, input.width], input.values))
        }
        return .object([
            JSONMember("format", .string(Self.format)),
            JSONMember("claim", .string(claim.rawValue)),
            JSONMember("data", .object([
                JSONMember("padding", .string(padding.rawValue)),
                JSONMember("kernels", tensor([kernels.count, kernels.channels, kernels.kernelHeight, kernels.kernelWidth], kernels.values)),
                about,
            ])),
            JSONMember("claimed", .object(claimed)),
            JSONMember("provenance", .object(provenance.members)),
        ])
    }

    /// Deterministic bytes: sorted keys, shortest round-trip numbers.
    public func encoded() -> Data { Data((json.rendered() + "\n").utf8) }

    // MARK: - Reading

    /// Reads and strictly decodes the certificate at `path`.
    public static func read(path: String) throws -> Certificate {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw ConvSimError.fileNotFound(path: path) }
        guard !isDir.boolValue else { throw CertificateError.malformed(path: path, reason: "is a directory, expected a certificate file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        guard size <= Limits.fileBytes else {
            throw CertificateError.overLimit(path: path, reason: "\(size) bytes, over the limit of \(Limits.fileBytes) bytes")
        }
        guard let fh = FileHandle(forReadingAtPath: path) else {
            throw CertificateError.malformed(path: path, reason: "cannot be opened for reading")
        }
        defer { try? fh.close() }
        let data = (try? fh.read(upToCount: Limits.fileBytes + 1)) ?? Data()
        guard data.count <= Limits.fileBytes else {
            throw CertificateError.overLimit(path: path, reason: "over the limit of \(Limits.fileBytes) bytes")
        }
        return try decode(data, path: path)
    }

    public static func decode(_ data: Data, path: String) throws -> Certificate {
        func bad(_ r: String) -> CertificateError { .malformed(path: path, reason: r) }
        let root: JSONValue
        do { root = try StrictJSON.parse(data, maxDepth: Limits.depth) } catch let e as StrictJSON.ParseError {
            throw bad("not valid JSON (\(e))")
        }
        var top = try Fields(root, at: "", path: path)
        let format = try top.string("format")
        guard format == Self.format else {
            throw bad("format '\(format)', expected '\(Self.format)' (version 1 certificates are no longer accepted: re-run the command that wrote it)")
        }
        let claimText = try top.string("claim")
        guard let claim = ClaimKind(rawValue: claimText) else {
            throw bad("unknown claim '\(claimText)'; known: \(ClaimKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var data = try top.object("data")
        let padText = try data.string("padding")
        guard let padding = Padding(rawValue: padText) else {
            throw bad("data.padding '\(padText)'; expected one of \(Padding.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let (kShape, kValues) = try tensor(try data.object("kernels"), rank: 4, name: "data.kernels", path: path)
        var xShape = [kShape[1], 1, 1], xValues = [Double](repeating: 0, count: kShape[1])
        var patchGram: StatedPatchGram? = nil
        if claim.aboutPatchGram {
            patchGram = try statedPatchGram(try data.object("patch_gram"), order: kShape[1] * kShape[2] * kShape[3], path: path)
        } else {
            (xShape, xValues) = try tensor(try data.object("input"), rank: 3, name: "data.input", path: path)
        }
        try data.finish()
        guard kShape[1] == xShape[0] else {
            throw bad("data.kernels have \(kShape[1]) input channel(s) but data.input has \(xShape[0])")
        }
        let claimedValue = try top.value("claimed")
        guard let claimed = claimedValue.members else { throw bad("claimed is \(claimedValue.typeName), expected an object") }
        var prov = try top.object("provenance")
        var p = Provenance(tool: nil)
        p.command = try prov.optionalString("command"); p.seed = try prov.optionalString("seed")
        p.statement = try prov.optionalString("statement"); p.inputDescription = try prov.optionalString("input_description")
        p.strategy = try prov.optionalString("strategy"); p.tool = try prov.optionalString("tool")
        try prov.finish()
        try top.finish()
        var cert = Certificate(claim: claim, padding: padding,
                               kernels: KernelBank(count: kShape[0], channels: kShape[1], kernelHeight: kShape[2], kernelWidth: kShape[3], values: kValues),
                               input: Signal(channels: xShape[0], height: xShape[1], width: xShape[2], values: xValues),
                               claimed: claimed, provenance: p)
        cert.patchGram = patchGram
        return cert
    }

    /// `data.patch_gram`: exactly `shape` (`[n, n]`, `n` = the kernels' `C·kh·kw`), `values` and
    /// `bound` (`n²` finite numbers each, the bound's `≥ 0`).
    static func statedPatchGram(_ f: Fields, order n: Int, path: String) throws -> StatedPatchGram {
        var f = f
        func bad(_ r: String) -> CertificateError { .malformed(path: path, reason: "data.patch_gram.\(r)") }
        guard case .array(let dims) = try f.value("shape"), dims.count == 2,
              dims.allSatisfy({ if case .number(let t) = $0, t.utf8.count <= 18, let v = Int(t), v == n { return true } else { return false } }) else {
            throw bad("shape must be [\(n), \(n)] (n = C·kh·kw of data.kernels)")
        }
        func numbers(_ key: String) throws -> [Double] {
            guard case .array(let vs) = try f.value(key) else { throw bad("\(key) must be an array of numbers") }
            guard vs.count == n * n else { throw bad("\(key) has \(vs.count) entries but the shape [\(n), \(n)] needs \(n * n)") }
            var out = [Double](); out.reserveCapacity(vs.count)
            for (i, v) in vs.enumerated() {
                guard case .number(let t) = v, let d = Double(t), d.isFinite else { throw bad("\(key)[\(i)] is not a finite number") }
                out.append(d)
            }
            return out
        }
        let values = try numbers("values"), bound = try numbers("bound")
        if let i = bound.firstIndex(where: { !($0 >= 0) }) { throw bad("bound[\(i)] = \(bound[i]) is negative") }
        try f.finish()
        return StatedPatchGram(order: n, values: values, bound: bound)
    }

    /// `{"shape": [...], "values": [...]}` with the shape checked (positive, overflow-free,
    /// within `Limits.valuesPerTensor`) before the values are read.
    static func tensor(_ f: Fields, rank: Int, name: String, path: String) throws -> ([Int], [Double]) {
        var f = f
        func bad(_ r: String) -> CertificateError { .malformed(path: path, reason: "\(name).\(r)") }
        guard case .array(let dims) = try f.value("shape"), dims.count == rank else {
            throw bad("shape must be an array of \(rank) integers")
        }
        var shape: [Int] = []
        var total = 1, overflow = false
        for d in dims {
            guard case .number(let t) = d, t.utf8.count <= 18, t.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(t), v >= 1 else {
                throw bad("shape entries must be integers ≥ 1 (got \(d.rendered()))")
            }
            let (p, o) = total.multipliedReportingOverflow(by: v)
            overflow = overflow || o
            total = o ? Int.max : p; shape.append(v)
        }
        guard case .array(let vs) = try f.value("values") else { throw bad("values must be an array of numbers") }
        guard !overflow, vs.count == total else {
            throw bad("values has \(vs.count) entries but the shape \(shape) needs \(overflow ? "more than 2⁶³" : String(total))")
        }
        var values = [Double](); values.reserveCapacity(total)
        for (i, v) in vs.enumerated() {
            guard case .number(let t) = v else { throw bad("values[\(i)] is \(v.typeName), expected a number") }
            guard let d = Double(t), d.isFinite else { throw bad("values[\(i)] = \(t) is not a finite binary64 number") }
            values.append(d)
        }
        try f.finish()
        return (shape, values)
    }
}

/// Strict access to the members of a JSON object: each key read once, typed, and
/// `finish()` refuses any key that was not read. Messages name the key path.
public struct Fields {
    let members: [JSONMember]
    let prefix: String
    let path: String
    var used: Set<String> = []

    public init(_ v: JSONValue, at prefix: String, path: String) throws {
        guard let m = v.members else {
            throw CertificateError.malformed(path: path, reason: "\(prefix.isEmpty ? "the top level" : prefix) is \(v.typeName), expected an object")
        }
        members = m; self.prefix = prefix; self.path = path
    }

    func name(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }
    public func bad(_ key: String, _ r: String) -> CertificateError { .malformed(path: path, reason: "\(name(key)) \(r)") }

    public var keys: [String] { members.map(\.key) }

    public mutating func optionalValue(_ key: String) -> JSONValue? {
        guard let m = members.first(where: { $0.key == key }) else { return nil }
        used.insert(key)
        return m.value
    }

    public mutating func value(_ key: String) throws -> JSONValue {
        guard let v = optionalValue(key) else { throw CertificateError.malformed(path: path, reason: "missing required key \(name(key))") }
        return v
    }

    public mutating func string(_ key: String) throws -> String {
        guard case .string(let s) = try value(key) else { throw bad(key, "must be a string") }
        return s
    }

    public mutating func optionalString(_ key: String) throws -> String? {
        guard let v = optionalValue(key) else { return nil }
        guard case .string(let s) = v else { throw bad(key, "must be a string") }
        return s
    }

    public mutating func object(_ key: String) throws -> Fields { try Fields(try value(key), at: name(key), path: path) }

    public mutating func optionalObject(_ key: String) throws -> Fields? {
        guard let v = optionalValue(key) else { return nil }
        return try Fields(v, at: name(key), path: path)
    }

    public mutating func bool(_ key: String) throws -> Bool {
        guard case .bool(let b) = try value(key) else { throw bad(key, "must be true or false") }
        return b
    }

    /// An exact number: a string in the grammar of `Rational.parse`.
    public mutating func exact(_ key: String) throws -> Rational {
        try Self.exact(try value(key), name: name(key), path: path)
    }

    static func exact(_ v: JSONValue, name: String, path: String) throws -> Rational {
        guard case .string(let s) = v else {
            throw CertificateError.malformed(path: path, reason: "\(name) must be an exact number written as a string (\"12627\", \"3/4\", \"0.9974399\"), got \(v.typeName)")
        }
        switch Rational.parse(s) {
        case .success(let r): return r
        case .failure(.tooLong): throw CertificateError.malformed(path: path, reason: "\(name) is longer than \(Rational.maxTextLength) characters")
        case .failure(.exponentTooLarge): throw CertificateError.malformed(path: path, reason: "\(name) '\(s.prefix(40))' has a decimal exponent beyond ±\(Rational.maxDecimalExponent)")
        case .failure(.zeroDenominator): throw CertificateError.malformed(path: path, reason: "\(name) '\(s.prefix(40))' has denominator 0")
        case .failure(.syntax): throw CertificateError.malformed(path: path, reason: "\(name) '\(s.prefix(40))' is not an exact number (integer, p/q, or decimal)")
        }
    }

    /// An exact threshold `τ` with `0 < τ ≤ 1` (else malformed).
    public mutating func threshold(_ key: String) throws -> Rational {
        let tau = try exact(key)
        guard tau.sign > 0, tau <= .one else { throw bad(key, "must lie in (0, 1] (got ≈ \(tau.approximate))") }
        return tau
    }

    /// An exact number or `null` (no claim).
    public mutating func exactOrNull(_ key: String) throws -> Rational? {
        let v = try value(key)
        if v == .null { return nil }
        return try Self.exact(v, name: name(key), path: path)
    }

    public mutating func exactArray(_ key: String) throws -> [Rational] {
        guard case .array(let a) = try value(key) else { throw bad(key, "must be an array of exact numbers") }
        return try a.enumerated().map { try Self.exact($0.element, name: "\(name(key))[\($0.offset)]", path: path) }
    }

    /// `{"lower": exact, "upper": exact}` with `lower ≤ upper`.
    public mutating func interval(_ key: String) throws -> ClosedRange<Rational> {
        var f = try object(key)
        let lo = try f.exact("lower"), hi = try f.exact("upper")
        try f.finish()
        guard lo <= hi else { throw bad(key, "has lower > upper") }
        return lo...hi
    }

    /// A JSON integer in `range`.
    public mutating func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int {
        guard case .number(let t) = try value(key), t.utf8.count <= 18, let v = Int(t), range.contains(v) else {
            throw bad(key, "must be an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return v
    }

    /// A JSON number read as the nearest finite binary64.
    public mutating func number(_ key: String) throws -> Double {
        guard case .number(let t) = try value(key), let d = Double(t), d.isFinite else { throw bad(key, "must be a finite number") }
        return d
    }

    /// Refuses every key that was not read.
    public func finish() throws {
        let unknown = members.map(\.key).filter { !used.contains($0) }
        guard unknown.isEmpty else {
            throw CertificateError.malformed(path: path, reason: "unknown key\(unknown.count > 1 ? "s" : "") \(unknown.map { name($0) }.joined(separator: ", "))")
        }
    }
}
