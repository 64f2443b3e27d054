import ConvSimCore
import Foundation

/// One loaded input signal with a display name.
public struct NamedSignal: Sendable, Equatable {
    /// File name, plus `[n]` for the n-th signal of an `(N, C, H, W)` batch.
    public let name: String
    public let signal: Signal

    public init(name: String, signal: Signal) {
        self.name = name
        self.signal = signal
    }
}

/// Loads input signals from images, `.npy` arrays, or a directory of them.
public enum InputLoader {
    /// File extensions (lower case) decoded as images.
    public static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]
    /// File extensions (lower case) read as NumPy arrays.
    public static let arrayExtensions: Set<String> = ["npy"]

    /// Loads every signal at `path`.
    ///
    /// - A PNG/JPEG file gives one signal (values / 255; see `ImageDecoder`).
    /// - A `.npy` file gives, by shape: `(L,)` → C=1, H=1, W=L; `(H, W)` → C=1;
    ///   `(C, H, W)` → one signal; `(N, C, H, W)` → N signals. With `oneDimensional`,
    ///   a 2-D array is `(C, L)` (H=1) instead of `(H, W)`, and a 3-D array is a batch
    ///   `(N, C, L)` instead of `(C, H, W)`. `uint8` values are divided by 255; float
    ///   and integer values are kept as they are.
    /// - A directory gives the signals of all its `.png`, `.jpg`, `.jpeg` and `.npy`
    ///   files (not recursive), sorted by file name.
    ///
    /// - Parameter gray: convert 3-channel (RGB) signals, from images or arrays, to one
    ///   channel with BT.601 luma; other channel counts are kept.
    /// - Throws: `fileNotFound`, `noInputs` (empty directory), `malformedFile`,
    ///   `unsupportedDType`, `unsupportedShape`, `nonFinite(what: path, index:)` with the
    ///   flat index into the file's array.
    public static func loadSignals(path: String, gray: Bool = false, oneDimensional: Bool = false) throws -> [Signal] {
        try loadNamedSignals(path: path, gray: gray, oneDimensional: oneDimensional).map(\.signal)
    }

    /// As `loadSignals(path:gray:oneDimensional:)`, with a name for each signal (all decoded
    /// now; `InputSet` decodes them one at a time, where they are used).
    public static func loadNamedSignals(path: String, gray: Bool = false, oneDimensional: Bool = false) throws -> [NamedSignal] {
        let set = try InputSet.open(paths: [path], gray: gray, oneDimensional: oneDimensional)
        return try (0..<set.count).map { try set.signal($0) }
    }

    /// The input files of a directory (images and `.npy`, not hidden, not recursive),
    /// sorted by file name.
    public static func inputFiles(inDirectory path: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ConvSimError.malformedFile(path: path, reason: "cannot list directory (\(error.localizedDescription))")
        }
        let known = imageExtensions.union(arrayExtensions)
        return names.sorted().compactMap { name -> String? in
            guard !name.hasPrefix("."), known.contains(fileExtension(name)) else { return nil }
            let full = (path as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
            return full
        }
    }

    /// One signal from its decoded values: finite (else an error naming the flat index in the
    /// file), 8-bit data scaled to [0, 1].
    static func signal(_ values: [Double], _ c: Int, _ h: Int, _ w: Int, dtype: NPY.DType, path: String, offset: Int) throws -> Signal {
        if let bad = Finite.firstNonFinite(values) {
            throw ConvSimError.nonFinite(what: path, index: offset + bad)
        }
        return Signal(channels: c, height: h, width: w, values: dtype == .uint8 ? values.map { $0 / 255 } : values)
    }

    /// `(n, c, h, w)` of an array's shape (see `loadSignals`).
    static func batchDimensions(_ s: [Int], path: String, oneDimensional: Bool) throws -> (Int, Int, Int, Int) {
        let expected = oneDimensional
            ? "(L,), (C, L) or a batch (N, C, L) of 1-D signals, or (N, C, H, W), all dimensions positive"
            : "(H, W), (C, H, W), a batch (N, C, H, W), or (L,) for a 1-D signal, all dimensions positive"
        guard !s.isEmpty, s.allSatisfy({ $0 > 0 }) else {
            throw ConvSimError.unsupportedShape(path: path, shape: s, expected: expected)
        }
        switch (s.count, oneDimensional) {
        case (1, _): return (1, 1, 1, s[0])
        case (2, false): return (1, 1, s[0], s[1])
        case (2, true): return (1, s[0], 1, s[1])
        case (3, false): return (1, s[0], s[1], s[2])
        case (3, true): return (s[0], s[1], 1, s[2])
        case (4, _): return (s[0], s[1], s[2], s[3])
        default: throw ConvSimError.unsupportedShape(path: path, shape: s, expected: expected)
        }
    }

    /// The lower-cased extension of a file name (`""` if none).
    static func fileExtension(_ path: String) -> String { (path as NSString).pathExtension.lowercased() }
}

