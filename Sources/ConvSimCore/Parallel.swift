import CLAPACK
import Foundation

/// The toolkit's parallel loops and their thread budget (`--threads N`).
///
/// Every parallel computation splits its work into a fixed number of blocks that does not
/// depend on the thread count, and merges the blocks' results in block order; so the result
/// is the same bytes for any `threads` (only the time changes). OpenBLAS's own threads are
/// set to the same budget: its results may depend on its thread count, so "same seed, same
/// bytes" holds for one machine and one thread setting (Documentation/Theory.md#determinism).
package enum Parallel {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var budget = ProcessInfo.processInfo.activeProcessorCount

    /// Worker threads for the toolkit's loops (at least 1; default: the active processors).
    package static var threads: Int {
        lock.lock(); defer { lock.unlock() }
        return budget
    }

    /// Sets the thread budget for the toolkit's loops and, with `blas` (the CLI's `--threads`),
    /// for OpenBLAS. (Tests that vary the budget leave OpenBLAS alone: its thread count may
    /// change its rounding, and other tests run at the same time.)
    package static func setThreads(_ n: Int, blas: Bool = true) {
        let n = max(1, n)
        lock.lock(); budget = n; lock.unlock()
        if blas { openblas_set_num_threads(Int32(clamping: n)) }
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
        // The workers already fill the budget: BLAS calls inside the blocks run on one thread
        // each (OpenBLAS's own threads would oversubscribe the cores and spin in sched_yield).
        enterParallelRegion()
        defer { leaveParallelRegion() }
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var b = w
            while b < blocks { body(b); b += workers }
        }
    }

    nonisolated(unsafe) private static var regions = 0
    nonisolated(unsafe) private static var savedBLASThreads: Int32 = 1

    private static func enterParallelRegion() {
        lock.lock(); defer { lock.unlock() }
        if regions == 0 {
            savedBLASThreads = openblas_get_num_threads()
            openblas_set_num_threads(1)
        }
        regions += 1
    }

    private static func leaveParallelRegion() {
        lock.lock(); defer { lock.unlock() }
        regions -= 1
        if regions == 0 { openblas_set_num_threads(savedBLASThreads) }
    }
}
