import ConvSimCore
import CMapGuard
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - NumPy .npy arrays

/// An array read from a NumPy `.npy` file: its shape, its dtype and its values
/// converted to `Double`, in C (row-major) order.
public struct NPYArray: Sendable, Equatable {
    /// The array shape; `[]` for a 0-d (scalar) array.
    public let shape: [Int]
    /// The values, `shape.reduce(1, *)` of them, in C order.
    public let values: [Double]
    /// The dtype stored in the file.
    public let dtype: NPY.DType

    public init(shape: [Int], values: [Double], dtype: NPY.DType) {
        self.shape = shape
        self.values = values
        self.dtype = dtype
    }

    /// Number of elements, the product of `shape`.
    public var count: Int { values.count }
}

/// Reader and writer of NumPy's `.npy` format (format versions 1.0, 2.0, 3.0).
///
/// The format is: the magic `\x93NUMPY`, a major and minor version byte, the
/// header length (little-endian `UInt16` in 1.0, `UInt32` in 2.0/3.0), a
/// Python-literal header dict `{'descr': '<f4', 'fortran_order': False, 'shape': (10, 3), }`
/// padded with spaces and a final newline so the data starts on a 64-byte boundary,
/// then the raw little-endian data.
///
/// Supported: little-endian `<f2`, `<f4`, `<f8`, `|u1`, `<i4`, `<i8` (reading;
/// writing all but `<f2`), C order. Fortran order and big-endian data are refused with
/// an explanation of how to convert the file.
public enum NPY {
    /// The element types this reader understands, by their canonical NumPy `descr`.
    public enum DType: String, Sendable, CaseIterable {
        case float16 = "<f2"
        case float32 = "<f4"
        case float64 = "<f8"
        case uint8 = "|u1"
        case int32 = "<i4"
        case int64 = "<i8"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .uint8: return 1
            case .float16: return 2
            case .float32, .int32: return 4
            case .float64, .int64: return 8
            }
        }

        /// A NumPy-style name for messages (`float32`, `uint8`, …).
        public var name: String {
            switch self {
            case .float16: return "float16"
            case .float32: return "float32"
            case .float64: return "float64"
            case .uint8: return "uint8"
            case .int32: return "int32"
            case .int64: return "int64"
            }
        }

        /// True for the floating-point dtypes.
        public var isFloatingPoint: Bool { self == .float16 || self == .float32 || self == .float64 }

        /// Parses a `descr` string. Byte-order marks that mean little-endian on this
        /// machine (`<`, `=`, and `|` for one-byte types) are accepted.
        static func parse(_ descr: String, path: String) throws -> DType {
            let supported = DType.allCases.map(\.rawValue)
            guard let first = descr.first, "<>=|".contains(first), descr.count >= 3 else {
                throw ConvSimError.unsupportedDType(path: path, dtype: descr, supported: supported)
            }
            let body = String(descr.dropFirst())
            if first == ">" && body != "u1" && body != "i1" && body != "b1" {
                throw ConvSimError.unsupportedDType(
                    path: path, dtype: descr + " (big-endian; convert with numpy: a.astype(a.dtype.newbyteorder('<')))",
                    supported: supported)
            }
            switch body {
            case "f2": return .float16
            case "f4": return .float32
            case "f8": return .float64
            case "u1": return .uint8
            case "i4": return .int32
            case "i8": return .int64
            default:
                throw ConvSimError.unsupportedDType(path: path, dtype: descr, supported: supported)
            }
        }
    }

    /// The 6-byte magic string every `.npy` file starts with.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// True when `data` starts with the `.npy` magic string.
    public static func hasMagic(_ data: Data) -> Bool {
        data.count >= magic.count && Array(data.prefix(magic.count)) == magic
    }

    /// Whether the file at `path` begins with the magic bytes (false if it cannot be read: the
    /// reader that opens it then names the problem). Reads only those bytes.
    public static func fileHasMagic(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: magic.count)
        let n = head.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        return n == head.count && head == magic
    }

    // MARK: Reading

    /// Reads the `.npy` file at `path`.
    ///
    /// - Throws: `ConvSimError.fileNotFound`, `.malformedFile` (bad magic, bad header,
    ///   truncated or oversized data, Fortran order), `.unsupportedDType`.
    public static func read(path: String) throws -> NPYArray {
        if let direct = try readFloat64(path: path) { return direct }
        return try IOFiles.decodeFile(path: path) { try read(data: $0, path: path) }
    }

    /// A regular file of 1 MiB or more holding little-endian float64 on a little-endian machine:
    /// the header read and checked as `layout` checks it, then the data read with `pread(2)`
    /// straight into the array's buffer, in 2 MiB pieces on the cores (each thread takes the next
    /// piece). The kernel copies from its page cache without mapping the file into the process:
    /// no page faults on the file (a 19 MB bank: 288, each mapping 16 pages; its read 0.5–1 ms
    /// faster in interleaved runs), and a file cut short while it is read is an error, not a
    /// fault (SIGBUS) as with a mapping. Nil for every other file (read whole instead).
    static func readFloat64(path: String, limit: Int = 2 << 30) throws -> NPYArray? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let (layout, _) = try float64Layout(fd: fd, path: path, limit: limit) else { return nil }
        let bytes = 8 * layout.count, piece = 1 << 21
        let failed = ReadFailure()
        let values = HugePages.doubles(count: layout.count) { buffer in
            guard layout.count > 0, let dst = buffer.baseAddress else { return }
            nonisolated(unsafe) let d = UnsafeMutableRawPointer(dst)
            Parallel.forEachDynamic(tasks: (bytes + piece - 1) / piece) { b in
                let lo = b * piece, n = min(piece, bytes - lo)
                if !preadFully(fd, UnsafeMutableRawBufferPointer(start: d + lo, count: n), at: layout.dataStart + lo) {
                    failed.set(errno)
                    (d + lo).initializeMemory(as: UInt8.self, repeating: 0, count: n)
                }
            }
        }
        if let code = failed.code {
            throw ConvSimError.malformedFile(path: path, reason: code == 0 ? "the file was cut short while it was read" : "cannot be read (\(String(cString: strerror(code))))")
        }
        return NPYArray(shape: layout.header.shape, values: values, dtype: .float64)
    }

    /// The checked layout (`layout`) of the file open as `fd` when it is a regular file of 1 MiB
    /// to `limit` bytes holding little-endian float64 on a little-endian machine, with the
    /// file's status as read before its header; nil for any other file.
    static func float64Layout(fd: Int32, path: String, limit: Int) throws -> ((header: Header, dataStart: Int, count: Int), stat)? {
        guard 1.littleEndian == 1 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, let size = Int(exactly: st.st_size),
              size >= 1 << 20, size <= limit else { return nil }
        var head = [UInt8](repeating: 0, count: min(size, 1 << 16))
        guard (head.withUnsafeMutableBytes { preadFully(fd, $0, at: 0) }) else { return nil }
        let layout = try head.withUnsafeBytes { try self.layout($0, totalSize: size, path: path) }
        guard let layout, layout.header.dtype == .float64 else { return nil }
        return (layout, st)
    }

    /// `pread` of all of `buffer` from `offset`, again after a signal or a short read; false at an
    /// early end of file (`errno` 0) or an error (`errno` set).
    private static func preadFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < buffer.count, let base = buffer.baseAddress {
            let n = pread(fd, base + done, buffer.count - done, off_t(offset + done))
            if n < 0 { if errno == EINTR { continue }; return false }
            if n == 0 { errno = 0; return false }
            done += n
        }
        return true
    }

    /// The first error of `readFloat64`'s pieces.
    private final class ReadFailure: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var code: Int32?
        func set(_ c: Int32) { lock.lock(); if code == nil { code = c }; lock.unlock() }
    }

    /// Parses `.npy` bytes; `path` is only used in error messages.
    public static func read(data: Data, path: String) throws -> NPYArray {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> NPYArray in
            let layout = try self.layout(raw, path: path)
            let values = decode(raw, offset: layout.dataStart, count: layout.count, dtype: layout.header.dtype)
            return NPYArray(shape: layout.header.shape, values: values, dtype: layout.header.dtype)
        }
    }

    /// Where the array is in `.npy` bytes: its header (dtype, shape), the offset of its data
    /// and its element count, all checked (magic, version, header, sizes without overflow, the
    /// data section exactly as long as the shape needs).
    /// - Throws: `.malformedFile`, `.unsupportedDType`.
    public static func layout(_ raw: UnsafeRawBufferPointer, path: String) throws -> (header: Header, dataStart: Int, count: Int) {
        guard let l = try layout(raw, totalSize: raw.count, path: path) else {
            throw ConvSimError.malformedFile(path: path, reason: "header past the end of the file")   // not reached: raw is the whole file
        }
        return l
    }

    /// `layout` of a file of `totalSize` bytes of which `raw` holds the first ones; nil when the
    /// header does not end inside `raw` (and `raw` is not the whole file).
    static func layout(_ raw: UnsafeRawBufferPointer, totalSize: Int, path: String) throws -> (header: Header, dataStart: Int, count: Int)? {
        func fail(_ reason: String) -> ConvSimError { .malformedFile(path: path, reason: reason) }
        guard raw.count >= 8 else {
            throw fail("file has \(raw.count) bytes, too short for a .npy preamble (magic + version needs 8)")
        }
        guard Array(raw[0..<6]) == magic else {
            let got = raw[0..<6].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
            throw fail("bad magic: expected 93 4e 55 4d 50 59 (\"\\x93NUMPY\"), found \(got); not a NumPy .npy file")
        }
        let major = raw[6], minor = raw[7]
        let headerStart: Int
        let headerLength: Int
        switch major {
        case 1:
            guard raw.count >= 10 else { throw fail("file ends inside the version 1.0 header length field") }
            headerStart = 10
            headerLength = Int(raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self).littleEndian)
        case 2, 3:
            guard raw.count >= 12 else { throw fail("file ends inside the version \(major).\(minor) header length field") }
            headerStart = 12
            headerLength = Int(raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian)
        default:
            throw fail("unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)")
        }
        let dataStart = headerStart + headerLength
        guard dataStart <= totalSize else {
            throw fail("header claims \(headerLength) bytes but only \(totalSize - headerStart) follow the preamble (truncated file?)")
        }
        guard dataStart <= raw.count else { return nil }
        let headerBytes = Array(raw[headerStart..<dataStart])
        let header = try parseHeader(headerBytes, path: path)

        let (count, overflow) = header.shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        let (needed, overflow2) = count.multipliedReportingOverflow(by: header.dtype.size)
        guard !overflow && !overflow2 else { throw fail("shape \(formatShape(header.shape)) is too large") }
        let available = totalSize - dataStart
        guard available == needed else {
            let verb = available < needed ? "truncated file?" : "trailing bytes after the array"
            throw fail("data section has \(available) bytes, shape \(formatShape(header.shape)) \(header.dtype.name) needs \(needed) (\(verb))")
        }
        return (header, dataStart, count)
    }

    /// Decodes `count` little-endian elements of `dtype` starting at byte `offset` (the caller
    /// has checked the range with `layout`).
    public static func decode(_ raw: UnsafeRawBufferPointer, offset: Int, count: Int, dtype: DType) -> [Double] {
        if dtype == .float64 && 1.littleEndian == 1 {
            // One copy, straight into the final buffer (no zero fill first; huge pages when large),
            // in 2 MiB pieces on the cores: the copy, the faults on the mapped file and the
            // zeroing of fresh pages all run in parallel (19 MB: 4.4 → 3.4 ms).
            return HugePages.doubles(count: count) { buffer in
                if count > 0, let dst = buffer.baseAddress, let src = raw.baseAddress {
                    nonisolated(unsafe) let d = UnsafeMutableRawPointer(dst), s = src + offset
                    let bytes = 8 * count, piece = 1 << 21
                    Parallel.forEach(blocks: (bytes + piece - 1) / piece) { b in
                        let lo = b * piece
                        (d + lo).copyMemory(from: s + lo, byteCount: min(piece, bytes - lo))
                    }
                }
            }
        }
        var out = HugePages.zeros(count: count)
        switch dtype {
        case .float16:
            for i in 0..<count {
                out[i] = Safetensors.halfToDouble(raw.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self).littleEndian)
            }
        case .float32:
            for i in 0..<count {
                out[i] = Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self).littleEndian))
            }
        case .float64:
            for i in 0..<count {
                out[i] = Double(bitPattern: raw.loadUnaligned(fromByteOffset: offset + 8 * i, as: UInt64.self).littleEndian)
            }
        case .uint8:
            for i in 0..<count { out[i] = Double(raw[offset + i]) }
        case .int32:
            for i in 0..<count {
                out[i] = Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: Int32.self)))
            }
        case .int64:
            for i in 0..<count {
                out[i] = Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8 * i, as: Int64.self)))
            }
        }
        return out
    }

    /// The parsed header dict.
    public struct Header: Sendable {
        public var dtype: DType
        public var shape: [Int]
    }

    /// Parses and validates the header dict `{'descr': …, 'fortran_order': …, 'shape': (…)}`.
    static func parseHeader(_ bytes: [UInt8], path: String) throws -> Header {
        func fail(_ reason: String) -> ConvSimError { .malformedFile(path: path, reason: reason) }
        let value: PyLiteral
        do {
            value = try PyLiteralParser.parse(bytes)
        } catch let e as PyLiteralParser.Failure {
            throw fail("bad header dict: \(e.message)")
        }
        guard case .dict(let entries) = value else { throw fail("bad header: expected a dict, found \(value.kind)") }
        func entry(_ key: String) throws -> PyLiteral {
            // A repeated key takes its last value, as Python's dict literal (and NumPy) does.
            guard let v = entries.last(where: { $0.0 == key })?.1 else {
                throw fail("bad header dict: missing key '\(key)' (keys present: \(entries.map { "'\($0.0)'" }.joined(separator: ", ")))")
            }
            return v
        }
        guard case .string(let descr) = try entry("descr") else {
            throw ConvSimError.unsupportedDType(path: path, dtype: "structured dtype \(try entry("descr").kind)",
                                                supported: DType.allCases.map(\.rawValue))
        }
        guard case .bool(let fortran) = try entry("fortran_order") else {
            throw fail("bad header dict: 'fortran_order' must be True or False")
        }
        guard case .tuple(let dims) = try entry("shape") else {
            throw fail("bad header dict: 'shape' must be a tuple of integers")
        }
        var shape: [Int] = []
        for d in dims {
            guard case .int(let n) = d, n >= 0 else {
                throw fail("bad header dict: 'shape' must hold non-negative integers, found \(d.kind)")
            }
            shape.append(n)
        }
        if fortran {
            throw fail("array is stored in Fortran (column-major) order, which is not supported; save it with np.save(path, np.ascontiguousarray(a))")
        }
        let dtype = try DType.parse(descr, path: path)
        return Header(dtype: dtype, shape: shape)
    }

    // MARK: Writing

    /// Encodes `values` (C order) with the given shape and dtype as `.npy` bytes
    /// (format 1.0, or 2.0 when the header does not fit in 65 535 bytes).
    ///
    /// - Throws: `ConvSimError.invalidArgument` when the value count does not match
    ///   the shape, or a value is not representable in `dtype` (finite values overflowing
    ///   float32, float16 (not writable), non-integral or out-of-range values for the integer dtypes).
    public static func encode(_ values: [Double], shape: [Int], dtype: DType = .float64) throws -> Data {
        var bytes = try header(shape: shape, dtype: dtype, count: values.count)
        if dtype == .float64 && 1.littleEndian == 1 {
            // The header, then the values' bytes straight from the array (one copy).
            var data = Data(capacity: bytes.count + 8 * values.count)
            data.append(contentsOf: bytes)
            values.withUnsafeBytes { data.append(contentsOf: $0) }
            return data
        }
        bytes.reserveCapacity(bytes.count + values.count * dtype.size)
        try encodeValues(values, dtype: dtype, into: &bytes, what: "npy")
        return Data(bytes)
    }

    /// The preamble and header of a `.npy` file of `count` values of `dtype` in `shape` (format
    /// 1.0, or 2.0 when the header does not fit in 65 535 bytes), padded so that the data starts
    /// at a multiple of 64 bytes. Throws `invalidArgument` when the count does not match the shape.
    static func header(shape: [Int], dtype: DType, count valueCount: Int) throws -> [UInt8] {
        let count = try count(of: shape)
        guard count == valueCount else {
            throw ConvSimError.invalidArgument("npy: shape \(formatShape(shape)) needs \(count) values, got \(valueCount)")
        }
        let dict = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': \(formatShape(shape)), }"
        // Pad with spaces so that preamble + header + "\n" is a multiple of 64 bytes.
        var version: UInt8 = 1
        var preamble = 10
        var total = preamble + dict.utf8.count + 1
        var padded = (total + 63) / 64 * 64
        if padded - preamble > Int(UInt16.max) {
            version = 2
            preamble = 12
            total = preamble + dict.utf8.count + 1
            padded = (total + 63) / 64 * 64
        }
        let header = dict + String(repeating: " ", count: padded - total) + "\n"
        let headerLength = padded - preamble
        var bytes = [UInt8]()
        bytes += magic
        bytes += [version, 0]
        if version == 1 {
            appendLE(UInt16(headerLength), to: &bytes)
        } else {
            appendLE(UInt32(headerLength), to: &bytes)
        }
        bytes += Array(header.utf8)
        return bytes
    }

    /// Writes `values` (C order) as a `.npy` file, atomically: the bytes go to a
    /// temporary file in the same directory which is then renamed over `path`, so a
    /// reader never sees a half-written file.
    public static func write(_ values: [Double], shape: [Int], dtype: DType = .float64, to path: String) throws {
        if dtype == .float64 && 1.littleEndian == 1 {
            // The header, then the array's own bytes: no copy of the values at all (a 19 MB
            // gradient went through a 19 MB buffer first).
            let head = try header(shape: shape, dtype: dtype, count: values.count)
            try head.withUnsafeBytes { h in
                try values.withUnsafeBytes { v in try IOFiles.writeAtomically([h, v], to: path) }
            }
            return
        }
        try IOFiles.writeAtomically(encode(values, shape: shape, dtype: dtype), to: path)
    }

    /// The number of values of `shape` (its product). - Throws: `invalidArgument` on a negative
    /// dimension or overflow.
    static func count(of shape: [Int]) throws -> Int {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ConvSimError.invalidArgument("npy: shape \(formatShape(shape)) has a negative dimension")
        }
        var count = 1
        for d in shape {
            let (p, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw ConvSimError.invalidArgument("npy: shape \(formatShape(shape)) has too many elements") }
            count = p
        }
        return count
    }

    /// Writes `array` with its own shape and dtype (see `write(_:shape:dtype:to:)`).
    public static func write(_ array: NPYArray, to path: String) throws {
        try write(array.values, shape: array.shape, dtype: array.dtype, to: path)
    }

    /// Appends `values` in the little-endian encoding of `dtype`, checking representability.
    static func encodeValues(_ values: [Double], dtype: DType, into bytes: inout [UInt8], what: String) throws {
        func bad(_ i: Int, _ why: String) -> ConvSimError {
            .invalidArgument("\(what): value \(values[i]) at flat index \(i) \(why)")
        }
        if dtype == .float64 && 1.littleEndian == 1 {
            // Every double is representable: the bytes in one copy (a 19 MB gradient in milliseconds).
            values.withUnsafeBytes { bytes.append(contentsOf: $0) }
            return
        }
        bytes.reserveCapacity(bytes.count + values.count * 8)
        for (i, v) in values.enumerated() {
            switch dtype {
            case .float16:
                throw ConvSimError.invalidArgument("\(what): writing float16 is not supported; write float32 or float64")
            case .float32:
                let f = Float(v)
                if v.isFinite && !f.isFinite { throw bad(i, "overflows float32") }
                appendLE(f.bitPattern, to: &bytes)
            case .float64:
                appendLE(v.bitPattern, to: &bytes)
            case .uint8:
                guard v == v.rounded(), v >= 0, v <= 255 else { throw bad(i, "is not an integer in 0...255 (uint8)") }
                bytes.append(UInt8(v))
            case .int32:
                guard v == v.rounded(), v >= -2_147_483_648, v <= 2_147_483_647 else { throw bad(i, "is not an int32") }
                appendLE(UInt32(bitPattern: Int32(v)), to: &bytes)
            case .int64:
                guard v == v.rounded(), v >= -0x1p63, v < 0x1p63 else { throw bad(i, "is not an int64") }
                appendLE(UInt64(bitPattern: Int64(v)), to: &bytes)
            }
        }
    }

    /// A shape as Python writes a tuple: `(10, 3, 3, 3)`, `(5,)`, `()`.
    public static func formatShape(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

/// Appends the little-endian bytes of a fixed-width integer.
@inline(__always)
func appendLE<T: FixedWidthInteger>(_ x: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: x.littleEndian) { bytes.append(contentsOf: $0) }
}

