import ConvSimCore
import Foundation

/// One tensor of a `.safetensors` file, converted to `Double`.
public struct SafetensorsTensor: Sendable, Equatable {
    /// The tensor name (the key in the header), e.g. `pnet.conv1.weight`.
    public let name: String
    /// The stored dtype, as written in the header (`F32`, `BF16`, …).
    public let dtype: String
    /// The shape; `[]` for a scalar.
    public let shape: [Int]
    /// The values in C (row-major) order.
    public let values: [Double]

    public init(name: String, dtype: String, shape: [Int], values: [Double]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.values = values
    }
}

/// The content of a `.safetensors` file.
public struct SafetensorsFile: Sendable, Equatable {
    /// All tensors, sorted by name (byte-wise), so the order never depends on the header order.
    public let tensors: [SafetensorsTensor]
    /// The optional `__metadata__` string map (empty when absent).
    public let metadata: [String: String]

    public init(tensors: [SafetensorsTensor], metadata: [String: String]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor names, sorted.
    public var names: [String] { tensors.map(\.name) }

    /// The tensor called `name`, if any.
    public subscript(name: String) -> SafetensorsTensor? { tensors.first { $0.name == name } }
}

/// Reader and writer of Hugging Face's `.safetensors` format.
///
/// Layout: an 8-byte little-endian `UInt64` header length `N`, `N` bytes of UTF-8 JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …,
/// "__metadata__": {"key": "value"}}`, then the byte buffer; offsets are relative to
/// the start of the buffer, data is little-endian and C order.
///
/// Reading supports `F64`, `F32`, `F16`, `BF16` and the integer types `I8`…`I64`,
/// `U8`…`U64`, `BOOL` (so that real PyTorch checkpoints, which hold e.g. `I64`
/// counters next to their weights, can be opened); writing supports `F32` and `F64`.
public enum Safetensors {
    /// Files larger than this (2 GiB) are refused before being read.
    public static let maxFileSize = 2 << 30

    /// Bytes per element of each readable dtype.
    public static let dtypeSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2,
        "I64": 8, "I32": 4, "I16": 2, "I8": 1,
        "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1,
    ]

    /// The dtypes the writer can produce.
    public enum WriteDType: String, Sendable, CaseIterable {
        case f32 = "F32"
        case f64 = "F64"
    }

    // MARK: Reading

    /// Reads the `.safetensors` file at `path`.
    ///
    /// - Throws: `fileNotFound`; `fileTooLarge` above 2 GiB (checked before reading);
    ///   `malformedFile` for a header length past the end of the file, invalid JSON,
    ///   bad entries, offsets out of range, overlapping or not matching shape × dtype size;
    ///   `unsupportedDType` for a dtype this reader cannot convert.
    public static func read(path: String) throws -> SafetensorsFile {
        try IOFiles.decodeFile(path: path, limit: maxFileSize) { try read(data: $0, path: path) }
    }

