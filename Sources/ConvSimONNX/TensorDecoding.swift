import ConvSimCore
import Foundation

/// Decoding of ONNX `TensorProto`s (initializers and `Constant` values) into `Tensor`s.
///
/// Supported element types: FLOAT, DOUBLE (as floating-point values), INT32, INT64 (exact
/// integers up to 2⁵³, `isInteger`), from `raw_data` (little-endian, exactly the bytes the
/// shape needs) or from the typed repeated fields. Refused with a message: external data,
/// segments, other element types, shapes over `Tensor.maxElements` or whose values are not
/// all present. Nothing is allocated before the element count is checked against the data.
enum TensorDecoding {
    /// The element types read, with their names and sizes in `raw_data`.
    static let types: [Int32: (name: String, bytes: Int)] = [
        1: ("FLOAT", 4), 11: ("DOUBLE", 8), 6: ("INT32", 4), 7: ("INT64", 8),
    ]

    static func decode(_ t: Onnx_TensorProto, what: String, path: String) throws -> Tensor {
        func bad(_ reason: String) -> ConvSimError { .malformedFile(path: path, reason: "\(what): \(reason)") }
        if t.dataLocation == .external || !t.externalData.isEmpty {
            throw bad("its data is stored outside the model file (external data); convert the model to a single file, e.g. onnx.save(onnx.load(path), out, save_as_external_data=False)")
        }
        if t.hasSegment { throw bad("segmented tensors are not supported") }
        guard let type = types[t.dataType] else {
            throw ConvSimError.unsupportedDType(path: path, dtype: "ONNX element type \(t.dataType) in \(what)",
                                                supported: ["FLOAT (1)", "DOUBLE (11)", "INT32 (6)", "INT64 (7)"])
        }
        var shape: [Int] = []
        for d in t.dims {
            guard let v = Int(exactly: d), v >= 0 else { throw bad("negative dimension \(d) in its shape") }
            shape.append(v)
        }
        let n: Int
        do { n = try Tensor.elementCount(shape) } catch { throw bad("shape \(shape) claims more than \(Tensor.elementLimit) elements") }
        let isInteger = t.dataType == 6 || t.dataType == 7
        var values: [Double]
        if t.hasRawData {
            let raw = t.rawData
            let (need, o) = n.multipliedReportingOverflow(by: type.bytes)
            guard !o, raw.count == need else {
                throw bad("shape \(shape) of type \(type.name) needs \(n) × \(type.bytes) bytes of raw_data, the file holds \(raw.count)")
            }
            values = [Double](repeating: 0, count: n)
            raw.withUnsafeBytes { (p: UnsafeRawBufferPointer) in
                for i in 0..<n {
                    let at = i * type.bytes
                    switch t.dataType {
                    case 1: values[i] = Double(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt32.self))))
                    case 11: values[i] = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
                    case 6: values[i] = Double(Int32(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int32.self)))
                    default: values[i] = Double(Int64(littleEndian: p.loadUnaligned(fromByteOffset: at, as: Int64.self)))
                    }
                }
            }
        } else {
            let present: Int
            switch t.dataType {
            case 1: present = t.floatData.count
            case 11: present = t.doubleData.count
            case 6: present = t.int32Data.count
            default: present = t.int64Data.count
            }
            guard present == n else {
                throw bad("shape \(shape) of type \(type.name) needs \(n) values, the file holds \(present)")
            }
            switch t.dataType {
            case 1: values = t.floatData.map { Double($0) }
            case 11: values = t.doubleData
            case 6: values = t.int32Data.map { Double($0) }
            default: values = t.int64Data.map { Double($0) }
            }
        }
        return try Tensor(shape: shape, values: values, isInteger: isInteger)
    }
}
