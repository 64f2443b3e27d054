import BigInt
import ConvSimCertificates
import ConvSimCore
import ConvSimCorrelation
import ConvSimIO
import ConvSimSearch
import Foundation
import Testing

/// Dataset certificates (`orthogonal-kernels-similar-dataset-feature-maps`, `search --stats`):
/// what the search writes holds; the verifier's claim holds for every patch Gram in the box
/// (checked at the box's extreme corners in exact arithmetic); tampered data are refused.
@Suite struct DatasetCertificateTests {
    /// Statistics of `n` random 8-bit images (C channels, H×W) for k×k kernels.
    static func statistics(seed: UInt64, n: Int, channels c: Int, height h: Int, width w: Int, k: Int, padding: Padding) throws -> StatsFile {
        var rng = SeededRandom(seed: seed)
        let b = StatsBuilder(channels: c, kernelHeight: k, kernelWidth: k, padding: padding, blockSize: 4)
        for i in 0..<n {
            // Smooth images (a ramp plus noise): a badly conditioned patch Gram, as natural images have.
            let base = Double(rng.integer(in: 0...128))
            let v = (0..<(c * h * w)).map { t in (base + Double(t % w) * 6 + Double(rng.integer(in: 0...20))) / 255 }
            try b.add(Signal(channels: c, height: h, width: w, values: v), name: "x\(i)")
        }
        return b.finish()
    }

