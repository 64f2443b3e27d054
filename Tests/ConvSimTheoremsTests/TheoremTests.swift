import BigInt
import ConvSimCertificates
import ConvSimCore
import ConvSimTheorems
import PropertyBased
import Testing

/// A one-line summary of the failing checks, with the shrunk instance, for `#expect` messages.
func failures(_ results: [CheckResult]) -> String {
    results.filter { !$0.passed }.map { r in
        "\(r.id) [\(r.evidence.rawValue)] \(r.name): max discrepancy \(r.maxDiscrepancy), bound \(r.bound)"
            + (r.counterexample.map { "\nsmallest failing instance:\n\($0)" } ?? "")
    }.joined(separator: "\n")
}

@Suite("Theorems hold through the registry's checkers")
struct TheoremRegistryTests {
    @Test("every theorem passes every check (small trial count)", arguments: TheoremRegistry.ids)
    func theoremHolds(_ id: String) throws {
        let ctx = VerificationContext(trials: 3, seed: 11)
        let results = try TheoremRegistry.run(ids: [id], context: ctx)
        #expect(!results.isEmpty)
        #expect(results.allSatisfy { $0.passed }, "\(failures(results))")
        // All three levels of evidence appear for the identities.
        if ["T1", "T1b", "T2"].contains(id) {
            #expect(Set(results.map(\.evidence)) == Set(EvidenceLevel.allCases))
        }
    }

    @Test("unknown ids are refused with the list of known ones")
    func unknownId() {
        #expect(throws: ConvSimError.self) { try TheoremRegistry.run(ids: ["T9"], context: VerificationContext(trials: 1, seed: 1)) }
        do { _ = try TheoremRegistry.run(ids: ["T9"], context: VerificationContext(trials: 1, seed: 1)) } catch {
            #expect("\(error)".contains("T1, T1b, T2, T3, T4, T5, T6"))
        }
    }

    @Test("same seed ⇒ same results")
    func deterministic() throws {
        func run() throws -> String {
            try TheoremRegistry.run(ids: ["T1", "T4"], context: VerificationContext(trials: 2, seed: 5))
                .map { "\($0.id) \($0.name) \($0.maxDiscrepancy) \($0.bound) \($0.details.map { "\($0.0)=\($0.1)" })" }.joined(separator: "\n")
        }
        #expect(try run() == run())
    }

    @Test("T1 exactly, property-based over channels, kernel and input sizes, padding")
    func t1Property() async {
        let checker = CorrelationIdentityTheorem().checker
        await propertyCheck(count: 25, input: Gen.int(in: 1...3), Gen.int(in: 1...4), Gen.int(in: 0...4), Gen.int(in: 0...1000)) { c, k, extra, seed in
            var rng = SeededRandom(seed: UInt64(seed))
            let l = k + extra
            let inst = TheoremInstance(
                kernels: KernelBank(count: 2, channels: c, kernelHeight: 1, kernelWidth: k,
                                    values: (0..<(2 * c * k)).map { _ in Double(rng.integer(in: -9...9)) }),
                input: Signal(channels: c, height: 1, width: l, values: (0..<(c * l)).map { _ in Double(rng.integer(in: -9...9)) }),
                padding: seed % 2 == 0 ? .full : .circular, origin: "property")
            #expect(checker.exactFails(inst) == false, "\(inst)")
            let ev = checker.floatEvaluation(inst)
            #expect(!ev.formulaFails && !ev.engineFails, "\(inst)")
        }
    }

    @Test("T2 and T1b exactly, property-based, 2-D")
    func t2t1bProperty() async {
        await propertyCheck(count: 15, input: Gen.int(in: 1...2), Gen.int(in: 1...3), Gen.int(in: 0...3), Gen.int(in: 0...1000)) { c, k, extra, seed in
            var rng = SeededRandom(seed: UInt64(seed))
            let h = k + extra
            let kb = KernelBank(count: 2, channels: c, kernelHeight: k, kernelWidth: k,
                                values: (0..<(2 * c * k * k)).map { _ in Double(rng.integer(in: -5...5)) })
            let x = Signal(channels: c, height: h, width: h, values: (0..<(c * h * h)).map { _ in Double(rng.integer(in: -5...5)) })
            for p in Padding.allCases {
                let inst = TheoremInstance(kernels: kb, input: x, padding: p, origin: "property")
                #expect(BoundaryCorrectionTheorem().checker.exactFails(inst) == false, "T1b \(inst)")
                if p == .full || p == .circular {
                    #expect(SymmetricPartTheorem().checker.exactFails(inst) == false, "T2 \(inst)")
                }
            }
        }
    }

