import ConvSimIO
import BigInt
import ConvSimCertificates
import ConvSimCore
import ConvSimSearch
import ConvSimTheorems
import Foundation
import Testing

let checker = CertificateChecker(SearchClaimVerifiers.all + [TheoremCertificates.verifier])

/// The exit code of the toolkit's checker for certificate bytes (0 holds, 1 not, 2 malformed, 3 over a limit).
func swiftCode(_ data: Data, path: String = "test") -> Int32 {
    do {
        let c = try Certificate.decode(data, path: path)
        return try checker.verify(c, path: path).exitCode
    } catch let e as CertificateError {
        switch e { case .malformed: return 2; case .overLimit: return 3 }
    } catch { return 2 }
}

/// The repository root (for scripts/ and the fixtures).
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Runs the independent Python checker on files; returns each file's exit code.
func pythonCodes(_ paths: [String]) throws -> [String: Int32] {
    var out: [String: Int32] = [:]
    for chunk in stride(from: 0, to: paths.count, by: 400).map({ Array(paths[$0..<min($0 + 400, paths.count)]) }) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", repoRoot.appendingPathComponent("scripts/check_certificate.py").path, "--codes"] + chunk
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            if parts.count == 2, let c = Int32(parts[0]) { out[String(parts[1])] = c }
        }
    }
    return out
}

/// The certificates that broke the first checker (Tests/Regressions/certificates, format 1) and
/// their ports to format 2 (Fixtures/v2-*.json).
func regressionCertificates() throws -> [String] {
    try ["Tests/Regressions/certificates", "Tests/ConvSimCertificatesTests/Fixtures"].flatMap { d -> [String] in
        let dir = repoRoot.appendingPathComponent(d)
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
            .map { dir.appendingPathComponent($0).path }
    }
}

// MARK: - The data of the astronaut adversarial pair (kernels 1×1 on a 4×4 crop)

enum Astronaut {
    static let input = Signal(channels: 3, height: 4, width: 4, values: [
        0, 2, 6, 4, 5, 18, 16, 8, 32, 38, 19, 17, 46, 40, 25, 18,
        0, 1, 5, 2, 4, 15, 12, 6, 30, 30, 14, 15, 44, 36, 20, 16,
        0, 2, 2, 1, 3, 8, 5, 2, 25, 25, 7, 8, 40, 32, 12, 6])
    static let kernels = KernelBank(count: 2, channels: 3, kernelHeight: 1, kernelWidth: 1, values: [1, 0, 1, 0, 1, 0])
}

func decimal(_ s: String) -> Rational {
    guard case .success(let r) = Rational.parse(s) else { return .zero }
    return r
}

/// `ExactInstance.gram`, the one exact feature-map Gram (theorem checks, tests).
@Suite("The exact Gram")
struct ExactGramTests {
    /// Pinned by hand, valid padding, kernels (1, 1) and (1, −1): X = (1, 2, 3) gives
    /// F = (3, 5), (−1, −1), G = [[34, −8], [−8, 2]]; X = (0, 1, 0) gives F = (1, 1), (−1, 1),
    /// G = [[2, 0], [0, 2]]; the Gram of both is the sum.
    @Test func sumsOverInputs() throws {
        let bank = KernelBank(oneDimensional: [[[1, 1]], [[1, -1]]])
        let xs = [Signal(oneDimensional: [[1, 2, 3]]), Signal(oneDimensional: [[0, 1, 0]])]
        let g = try ExactInstance.gram(inputs: xs, kernels: bank, padding: .valid)
        #expect(g == [[Rational(36), Rational(-8)], [Rational(-8), Rational(4)]])
        #expect(try ExactInstance.gram(inputs: [], kernels: bank, padding: .valid) == [[.zero, .zero], [.zero, .zero]])
    }

    /// Beyond 64 bits (the removed overflow-checked `Int` Gram threw here) and on dyadic data:
    /// kernel 2²⁰·(1, 1) on X = 2⁴⁰·(1, 1, 1), valid: F = (2⁶¹, 2⁶¹), G = 2¹²³;
    /// kernel (1) on X = (0.5, 0.25): G = 5/16.
    @Test func exactBeyondIntAndForDyadicData() throws {
        let big = try ExactInstance.gram(inputs: [Signal(oneDimensional: [[0x1p40, 0x1p40, 0x1p40]])],
                                         kernels: KernelBank(oneDimensional: [[[0x1p20, 0x1p20]]]), padding: .valid)
        #expect(big == [[Rational(BigInt(1) << 123)]])
        let dyadic = try ExactInstance.gram(inputs: [Signal(oneDimensional: [[0.5, 0.25]])],
                                            kernels: KernelBank(oneDimensional: [[[1]]]), padding: .valid)
        #expect(dyadic == [[Rational(5, 16)]])
    }