    @Test("search --stats: every certificate it writes decodes, holds, and names its statistics")
    func searchCertificatesHold() throws {
        for (seed, padding) in [(UInt64(1), Padding.same), (2, .valid), (3, .full), (4, .circular)] {
            let file = try Self.statistics(seed: seed, n: 9, channels: 2, height: 9, width: 8, k: 3, padding: padding)
            let gram = try DatasetStatistics.patchGram(file)
            let cfg = DatasetSearch.Config(strategies: DatasetSearch.names, trials: 200, seed: seed, threshold: Rational(9, 10),
                                           command: "test", statistics: "test statistics")
            let r = try DatasetSearch.run(gram: gram, config: cfg)
            #expect(r.randomCosines.count == 200 && r.gradientFinal.count == 2)
            #expect(r.gradientFinal.allSatisfy { $0 <= r.wielandtBound + 1e-9 } || cfg.bankSize > 2, "banks of 2 cannot pass T4's bound")
            #expect(r.findings.contains { $0.strategy == "adversarial" }, "the Wielandt pair is certified (\(padding))")
            for f in r.findings {
                let c = try #require(f.certificate)
                let back = try Certificate.decode(c.encoded(), path: "t")
                #expect(back == c)
                let o = try checker.verify(back, path: "t")
                #expect(o.holds, "\(f.strategy) \(padding): \(o.checks.filter { !$0.passed }.map(\.name))")
                let same = try DatasetPairVerifier.sameStatistics(back, path: "t", expected: gram.stated, padding: padding,
                                                                  channels: 2, kernelHeight: 3, kernelWidth: 3, source: "s")
                #expect(same.passed)
                // One bit of one value, or the padding, and the statistics are not these.
                var other = gram.stated
                other.values[5] = other.values[5].nextUp
                #expect(!(try DatasetPairVerifier.sameStatistics(back, path: "t", expected: other, padding: padding,
                                                                 channels: 2, kernelHeight: 3, kernelWidth: 3, source: "s")).passed)
                let otherPadding: Padding = padding == .same ? .valid : .same
                #expect(!(try DatasetPairVerifier.sameStatistics(back, path: "t", expected: gram.stated, padding: otherPadding,
                                                                 channels: 2, kernelHeight: 3, kernelWidth: 3, source: "s")).passed)
            }
        }
    }

    /// `xᵀ𝐆y` exactly.
    static func form(_ x: [Rational], _ g: [Rational], _ y: [Rational]) -> Rational {
        let n = x.count
        var s = Rational.zero
        for r in 0..<n where !x[r].isZero { for c in 0..<n where !y[c].isZero { s = s + x[r] * g[r * n + c] * y[c] } }
        return s
    }

    @Test("soundness: when the verifier accepts, |cos| ≥ τ at the box's extreme corners (exact), over 60 random instances")
    func acceptedClaimsHoldAtTheCorners() throws {
        var rng = SeededRandom(seed: 77)
        var accepted = 0, refused = 0
        for _ in 0..<60 {
            let c = rng.integer(in: 1...2), k = rng.integer(in: 1...2)
            let n = c * k * k
            guard n >= 2 else { continue }
            // A patch Gram from random integer patches, a bound of random size.
            var g = [Double](repeating: 0, count: n * n)
            let base = (0..<n).map { _ in Double(rng.integer(in: 1...9)) }
            for _ in 0..<20 {
                let p = base.map { $0 + Double(rng.integer(in: -2...2)) }
                for r in 0..<n { for s in 0..<n { g[r * n + s] += p[r] * p[s] } }
            }
            let scale = [0.0, 0.01, 0.5, 4, 20][rng.integer(in: 0...4)]
            let e = (0..<(n * n)).map { _ in scale * Double(rng.integer(in: 0...8)) / 8 }
            let stated = StatedPatchGram(order: n, values: g, bound: e)
            let a0 = (0..<n).map { _ in rng.gaussian() }, b0 = (0..<n).map { _ in rng.gaussian() }
            guard let (a, b) = IntegerPairs.orthogonal(a0, b0, scale: 6) else { continue }
            let bank = KernelBank(count: 2, channels: c, kernelHeight: k, kernelWidth: k, values: a + b)
            // τ just below the cosine on 𝐆 itself: the bound decides.
            let ra = a.map { Rational(exactly: $0) ?? .zero }, rb = b.map { Rational(exactly: $0) ?? .zero }
            let rg = g.map { Rational(exactly: $0) ?? .zero }, re = e.map { Rational(exactly: $0) ?? .zero }
            let cab = Self.form(ra, rg, rb), caa = Self.form(ra, rg, ra), cbb = Self.form(rb, rg, rb)
            let cos = abs(cab.approximate) / (caa.approximate * cbb.approximate).squareRoot()
            let tau = Rational(BigInt(Int64((cos * 1000).rounded(.down))), 1000)
            guard tau.sign > 0 else { continue }
            let enc = DatasetPairVerifier.enclosures(kernels: bank, gram: stated)
            #expect(enc.g01.lowerBound <= cab && cab <= enc.g01.upperBound)
            guard enc.cosineAtLeast(tau) else { refused += 1; continue }
            accepted += 1
            // Corners: each entry at 𝐆 ± E with the signs that push G_aa up, G_bb up, |G_ab| down.
            func sgn(_ r: Rational) -> Int { r.sign }
            let down = -sgn(cab)
            for corner in 0..<4 {
                var gs = rg
                for r in 0..<n { for s in 0..<n {
                    let i = r * n + s
                    let d: Int
                    switch corner {
                    case 0: d = sgn(ra[r] * ra[s])
                    case 1: d = sgn(rb[r] * rb[s])
                    case 2: d = down * sgn(ra[r] * rb[s])
                    default: d = rng.integer(in: -1...1)
                    }
                    gs[i] = rg[i] + Rational(d) * re[i]
                } }
                let gab = Self.form(ra, gs, rb), gaa = Self.form(ra, gs, ra), gbb = Self.form(rb, gs, rb)
                #expect(gaa.sign > 0 && gbb.sign > 0 && gab * gab >= tau * tau * gaa * gbb, "corner \(corner): the claim fails inside the box")
            }
            // The certificate written for it holds; one τ above the enclosure's reach does not.
            let cert = try #require(DatasetPairVerifier.certificate(kernels: bank, patchGram: stated, padding: .same, threshold: tau, provenance: Provenance()))
            #expect(try checker.verify(try Certificate.decode(cert.encoded(), path: "t"), path: "t").holds)
        }
        #expect(accepted >= 10 && refused >= 5, "both outcomes exercised: \(accepted) accepted, \(refused) refused")
    }

    /// A small true certificate (C = 1, 2×2 kernels) to tamper with.
    static func small() throws -> Certificate {
        let g: [Double] = [10, 9, 9, 8, 9, 12, 8, 9, 9, 8, 11, 9, 8, 9, 9, 14]
        let stated = StatedPatchGram(order: 4, values: g, bound: [Double](repeating: 0x1p-20, count: 16))
        // aᵀ𝐆a = 151, bᵀ𝐆b = 4, aᵀ𝐆b = −2: |cos| = 2/√604 ≈ 0.081.
        let bank = KernelBank(count: 2, channels: 1, kernelHeight: 2, kernelWidth: 2, values: [1, 1, 1, 1, 1, -1, 0, 0])
        return try #require(DatasetPairVerifier.certificate(kernels: bank, patchGram: stated, padding: .valid, threshold: Rational(1, 100),
                                                            provenance: Provenance()))
    }

    @Test("malformed data are refused before any arithmetic; a false τ or a narrow interval does not hold")
    func tamperedDataAreRefused() throws {
        let c = try Self.small()
        #expect(swiftCode(c.encoded()) == 0)
        let root = c.json
        func code(_ j: JSONValue) -> Int32 { swiftCode(Data(j.rendered().utf8)) }
        #expect(code(Tamper.set(root, ["data", "patch_gram", "bound", "3"], .number(-1))) == 2)
        #expect(code(Tamper.set(root, ["data", "patch_gram", "values", "3"], .string("NaN"))) == 2)
        #expect(code(Tamper.set(root, ["data", "patch_gram", "shape"], .array([.integer(2), .integer(8)]))) == 2)
        #expect(code(Tamper.set(root, ["data", "patch_gram", "bound"], .array([.number(0)]))) == 2)
        #expect(code(Tamper.set(root, ["data", "input"], .object([JSONMember("shape", .array([.integer(1), .integer(1), .integer(1)])),
                                                                  JSONMember("values", .array([.number(0)]))]))) == 2)
        #expect(code(Tamper.set(root, ["data", "patch_gram"], nil)) == 2)
        // patch_gram under another claim kind.
        #expect(code(Tamper.set(root, ["claim"], .string(ClaimKind.orthogonalKernelsSimilarFeatureMaps.rawValue))) == 2)
        #expect(code(Tamper.set(root, ["claimed", "feature_cosine_at_least"], .string("1"))) == 1)
        #expect(code(Tamper.set(root, ["claimed", "gram", "g01"], .object([JSONMember("lower", .string("1")), JSONMember("upper", .string("1"))]))) == 1)
        // A bound so wide that G_01's enclosure contains 0: the claim no longer holds.
        #expect(code(Tamper.set(root, ["data", "patch_gram", "bound"], .array([JSONValue](repeating: .number(100), count: 16)))) == 1)
        // The work W = 6·n² = 96 over a limit of 10: refused before any arithmetic.
        var limited = checker
        limited.maxWork = 10
        #expect(throws: CertificateError.self) { _ = try limited.verify(c, path: "t") }
    }

    @Test("replay --stats refuses to compare a certificate about an input")
    func sameStatisticsNeedsADatasetCertificate() throws {
        let imageCert = try #require(SimilarPairVerifier.certificate(kind: .orthogonalKernelsSimilarFeatureMaps, kernels: Astronaut.kernels,
                                                                     input: Astronaut.input, padding: .same, threshold: Rational(9, 10),
                                                                     provenance: Provenance()))
        let g = StatedPatchGram(order: 3, values: [Double](repeating: 1, count: 9), bound: [Double](repeating: 0, count: 9))
        #expect(throws: CertificateError.self) {
            _ = try DatasetPairVerifier.sameStatistics(imageCert, path: "t", expected: g, padding: .same, channels: 3, kernelHeight: 1,
                                                       kernelWidth: 1, source: "s")
        }
    }
}