    /// Parses `.safetensors` bytes; `path` is only used in error messages.
    public static func read(data: Data, path: String) throws -> SafetensorsFile {
        func fail(_ reason: String) -> ConvSimError { .malformedFile(path: path, reason: reason) }
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> SafetensorsFile in
            guard raw.count >= 8 else {
                throw fail("file has \(raw.count) bytes, too short for the 8-byte header length")
            }
            let headerLength = raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
            guard headerLength <= UInt64(raw.count - 8) else {
                throw fail("header length \(headerLength) bytes goes past the end of the file (\(raw.count - 8) bytes follow the length field); truncated file, or not a .safetensors file")
            }
            let bufferStart = 8 + Int(headerLength)
            let bufferSize = raw.count - bufferStart
            let headerData = Data(raw[8..<bufferStart])

            let json: Any
            do {
                json = try JSONSerialization.jsonObject(with: headerData, options: [])
            } catch {
                let preview = String(decoding: headerData.prefix(60), as: UTF8.self)
                throw fail("header is not valid JSON (\(error.localizedDescription)); it starts with '\(preview)'")
            }
            guard let header = json as? [String: Any] else {
                throw fail("header JSON must be an object mapping tensor names to entries")
            }

            var metadata: [String: String] = [:]
            if let meta = header["__metadata__"] {
                guard let dict = meta as? [String: Any] else {
                    throw fail("'__metadata__' must be an object of strings")
                }
                for (k, v) in dict {
                    guard let s = v as? String else { throw fail("'__metadata__' value for '\(k)' is not a string") }
                    metadata[k] = s
                }
            }

            struct Entry { var name: String; var dtype: String; var shape: [Int]; var begin: Int; var end: Int; var count: Int }
            var entries: [Entry] = []
            for (name, value) in header where name != "__metadata__" {
                guard let e = value as? [String: Any] else { throw fail("entry '\(name)' is not an object") }
                guard let dtype = e["dtype"] as? String else { throw fail("entry '\(name)' has no string 'dtype'") }
                guard let shapeAny = e["shape"] as? [Any], let shape = integers(shapeAny), shape.allSatisfy({ $0 >= 0 }) else {
                    throw fail("entry '\(name)' has no 'shape' list of non-negative integers")
                }
                guard let offAny = e["data_offsets"] as? [Any], let offsets = integers(offAny), offsets.count == 2 else {
                    throw fail("entry '\(name)' has no 'data_offsets' pair of integers [begin, end]")
                }
                let (begin, end) = (offsets[0], offsets[1])
                guard begin >= 0, begin <= end else {
                    throw fail("entry '\(name)' has data_offsets [\(begin), \(end)] with begin > end or negative")
                }
                guard end <= bufferSize else {
                    throw fail("entry '\(name)' has data_offsets [\(begin), \(end)] past the end of the data buffer (\(bufferSize) bytes)")
                }
                guard let size = dtypeSizes[dtype] else {
                    throw ConvSimError.unsupportedDType(path: path, dtype: "\(dtype) (tensor '\(name)')",
                                                        supported: dtypeSizes.keys.sorted())
                }
                var count = 1
                for d in shape {
                    let (p, o) = count.multipliedReportingOverflow(by: d)
                    guard !o else { throw fail("entry '\(name)' has a shape \(shape) too large to address") }
                    count = p
                }
                let (needed, o) = count.multipliedReportingOverflow(by: size)
                guard !o, end - begin == needed else {
                    throw fail("entry '\(name)' has \(end - begin) bytes (data_offsets [\(begin), \(end)]) but shape \(shape) \(dtype) needs \(o ? "more than Int.max" : String(needed))")
                }
                entries.append(Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end, count: count))
            }

            // No two tensors may share bytes.
            let byOffset = entries.filter { $0.end > $0.begin }.sorted { ($0.begin, $0.name) < ($1.begin, $1.name) }
            for (a, b) in zip(byOffset, byOffset.dropFirst()) where b.begin < a.end {
                throw fail("tensors '\(a.name)' [\(a.begin), \(a.end)) and '\(b.name)' [\(b.begin), \(b.end)) overlap in the data buffer")
            }

