import ConvSimIO
import BigInt
import ConvSimCore
import Foundation

/// One comparison a verifier made: its name, whether it passed, and the numbers.
public struct CertificateCheck: Sendable, Equatable {
    public let name: String
    public let passed: Bool
    public let detail: String
    public init(_ name: String, _ passed: Bool, _ detail: String) { self.name = name; self.passed = passed; self.detail = detail }
}

/// The verifier of one claim kind (one row of Documentation/Certificates.md, "The claim kinds").
///
/// `verify` first reads every key of `claimed` strictly — throwing
/// `CertificateError.malformed` before any arithmetic — then runs every check in
/// exact arithmetic. The claim holds iff every returned check passed.
public protocol ClaimVerifier: Sendable {
    var kind: ClaimKind { get }
    /// Work beyond the base estimate (eigenvalue tests, protocol replay, …), for the limit.
    func extraWork(_ c: Certificate) -> Double
    /// Reads `claimed` strictly; with `parseOnly` returns `[]` right after reading.
    func verify(_ c: Certificate, path: String, parseOnly: Bool) throws -> [CertificateCheck]
}

extension ClaimVerifier {
    public func verify(_ c: Certificate, path: String) throws -> [CertificateCheck] { try verify(c, path: path, parseOnly: false) }

    /// `n²·|Ω_full|` (the patch Gram) and `4·n⁴` (four inertia counts of `n³` operations on
    /// integers growing to `n` times the entries' size) of Documentation/Certificates.md, "Limits".
    public static func eigenWork(_ c: Certificate, inertia: Bool) -> Double {
        let n = Double(c.kernels.kernelLength)
        let full = Double(c.input.height + c.kernels.kernelHeight - 1) * Double(c.input.width + c.kernels.kernelWidth - 1)
        return n * n * full + (inertia ? 4 * n * n * n * n : 0)
    }
}

/// What a replay found.
public struct ReplayOutcome: Sendable {
    public let claim: ClaimKind
    public let checks: [CertificateCheck]
    public let provenance: Provenance
    public var holds: Bool { !checks.isEmpty && checks.allSatisfy(\.passed) }
    /// 0 holds, 1 does not hold.
    public var exitCode: Int32 { holds ? 0 : 1 }

    public init(claim: ClaimKind, checks: [CertificateCheck], provenance: Provenance) {
        self.claim = claim; self.checks = checks; self.provenance = provenance
    }

    /// The outcome with one more check (the claim then holds only if it passes too).
    public func adding(_ check: CertificateCheck) -> ReplayOutcome {
        ReplayOutcome(claim: claim, checks: checks + [check], provenance: provenance)
    }
}

/// The table of verifiers, one per claim kind, and the work limit.
public struct CertificateChecker: Sendable {
    public let verifiers: [ClaimKind: any ClaimVerifier]
    public var maxWork: Double

    public init(_ verifiers: [any ClaimVerifier], maxWork: Double = Certificate.Limits.defaultMaxWork) {
        var t: [ClaimKind: any ClaimVerifier] = [:]
        for v in verifiers { t[v.kind] = v }
        self.verifiers = t; self.maxWork = maxWork
    }

    /// `W` of Documentation/Certificates.md, "Limits" (`6·n²` for a dataset's patch Gram).
    public static func baseWork(_ c: Certificate) -> Double {
        let k = c.kernels, x = c.input
        if let g = c.patchGram { return 6 * Double(g.order) * Double(g.order) }
        let full = Double(x.height + k.kernelHeight - 1) * Double(x.width + k.kernelWidth - 1)
        let lags = Double(2 * k.kernelHeight - 1) * Double(2 * k.kernelWidth - 1)
        let cc = Double(k.channels) * Double(k.channels)
        return Double(k.count) * Double(k.channels) * full * Double(k.taps)
            + cc * lags * (Double(x.height) * Double(x.width) + Double(k.taps))
    }

    public func work(_ c: Certificate) -> Double {
        Self.baseWork(c) + (verifiers[c.claim]?.extraWork(c) ?? 0)
    }

