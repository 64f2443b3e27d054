import CLAPACK
import Foundation

/// The toolkit's parallel loops and their thread budget (`--threads N`).
///
/// Every parallel computation splits its work into a fixed number of blocks that does not
/// depend on the thread count, and merges the blocks' results in block order; so the result
/// is the same bytes for any `threads` (only the time changes). OpenBLAS runs on one thread
/// (`OpenBLAS`): the blocks already use the cores, and OpenBLAS's own threads only competed
/// with them (Documentation/Theory.md#determinism).
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