/// One layer of a float64 `.npy` file read in place (`KernelLoader.loadInPlace`).
public struct MappedLayer: Sendable {
    /// The file's stem.
    public let name: String
    /// `(M, C, kh, kw)`.
    public let shape: [Int]
    /// The mapping; its `values` are the layer's, in OIHW order.
    public let file: MappedNPY
}

/// A layer as `KernelLoader.loadInPlace` gives it: in place, or loaded.
public enum LoadedLayer: Sendable {
    case mapped(MappedLayer)
    case bank(name: String, bank: KernelBank)
}

/// Loads convolution kernel banks (OIHW) from `.npy` files, `.safetensors` files, or a
/// directory of `.npy` files.
///
/// - `.npy`: shape `(M, C, kh, kw)`, or `(M, k)` for 1-D kernels (C = 1, kh = 1); the
///   single layer is named by the file stem.
/// - `.safetensors`: every 4-D tensor is a layer, and every 3-D tensor named `….weight` (a
///   Conv1d weight `(M, C, k)`, read as `(M, C, 1, k)`).
/// - A directory: every 4-D (or 3-D) `.npy` file in it (not recursive) is a layer named by its
///   file stem; other files are ignored.
///
/// Layers are listed in natural order (`features.3` before `features.10`: digit runs compare
/// as numbers), which is a network's order for the usual PyTorch names.
///
/// Values are used as stored (no scaling, also for `uint8`).
public enum KernelLoader {
    /// The names of the layers available at `path`, in natural order.
    ///
    /// - Throws: `fileNotFound`, `noLayers`, and the readers' errors.
    public static func layers(path: String) throws -> [String] {
        try candidates(path: path).map(\.name)
    }

    /// Reads the layers at `path` ahead of `load(path:layer:)` / `loadAll(path:)` /
    /// `loadInPlace(path:layer:)`, on a thread of its own, not waited for (`convsim cs` parses
    /// its command line meanwhile): a float64 `.npy` file is mapped (`MappedNPY`), anything
    /// else read and its finiteness checked; with `thenStartPool`, that thread then starts the
    /// worker pool (`Parallel.warmUp`). The next load of the same path takes the result — the
    /// same values, read by the same code — when the file is still the one that was read
    /// (device, inode, size and modification time unchanged); otherwise, and when the early
    /// read failed, it reads the file itself (and reports the error itself). Nothing is kept
    /// beyond that one load.
    public static func prefetch(path: String, thenStartPool: Bool = false) {
        // Regular files only: a pipe (`--kernels <(…)`) or a device can be read once, by `load`.
        // The identity is taken before the read, so a change during it is seen by `load`.
        guard let identity = FileIdentity(path) else { return }
        let job = Prefetched(path: path)
        prefetchLock.lock(); prefetchSlot = job; prefetchLock.unlock()
        let read: @Sendable () -> Void = {
            // A float64 `.npy` is mapped (`MappedNPY`, about 0.1 ms), anything else read and checked.
            let early: EarlyRead? = if let mapped = (try? mappedLayer(path: path)) ?? nil { .mapped(mapped) }
                else { (try? candidates(path: path).map { $0.checked() }).map { .read($0) } }
            job.finish(early.map { ($0, identity) })
            if thenStartPool { Parallel.warmUp() }
        }
        Parallel.background(read)
    }