    /// Bad data is an error, never a trap or a silent zero.
    @Test func rejectsMismatchedOrNonFiniteData() {
        let bank = KernelBank(oneDimensional: [[[1, 1]]])
        #expect(throws: ConvSimError.self) {
            try ExactInstance.gram(inputs: [Signal(channels: 2, height: 1, width: 3)], kernels: bank, padding: .full)
        }
        #expect(throws: ConvSimError.self) {
            try ExactInstance.gram(inputs: [Signal(oneDimensional: [[1, .nan, 3]])], kernels: bank, padding: .full)
        }
        #expect(throws: ConvSimError.self) {
            try ExactInstance.gram(inputs: [Signal(oneDimensional: [[1, 2, 3]])],
                                   kernels: KernelBank(oneDimensional: [[[.infinity, 1]]]), padding: .full)
        }
    }
}

@Suite("Exact numbers and strict JSON")
struct ExactNumberTests {
    @Test func grammar() {
        #expect(decimal("0.9974399") == Rational(9_974_399, 10_000_000))
        #expect(decimal("1/2") == decimal("0.5"))
        #expect(decimal("5e-1") == decimal("0.5"))
        #expect(decimal("-12627") == Rational(-12627))
        #expect(decimal("1e-06") == Rational(1, 1_000_000))
        for bad in ["", "-", "1.", ".5", "+1", "1/0", "0x10", "1e", "1e1001", "1.5/2", " 1", "NaN", "1/-2"] {
            if case .success = Rational.parse(bad) { Issue.record("'\(bad)' parsed") }
        }
        #expect(Rational.parse(String(repeating: "1", count: 10_001)) == .failure(.tooLong))
    }

    @Test func exactDoubles() {
        #expect(Rational(exactly: 0.1) == Rational(3_602_879_701_896_397, BigInt(1) << 55))
        #expect(Rational(exactly: -0.0) == .zero)
        #expect(Rational(exactly: .infinity) == nil)
        #expect(Rational(exactly: 0x1p-1074) == Rational(1, BigInt(1) << 1074))
    }

    @Test func squareRootDecisions() {
        // 12627/√(24430·6560) = 0.99743941824…
        let n = Rational(12627), d = Rational(24430 * 6560)
        #expect(Rational.ratioOfRootAtLeast(n, root: d, decimal("0.9974394")))
        #expect(!Rational.ratioOfRootAtLeast(n, root: d, decimal("0.9974399")))
        #expect(Rational.ratioOfRoot(-n, root: d, in: decimal("-0.99744"), decimal("-0.99743")))
        let e = Rational.squareRootEnclosure(Rational(2))
        #expect(e.lo * e.lo <= Rational(2) && Rational(2) <= e.hi * e.hi)
    }

