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

    /// The budget of `withThreads`, for its body's task only.
    @TaskLocal private static var scoped: Int?

    /// Worker threads for the toolkit's loops (at least 1; default: the active processors):
    /// the budget of the enclosing `withThreads`, else the process's (`setThreads`).
    package static var threads: Int {
        if let n = scoped { return n }
        lock.lock(); defer { lock.unlock() }
        return budget
    }

    /// Sets the thread budget for the toolkit's loops (`--threads`).
    package static func setThreads(_ n: Int) {
        let n = max(1, n)
        lock.lock(); budget = n; lock.unlock()
    }

    /// `body()` with the thread budget `n` (how the tests compare one computation across thread
    /// counts). The budget is a task-local value, not the process's: tests running side by side
    /// each see their own (one that read the process's budget could see another test's, and an
    /// assertion on the transforms built for its budget failed now and then). Parallel loops
    /// started from inside a worker of `body` see the process's budget.
    package static func withThreads<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
        try $scoped.withValue(max(1, n)) { try body() }
    }

    /// Runs `body(block)` for every block in `0..<blocks`, on at most `threads` threads. Blocks
    /// are independent; each writes only its own results.
    package static func forEach(blocks: Int, _ body: @Sendable (Int) -> Void) {
        spread(blocks, body) { w, workers in
            var b = w
            while b < blocks { body(b); b += workers }
        }
    }

    /// Runs `body(task)` for every task in `0..<tasks`, on at most `threads` threads, each
    /// thread taking the next task no thread has taken yet: for tasks of unequal cost (one of
    /// them a file write, say). The caller's results must not depend on which thread runs a task.
    package static func forEachDynamic(tasks: Int, _ body: @Sendable (Int) -> Void) {
        let counter = TaskCounter()
        spread(tasks, body) { _, _ in
            while let t = counter.take(below: tasks) { body(t) }
        }
    }

    /// `worker(w, workers)` on `workers = min(n, threads)` threads; with one, `body` over `0..<n`
    /// in order on the calling thread.
    private static func spread(_ n: Int, _ body: @Sendable (Int) -> Void, worker: @Sendable (Int, Int) -> Void) {
        guard n > 0 else { return }
        let workers = min(n, threads)
        if workers == 1 {
            for i in 0..<n { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { w in worker(w, workers) }
    }

    /// Starts the worker pool's threads now (a parallel loop of empty iterations), so that the
    /// next parallel loops find them idle instead of starting them: for a caller about to run
    /// something that would make thread starts wait (`OpenBLAS.preload`).
    package static func warmUp() {
        let n = threads
        guard n > 1 else { return }
        DispatchQueue.concurrentPerform(iterations: n) { _ in }
    }

    /// Runs `body` on a thread of its own (not one of the pool's, which stay free for the
    /// parallel loops), started now and not waited for: a one-off job to overlap with the
    /// caller's (an early file read, a library load). Where no thread can be started, on the pool.
    package static func background(_ body: @escaping @Sendable () -> Void) {
        let job = Unmanaged.passRetained(BackgroundJob(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<BackgroundJob>.fromOpaque(raw).takeRetainedValue().body()
            return nil
        }, job)
        if started == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<BackgroundJob>.fromOpaque(job).release()
            DispatchQueue.global().async(execute: body)
        }
    }

    /// `body(block)` for every block in `0..<blocks`, as `forEach` runs them, with the results
    /// returned in block order (each block's result written once, by the worker that made it).
    package static func map<T>(blocks: Int, _ body: @Sendable (Int) -> T) -> [T] {
        let slots = Slots<T>(count: max(blocks, 0))
        forEach(blocks: blocks) { b in slots.set(b, body(b)) }
        return slots.values
    }

    /// `body(block)` for every block in `0..<blocks` on the workers, `wave` blocks at a time (so
    /// that at most `wave` results are held at once), each result handed to `fold` on this thread
    /// in block order, then `afterWave(blocks done)`. The first error, in block order, is thrown.
    /// With a deterministic `fold`, the outcome does not depend on the thread count.
    package static func foldInWaves<T>(blocks: Int, wave: Int, _ body: @Sendable (Int) throws -> T,
                                       fold: (T) throws -> Void, afterWave: ((Int) -> Void)? = nil) throws {
        var start = 0
        while start < blocks {
            let n = Swift.min(Swift.max(wave, 1), blocks - start), first = start
            let results = map(blocks: n) { k in Result { try body(first + k) } }
            guard results.count == n else {
                throw ConvSimError.invalidArgument("internal: \(n - results.count) block(s) from \(first) produced no result")
            }
            for r in results { try fold(r.get()) }
            start += n
            afterWave?(start)
        }
    }
}

/// The job of a `Parallel.background` thread.
private final class BackgroundJob {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// One result slot per block of `Parallel.map` (each written by one worker, read after all
/// have finished).
private final class Slots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ value: T) { lock.lock(); slots[k] = value; lock.unlock() }
    /// Every slot's value (all are set once `forEach` returns).
    var values: [T] { lock.lock(); defer { lock.unlock() }; return slots.compactMap { $0 } }
}

/// The next untaken task of `Parallel.forEachDynamic`.
private final class TaskCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    func take(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < limit else { return nil }
        next += 1
        return next - 1
    }
}