    /// Loads one layer.
    ///
    /// - Parameter layer: the layer name; may be nil when there is exactly one layer.
    /// - Throws: `layerRequired` when `layer` is nil and there are several layers;
    ///   `unknownLayer(name:available:)` listing the layers when `layer` does not exist;
    ///   `unsupportedShape` when it names a tensor that is not 4-D; `noLayers`;
    ///   `nonFinite` naming the layer; `fileNotFound` and the readers' errors.
    public static func load(path: String, layer: String?) throws -> (name: String, bank: KernelBank) {
        try load(path: path, layer: layer, early: prefetched(path: path))
    }

    /// A layer to compute on: read in place (`MappedLayer`) when `path` is a float64 `.npy` file
    /// of 1 MiB or more (`MappedNPY`) and `layer` is nil or its name, else loaded as `load` loads
    /// it (the same errors). The caller of a mapped layer checks its values' finiteness (they
    /// are not scanned here) and calls `file.verifyUnchanged()` before it trusts its results.
    public static func loadInPlace(path: String, layer: String?) throws -> LoadedLayer {
        let early = prefetched(path: path)
        if case .mapped(let m)? = early, layer == nil || layer == m.name { return .mapped(m) }
        if early == nil, layer == nil || layer == stem(path), let m = try mappedLayer(path: path) { return .mapped(m) }
        let (name, bank) = try load(path: path, layer: layer, early: early)
        return .bank(name: name, bank: bank)
    }

    /// `load` given the early read, if any.
    private static func load(path: String, layer: String?, early: EarlyRead?) throws -> (name: String, bank: KernelBank) {
        let all = try candidates(path: path, early: early)
        let chosen: Candidate
        if let layer {
            if let c = all.first(where: { $0.name == layer }) {
                chosen = c
            } else if let other = try otherTensor(named: layer, path: path) {
                throw ConvSimError.unsupportedShape(
                    path: "\(path) (tensor '\(layer)')", shape: other,
                    expected: "a 4-D convolution weight (M, C, kh, kw); layers: \(all.map(\.name).joined(separator: ", "))")
            } else {
                throw ConvSimError.unknownLayer(name: layer, available: all.map(\.name))
            }
        } else {
            guard all.count == 1 else { throw ConvSimError.layerRequired(path: path, available: all.map(\.name)) }
            chosen = all[0]
        }
        return (chosen.name, try chosen.bank())
    }

    /// Loads every layer at `path`, in natural order.
    public static func loadAll(path: String) throws -> [(name: String, bank: KernelBank)] {
        try candidates(path: path, early: prefetched(path: path)).map { ($0.name, try $0.bank()) }
    }

    /// The bias of layer `layer`: the 1-D tensor `NAME.bias` beside `NAME.weight` (PyTorch's
    /// names) in a `.safetensors` file, or `NAME.bias.npy` beside `NAME.weight.npy` in a layer
    /// folder; nil when there is none.
    /// - Throws: `unsupportedShape` when that tensor is not 1-D; the reader's errors.
    public static func bias(path: String, layer: String) throws -> [Double]? {
        guard layer.hasSuffix(".weight") else { return nil }
        let name = String(layer.dropLast(".weight".count)) + ".bias"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue {
            let file = (path as NSString).appendingPathComponent(name + ".npy")
            guard FileManager.default.fileExists(atPath: file) else { return nil }
            let a = try NPY.read(path: file)
            guard a.shape.count == 1 else { throw ConvSimError.unsupportedShape(path: file, shape: a.shape, expected: "a 1-D bias (M,)") }
            return a.values
        }
        guard !isNPY(path) else { return nil }
        guard let t = try Safetensors.read(path: path)[name] else { return nil }
        guard t.shape.count == 1 else {
            throw ConvSimError.unsupportedShape(path: "\(path) (tensor '\(name)')", shape: t.shape, expected: "a 1-D bias (M,)")
        }
        return t.values
    }

    // MARK: Internals

    /// A layer found in a file, converted lazily.
    private struct Candidate {
        let name: String
        let source: String   // for messages
        let shape: [Int]     // normalised to (M, C, kh, kw)
        let values: [Double]
        /// Set by `checked()` when every value is known to be finite.
        var knownFinite = false