    @Test func strictJSON() throws {
        #expect(throws: StrictJSON.ParseError.self) { try StrictJSON.parse(Data(#"{"a": 1, "a": 2}"#.utf8)) }
        #expect(throws: StrictJSON.ParseError.self) { try StrictJSON.parse(Data("[1, 2,]".utf8)) }
        #expect(throws: StrictJSON.ParseError.self) { try StrictJSON.parse(Data("[NaN]".utf8)) }
        #expect(throws: StrictJSON.ParseError.self) { try StrictJSON.parse(Data("[01]".utf8)) }
        #expect(throws: StrictJSON.ParseError.self) { try StrictJSON.parse(Data(String(repeating: "[", count: 200_000).utf8)) }
        #expect(throws: StrictJSON.ParseError.self) { try StrictJSON.parse(Data([0x22, 0xFF, 0x22])) }
        let v = try StrictJSON.parse(Data(#"{"x": [1.50, -2e-3, true, null, "\u00e9\n"]}"#.utf8))
        #expect(v["x"] == .array([.number("1.50"), .number("-2e-3"), .bool(true), .null, .string("é\n")]))
        #expect(try StrictJSON.parse(Data(v.rendered().utf8)) == v)
    }

    @Test("inertia counts eigenvalues exactly, including 2×2 pivots and singular matrices")
    func inertia() {
        func m(_ v: [Int]) -> [Rational] { v.map { Rational($0) } }
        #expect(Inertia.of(m([0, 1, 1, 0]), order: 2, shift: .zero) == (1, 0, 1))
        #expect(Inertia.of(m([2, 0, 0, 0, 0, 0, 0, 0, -3]), order: 3, shift: .zero) == (1, 1, 1))
        #expect(Inertia.of(m([1, 1, 1, 1]), order: 2, shift: .zero) == (0, 1, 1))      // eigenvalues 0, 2
        #expect(Inertia.of(m([1, 1, 1, 1]), order: 2, shift: Rational(2)) == (1, 1, 0))
        #expect(Inertia.of(m([0, 1, 0, 1, 0, 1, 0, 1, 0]), order: 3, shift: .zero) == (1, 1, 1)) // ±√2, 0
        // [[2,1],[1,2]]: eigenvalues 1 and 3.
        let a = m([2, 1, 1, 2])
        #expect(Inertia.smallestIn(a, order: 2, Rational(1), Rational(1)))
        #expect(!Inertia.smallestIn(a, order: 2, decimal("1.0001"), Rational(2)))
        #expect(Inertia.largestIn(a, order: 2, Rational(3), Rational(3)))
        #expect(!Inertia.largestIn(a, order: 2, Rational(2), decimal("2.9999")))
    }
}

@Suite("Certificates")
struct CertificateTests {
    /// The issue's reproduction: the exact cosine 12627/√(24430·6560) = 0.99743942 is below
    /// 0.9974399, so no certificate is written at that threshold, and one stating it is refused.
    @Test func thresholdsAreExact() throws {
        let p = Provenance(command: "test")
        #expect(SimilarPairVerifier.certificate(kind: .orthogonalKernelsSimilarFeatureMaps, kernels: Astronaut.kernels, input: Astronaut.input,
                                                padding: .same, threshold: decimal("0.9974399"), provenance: p) == nil)
        let ok = try #require(SimilarPairVerifier.certificate(kind: .orthogonalKernelsSimilarFeatureMaps, kernels: Astronaut.kernels,
                                                              input: Astronaut.input, padding: .same, threshold: decimal("0.9974394"),
                                                              eigenvalues: (13.4, 19131.5), provenance: p))
        #expect(swiftCode(ok.encoded()) == 0)
        var forged = ok
        forged.claimed = forged.claimed.map { $0.key == "feature_cosine_at_least" ? JSONMember($0.key, .string("0.9974399")) : $0 }
        #expect(swiftCode(forged.encoded()) == 1)
    }

    /// Valid certificates whose exact values pass 2⁶³ (input ×2⁴⁰, kernels ×2³⁰) replay correctly.
    @Test func largeIntegersReplay() throws {
        let x = Signal(channels: 3, height: 4, width: 4, values: Astronaut.input.values.map { $0 * 0x1p40 })
        let k = KernelBank(count: 2, channels: 3, kernelHeight: 1, kernelWidth: 1, values: Astronaut.kernels.values.map { $0 * 0x1p30 })
        let c = try #require(SimilarPairVerifier.certificate(kind: .orthogonalKernelsSimilarFeatureMaps, kernels: k, input: x, padding: .same,
                                                             threshold: Rational(9, 10), eigenvalues: (13.4 * 0x1p80, 19131.5 * 0x1p80),
                                                             provenance: Provenance()))
        let g01 = try #require(c.claimed.first { $0.key == "gram" }?.value["g01"])
        #expect(g01 == .string((BigInt(12627) << 140).description))
        #expect(swiftCode(c.encoded()) == 0)
        // Kernels of 1e17 and 1e308 (the regression files' values) go through BigInt without a trap.
        let huge = KernelBank(count: 2, channels: 1, kernelHeight: 2, kernelWidth: 2, values: [0, 1e308, 1e308, 0, 1e308, 0, 0, 1e308])
        let y = Signal(channels: 1, height: 2, width: 2, values: [100, 100, 100, 99])
        let hc = try #require(SimilarPairVerifier.certificate(kind: .orthogonalKernelsSimilarFeatureMaps, kernels: huge, input: y, padding: .same,
                                                              threshold: Rational(1, 2), provenance: Provenance()))
        #expect(swiftCode(hc.encoded()) == 0)
    }

    /// Every file that broke the old checker, and its port to format 2: exit 1, 2 or 3 with a
    /// message, never a trap, each in under 2 s.
    @Test func regressionFiles() throws {
        let files = try regressionCertificates()
        #expect(files.count >= 27)
        for path in files {
            let f = (path as NSString).lastPathComponent
            let t0 = Date()
            let code: Int32
            do { code = try checker.verify(path: path).exitCode } catch let e as CertificateError {
                #expect(!e.description.isEmpty)
                switch e { case .malformed: code = 2; case .overLimit: code = 3 }
            }
            #expect([1, 2, 3].contains(code), "\(f): exit \(code)")
            #expect(Date().timeIntervalSince(t0) < 2, "\(f) took \(Date().timeIntervalSince(t0)) s")
        }
    }

    @Test("well formed first, then the limits: over the work limit is refused naming --max-work; a malformed one is malformed")
    func workLimit() throws {
        let c = try #require(SimilarPairVerifier.certificate(kind: .orthogonalKernelsSimilarFeatureMaps, kernels: Astronaut.kernels,
                                                             input: Astronaut.input, padding: .same, threshold: Rational(9, 10),
                                                             provenance: Provenance()))
        var tight = checker
        tight.maxWork = CertificateChecker.baseWork(c) - 1
        do { _ = try tight.verify(c, path: "t"); Issue.record("not refused") } catch let e as CertificateError {
            guard case .overLimit = e else { Issue.record("\(e)"); return }
            #expect(e.description.contains("--max-work"))
        }
        tight.maxWork = CertificateChecker.baseWork(c)
        #expect(try tight.verify(c, path: "t").holds)
        var bad = c
        bad.claimed = []
        tight.maxWork = 1
        do { _ = try tight.verify(bad, path: "t"); Issue.record("not refused") } catch let e as CertificateError {
            guard case .malformed = e else { Issue.record("\(e)"); return }
        }
    }
}