// MARK: - Python literal parsing (the .npy header)

/// The subset of Python literals that appear in `.npy` headers.
indirect enum PyLiteral {
    case string(String)
    case int(Int)
    case bool(Bool)
    case none
    case tuple([PyLiteral])
    case list([PyLiteral])
    case dict([(String, PyLiteral)])

    var kind: String {
        switch self {
        case .string(let s): return "string '\(s)'"
        case .int(let n): return "integer \(n)"
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        }
    }
}

/// A small recursive-descent parser for Python literals (dicts with string keys,
/// strings, integers, True/False/None, tuples and lists). Nesting is capped at
/// `maxDepth` (a `.npy` header nests three levels), so no input can exhaust the stack.
struct PyLiteralParser {
    struct Failure: Error { let message: String }

    static let maxDepth = 16
    private let bytes: [UInt8]
    private var pos = 0
    private var depth = 0

    static func parse(_ bytes: [UInt8]) throws -> PyLiteral {
        var p = PyLiteralParser(bytes: bytes)
        let v = try p.value()
        p.skipSpace()
        guard p.pos == bytes.count else {
            throw Failure(message: "unexpected text after the dict at byte \(p.pos): '\(p.snippet())'")
        }
        return v
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func snippet() -> String {
        String(decoding: bytes[pos..<min(bytes.count, pos + 20)], as: UTF8.self)
    }

    private mutating func skipSpace() {
        while pos < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[pos]) { pos += 1 }
    }