    @Test("a T1 certificate under valid padding replays as a real counterexample (hypothesis not met); a correct instance does not")
    func replay() throws {
        let k = KernelBank(oneDimensional: [[[1, 2, 3]], [[-1, 0, 2]]])
        let x = Signal(oneDimensional: [[1, 2, 3, 4, 5]])
        let ctx = VerificationContext(trials: 1, seed: 3)
        let checker = CertificateChecker([TheoremCertificates.verifier])
        let bad = TheoremRegistry.certificate(id: "T1", instance: TheoremInstance(kernels: k, input: x, padding: .valid, origin: "test"), context: ctx)
        #expect(try checker.verify(bad, path: "bad").holds)
        let good = TheoremRegistry.certificate(id: "T1", instance: TheoremInstance(kernels: k, input: x, padding: .full, origin: "test"), context: ctx)
        let r = try checker.verify(good, path: "good")
        #expect(!r.holds, "\(r.checks)")
        // Round trip through the file format.
        let decoded = try Certificate.decode(bad.encoded(), path: "round trip")
        #expect(decoded == bad)
        #expect(try checker.verify(decoded, path: "decoded").holds)
    }
}

@Suite("Polynomial machinery")
struct PolynomialTests {
    @Test("expansion and evaluation")
    func basics() {
        let x = Polynomial(variable: 0), y = Polynomial(variable: 1)
        let p = (x + y) * (x + y) - x * x - y * y
        #expect(p == Polynomial(integer: 2) * x * y)
        #expect(p.degree == 2)
        #expect(p.evaluate([3, 5]) == 30)
        #expect((x - x).isZero)
    }

    @Test("symbolic proof of T1 at 1-D k = 3, L = 4, and non-identity under valid padding")
    func symbolicT1() {
        let s = IdentityShape(channels: 2, kernelHeight: 1, kernelWidth: 3, height: 1, width: 4)
        let (l, r) = PolynomialIdentity.expand(CorrelationIdentity(), s, padding: .full)
        #expect(l == r)
        let (l2, r2) = PolynomialIdentity.expand(CorrelationIdentity(), s, padding: .valid)
        #expect(l2 != r2)
        #expect(PolynomialIdentity.perTrialFalsePass == 4 / 0x1p40)
    }
}

// MARK: - Verification of the verifier: a test-only copy of the closed form with seeded bugs.

/// Off-by-one lag: pairs `T(d)` with `R(d + 1)` along the width.
struct OffByOneLag: PairFormula {
    var name: String { "mutant: off-by-one lag" }
    var multiplier: Int { 1 }
    func evaluate<R: TheoremRing>(_ k: RingBank<R>, _ i: Int, _ j: Int, _ x: RingSignal<R>, padding: Padding, magnitude: Bool) -> R {
        var s = R.zero
        for c in 0..<k.channels { for c2 in 0..<k.channels {
            for dy in -(k.kernelHeight - 1)...(k.kernelHeight - 1) { for dx in -(k.kernelWidth - 1)...(k.kernelWidth - 1) {
                s = s + ClosedForms.kernelCorrelation(k, i, j, c, c2, dy, dx)
                    * ClosedForms.inputCorrelation(x, c, c2, dy, dx + 1, circular: padding.isCircular)
            } }
        } }
        return s
    }
}

/// Missing cross-channel term: only `c = c'` (the paper's same-channel view).
struct MissingCrossChannel: PairFormula {
    var name: String { "mutant: missing cross-channel term" }
    var multiplier: Int { 1 }
    func evaluate<R: TheoremRing>(_ k: RingBank<R>, _ i: Int, _ j: Int, _ x: RingSignal<R>, padding: Padding, magnitude: Bool) -> R {
        var s = R.zero
        for c in 0..<k.channels {
            for dy in -(k.kernelHeight - 1)...(k.kernelHeight - 1) { for dx in -(k.kernelWidth - 1)...(k.kernelWidth - 1) {
                s = s + ClosedForms.kernelCorrelation(k, i, j, c, c, dy, dx)
                    * ClosedForms.inputCorrelation(x, c, c, dy, dx, circular: padding.isCircular)
            } }
        }
        return s
    }
}

/// Sign error in the flipped term of `S`: `T(d) − T_c'c(−d)`.
struct FlippedSign: PairFormula {
    var name: String { "mutant: sign error in the flipped term of S" }
    var multiplier: Int { 2 }
    func evaluate<R: TheoremRing>(_ k: RingBank<R>, _ i: Int, _ j: Int, _ x: RingSignal<R>, padding: Padding, magnitude: Bool) -> R {
        var s = R.zero
        for c in 0..<k.channels { for c2 in 0..<k.channels {
            for dy in -(k.kernelHeight - 1)...(k.kernelHeight - 1) { for dx in -(k.kernelWidth - 1)...(k.kernelWidth - 1) {
                let t = ClosedForms.kernelCorrelation(k, i, j, c, c2, dy, dx)
                let f = ClosedForms.kernelCorrelation(k, i, j, c2, c, -dy, -dx)
                s = s + (magnitude ? t + f : t - f) * ClosedForms.inputCorrelation(x, c, c2, dy, dx, circular: padding.isCircular)
            } }
        } }
        return s
    }
}

