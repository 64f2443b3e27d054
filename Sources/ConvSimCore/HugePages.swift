#if canImport(Glibc)
import Glibc
#endif

/// Large buffers on 2 MiB pages. A one-shot command spends much of its time faulting in fresh
/// memory page by page: first touch of a 19 MB array is 4 600 page faults, each zeroing 4 KiB
/// (about 10 ms on this machine kind, the size of the computation it serves). Where Linux runs
/// transparent huge pages in `madvise` mode (the common default), a buffer advised with
/// `MADV_HUGEPAGE` before its first touch is faulted 2 MiB at a time instead: the same bytes,
/// about a quarter of the time (measured: 10.9 → 2.8 ms for 18 MiB). Advice only: where the
/// kernel has no such pages, nothing changes.
package enum HugePages {
    /// Buffers below this size are left alone (a huge page needs a 2 MiB-aligned 2 MiB range).
    package static let threshold = 4 << 20

    /// Advises the whole 2 MiB-aligned pages inside `[p, p + bytes)`; call before first touch.
    package static func advise(_ p: UnsafeMutableRawPointer, bytes: Int) {
        #if os(Linux)
        guard bytes >= threshold else { return }
        let huge = 2 << 20
        let start = (UInt(bitPattern: p) + UInt(huge - 1)) & ~UInt(huge - 1)
        let end = (UInt(bitPattern: p) + UInt(bytes)) & ~UInt(huge - 1)
        guard end > start, let base = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(base, Int(end - start), MADV_HUGEPAGE)
        #endif
    }

    /// An array of `count` doubles that `fill` initializes completely (every element written),
    /// on huge pages when large.
    package static func doubles(count: Int, _ fill: (UnsafeMutableBufferPointer<Double>) throws -> Void) rethrows -> [Double] {
        try [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress { advise(UnsafeMutableRawPointer(base), bytes: count * MemoryLayout<Double>.stride) }
            try fill(UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            initialized = count
        }
    }

    /// `count` zeros, on huge pages when large.
    package static func zeros(count: Int) -> [Double] {
        doubles(count: count) { $0.initialize(repeating: 0) }
    }

    /// The part of the heap `keepFreedMemory` puts on huge pages.
    static let heapOnHugePages = 48 << 20

    /// Lets glibc's `malloc` reuse freed memory instead of handing it back: blocks up to 64 MiB
    /// come from the heap (not a fresh `mmap` each, which the kernel faults in and zeroes page by
    /// page and `free` unmaps), and the heap is not trimmed below 256 MiB of free space. A
    /// command's temporaries (the Gram's M×M matrices, the CS gradient's buffers) then land on
    /// pages already faulted in: `gram` on one 512×512 image with 512 kernels went from 3,690 to
    /// 2,600 page faults and ~3 ms less. Called once, first thing, by the CLI; the numbers are
    /// the same, only where they live changes. (Only the CLI calls it: it changes the process's
    /// allocator for good.)
    package static func keepFreedMemory() {
        // `mallopt` and its parameters (<malloc.h>): M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let mallopt = CLibrary.function("mallopt", as: Mallopt.self) else { return }
        _ = mallopt(-3, 64 << 20)
        _ = mallopt(-1, 256 << 20)
        // The heap's first 48 MiB on 2 MiB pages: grown once (untouched, so nothing is faulted
        // in), advised, and freed back to the heap, where the next allocations are carved from it.
        // A command's many arrays below `threshold` (the M×M matrices of a Gram at M = 512 are
        // 2 MiB each) are then faulted 2 MiB at a time instead of 4 KiB: `gram` on one 512×512
        // image with 512 kernels ~1.5 ms faster end to end (of ~23 ms).
        if let p = malloc(heapOnHugePages) { advise(p, bytes: heapOnHugePages); free(p) }
    }
}

/// A zeroed buffer of doubles that is not written to be zeroed: `calloc` hands out fresh
/// mappings, which the kernel zeroes as it faults them in, without a pass of `memset`
/// (the spectra of one 512×512 image were a 20 MB memset, then the same pages faulted again);
/// advised onto huge pages when large. Freed with its owner.
package final class ZeroedDoubles: @unchecked Sendable {
    package let pointer: UnsafeMutablePointer<Double>
    package let count: Int

    /// Nil when the memory cannot be had.
    package init?(count: Int) {
        guard count >= 0, count <= Int.max / 8 else { return nil }
        guard let raw = calloc(max(count, 1), MemoryLayout<Double>.stride) else { return nil }
        HugePages.advise(raw, bytes: count * MemoryLayout<Double>.stride)
        pointer = raw.bindMemory(to: Double.self, capacity: max(count, 1))
        self.count = count
    }

    deinit { free(pointer) }
}