    private mutating func expect(_ c: UInt8) throws {
        skipSpace()
        guard pos < bytes.count, bytes[pos] == c else {
            throw Failure(message: "expected '\(Character(Unicode.Scalar(c)))' at byte \(pos), found '\(pos < bytes.count ? snippet() : "end of header")'")
        }
        pos += 1
    }

    private mutating func value() throws -> PyLiteral {
        skipSpace()
        guard pos < bytes.count else { throw Failure(message: "unexpected end of header") }
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw Failure(message: "nested deeper than \(Self.maxDepth) levels at byte \(pos)") }
        let c = bytes[pos]
        switch c {
        case UInt8(ascii: "{"):
            pos += 1
            var entries: [(String, PyLiteral)] = []
            while true {
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .dict(entries) }
                guard case .string(let key) = try value() else {
                    throw Failure(message: "dict keys must be strings (near byte \(pos))")
                }
                try expect(UInt8(ascii: ":"))
                entries.append((key, try value()))
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                try expect(UInt8(ascii: "}"))
                return .dict(entries)
            }
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let close = c == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
            pos += 1
            var items: [PyLiteral] = []
            while true {
                skipSpace()
                if pos < bytes.count, bytes[pos] == close { pos += 1; break }
                items.append(try value())
                skipSpace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                try expect(close)
                break
            }
            return c == UInt8(ascii: "(") ? .tuple(items) : .list(items)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            pos += 1
            var out: [UInt8] = []
            while pos < bytes.count, bytes[pos] != c {
                if bytes[pos] == UInt8(ascii: "\\"), pos + 1 < bytes.count { pos += 1 }
                out.append(bytes[pos])
                pos += 1
            }
            guard pos < bytes.count else { throw Failure(message: "unterminated string") }
            pos += 1
            return .string(String(decoding: out, as: UTF8.self))
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = pos
            if c == UInt8(ascii: "-") || c == UInt8(ascii: "+") { pos += 1 }
            while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            // Python 2 wrote long integers as `3L`.
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "L") { pos += 1 }
            guard let n = Int(text) else { throw Failure(message: "bad integer '\(text)'") }
            return .int(n)
        default:
            let start = pos
            while pos < bytes.count, (bytes[pos] >= UInt8(ascii: "A") && bytes[pos] <= UInt8(ascii: "Z"))
                    || (bytes[pos] >= UInt8(ascii: "a") && bytes[pos] <= UInt8(ascii: "z")) {
                pos += 1
            }
            switch String(decoding: bytes[start..<pos], as: UTF8.self) {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                pos = start
                throw Failure(message: "unexpected '\(snippet())' at byte \(start)")
            }
        }
    }
}

