import CLAPACK
import Foundation

/// The toolkit's parallel loops and their thread budget (`--threads N`).
///
/// Every parallel computation splits its work into a fixed number of blocks that does not
/// depend on the thread count, and merges the blocks' results in block order; so the result
/// is the same bytes for any `threads` (only the time changes). The CLI runs OpenBLAS on one
/// thread (`quietBLAS`): the blocks already use the cores, and OpenBLAS's own threads only
/// competed with them (Documentation/Theory.md#determinism).
package enum Parallel {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var budget = ProcessInfo.processInfo.activeProcessorCount

    /// Worker threads for the toolkit's loops (at least 1; default: the active processors).
    package static var threads: Int {
        lock.lock(); defer { lock.unlock() }
        return budget
    }

    /// Sets the thread budget for the toolkit's loops (`--threads`).
    package static func setThreads(_ n: Int) {
        let n = max(1, n)
        lock.lock(); budget = n; lock.unlock()
    }

    /// OpenBLAS on one thread, and its thread pool stopped: the pthread build starts the pool
    /// when the library loads, and its idle workers spin in `sched_yield` for about 0.1 s, then
    /// after every threaded call — a core taken from the toolkit's own blocks (a fifth of a
    /// short run's profile, and the in-process CS twice as slow). The CLI calls this first.
    /// `blas_thread_shutdown_` is looked up at run time (the OpenMP and serial builds of
    /// OpenBLAS have no pool and no such symbol). Nothing may call `openblas_set_num_threads`
    /// afterwards: it re-creates a stopped pool. BLAS results then never depend on `--threads`.
    package static func quietBLAS() {
        openblas_set_num_threads(1)
        typealias Shutdown = @convention(c) () -> Int32
        if let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_thread_shutdown_") {   // RTLD_DEFAULT
            _ = unsafeBitCast(f, to: Shutdown.self)()
        }
    }

    /// Runs `body(block)` for every block in `0..<blocks`, on at most `threads` threads. Blocks
    /// are independent; each writes only its own results.
    package static func forEach(blocks: Int, _ body: @Sendable (Int) -> Void) {
        guard blocks > 0 else { return }
        let workers = min(blocks, threads)
        if workers == 1 {
            for b in 0..<blocks { body(b) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var b = w
            while b < blocks { body(b); b += workers }
        }
    }
}
