import ConvSimCertificates
import ConvSimCore
import Foundation

/// The three levels of evidence a theorem check can produce (Documentation/Theory.md#evidence).
///
/// - `float`: certified floating point. A check computes both sides of an
///   identity in binary64 and passes when the observed discrepancy is at most an
///   a-priori bound derived from the computation itself (`γ_n = nu/(1−nu)`,
///   `u = 2⁻⁵³`, Higham Lemma 3.1, and the FFT model of `FFTErrorModel`). There is
///   no hand-tuned tolerance anywhere: each bound's formula is in the doc comment
///   of the function that produces it.
/// - `exact`: integer data, exact integer arithmetic (`BigInt`, or `Int` where an a-priori
///   bit bound rules out overflow: `ExactInstance`), exact equality.
/// - `proof`: polynomial identity testing (Schwartz–Zippel: exact evaluation at
///   random integer points drawn from a set of size `S`; a false identity of total
///   degree `deg` passes one trial with probability at most `deg/S`) and symbolic
///   expansion of both sides into polynomials with exact integer coefficients at
///   small sizes — equality of the expansions proves the identity at that size.
public enum EvidenceLevel: String, Sendable, CaseIterable, Codable {
    case float, exact, proof
}

/// Whether a check confirms a theorem, refutes it with a hypothesis dropped (the
/// refutation *passes* when the predicted violation is found, Documentation/Theory.md#evidence), or
/// estimates a quantity (T3's floor).
public enum CheckKind: String, Sendable, Codable {
    case confirm, refute, estimate
}

/// A theorem instance: a kernel bank, one input and a padding. Certificates store
/// exactly this.
public struct TheoremInstance: Sendable, Equatable, CustomStringConvertible {
    public var kernels: KernelBank
    public var input: Signal
    public var padding: Padding
    /// Where the data came from (generator name, file and crop).
    public var origin: String

    public init(kernels: KernelBank, input: Signal, padding: Padding, origin: String) {
        self.kernels = kernels; self.input = input; self.padding = padding; self.origin = origin
    }

    public var isIntegral: Bool { kernels.isIntegral && input.isIntegral }

    /// A compact, human-readable dump of the whole instance (used for failures).
    public var description: String {
        func fmt(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)" }
        var s = "padding \(padding.rawValue), kernels (M,C,kh,kw) = (\(kernels.count),\(kernels.channels),\(kernels.kernelHeight),\(kernels.kernelWidth)), input (C,H,W) = (\(input.channels),\(input.height),\(input.width)) [\(origin)]\n"
        for i in 0..<kernels.count {
            s += "  K\(i) = [" + kernels.kernel(i).map(fmt).joined(separator: ", ") + "]\n"
        }
        s += "  X = [" + input.values.map(fmt).joined(separator: ", ") + "]"
        return s
    }
}

/// One line of a verification: one theorem, one evidence level, one kind of check.
public struct CheckResult: Sendable {
    public var id: String
    /// Short name of the check (e.g. "engine vs direct", "Schwartz–Zippel").
    public var name: String
    public var kind: CheckKind
    public var evidence: EvidenceLevel
    public var passed: Bool
    public var trials: Int
    /// For `float`: the discrepancy at the instance with the largest discrepancy/bound
    /// ratio; for `exact`/`proof`: the largest exact discrepancy (0 when equal);
    /// for refutations: the violation size.
    public var maxDiscrepancy: Double
    /// The bound the discrepancy is compared with (for `exact`/`proof`: 0; for
    /// Schwartz–Zippel: the false-pass probability bound of all trials together).
    public var bound: Double
    /// Ordered extra facts (printed and written to JSON as strings or numbers).
    public var details: [(String, DetailValue)]
    /// The smallest failing instance, when the check failed on an instance.
    public var counterexample: TheoremInstance?
    /// The certificate of that instance (written by `convsim verify`).
    public var certificate: Certificate?
    /// Why the check did not run (no usable instance): reported as "not run", never as pass or fail.
    public var notRunReason: String?

    public init(id: String, name: String, kind: CheckKind = .confirm, evidence: EvidenceLevel, passed: Bool,
                trials: Int, maxDiscrepancy: Double, bound: Double, details: [(String, DetailValue)] = [],
                counterexample: TheoremInstance? = nil, certificate: Certificate? = nil) {
        self.id = id; self.name = name; self.kind = kind; self.evidence = evidence; self.passed = passed
        self.trials = trials; self.maxDiscrepancy = maxDiscrepancy; self.bound = bound; self.details = details
        self.counterexample = counterexample; self.certificate = certificate
    }

    public var status: String { notRunReason != nil ? "not run" : (passed ? "pass" : "fail") }
}

/// A detail value: a number, an integer, a string or a list of numbers. Two kinds of number
/// print so that the text does not depend on the machine's BLAS kernels (the JSON keeps the
/// full value): `estimate` (an optimizer's result, 4 significant digits, rounding-level values
/// as `< 1e-12`) and `magnitude` (a bound, rounded up to a power of ten: `≤ 1e-13`).
public enum DetailValue: Sendable, CustomStringConvertible {
    case number(Double), int(Int), text(String), numbers([Double]), estimate(Double), magnitude(Double)
    public var description: String {
        switch self {
        case .estimate(let d):
            if d.isFinite && abs(d) < 1e-12 { return "< 1e-12" }
            return d.isFinite ? Fmt.g(d, 4) : "\(d)"
        case .magnitude(let d):
            guard d.isFinite, d > 0 else { return Self.short(d) }
            return "≤ 1e\(Int(Foundation.log10(d).rounded(.up)))"
        case .number(let d): return Self.short(d)
        case .int(let i): return String(i)
        case .text(let s): return s
        case .numbers(let a): return "[" + a.map(Self.short).joined(separator: ", ") + "]"
        }
    }
    static func short(_ d: Double) -> String {
        if d == 0 { return "0" }
        if !d.isFinite { return "\(d)" }
        if d == d.rounded() && abs(d) < 1e15 { return String(Int(d)) }
        return Fmt.g(d)
    }
}

/// Tracks the worst instance of a float check (largest discrepancy/bound ratio).
struct FloatTally {
    var trials = 0
    var worstRatio = -1.0
    var worstDiscrepancy = 0.0
    var worstBound = 0.0
    var failures = 0
    var firstFailure: TheoremInstance?

    mutating func add(discrepancy: Double, bound: Double, instance: @autoclosure () -> TheoremInstance) {
        trials += 1
        let ratio = bound > 0 ? discrepancy / bound : (discrepancy == 0 ? 0 : .infinity)
        let failed = !(discrepancy <= bound)
        if failed {
            failures += 1
            if firstFailure == nil { firstFailure = instance() }
        }
        if ratio > worstRatio || ratio.isNaN {
            worstRatio = ratio; worstDiscrepancy = discrepancy; worstBound = bound
        }
    }
}

/// Tracks an exact check (equal or not).
struct ExactTally {
    var trials = 0
    var failures = 0
    var maxDiscrepancy = 0.0
    var firstFailure: TheoremInstance?
    mutating func add(equal: Bool, discrepancy: Double, instance: @autoclosure () -> TheoremInstance) {
        trials += 1
        if !equal {
            failures += 1
            if firstFailure == nil { firstFailure = instance() }
        }
        maxDiscrepancy = max(maxDiscrepancy, discrepancy)
    }
}
