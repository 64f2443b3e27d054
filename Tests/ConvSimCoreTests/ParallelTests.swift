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