        func bank() throws -> KernelBank {
            if !knownFinite, let bad = Finite.firstNonFinite(values) {
                throw ConvSimError.nonFinite(what: "layer '\(name)' in \(source)", index: bad)
            }
            return KernelBank(count: shape[0], channels: shape[1], kernelHeight: shape[2], kernelWidth: shape[3], values: values)
        }

        /// The same candidate, marked finite when it is (so that `bank()` does not scan again).
        func checked() -> Candidate {
            var c = self
            c.knownFinite = Finite.firstNonFinite(values) == nil
            return c
        }
    }

    /// What `prefetch` found: the layers read, or the one layer of a float64 `.npy` file mapped.
    private enum EarlyRead {
        case read([Candidate])
        case mapped(MappedLayer)
    }

    /// The layers of the early read, else of `path` read now; a mapped layer's values copied
    /// (and the mapping checked: `MappedNPY.copiedValues`).
    private static func candidates(path: String, early: EarlyRead?) throws -> [Candidate] {
        switch early {
        case .read(let found)?: return found
        case .mapped(let m)?: return [Candidate(name: m.name, source: path, shape: m.shape, values: try m.file.copiedValues())]
        case nil: return try candidates(path: path)
        }
    }

    /// The one layer of a regular float64 `.npy` file, mapped; nil for every other input (a
    /// directory, a pipe, `.safetensors`, other dtypes, files under 1 MiB).
    private static func mappedLayer(path: String) throws -> MappedLayer? {
        guard IOFiles.isRegularFile(path), isNPY(path), let file = try MappedNPY.open(path: path) else { return nil }
        return MappedLayer(name: stem(path), shape: try npyLayerShape(file.shape, path: path), file: file)
    }

    /// A `.npy` array's shape as a layer `(M, C, kh, kw)`: 4-D and 3-D as `layerShape`, 2-D
    /// `(M, k)` as `(M, 1, 1, k)`.
    /// - Throws: `unsupportedShape` for any other shape or a zero dimension.
    private static func npyLayerShape(_ s: [Int], path: String) throws -> [Int] {
        let shape: [Int]
        switch s.count {
        case 4, 3: shape = layerShape(s) ?? s
        case 2: shape = [s[0], 1, 1, s[1]]
        default: throw ConvSimError.unsupportedShape(path: path, shape: s, expected: expected4D)
        }
        guard shape.count == 4, shape.allSatisfy({ $0 > 0 }) else {
            throw ConvSimError.unsupportedShape(path: path, shape: s, expected: expected4D)
        }
        return shape
    }

    /// The one early read (`prefetch`), taken by the next `load`/`loadAll`.
    nonisolated(unsafe) private static var prefetchSlot: Prefetched?
    private static let prefetchLock = NSLock()

    /// The early read's result when it is for `path` and the file has not changed since; the
    /// slot is emptied either way (waiting for a read still running on that path).
    private static func prefetched(path: String) -> EarlyRead? {
        prefetchLock.lock()
        let job = prefetchSlot
        prefetchSlot = nil
        prefetchLock.unlock()
        guard let job, job.path == path, let (found, identity) = job.take(),
              FileIdentity(path) == identity else { return nil }
        return found
    }

    /// A read started by `prefetch`: its result, once, to whoever waits (and no longer held
    /// here afterwards, so that the values' storage has one owner: `cs --gradient` writes the
    /// gradient over it).
    private final class Prefetched: @unchecked Sendable {
        let path: String
        private let done = DispatchSemaphore(value: 0)
        private var result: (EarlyRead, FileIdentity)?
        init(path: String) { self.path = path }
        func finish(_ r: (EarlyRead, FileIdentity)?) { result = r; done.signal() }
        func take() -> (EarlyRead, FileIdentity)? {
            done.wait()
            defer { result = nil }
            return result
        }
    }

    /// What says a regular file is still the one that was read: device, inode, size,
    /// modification time (nil for anything but a regular file).
    private struct FileIdentity: Equatable {
        let device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int
        init?(_ path: String) {
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
            device = UInt64(truncatingIfNeeded: st.st_dev); inode = UInt64(truncatingIfNeeded: st.st_ino)
            size = Int64(truncatingIfNeeded: st.st_size)
            seconds = Int(truncatingIfNeeded: st.st_mtim.tv_sec); nanoseconds = Int(truncatingIfNeeded: st.st_mtim.tv_nsec)
        }
    }