// MARK: - File helpers shared by the readers and writers

/// Reading whole files with clear errors, and atomic writes.
public enum IOFiles {
    /// Reads the file at `path`.
    ///
    /// - Parameter limit: refuse files larger than this many bytes (checked before reading; default 2 GiB, so no file is loaded blindly).
    /// - Throws: `fileNotFound`, `malformedFile` (a directory, or unreadable), `fileTooLarge`.
    public static func readFile(path: String, limit: Int? = 2 << 30) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConvSimError.fileNotFound(path: path)
        }
        if isDirectory.boolValue {
            throw ConvSimError.malformedFile(path: path, reason: "is a directory, expected a file")
        }
        // One `stat(2)` for the kind and the size (FileManager's attributes would also look up
        // the owner's name in the user database, a read of /etc/passwd and /etc/group per input).
        var st = stat()
        let statted = stat(path, &st) == 0
        if statted, (st.st_mode & S_IFMT) != S_IFREG {
            // A pipe or socket is read as a stream; a device (`/dev/zero`, a terminal) is not
            // data to read to its end.
            guard (st.st_mode & S_IFMT) == S_IFIFO || (st.st_mode & S_IFMT) == S_IFSOCK else {
                throw ConvSimError.malformedFile(path: path, reason: "is a device, not a file; save the data to a file (or pipe it in: --kernels <(…))")
            }
            return try readStream(path: path, limit: limit)
        }
        if let limit {
            let size = statted ? Int(exactly: st.st_size) ?? Int.max : 0
            if size > limit { throw ConvSimError.fileTooLarge(path: path, bytes: size, limit: limit) }
        }
        if let mapped = mapped(path) { return mapped }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))   // read, not mapped: nothing to guard
        } catch {
            throw ConvSimError.malformedFile(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
    }

    /// A pipe or socket (`--kernels <(python make_bank.py)`): read to its end in 1 MiB pieces,
    /// refused with `fileTooLarge` as soon as it passes `limit` (no size to check first).
    static func readStream(path: String, limit: Int?) throws -> Data {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ConvSimError.malformedFile(path: path, reason: "cannot be read (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var data = Data()
        var piece = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = piece.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return data }
            if n < 0 {
                if errno == EINTR { continue }
                throw ConvSimError.malformedFile(path: path, reason: "cannot be read (\(String(cString: strerror(errno))))")
            }
            if let limit, data.count + n > limit {
                throw ConvSimError.fileTooLarge(path: path, bytes: data.count + n, limit: limit)
            }
            piece.withUnsafeBytes { data.append(contentsOf: $0.prefix(n)) }
        }
    }

    /// A regular file of 1 MiB or more, memory-mapped read-only and private (no copy into the
    /// process: the decoders read the page cache directly), its range guarded (`CMapGuard`): a
    /// truncation by another process while it is mapped makes the rest read as zeros instead of
    /// ending the process with SIGBUS, and `requireIntact` reports it. Nil when it cannot be
    /// mapped or guarded, and the caller reads it instead.
    static func mapped(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size >= 1 << 20,
              let size = Int(exactly: st.st_size) else { return nil }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else { return nil }
        let slot = convsim_map_guard_add(p, size)
        guard slot >= 0 else { munmap(p, size); return nil }
        return Data(bytesNoCopy: p, count: size, deallocator: .custom { ptr, n in
            convsim_map_guard_remove(slot)
            munmap(ptr, n)
        })
    }

    /// Throws when `data` holds a mapped file (`readFile`) that another process cut short while
    /// it was read (the pages past the new end read as zeros): whatever was decoded from it is
    /// not the file's content. Constant time when no mapping was ever cut.
    public static func requireIntact(_ data: Data, path: String) throws {
        guard convsim_map_guard_cuts() > 0 else { return }
        if data.withUnsafeBytes({ convsim_map_guard_cut_in($0.baseAddress, $0.count) }) != 0 { throw cutShort(path) }
    }

    /// The error of a file cut short by another process while it was read.
    static func cutShort(_ path: String) -> ConvSimError {
        .malformedFile(path: path, reason: "the file was cut short while it was read; run again when nothing else writes it")
    }

    /// `decode` of the file's bytes (`readFile`), then `requireIntact`: a file truncated by
    /// another process while it was decoded is reported as such, also when `decode` failed on
    /// the zeros the cut left.
    public static func decodeFile<T>(path: String, limit: Int? = 2 << 30, _ decode: (Data) throws -> T) throws -> T {
        try decodeFile(path: path, data: try readFile(path: path, limit: limit), decode)
    }

    /// `decode` of `data`, the bytes `readFile` gave for `path` (kept for later decodes), then
    /// `requireIntact`, as `decodeFile(path:limit:_:)`.
    public static func decodeFile<T>(path: String, data: Data, _ decode: (Data) throws -> T) throws -> T {
        let value: T
        do { value = try decode(data) } catch {
            try requireIntact(data, path: path)
            throw error
        }
        try requireIntact(data, path: path)
        return value
    }

    /// Whether `path` is a regular file (not a directory, pipe, socket or device).
    public static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }


    /// Writes `data` to `path` atomically: to a temporary file in the same directory,
    /// then `rename(2)` over the destination (atomic on POSIX file systems).
    public static func writeAtomically(_ data: Data, to path: String) throws {
        try data.withUnsafeBytes { try writeAtomically([$0], to: path) }
    }

    /// As `writeAtomically(_:to:)`, the file being the concatenation of `parts`, written from
    /// where they lie (no copy into one buffer first).
    public static func writeAtomically(_ parts: [UnsafeRawBufferPointer], to path: String) throws {
        let file = try AtomicFile(path, expectedSize: parts.reduce(0) { $0 + $1.count })
        for raw in parts { try file.append(raw) }
        try file.commit()
    }

    /// Moves the finished file `temp` to `path`, atomically: a reader sees the old file or the
    /// new one, never a part. When `path` is an existing regular file the two are swapped
    /// (`renameat2` with `RENAME_EXCHANGE`) and the old one, now at `temp`, is unlinked; else
    /// (no file yet, a file system without exchange, a C library without `renameat2`) `rename(2)`.
    /// Why not always `rename`: ext4 flushes a file renamed over an existing one (its
    /// `auto_da_alloc` "replace via rename" heuristic), which made rewriting a 19 MB gradient cost
    /// 13–15 ms instead of 4–5. No `fsync` either way: atomic, not durable.
    /// Returns false with `errno` set when the file could not be moved.
    static func moveIntoPlace(_ temp: String, _ path: String) -> Bool {
        var st = stat()
        if let exchange = renameExchange, lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG,
           exchange(AT_FDCWD, temp, AT_FDCWD, path, 2 /* RENAME_EXCHANGE */) == 0 {
            unlink(temp)   // the old file; if this fails a hidden leftover remains, the output is in place
            return true
        }
        return rename(temp, path) == 0
    }

    /// glibc's `renameat2` (2.28 and later; `CLibrary`).
    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    private static let renameExchange = CLibrary.function("renameat2", as: RenameAt2.self)

    /// Writes `data` at byte `offset` of the file at `path` (created if missing), after cutting
    /// the file to `offset` bytes, and syncs it to disk: the append of an append-only log whose
    /// tail past `offset` (written by a run that was killed) is not referenced.
    public static func write(_ data: Data, to path: String, at offset: Int) throws {
        let fd = open(path, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else { throw ConvSimError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        var failure: String?
        if ftruncate(fd, off_t(offset)) != 0 { failure = String(cString: strerror(errno)) }
        if failure == nil {
            data.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count, let base = raw.baseAddress {
                    let n = pwrite(fd, base + done, raw.count - done, off_t(offset + done))
                    if n < 0 { if errno == EINTR { continue }; failure = String(cString: strerror(errno)); return }
                    done += n
                }
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if let failure { throw ConvSimError.writeFailed(path: path, reason: failure) }
    }

    /// The cause of a Foundation file error, as the POSIX message when there is one.
    public static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(u.code)))
        }
        return ns.localizedDescription
    }
}

