import CMapGuard
import ConvSimCore
import Foundation

/// A little-endian float64 `.npy` file of 1 MiB or more, mapped read-only into memory and read
/// in place: no copy of its values, no buffer for them (`convsim cs --gradient` computes from
/// the page cache's own pages; a 19 MB bank is mapped in about 0.1 ms where reading it took
/// 2.5–5 ms).
///
/// **What can go wrong, and how it is caught.** A mapping shows the file as it is *now*, not
/// as it was when it was opened:
/// - another process that truncates the file makes a read past the new end raise `SIGBUS`;
///   the mapping is guarded (`CMapGuard`): the rest of it reads as zeros and is marked cut;
/// - another process that writes to the file changes the values under the computation.
///
/// Either way `verifyUnchanged()` throws — the guard saw a cut, or the file's size,
/// modification or status-change time is not what it was before the header was read — and the
/// caller must discard what it computed. (A read into a buffer cannot see a write made during
/// the read at all.)
public final class MappedNPY: @unchecked Sendable {
    /// The array's shape, as its header states it.
    public let shape: [Int]
    /// The values, `shape.reduce(1, *)` of them in C order, valid while `self` lives.
    public let values: UnsafeBufferPointer<Double>
    /// The file's path (for messages).
    public let path: String

    private let fd: Int32
    private let base: UnsafeMutableRawPointer
    private let length: Int
    private let slot: Int32
    private let status: stat

    private init(path: String, shape: [Int], fd: Int32, base: UnsafeMutableRawPointer, length: Int, slot: Int32,
                 status: stat, dataStart: Int, count: Int) {
        self.path = path; self.shape = shape; self.fd = fd; self.base = base; self.length = length
        self.slot = slot; self.status = status
        values = UnsafeBufferPointer(start: (base + dataStart).assumingMemoryBound(to: Double.self), count: count)
    }

    /// Maps `path` when it is a regular file of 1 MiB to `limit` bytes holding a little-endian
    /// float64 array whose data starts at a multiple of 8 bytes (NumPy aligns it to 64), on a
    /// little-endian machine; nil for every other file, and when the file cannot be opened,
    /// mapped or guarded (read it as usual instead).
    /// - Throws: the header's errors (`NPY.layout`: `.malformedFile`, `.unsupportedDType`).
    public static func open(path: String, limit: Int = 2 << 30) throws -> MappedNPY? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var keep = false
        defer { if !keep { close(fd) } }
        guard let (layout, status) = try NPY.float64Layout(fd: fd, path: path, limit: limit),
              layout.dataStart % MemoryLayout<Double>.alignment == 0,
              let length = Int(exactly: status.st_size), length > 0 else { return nil }
        // MAP_POPULATE: the page cache's pages mapped now, in one call, not one fault each.
        guard let raw = mmap(nil, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), raw != MAP_FAILED else { return nil }
        let slot = convsim_map_guard_add(raw, length)
        guard slot >= 0 else { munmap(raw, length); return nil }
        keep = true
        return MappedNPY(path: path, shape: layout.header.shape, fd: fd, base: raw, length: length, slot: slot,
                         status: status, dataStart: layout.dataStart, count: layout.count)
    }

    /// Throws `.malformedFile` naming the file when it was cut short or changed since it was
    /// opened (see the type's description); returns when everything read from `values` so far
    /// is the file's content as its header was read.
    public func verifyUnchanged() throws {
        if convsim_map_guard_was_cut(slot) != 0 {
            throw IOFiles.cutShort(path)
        }
        var now = stat()
        guard fstat(fd, &now) == 0 else {
            throw ConvSimError.malformedFile(path: path, reason: "cannot be checked after reading (\(String(cString: strerror(errno))))")
        }
        let same = now.st_size == status.st_size
            && now.st_mtim.tv_sec == status.st_mtim.tv_sec && now.st_mtim.tv_nsec == status.st_mtim.tv_nsec
            && now.st_ctim.tv_sec == status.st_ctim.tv_sec && now.st_ctim.tv_nsec == status.st_ctim.tv_nsec
        if !same {
            throw ConvSimError.malformedFile(path: path, reason: "the file changed while it was read; run again when nothing else writes it")
        }
    }

    /// The values copied into an array (the mapping checked afterwards: `verifyUnchanged`), on
    /// the cores in 2 MiB pieces.
    public func copiedValues() throws -> [Double] {
        let n = values.count, piece = 1 << 18
        let copy = HugePages.doubles(count: n) { buffer in
            guard let dst = buffer.baseAddress, let source = values.baseAddress else { return }
            nonisolated(unsafe) let d = dst, src = source
            Parallel.forEachDynamic(tasks: (n + piece - 1) / piece) { b in
                let lo = b * piece
                (d + lo).initialize(from: src + lo, count: min(piece, n - lo))
            }
        }
        try verifyUnchanged()
        return copy
    }

    deinit {
        convsim_map_guard_remove(slot)
        munmap(base, length)
        close(fd)
    }
}