/// Wrong padding offset in T1b's boundary term: the kept output offsets of same/valid padding
/// shifted by one (`o + 1`), so the wrong frame patches are subtracted.
struct WrongPaddingOffset: PairFormula {
    var name: String { "mutant: wrong padding offset in B^P" }
    var multiplier: Int { 1 }
    func boundary<R: TheoremRing>(_ x: RingSignal<R>, kh: Int, kw: Int, padding: Padding,
                                  _ c: Int, _ uy: Int, _ ux: Int, _ c2: Int, _ vy: Int, _ vx: Int) -> R {
        if padding == .full || padding == .circular { return R.zero }
        let fy = Padding.full.offsets(input: x.height, kernel: kh), fx = Padding.full.offsets(input: x.width, kernel: kw)
        let py0 = padding.offsets(input: x.height, kernel: kh), px0 = padding.offsets(input: x.width, kernel: kw)
        let py = (py0.lowerBound - 1)..<(py0.upperBound - 1), px = (px0.lowerBound - 1)..<(px0.upperBound - 1)
        var s = R.zero
        for sy in fy { for sx in fx where !(py.contains(sy) && px.contains(sx)) {
            s = s + x.padded(c, sy + uy, sx + ux, circular: false) * x.padded(c2, sy + vy, sx + vx, circular: false)
        } }
        return s
    }
    func evaluate<R: TheoremRing>(_ k: RingBank<R>, _ i: Int, _ j: Int, _ x: RingSignal<R>, padding: Padding, magnitude: Bool) -> R {
        let kh = k.kernelHeight, kw = k.kernelWidth
        var s = R.zero
        for c in 0..<k.channels { for uy in 0..<kh { for ux in 0..<kw {
            for c2 in 0..<k.channels { for vy in 0..<kh { for vx in 0..<kw {
                let r = ClosedForms.inputCorrelation(x, c, c2, vy - uy, vx - ux, circular: padding.isCircular)
                let b = boundary(x, kh: kh, kw: kw, padding: padding, c, uy, ux, c2, vy, vx)
                s = s + k[i, c, uy, ux] * k[j, c2, vy, vx] * (magnitude ? r + b : r - b)
            } } }
        } } }
        return s
    }
}

@Suite("Verification of the verifier: seeded bugs are caught")
struct MutantTests {
    static let mutants: [(String, any Theorem)] = [
        ("off-by-one lag (T1)", CorrelationIdentityTheorem(formula: OffByOneLag())),
        ("missing cross-channel term (T1)", CorrelationIdentityTheorem(formula: MissingCrossChannel())),
        ("sign error in the flipped term of S (T2)", SymmetricPartTheorem(formula: FlippedSign())),
        ("wrong padding offset (T1b)", BoundaryCorrectionTheorem(formula: WrongPaddingOffset())),
    ]

    @Test("each mutant is reported as fail at the float, exact and proof levels, with a shrunk instance and a certificate",
          arguments: 0..<4)
    func mutantFails(_ index: Int) throws {
        let (label, theorem) = Self.mutants[index]
        let results = theorem.check(VerificationContext(trials: 6, seed: 2))
        let failed = results.filter { !$0.passed }
        #expect(!failed.isEmpty, "\(label) was not caught")
        for level in EvidenceLevel.allCases {
            #expect(failed.contains { $0.evidence == level }, "\(label) not caught at the \(level) level")
        }
        // The shrunk instance is small, and its certificate replays: the reference closed form
        // holds there (the bug is in the mutant), so the claim "theorem fails" does not hold.
        let withInstance = failed.filter { $0.counterexample != nil && $0.evidence == .exact }
        #expect(!withInstance.isEmpty, "\(label): no failing instance")
        for r in withInstance {
            let inst = r.counterexample!
            print("[\(label)] \(r.name): smallest failing instance\n\(inst)")
            #expect(inst.kernels.channels <= 2 && inst.kernels.kernelLength <= 6 && inst.input.values.count <= 12,
                    "\(label): instance not shrunk:\n\(inst)")
            let cert = try #require(r.certificate)
            #expect(try CertificateChecker([TheoremCertificates.verifier]).verify(cert, path: label).holds == false)
        }
    }

    @Test("the reference closed forms pass the same checks")
    func referencesPass() {
        for t in [CorrelationIdentityTheorem(), SymmetricPartTheorem(), BoundaryCorrectionTheorem()] as [any Theorem] {
            let r = t.check(VerificationContext(trials: 6, seed: 2))
            #expect(r.allSatisfy { $0.passed }, "\(failures(r))")
        }
    }
}