/// A float64 `.npy` file (little-endian, C order) written piece by piece: the header when it
/// is created, the values as they come (`write`, in order), moved into place by `commit()` once
/// exactly the shape's number of values has arrived (`AtomicFile`: until then an existing file
/// is untouched). The same bytes as `NPY.write(_:shape:to:)` of the whole array, without
/// waiting for the whole array (`convsim cs --gradient` writes the gradient while it is computed).
public final class NPYStreamWriter: @unchecked Sendable {
    private let file: AtomicFile
    /// The values the shape needs.
    public let count: Int
    /// The values written so far.
    public private(set) var written = 0

    /// Creates the temporary file and writes the header.
    /// - Throws: `invalidArgument` for a negative or overflowing shape; `writeFailed`.
    public init(path: String, shape: [Int]) throws {
        count = try NPY.count(of: shape)
        let head = try NPY.header(shape: shape, dtype: .float64, count: count)
        let (bytes, o1) = count.multipliedReportingOverflow(by: 8)
        let (size, o2) = bytes.addingReportingOverflow(head.count)
        file = try AtomicFile(path, expectedSize: o1 || o2 ? nil : size)
        try head.withUnsafeBytes { try file.append($0) }
    }

    /// Appends the next `values`. - Throws: `invalidArgument` past the shape's count (the file
    /// is then discarded); `writeFailed`.
    public func write(_ values: UnsafeBufferPointer<Double>) throws {
        guard values.count <= count - written else {
            file.discard()
            throw ConvSimError.invalidArgument("npy: \(written + values.count) values written to \(file.path), its shape holds \(count)")
        }
        if 1.littleEndian == 1 {
            try file.append(UnsafeRawBufferPointer(values))
        } else {
            var bytes = [UInt8]()
            bytes.reserveCapacity(values.count * 8)
            for v in values { appendLE(v.bitPattern, to: &bytes) }
            try bytes.withUnsafeBytes { try file.append($0) }
        }
        written += values.count
    }

