import CFFTW
import ConvSimCore
import Foundation

/// A 2-D real-to-complex / complex-to-real FFTW transform pair of size `n1×n2`
/// with its own aligned buffers. Plans are made once (FFTW_ESTIMATE, so the
/// chosen algorithm — and hence every rounded bit — is the same on every run)
/// and executed many times: keep one instance per shape, out of hot loops.
///
/// FFTW's planner is not thread-safe, so plan creation and destruction go
/// through one process-wide lock; execution on distinct instances is safe
/// (hence `@unchecked Sendable`: an instance goes to one worker at a time).
public final class RealFFT2D: @unchecked Sendable {
    public let n1: Int
    public let n2: Int
    /// Number of complex outputs per row of the half spectrum, `n2/2 + 1`.
    public let halfWidth: Int
    /// Real buffer, `n1·n2` values, row-major.
    public let real: UnsafeMutablePointer<Double>
    /// Half spectrum, `n1·halfWidth` complex values as interleaved (re, im).
    public let spectrum: UnsafeMutablePointer<Double>
    private let complexBuffer: UnsafeMutablePointer<fftw_complex>
    private let forwardPlan: fftw_plan
    private let backwardPlan: fftw_plan

    static let plannerLock = NSLock()
    /// `FFTW_ESTIMATE` = `1U << 6` in fftw3.h.
    static let estimate: UInt32 = 1 << 6

    /// - Throws: `invalidArgument` for a size that is not positive or too large for FFTW's
    ///   `int` dimensions, `outOfMemory` when the buffers cannot be allocated or FFTW cannot
    ///   plan (both return NULL under memory pressure).
    public init(_ n1: Int, _ n2: Int) throws {
        let what = "a \(n1)×\(n2) FFT"
        guard n1 > 0, n2 > 0, n1 <= Int(Int32.max), n2 <= Int(Int32.max) else {
            throw ConvSimError.invalidArgument("cannot plan \(what): each size must be in 1…\(Int32.max)")
        }
        let (count, o1) = n1.multipliedReportingOverflow(by: n2)
        let (complexCount, o2) = n1.multipliedReportingOverflow(by: n2 / 2 + 1)
        guard !o1, !o2, count <= Int.max / 16, complexCount <= Int.max / 16 else {
            throw ConvSimError.outOfMemory(what: "\(what) needs more than \(Int.max) bytes")
        }
        guard let r = fftw_alloc_real(count) else {
            throw ConvSimError.outOfMemory(what: "\(what) needs \(count * 8) bytes for its real buffer")
        }
        guard let c = fftw_alloc_complex(complexCount) else {
            fftw_free(r)
            throw ConvSimError.outOfMemory(what: "\(what) needs \(complexCount * 16) bytes for its spectrum")
        }
        RealFFT2D.plannerLock.lock()
        let f = fftw_plan_dft_r2c_2d(Int32(n1), Int32(n2), r, c, RealFFT2D.estimate)
        let b = fftw_plan_dft_c2r_2d(Int32(n1), Int32(n2), c, r, RealFFT2D.estimate)
        guard let f, let b else {
            if let f { fftw_destroy_plan(f) }
            if let b { fftw_destroy_plan(b) }
            RealFFT2D.plannerLock.unlock()
            fftw_free(r); fftw_free(c)
            throw ConvSimError.outOfMemory(what: "FFTW could not plan \(what)")
        }
        RealFFT2D.plannerLock.unlock()
        self.n1 = n1
        self.n2 = n2
        self.halfWidth = n2 / 2 + 1
        real = r
        complexBuffer = c
        spectrum = UnsafeMutableRawPointer(c).bindMemory(to: Double.self, capacity: 2 * complexCount)
        forwardPlan = f
        backwardPlan = b
    }

    deinit {
        RealFFT2D.plannerLock.lock()
        fftw_destroy_plan(forwardPlan)
        fftw_destroy_plan(backwardPlan)
        RealFFT2D.plannerLock.unlock()
        fftw_free(real)
        fftw_free(complexBuffer)
    }

    /// `spectrum ← DFT(real)` (unnormalized, `e^{−2πi ω·q/n}`); `real` is not preserved.
    public func forward() { fftw_execute(forwardPlan) }

    /// `real ← n·IDFT(spectrum)` (unnormalized); `spectrum` is destroyed.
    public func backward() { fftw_execute(backwardPlan) }

    /// Total number of real samples `n = n1·n2`.
    public var count: Int { n1 * n2 }

    /// The smallest integer `≥ n` whose prime factors are all 2, 3 or 5 — sizes
    /// FFTW transforms with its fastest codelets and that the error model of
    /// `FFTErrorModel` covers with small radices.
    public static func smoothSize(atLeast n: Int) -> Int {
        var m = max(1, n)
        while true {
            var r = m
            for p in [2, 3, 5] { while r % p == 0 { r /= p } }
            if r == 1 { return m }
            m += 1
        }
    }
}