            let tensors = entries.sorted { $0.name < $1.name }.map { e in
                SafetensorsTensor(name: e.name, dtype: e.dtype, shape: e.shape,
                                  values: decode(raw, offset: bufferStart + e.begin, count: e.count, dtype: e.dtype))
            }
            return SafetensorsFile(tensors: tensors, metadata: metadata)
        }
    }

    /// The JSON numbers of `array` as `Int`s, or nil if one is not an integer.
    private static func integers(_ array: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in array {
            if let n = v as? Int {
                out.append(n)
            } else if let d = v as? Double, d == d.rounded(), abs(d) < 0x1p62 {
                out.append(Int(d))
            } else {
                return nil
            }
        }
        return out
    }

    /// Decodes `count` little-endian elements of the (known) `dtype` starting at `offset`.
    private static func decode(_ raw: UnsafeRawBufferPointer, offset: Int, count: Int, dtype: String) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        func u16(_ i: Int) -> UInt16 { raw.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self).littleEndian }
        func u32(_ i: Int) -> UInt32 { raw.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self).littleEndian }
        func u64(_ i: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: offset + 8 * i, as: UInt64.self).littleEndian }
        switch dtype {
        case "F64": for i in 0..<count { out[i] = Double(bitPattern: u64(i)) }
        case "F32": for i in 0..<count { out[i] = Double(Float(bitPattern: u32(i))) }
        case "F16": for i in 0..<count { out[i] = halfToDouble(u16(i)) }
        case "BF16": for i in 0..<count { out[i] = bfloat16ToDouble(u16(i)) }
        case "I64": for i in 0..<count { out[i] = Double(Int64(bitPattern: u64(i))) }
        case "I32": for i in 0..<count { out[i] = Double(Int32(bitPattern: u32(i))) }
        case "I16": for i in 0..<count { out[i] = Double(Int16(bitPattern: u16(i))) }
        case "I8": for i in 0..<count { out[i] = Double(Int8(bitPattern: raw[offset + i])) }
        case "U64": for i in 0..<count { out[i] = Double(u64(i)) }
        case "U32": for i in 0..<count { out[i] = Double(u32(i)) }
        case "U16": for i in 0..<count { out[i] = Double(u16(i)) }
        case "U8", "BOOL": for i in 0..<count { out[i] = Double(raw[offset + i]) }
        default: preconditionFailure("decode called with unchecked dtype \(dtype)")
        }
        return out
    }

    /// IEEE 754 binary16 → `Double`: sign bit, 5-bit exponent (bias 15), 10-bit fraction.
    /// Exponent 0 encodes zeros and subnormals `frac · 2⁻²⁴`; exponent 31 encodes ±∞ (frac 0) and NaN.
    public static func halfToDouble(_ bits: UInt16) -> Double {
        let sign: Double = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let fraction = Double(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1024 + fraction) * Double(sign: .plus, exponent: exponent - 25, significand: 1)
        }
    }

    /// bfloat16 → `Double`: the 16 bits are the upper half of an IEEE binary32.
    public static func bfloat16ToDouble(_ bits: UInt16) -> Double {
        Double(Float(bitPattern: UInt32(bits) << 16))
    }

    // MARK: Writing

    /// Encodes tensors as `.safetensors` bytes, in the given order (offsets increase
    /// in that order). The JSON header is padded with spaces to a multiple of 8 bytes.
    ///
    /// - Throws: `invalidArgument` for duplicate or reserved names, a value count not
    ///   matching the shape, or a finite value overflowing float32.
    public static func encode(tensors: [(name: String, shape: [Int], values: [Double])],
                              dtype: WriteDType = .f32,
                              metadata: [String: String] = [:]) throws -> Data {
        var seen = Set<String>()
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(JSONText.quote($0)):\(JSONText.quote(metadata[$0]!))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var buffer: [UInt8] = []
        let npyType: NPY.DType = dtype == .f32 ? .float32 : .float64
        for t in tensors {
            guard t.name != "__metadata__", seen.insert(t.name).inserted else {
                throw ConvSimError.invalidArgument("safetensors: tensor name '\(t.name)' is reserved or used twice")
            }
            guard t.shape.allSatisfy({ $0 >= 0 }), t.shape.reduce(1, *) == t.values.count else {
                throw ConvSimError.invalidArgument("safetensors: tensor '\(t.name)' has shape \(t.shape) but \(t.values.count) values")
            }
            let begin = buffer.count
            try NPY.encodeValues(t.values, dtype: npyType, into: &buffer, what: "safetensors tensor '\(t.name)'")
            let shape = t.shape.map(String.init).joined(separator: ",")
            fields.append("\(JSONText.quote(t.name)):{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(buffer.count)]}")
        }
        var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: 0x20, count: (8 - header.count % 8) % 8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + buffer.count)
        appendLE(UInt64(header.count), to: &bytes)
        bytes += header
        bytes += buffer
        return Data(bytes)
    }

    /// Writes tensors as a `.safetensors` file atomically (temporary file in the same
    /// directory, then rename). See `encode(tensors:dtype:metadata:)`.
    public static func write(tensors: [(name: String, shape: [Int], values: [Double])],
                             dtype: WriteDType = .f32,
                             metadata: [String: String] = [:],
                             to path: String) throws {
        try IOFiles.writeAtomically(encode(tensors: tensors, dtype: dtype, metadata: metadata), to: path)
    }

}
