import Foundation
import Testing
@testable import ConvSimCore

/// `Parallel.forEachDynamic`: every task runs exactly once, for any task count and thread budget.
@Suite struct ParallelTests {
    final class Counts: @unchecked Sendable {
        let lock = NSLock()
        var runs: [Int]
        init(_ n: Int) { runs = Array(repeating: 0, count: n) }
        func hit(_ t: Int) { lock.lock(); runs[t] += 1; lock.unlock() }
    }

    @Test func dynamicRunsEveryTaskOnce() {
        for threads in [1, 2, 3, 8] {
            for tasks in [0, 1, 2, 3, 9, 100] {
                let counts = Counts(tasks)
                Parallel.withThreads(threads) {
                    Parallel.forEachDynamic(tasks: tasks) { t in
                        if t % 3 == 0 { usleep(200) }   // unequal costs
                        counts.hit(t)
                    }
                }
                #expect(counts.runs == Array(repeating: 1, count: tasks), "\(tasks) tasks on \(threads) threads")
            }
        }
    }
}

/// `Parallel.background`: the job runs once, on a thread other than the caller's, without the
/// caller waiting for it; and a parallel loop started while it runs does not wait for it either.
@Suite struct BackgroundTests {
    @Test func runsOnceOnAnotherThreadWithoutBlockingTheCaller() {
        final class Box: @unchecked Sendable { var runs = 0; var sameThread = true }
        let box = Box(), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        let caller = pthread_self()
        Parallel.background {
            box.runs += 1
            box.sameThread = pthread_equal(pthread_self(), caller) != 0
            release.wait()   // the job holds on until the caller says so: the caller must not be waiting for it
            done.signal()
        }
        // The caller goes on (a parallel loop included) while the job is still held.
        let sums = Parallel.map(blocks: 4) { $0 * 2 }
        #expect(sums == [0, 2, 4, 6])
        release.signal()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(box.runs == 1)
        #expect(!box.sameThread)
    }
}
