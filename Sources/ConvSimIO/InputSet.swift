import ConvSimCore
import Foundation

/// The signals of a list of inputs (files and directories, as `InputLoader.loadNamedSignals`
/// reads them, in the same order and with the same names), opened but not decoded: signal `i`
/// is decoded when it is asked for, by whichever thread asks. A dataset is then decoded by the
/// workers that accumulate it, each image into a buffer of its own that is freed after use —
/// rather than the whole dataset first decoded into memory on one thread (for 1000 RGB 32×32
/// crops in a `.npy`, 24.6 MB of fresh pages, and a third of `convsim gram`'s time).
///
/// A `.npy` file (by extension or by its magic bytes) is memory-mapped (or read, below 1 MiB)
/// and its header checked when the set is opened; an image file is read and decoded only when
/// its signal is asked for, so its errors surface then (the same messages as
/// `InputLoader.loadNamedSignals`).
public struct InputSet: Sendable {
    struct Batch: Sendable {
        let data: Data
        let dtype: NPY.DType
        let dataStart: Int
        let channels: Int, height: Int, width: Int
    }
    struct Source: Sendable {
        let path: String
        let name: String
        let first: Int
        let count: Int
        /// The `.npy` array, or nil for an image file.
        let batch: Batch?
    }
    let sources: [Source]
    let gray: Bool
    /// The number of signals.
    public let count: Int

    /// Opens every input at `paths` (a directory gives its image and `.npy` files, sorted by
    /// name, not recursive).
    ///
    /// - Throws: `fileNotFound`, `noInputs` (an empty directory), and for `.npy` files the
    ///   errors of their header (`malformedFile`, `unsupportedDType`, `unsupportedShape`).
    public static func open(paths: [String], gray: Bool = false, oneDimensional: Bool = false) throws -> InputSet {
        var sources: [Source] = []
        var total = 0
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ConvSimError.fileNotFound(path: path)
            }
            var files = [path]
            if isDirectory.boolValue {
                files = try InputLoader.inputFiles(inDirectory: path)
                if files.isEmpty { throw ConvSimError.noInputs(path: path) }
            }
            for file in files {
                let name = (file as NSString).lastPathComponent
                var batch: Batch? = nil
                var n = 1
                if InputLoader.arrayExtensions.contains(InputLoader.fileExtension(file)) || NPY.fileHasMagic(file) {
                    let data = try IOFiles.readFile(path: file)
                    let (b, count) = try IOFiles.decodeFile(path: file, data: data) { data in
                        try data.withUnsafeBytes { raw -> (Batch, Int) in
                            let layout = try NPY.layout(raw, path: file)
                            let (n, c, h, w) = try InputLoader.batchDimensions(layout.header.shape, path: file, oneDimensional: oneDimensional)
                            return (Batch(data: data, dtype: layout.header.dtype, dataStart: layout.dataStart, channels: c, height: h, width: w), n)
                        }
                    }
                    batch = b
                    n = count
                }
                let (sum, overflow) = total.addingReportingOverflow(n)
                guard !overflow else { throw ConvSimError.invalidArgument("too many input signals") }
                sources.append(Source(path: file, name: name, first: total, count: n, batch: batch))
                total = sum
            }
        }
        return InputSet(sources: sources, gray: gray, count: total)
    }

    /// Signal `i` (`0 ≤ i < count`) with its name: the file name, plus `[n]` for the n-th signal
    /// of a `.npy` batch of more than one.
    ///
    /// - Throws: the file's decoding errors; `nonFinite(what: path, index:)` with the flat index
    ///   into the file's array; `invalidArgument` for an index out of range.
    public func signal(_ i: Int) throws -> NamedSignal {
        guard i >= 0, i < count else { throw ConvSimError.invalidArgument("input signal \(i) of \(count) requested") }
        // The last source whose first signal is at or before i (binary search; sources are in order).
        var lo = 0, hi = sources.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if sources[mid].first <= i { lo = mid } else { hi = mid - 1 }
        }
        let s = sources[lo], k = i - s.first
        var signal: Signal
        if let b = s.batch {
            let size = b.channels * b.height * b.width
            // The file stays mapped for the whole set: each signal is checked intact as it is decoded.
            signal = try IOFiles.decodeFile(path: s.path, data: b.data) { data in
                try data.withUnsafeBytes { raw in
                    let values = NPY.decode(raw, offset: b.dataStart + k * size * b.dtype.size, count: size, dtype: b.dtype)
                    return try InputLoader.signal(values, b.channels, b.height, b.width, dtype: b.dtype, path: s.path, offset: k * size)
                }
            }
        } else {
            signal = try IOFiles.decodeFile(path: s.path) { try ImageDecoder.decode(data: $0, path: s.path) }
        }
        if gray { signal = ImageDecoder.luma(signal) }
        return NamedSignal(name: s.count == 1 ? s.name : "\(s.name)[\(k)]", signal: signal)
    }
}
