import Foundation

/// A replayable certificate: the exact data behind a claim (kernels, and the
/// input or its patch Gram), the claimed values, the seed and the command that
/// produced it. `convsim replay` re-verifies the claim from the file alone, in
/// exact integer arithmetic when the data are integers (THEORY.md §4).
///
/// Written as JSON with sorted keys and shortest round-trip numbers, atomically,
/// so the same seed gives the same bytes.
public struct Certificate: Codable, Sendable, Equatable {
    /// A dense tensor with its shape (row-major values).
    public struct Tensor: Codable, Sendable, Equatable {
        public var shape: [Int]
        public var values: [Double]
        public init(shape: [Int], values: [Double]) { self.shape = shape; self.values = values }
        public init(_ bank: KernelBank) {
            self.init(shape: [bank.count, bank.channels, bank.kernelHeight, bank.kernelWidth], values: bank.values)
        }
        public init(_ signal: Signal) {
            self.init(shape: [signal.channels, signal.height, signal.width], values: signal.values)
        }
        public var kernelBank: KernelBank? {
            guard shape.count == 4, shape.reduce(1, *) == values.count, shape.allSatisfy({ $0 > 0 }) else { return nil }
            return KernelBank(count: shape[0], channels: shape[1], kernelHeight: shape[2], kernelWidth: shape[3], values: values)
        }
        public var signal: Signal? {
            guard shape.count == 3, shape.reduce(1, *) == values.count, shape.allSatisfy({ $0 > 0 }) else { return nil }
            return Signal(channels: shape[0], height: shape[1], width: shape[2], values: values)
        }
    }

    /// Format tag, checked on replay.
    public var format: String = Certificate.currentFormat
    /// What kind of claim this is (e.g. `orthogonal-kernels-similar-feature-maps`,
    /// `theorem-counterexample`); `replay` dispatches on it.
    public var claim: String
    /// The theorem or hypothesis this certificate refutes or supports, in words.
    public var statement: String
    /// Theorem id (`T1` …) when the claim is about one.
    public var theorem: String?
    public var padding: Padding
    public var kernels: Tensor
    /// The input signal, when it is small enough to store.
    public var input: Tensor?
    /// The patch Gram `𝐆^P` of the input (order `C·kh·kw`), when the input is not stored.
    public var patchGram: Tensor?
    /// Where the input came from (file name, crop), for the reader.
    public var inputDescription: String?
    /// Claimed values, e.g. `feature_cosine`, `kernel_cosine`, `bound`.
    public var claimed: [String: Double]
    /// Whether kernels and input are integers (replay then uses exact arithmetic).
    public var integerData: Bool
    public var seed: UInt64
    /// The command that reproduces this certificate.
    public var command: String

    public static let currentFormat = "convsimkit-certificate/1"

    public init(claim: String, statement: String, theorem: String? = nil, padding: Padding,
                kernels: Tensor, input: Tensor? = nil, patchGram: Tensor? = nil, inputDescription: String? = nil,
                claimed: [String: Double], integerData: Bool, seed: UInt64, command: String) {
        self.claim = claim; self.statement = statement; self.theorem = theorem; self.padding = padding
        self.kernels = kernels; self.input = input; self.patchGram = patchGram
        self.inputDescription = inputDescription; self.claimed = claimed
        self.integerData = integerData; self.seed = seed; self.command = command
    }

    /// Deterministic JSON bytes (sorted keys, pretty printed).
    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try e.encode(self)
    }

    /// Writes the certificate atomically (temporary file + rename).
    public func write(to path: String) throws {
        try IOFiles.writeAtomically(encoded(), to: path)
    }

    /// Reads and validates a certificate file.
    public static func read(path: String) throws -> Certificate {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConvSimError.fileNotFound(path: path) }
        let c: Certificate
        do { c = try JSONDecoder().decode(Certificate.self, from: data) } catch {
            throw ConvSimError.malformedFile(path: path, reason: "not a ConvSimKit certificate (\(error))")
        }
        guard c.format == currentFormat else {
            throw ConvSimError.malformedFile(path: path, reason: "certificate format '\(c.format)', expected '\(currentFormat)'")
        }
        guard c.kernels.kernelBank != nil else {
            throw ConvSimError.malformedFile(path: path, reason: "kernels: shape \(c.kernels.shape) does not match \(c.kernels.values.count) values")
        }
        if let i = c.input, i.signal == nil {
            throw ConvSimError.malformedFile(path: path, reason: "input: shape \(i.shape) does not match \(i.values.count) values")
        }
        return c
    }
}