    /// Verifies a decoded certificate. Throws `CertificateError`: malformed (the whole file,
    /// `claimed` included, is read first), then over a limit, before any arithmetic.
    public func verify(_ c: Certificate, path: String) throws -> ReplayOutcome {
        guard let v = verifiers[c.claim] else {
            throw CertificateError.malformed(path: path, reason: "no verifier registered for claim '\(c.claim.rawValue)'")
        }
        _ = try v.verify(c, path: path, parseOnly: true)
        let tensors = [("data.kernels", c.kernels.values.count)]
            + (c.patchGram.map { [("data.patch_gram.values", $0.values.count), ("data.patch_gram.bound", $0.bound.count)] }
               ?? [("data.input", c.input.values.count)])
        for (name, count) in tensors where count > Certificate.Limits.valuesPerTensor {
            throw CertificateError.overLimit(path: path, reason: "\(name) holds \(count) values, more than the limit of \(Certificate.Limits.valuesPerTensor) per tensor")
        }
        let w = work(c)
        guard w <= maxWork else {
            throw CertificateError.overLimit(path: path, reason: String(format: "replaying it needs about %.3g operations, over the limit of %.3g; pass --max-work %.0f to check it anyway", w, maxWork, w.rounded(.up)))
        }
        return ReplayOutcome(claim: c.claim, checks: try v.verify(c, path: path), provenance: c.provenance)
    }

    /// Reads, decodes and verifies the file at `path`.
    public func verify(path: String) throws -> ReplayOutcome {
        try verify(try Certificate.read(path: path), path: path)
    }
}

/// The checks every claim kind shares, in one place.
public enum CommonChecks {
    /// A pair claim's data hold exactly two kernels (else malformed).
    public static func requirePair(_ c: Certificate, path: String) throws {
        guard c.kernels.count == 2 else {
            throw CertificateError.malformed(path: path, reason: "claim '\(c.claim.rawValue)' needs exactly 2 kernels (data.kernels.shape[0] = \(c.kernels.count))")
        }
    }

    /// Stated exact value against the recomputed one.
    public static func exact(_ name: String, stated: Rational, computed: Rational) -> CertificateCheck {
        CertificateCheck("\(name) = \(stated.text)", stated == computed, "recomputed \(computed.text)")
    }

    /// `N/√D` in the stated interval (`D > 0` needed).
    public static func cosineInterval(_ name: String, _ n: Rational, _ d: Rational, _ iv: ClosedRange<Rational>) -> CertificateCheck {
        let ok = d.sign > 0 && Rational.ratioOfRoot(n, root: d, in: iv.lowerBound, iv.upperBound)
        return CertificateCheck("\(name) ∈ [\(iv.lowerBound.text), \(iv.upperBound.text)]", ok,
                                d.sign > 0 ? "exact value \(n)/√(\(d)) ≈ \(approximateRatio(n, d))" : "undefined: a zero norm")
    }

    /// `N/√D` for display.
    public static func approximateRatio(_ n: Rational, _ d: Rational) -> Double {
        guard d.sign > 0 else { return .nan }
        let q = (n * n / d).approximate.squareRoot()
        return n.sign < 0 ? -q : q
    }

    /// `|N|/√D ≥ τ`, i.e. `N² ≥ τ²·D`.
    public static func absoluteAtLeast(_ name: String, _ n: Rational, _ d: Rational, _ tau: Rational) -> CertificateCheck {
        let ok = d.sign > 0 && (tau.sign <= 0 || n * n >= tau * tau * d)
        return CertificateCheck("|\(name)| ≥ \(tau.text)", ok, "exact: (\(n.text))² \(ok ? "≥" : "<") (\(tau.text))²·\(d.text)")
    }

    /// An interval for `N/√D` as a writer states it: endpoints are short decimals around
    /// the value (exactly the rationals their text denotes), widened until the exact
    /// check accepts them.
    public static func interval(forRatio n: Rational, root d: Rational) -> ClosedRange<Rational> {
        let c = approximateRatio(n, d)
        var r = max(abs(c) * 0x1p-40, 0x1p-60)
        while r.isFinite {
            if case .success(let lo) = Rational.parse(JSONValue.shortest(c - r)),
               case .success(let hi) = Rational.parse(JSONValue.shortest(c + r)),
               Rational.ratioOfRoot(n, root: d, in: lo, hi) {
                return lo...hi
            }
            r *= 1024
        }
        return -Rational.one...Rational.one   // unreachable for a cosine; a valid enclosure of one
    }

    /// The JSON of an exact number.
    public static func json(_ r: Rational) -> JSONValue { .string(r.text) }

    /// The JSON of an interval (endpoints as the shortest decimals of doubles).
    public static func json(_ iv: ClosedRange<Rational>) -> JSONValue {
        .object([JSONMember("lower", .string(iv.lowerBound.text)), JSONMember("upper", .string(iv.upperBound.text))])
    }

}