    /// Moves the file into place. - Throws: `invalidArgument` when fewer values than the shape
    /// needs were written (the file is discarded); `writeFailed`.
    public func commit() throws {
        guard written == count else {
            file.discard()
            throw ConvSimError.invalidArgument("npy: \(written) of \(count) values written to \(file.path); not saved")
        }
        try file.commit()
    }

    /// Removes the unfinished file (an existing file at the path is untouched).
    public func discard() { file.discard() }
}

/// A file written in pieces to a hidden temporary file beside `path` and moved into place
/// only by `commit()` (`IOFiles.moveIntoPlace`): until then an existing file at `path` is
/// untouched, and a file that is not committed (an error, `discard()`, the object released) is
/// removed. POSIX writes, so that a failure names its cause (permission denied, no space left
/// on device). Not for concurrent use: one writer at a time.
public final class AtomicFile {
    public let path: String
    private let temp: String
    private var fd: Int32
    /// Bytes appended so far.
    public private(set) var size = 0

    /// Creates the temporary file (and the missing directories of `path`).
    /// - Parameter expectedSize: the final size in bytes, when known: from 1 MiB on, the file's
    ///   blocks are reserved at once (`fallocate` keeping the size, where the file system has
    ///   it), which makes the writes that follow cheaper (ext4: a 19 MB write 4.1 → 3.0 ms)
    ///   and reports a full disk before anything is written.
    /// - Throws: `writeFailed` naming `path` and the cause.
    public init(_ path: String, expectedSize: Int? = nil) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw ConvSimError.writeFailed(path: path, reason: IOFiles.reason(error))
        }
        temp = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UUID().uuidString)").path
        fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ConvSimError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        if let expectedSize, expectedSize >= 1 << 20, let reserve = AtomicFile.fallocate,
           reserve(fd, 1 /* FALLOC_FL_KEEP_SIZE */, 0, off_t(expectedSize)) != 0, errno == ENOSPC {
            let why = String(cString: strerror(errno))
            discard()
            throw ConvSimError.writeFailed(path: path, reason: why)
        }   // any other failure (no support on this file system): the writes allocate as they go
    }

    /// glibc's `fallocate` (Linux; not in Swift's Glibc module; `CLibrary`).
    private typealias Fallocate = @convention(c) (Int32, Int32, off_t, off_t) -> Int32
    private static let fallocate = CLibrary.function("fallocate", as: Fallocate.self)

    deinit { discard() }

    /// Appends `raw`. - Throws: `writeFailed` (the temporary file is then removed).
    public func append(_ raw: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw ConvSimError.writeFailed(path: path, reason: "the file was already committed or discarded") }
        var done = 0
        while done < raw.count, let base = raw.baseAddress {
            let n = posixWrite(fd, base + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                let why = String(cString: strerror(errno))
                discard()
                throw ConvSimError.writeFailed(path: path, reason: why)
            }
            done += n
        }
        size += raw.count
    }

    /// Closes the file and moves it to `path` atomically.
    /// - Throws: `writeFailed` (the temporary file is then removed, `path` untouched).
    public func commit() throws {
        guard fd >= 0 else { throw ConvSimError.writeFailed(path: path, reason: "the file was already committed or discarded") }
        let closed = close(fd) == 0
        fd = -1
        if !closed {
            let why = String(cString: strerror(errno))
            unlink(temp)
            throw ConvSimError.writeFailed(path: path, reason: why)
        }
        if !IOFiles.moveIntoPlace(temp, path) {
            let why = String(cString: strerror(errno))
            unlink(temp)
            throw ConvSimError.writeFailed(path: path, reason: why)
        }
    }

    /// Closes and removes the temporary file (nothing at `path` changes); idempotent.
    public func discard() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temp)
    }
}

/// `write(2)` (named so that `IOFiles.write` does not shadow it).
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