    private static let expected4D = "(M, C, kh, kw) with positive dimensions, (M, C, k) for Conv1d weights, or (M, k) for 1-D kernels"

    /// A tensor shape as a layer `(M, C, kh, kw)`: 4-D as is, 3-D `(M, C, k)` as `(M, C, 1, k)`.
    static func layerShape(_ s: [Int]) -> [Int]? {
        guard s.allSatisfy({ $0 > 0 }) else { return nil }
        switch s.count {
        case 4: return s
        case 3: return [s[0], s[1], 1, s[2]]
        default: return nil
        }
    }

    /// Natural order of names: digit runs compare as numbers (by length, then digits, so no
    /// run overflows), everything else character by character.
    public static func naturalOrder(_ a: String, _ b: String) -> Bool {
        func chunks(_ s: String) -> [(digits: Bool, text: Substring)] {
            var out: [(Bool, Substring)] = []
            var start = s.startIndex
            while start < s.endIndex {
                let isDigit = s[start].isASCII && s[start].isNumber
                var end = start
                while end < s.endIndex && (s[end].isASCII && s[end].isNumber) == isDigit { end = s.index(after: end) }
                out.append((isDigit, s[start..<end]))
                start = end
            }
            return out
        }
        let x = chunks(a), y = chunks(b)
        for (p, q) in zip(x, y) where p.text != q.text {
            if p.digits && q.digits {
                let pt = p.text.drop { $0 == "0" }, qt = q.text.drop { $0 == "0" }
                if pt.count != qt.count { return pt.count < qt.count }
                if pt != qt { return pt < qt }
                continue
            }
            return p.text < q.text
        }
        return x.count != y.count ? x.count < y.count : a < b
    }

    /// All layers at `path`, in natural order; throws `noLayers` when there is none.
    private static func candidates(path: String) throws -> [Candidate] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConvSimError.fileNotFound(path: path)
        }
        var found: [Candidate] = []
        if isDirectory.boolValue {
            let files = try InputLoader.inputFiles(inDirectory: path).filter { InputLoader.fileExtension($0) == "npy" }
            for file in files {
                let array = try NPY.read(path: file)
                if let shape = layerShape(array.shape) {
                    found.append(Candidate(name: stem(file), source: file, shape: shape, values: array.values))
                }
            }
        } else {
            // A pipe or device (`--kernels <(…)`) can be read only once: it is read whole here,
            // and its bytes, not its name, say the format.
            let stream: Data? = IOFiles.isRegularFile(path) ? nil : try IOFiles.readFile(path: path)
            if stream.map({ $0.starts(with: NPY.magic) }) ?? isNPY(path) {
                let array = try stream.map { try NPY.read(data: $0, path: path) } ?? NPY.read(path: path)
                found.append(Candidate(name: stem(path), source: path, shape: try npyLayerShape(array.shape, path: path),
                                       values: array.values))
            } else {
                let file = try stream.map { try Safetensors.read(data: $0, path: path) } ?? Safetensors.read(path: path)
                for t in file.tensors where t.shape.count == 4 || (t.shape.count == 3 && t.name.hasSuffix("weight")) {
                    if let shape = layerShape(t.shape) {
                        found.append(Candidate(name: t.name, source: path, shape: shape, values: t.values))
                    }
                }
            }
        }
        guard !found.isEmpty else { throw ConvSimError.noLayers(path: path) }
        return found.sorted { naturalOrder($0.name, $1.name) }
    }

    /// The shape of a non-layer tensor called `name` in a `.safetensors` file, if any.
    private static func otherTensor(named name: String, path: String) throws -> [Int]? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
              !isDirectory.boolValue, !isNPY(path) else { return nil }
        return try Safetensors.read(path: path)[name]?.shape
    }

    /// A `.npy` file by extension, or by magic bytes when the extension is not `.safetensors`.
    private static func isNPY(_ path: String) -> Bool {
        switch InputLoader.fileExtension(path) {
        case "npy": return true
        case "safetensors": return false
        default:
            return NPY.fileHasMagic(path)
        }
    }

    /// The file name without directory and extension.
    private static func stem(_ path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }
}
