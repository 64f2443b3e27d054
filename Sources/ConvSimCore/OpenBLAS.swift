import CLAPACK
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS (BLAS, and its own LAPACK), opened at its first use rather than linked.
///
/// Linked, OpenBLAS costs every start of the CLI about 2 ms — binding its 15,000 symbols and
/// those of libgfortran, and its constructor starting a thread pool whose idle worker spins in
/// `sched_yield` on the other core — whether or not the command does any linear algebra
/// (`convsim --version` was 6.7 ms, a third of it OpenBLAS). Opened here, only the commands
/// that multiply matrices pay, once.
///
/// On opening, OpenBLAS is put on one thread and its pool stopped (`blas_thread_shutdown_`,
/// where the build has one): the toolkit's own blocks already use the cores, and the pool's
/// spinning workers took a core from them (a fifth of a short run's profile, the in-process CS
/// twice as slow). Nothing calls `openblas_set_num_threads` afterwards — it would restart the
/// pool — so no BLAS result depends on `--threads` (Documentation/Theory.md#determinism).
///
/// Each function is resolved from the library by name, with the type of the library's own C
/// declaration (`shim.h`, `__typeof__`). A library that cannot be opened or lacks a function is
/// an installation problem, reported by name with its fix; the command then exits with status 2.
package enum OpenBLAS {
    /// The sonames tried, in order: Debian/Ubuntu and most distributions, then Fedora's pthread build.
    static let sonames = ["libopenblas.so.0", "libopenblasp.so.0", "libopenblas.so"]

    nonisolated(unsafe) static let handle: UnsafeMutableRawPointer = {
        var errors: [String] = []
        for name in sonames {
            if let h = dlopen(name, RTLD_NOW | RTLD_LOCAL) {
                if let f = dlsym(h, "openblas_set_num_threads") { unsafeBitCast(f, to: convsim_set_threads_fn.self)(1) }
                if let f = dlsym(h, "blas_thread_shutdown_") { _ = unsafeBitCast(f, to: convsim_shutdown_fn.self)() }
                return h
            }
            if let e = dlerror() { errors.append(String(cString: e)) }
        }
        fail("OpenBLAS could not be opened (\(errors.joined(separator: "; "))); install it: apt-get install libopenblas0 (or libopenblas-dev)")
    }()

    /// Opens the library now on a thread of its own, so that its `dlopen` — about 2.5 ms here,
    /// relocating a 36 MB library and libgfortran — overlaps the caller's own reading and
    /// decoding instead of stalling its first BLAS call (which then finds it open, or waits for
    /// the one opening: `handle` is initialized once). For commands that will multiply
    /// matrices; a missing library is still reported by name, with status 2. Only the first
    /// call does anything.
    ///
    /// While `dlopen` relocates, glibc's loader holds the lock that every new thread's TLS setup
    /// takes, so a thread started then waits for the whole `dlopen`, and so does its starter. So
    /// the threads come first: the toolkit's worker pool is started (`Parallel.warmUp`) and the
    /// library opened on a thread outside the pool, which the parallel loops then find idle.
    /// (Before: the `gram` CLI's main thread waited 1–2.5 ms in `pthread_create`, behind the
    /// `dlopen` of a second `preload` and of the pool's first parallel loop.)
    package static func preload() { _ = preloading }

    private static let preloading: Void = {
        Parallel.warmUp()
        Parallel.background { _ = handle }
    }()

    static func symbol<T>(_ name: String, as type: T.Type) -> T {
        guard let p = dlsym(handle, name) else {
            fail("OpenBLAS has no function \(name) (a build without it?); install Debian's or Ubuntu's libopenblas0")
        }
        return unsafeBitCast(p, to: type)
    }

    static func fail(_ message: String) -> Never {
        let bytes = Array("error: \(message)\n".utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        exit(2)
    }

    package static let dgemm = symbol("cblas_dgemm", as: convsim_dgemm_fn.self)
    package static let dsyrk = symbol("cblas_dsyrk", as: convsim_dsyrk_fn.self)
    package static let zgemm = symbol("cblas_zgemm", as: convsim_zgemm_fn.self)
    package static let zsyrk = symbol("cblas_zsyrk", as: convsim_zsyrk_fn.self)
    package static let zherk = symbol("cblas_zherk", as: convsim_zherk_fn.self)
    package static let dsyevd = symbol("dsyevd_", as: convsim_dsyevd_fn.self)
}
