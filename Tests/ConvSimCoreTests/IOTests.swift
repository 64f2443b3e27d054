@testable import ConvSimIO
import Foundation
import PropertyBased
import Testing
@testable import ConvSimCore

/// File formats: .npy, .safetensors, PNG/JPEG decoding, input and kernel loading.
@Suite struct IO {
    // MARK: Helpers

    /// The package root, found from this file's path (Tests/ConvSimCoreTests/IOTests.swift).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A path inside the repository's `data/` folder.
    static func data(_ relative: String) -> String {
        packageRoot.appendingPathComponent("data").appendingPathComponent(relative).path
    }

    /// A fresh temporary directory; remove it with `cleanUp`.
    static func makeTempDir() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("convsim-io-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    static func cleanUp(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }

    static func join(_ dir: String, _ name: String) -> String { (dir as NSString).appendingPathComponent(name) }

    /// Random values of mixed magnitudes (and exact zeros) from a seed.
    static func randomValues(count: Int, seed: UInt64) -> [Double] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            switch rng.integer(in: 0...9) {
            case 0: return 0
            case 1: return Double(rng.integer(in: -1000...1000))
            default: return rng.gaussian() * Double.pow(10, Double(rng.integer(in: -6...6)))
            }
        }
    }

    /// Hand-built `.npy` bytes (independent of the writer under test).
    static func npyBytes(descr: String, shape: String, payload: [UInt8], version: UInt8 = 1,
                         fortran: String = "False") -> Data {
        npyBytes(dict: "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }",
                 payload: payload, version: version)
    }

    /// Hand-built `.npy` bytes with an arbitrary header text.
    static func npyBytes(dict: String, payload: [UInt8], version: UInt8 = 1) -> Data {
        let preamble = version == 1 ? 10 : 12
        let total = preamble + dict.utf8.count + 1
        let header = dict + String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        if version == 1 {
            withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { bytes += $0 }
        } else {
            withUnsafeBytes(of: UInt32(header.utf8.count).littleEndian) { bytes += $0 }
        }
        return Data(bytes + Array(header.utf8) + payload)
    }

    /// Hand-built `.safetensors` bytes from a raw JSON header and buffer.
    static func safetensorsBytes(header: String, buffer: [UInt8], declaredLength: UInt64? = nil) -> Data {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (declaredLength ?? UInt64(header.utf8.count)).littleEndian) { bytes += $0 }
        return Data(bytes + Array(header.utf8) + buffer)
    }

    static func le16(_ xs: [UInt16]) -> [UInt8] { xs.flatMap { x in [UInt8(x & 0xFF), UInt8(x >> 8)] } }

    /// Asserts that `body` throws `ConvSimError.malformedFile` whose reason contains `fragment`.
    static func expectMalformed(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
                                _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected malformedFile containing '\(fragment)', got no error", sourceLocation: sourceLocation)
        } catch let ConvSimError.malformedFile(_, reason) {
            #expect(reason.contains(fragment), "reason was: \(reason)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected malformedFile containing '\(fragment)', got \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: .npy

    @Test func npyRoundTripFloat64AndFloat32() async throws {
        let dir = try Self.makeTempDir()
        defer { Self.cleanUp(dir) }
        await propertyCheck(count: 60, input: Gen.int(in: 1...5).array(of: 0...4), Gen.uint64()) { shape, seed in
            let values = Self.randomValues(count: shape.reduce(1, *), seed: seed)
            let path = Self.join(dir, "a.npy")

            try NPY.write(values, shape: shape, dtype: .float64, to: path)
            let a = try NPY.read(path: path)
            #expect(a.shape == shape)
            #expect(a.dtype == .float64)
            #expect(a.values == values)

            try NPY.write(values, shape: shape, dtype: .float32, to: path)
            let b = try NPY.read(path: path)
            #expect(b.shape == shape)
            #expect(b.dtype == .float32)
            #expect(b.values == values.map { Double(Float($0)) })

            // The header is padded so that the data starts on a 64-byte boundary.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect((bytes.count - 4 * values.count) % 64 == 0)
        }
        // The atomic writer leaves no temporary files behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["a.npy"])
    }

    @Test func npyUInt8AndIntegerRead() async throws {
        await propertyCheck(count: 40, input: Gen.int(in: 1...6).array(of: 1...3), Gen.uint64()) { shape, seed in
            var rng = SeededRandom(seed: seed)
            let n = shape.reduce(1, *)
            let bytes = (0..<n).map { _ in UInt8(rng.integer(in: 0...255)) }
            let shapeText = NPY.formatShape(shape)
            let u8 = try NPY.read(data: Self.npyBytes(descr: "|u1", shape: shapeText, payload: bytes), path: "u8.npy")
            #expect(u8.dtype == .uint8)
            #expect(u8.shape == shape)
            #expect(u8.values == bytes.map(Double.init))

            let ints = (0..<n).map { _ in Int32(truncatingIfNeeded: Int64(bitPattern: rng.next())) }
            let i4 = try NPY.read(data: Self.npyBytes(descr: "<i4", shape: shapeText,
                                                      payload: ints.flatMap { x in withUnsafeBytes(of: x.littleEndian) { Array($0) } }),
                                  path: "i4.npy")
            #expect(i4.dtype == .int32)
            #expect(i4.values == ints.map(Double.init))

            let longs = (0..<n).map { _ in Int64(rng.integer(in: -(1 << 40)...(1 << 40))) }
            let i8 = try NPY.read(data: Self.npyBytes(descr: "<i8", shape: shapeText,
                                                      payload: longs.flatMap { x in withUnsafeBytes(of: x.littleEndian) { Array($0) } }),
                                  path: "i8.npy")
            #expect(i8.dtype == .int64)
            #expect(i8.values == longs.map(Double.init))

            // The writer produces uint8 files the reader reads back.
            let encoded = try NPY.encode(bytes.map(Double.init), shape: shape, dtype: .uint8)
            #expect(try NPY.read(data: encoded, path: "w.npy").values == bytes.map(Double.init))
        }
    }

    @Test func npyHeaderVersions() throws {
        let payload = [1.5, -2.25, 1e300].flatMap { (x: Double) in withUnsafeBytes(of: x.bitPattern.littleEndian) { Array($0) } }
        for version: UInt8 in [1, 2, 3] {
            let a = try NPY.read(data: Self.npyBytes(descr: "<f8", shape: "(3,)", payload: payload, version: version), path: "v.npy")
            #expect(a.shape == [3])
            #expect(a.values == [1.5, -2.25, 1e300])
        }
        // Scalars (shape ()) and '=' byte order are fine, so is a Python 2 style header.
        let scalar = try NPY.read(data: Self.npyBytes(descr: "=f8", shape: "()", payload: Array(payload[0..<8])), path: "s.npy")
        #expect(scalar.shape == [] && scalar.values == [1.5])
        let py2 = try NPY.read(data: Self.npyBytes(descr: "<f8", shape: "(3L,)", payload: payload), path: "p.npy")
        #expect(py2.shape == [3])
        // Version 4 does not exist.
        Self.expectMalformed("unsupported .npy format version 4.0") {
            _ = try NPY.read(data: Self.npyBytes(descr: "<f8", shape: "(3,)", payload: payload, version: 4), path: "v4.npy")
        }
    }

    @Test func npyMalformed() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: Self.data("weights/mtcnn_pnet_conv1.npy")))
        let headerSize = original.count - 1080
        // Truncated data section: the message says exactly what is missing.
        Self.expectMalformed("data section has 100 bytes, shape (10, 3, 3, 3) float32 needs 1080") {
            _ = try NPY.read(data: original.prefix(headerSize + 100), path: "t.npy")
        }
        Self.expectMalformed("data section has 1081 bytes") {
            _ = try NPY.read(data: original + Data([0]), path: "t.npy")
        }
        // Truncated inside the header.
        Self.expectMalformed("header claims") { _ = try NPY.read(data: original.prefix(40), path: "t.npy") }
        Self.expectMalformed("too short") { _ = try NPY.read(data: original.prefix(5), path: "t.npy") }
        // Bad magic.
        var bad = original
        bad[1] = UInt8(ascii: "X")
        Self.expectMalformed("bad magic: expected 93 4e 55 4d 50 59 (\"\\x93NUMPY\"), found 93 58 55 4d 50 59") { _ = try NPY.read(data: bad, path: "m.npy") }
        // Bad header dicts.
        Self.expectMalformed("bad header dict") {
            _ = try NPY.read(data: Self.npyBytes(descr: "<f4", shape: "(2,", payload: []), path: "h.npy")
        }
        Self.expectMalformed("missing key 'shape'") {
            _ = try NPY.read(data: Self.npyBytes(dict: "{'descr': '<f4', 'fortran_order': False, 'shope': (2,), }", payload: []),
                             path: "h.npy")
        }
        Self.expectMalformed("expected a dict") {
            _ = try NPY.read(data: Self.npyBytes(dict: "[1, 2]", payload: []), path: "h.npy")
        }
        Self.expectMalformed("non-negative integers") {
            _ = try NPY.read(data: Self.npyBytes(descr: "<f4", shape: "(2, -1)", payload: []), path: "h.npy")
        }
        // Fortran order is refused with a fix.
        Self.expectMalformed("Fortran") {
            _ = try NPY.read(data: Self.npyBytes(descr: "<f4", shape: "(1,)", payload: [0, 0, 0, 0], fortran: "True"), path: "f.npy")
        }
        // Big-endian and unknown dtypes.
        #expect(throws: ConvSimError.self) {
            _ = try NPY.read(data: Self.npyBytes(descr: ">f4", shape: "(1,)", payload: [0, 0, 0, 0]), path: "b.npy")
        }
        do {
            _ = try NPY.read(data: Self.npyBytes(descr: ">f8", shape: "(1,)", payload: [UInt8](repeating: 0, count: 8)), path: "b.npy")
            Issue.record("big-endian accepted")
        } catch let ConvSimError.unsupportedDType(_, dtype, _) {
            #expect(dtype.contains("big-endian"))
        }
        do {
            _ = try NPY.read(data: Self.npyBytes(descr: "<c16", shape: "(1,)", payload: [UInt8](repeating: 0, count: 16)), path: "c.npy")
            Issue.record("complex accepted")
        } catch let ConvSimError.unsupportedDType(_, dtype, supported) {
            #expect(dtype == "<c16")
            #expect(supported.contains("<f4"))
        }
        // Missing file.
        #expect(throws: ConvSimError.fileNotFound(path: "/nonexistent/x.npy")) { _ = try NPY.read(path: "/nonexistent/x.npy") }
        // Writer argument checks.
        #expect(throws: ConvSimError.self) { _ = try NPY.encode([1, 2, 3], shape: [2, 2]) }
        #expect(throws: ConvSimError.self) { _ = try NPY.encode([256], shape: [1], dtype: .uint8) }
        #expect(throws: ConvSimError.self) { _ = try NPY.encode([1e39], shape: [1], dtype: .float32) }
    }

    // MARK: .safetensors

    @Test func safetensorsRoundTrip() async throws {
        let dir = try Self.makeTempDir()
        defer { Self.cleanUp(dir) }
        await propertyCheck(count: 40, input: Gen.int(in: 1...4).array(of: 0...4).array(of: 1...4), Gen.uint64(), Gen.bool) { shapes, seed, f64 in
            let tensors = shapes.enumerated().map { i, shape in
                (name: "t\(shapes.count - i).weight", shape: shape,
                 values: Self.randomValues(count: shape.reduce(1, *), seed: seed &+ UInt64(i)))
            }
            let path = Self.join(dir, "w.safetensors")
            let meta = ["layout": "OIHW", "note": "quote \" and backslash \\"]
            try Safetensors.write(tensors: tensors, dtype: f64 ? .f64 : .f32, metadata: meta, to: path)
            let file = try Safetensors.read(path: path)
            #expect(file.metadata == meta)
            #expect(file.names == tensors.map(\.name).sorted())
            for t in tensors {
                let got = try #require(file[t.name])
                #expect(got.dtype == (f64 ? "F64" : "F32"))
                #expect(got.shape == t.shape)
                #expect(got.values == (f64 ? t.values : t.values.map { Double(Float($0)) }))
            }
            // The header (after the 8-byte length) is padded to a multiple of 8.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let n = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            #expect(n % 8 == 0)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["w.safetensors"])
    }

    @Test func halfAndBFloat16Decoding() throws {
        // IEEE binary16, hand-computed: sign | 5-bit exponent (bias 15) | 10-bit fraction.
        let half: [(UInt16, Double)] = [
            (0x3C00, 1.0), (0xC000, -2.0), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24), (0x0400, 0x1p-14),
            (0x7BFF, 65504), (0x3555, 0.333251953125), (0x0000, 0), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        for (bits, value) in half { #expect(Safetensors.halfToDouble(bits) == value, "0x\(String(bits, radix: 16))") }
        #expect(Safetensors.halfToDouble(0x8000) == 0 && Safetensors.halfToDouble(0x8000).sign == .minus)
        #expect(Safetensors.halfToDouble(0x7E00).isNaN)
        #expect(Safetensors.halfToDouble(0x7C01).isNaN)
        // bfloat16 = the upper half of a binary32.
        let bf: [(UInt16, Double)] = [
            (0x3F80, 1.0), (0xC000, -2.0), (0x4049, 3.140625), (0x0001, 0x1p-133), (0x7F80, .infinity), (0xFF80, -.infinity),
        ]
        for (bits, value) in bf { #expect(Safetensors.bfloat16ToDouble(bits) == value, "0x\(String(bits, radix: 16))") }
        #expect(Safetensors.bfloat16ToDouble(0x7FC0).isNaN)

        // The same bit patterns through a hand-built file.
        let header = #"{"h":{"dtype":"F16","shape":[2,5],"data_offsets":[0,20]},"b":{"dtype":"BF16","shape":[6],"data_offsets":[20,32]}}"#
        let file = try Safetensors.read(
            data: Self.safetensorsBytes(header: header, buffer: Self.le16(half.prefix(10).map(\.0)) + Self.le16(bf.map(\.0))),
            path: "h.safetensors")
        #expect(file.names == ["b", "h"])
        #expect(file["h"]?.shape == [2, 5])
        #expect(file["h"]?.values == half.map(\.1))
        #expect(file["b"]?.values == bf.map(\.1))
        #expect(file.metadata.isEmpty)
    }

    @Test func safetensorsMalformed() throws {
        let ok = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let buffer = [UInt8](repeating: 0, count: 8)
        #expect(try Safetensors.read(data: Self.safetensorsBytes(header: ok, buffer: buffer), path: "ok").names == ["a"])

        Self.expectMalformed("header length 4096 bytes goes past the end of the file") {
            _ = try Safetensors.read(data: Self.safetensorsBytes(header: ok, buffer: buffer, declaredLength: 4096), path: "x")
        }
        Self.expectMalformed("too short") { _ = try Safetensors.read(data: Data([1, 2, 3]), path: "x") }
        Self.expectMalformed("not valid JSON") {
            _ = try Safetensors.read(data: Self.safetensorsBytes(header: "{\"a\": [", buffer: []), path: "x")
        }
        Self.expectMalformed("must be an object") {
            _ = try Safetensors.read(data: Self.safetensorsBytes(header: "[1, 2]", buffer: []), path: "x")
        }
        Self.expectMalformed("past the end of the data buffer (8 bytes)") {
            let h = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
            _ = try Safetensors.read(data: Self.safetensorsBytes(header: h, buffer: buffer), path: "x")
        }
        Self.expectMalformed("has 8 bytes (data_offsets [0, 8]) but shape [3] F32 needs 12") {
            let h = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
            _ = try Safetensors.read(data: Self.safetensorsBytes(header: h, buffer: buffer), path: "x")
        }
        Self.expectMalformed("overlap") {
            let h = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
            _ = try Safetensors.read(data: Self.safetensorsBytes(header: h, buffer: buffer), path: "x")
        }
        Self.expectMalformed("begin > end") {
            let h = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#
            _ = try Safetensors.read(data: Self.safetensorsBytes(header: h, buffer: buffer), path: "x")
        }
        Self.expectMalformed("'shape'") {
            let h = #"{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}"#
            _ = try Safetensors.read(data: Self.safetensorsBytes(header: h, buffer: buffer), path: "x")
        }
        Self.expectMalformed("'__metadata__'") {
            let h = #"{"__metadata__":{"k":3},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
            _ = try Safetensors.read(data: Self.safetensorsBytes(header: h, buffer: buffer), path: "x")
        }
        do {
            let h = #"{"a":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}"#
            _ = try Safetensors.read(data: Self.safetensorsBytes(header: h, buffer: buffer), path: "x")
            Issue.record("unknown dtype accepted")
        } catch let ConvSimError.unsupportedDType(_, dtype, supported) {
            #expect(dtype.hasPrefix("F8_E4M3"))
            #expect(supported.contains("BF16") && supported.contains("F16"))
        }
        #expect(throws: ConvSimError.fileNotFound(path: "/nonexistent/w.safetensors")) {
            _ = try Safetensors.read(path: "/nonexistent/w.safetensors")
        }
        // Writer argument checks.
        #expect(throws: ConvSimError.self) {
            _ = try Safetensors.encode(tensors: [(name: "a", shape: [2], values: [1]), (name: "b", shape: [1], values: [1])])
        }
        #expect(throws: ConvSimError.self) {
            _ = try Safetensors.encode(tensors: [(name: "a", shape: [1], values: [1]), (name: "a", shape: [1], values: [1])])
        }
    }

    @Test func safetensorsRefusesFilesOver2GiB() throws {
        let dir = try Self.makeTempDir()
        defer { Self.cleanUp(dir) }
        let path = Self.join(dir, "huge.safetensors")
        // A sparse file: its size is checked before anything is read.
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(Safetensors.maxFileSize) + 1)
        try handle.close()
        #expect(throws: ConvSimError.fileTooLarge(path: path, bytes: Safetensors.maxFileSize + 1, limit: Safetensors.maxFileSize)) {
            _ = try Safetensors.read(path: path)
        }
    }

    // MARK: Images

    // Pixel values pinned below were obtained once with a minimal pure-Python PNG decoder
    // (zlib inflate + PNG filter reconstruction, no PIL) run by hand on data/images/*.png;
    // "sum" is the sum of all 8-bit samples of the file.

    @Test func cameraDecodesGray() throws {
        let s = try ImageDecoder.decode(path: Self.data("images/camera.png"))
        #expect(s.channels == 1 && s.height == 512 && s.width == 512)
        #expect(s.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(s[0, 0, 0] == 200.0 / 255)
        #expect(s[0, 100, 200] == 54.0 / 255)
        #expect(s[0, 256, 300] == 98.0 / 255)
        #expect(s[0, 511, 511] == 149.0 / 255)
        #expect(s.values.reduce(0) { $0 + Int(($1 * 255).rounded()) } == 33_832_495)
        // --gray on a gray image changes nothing.
        #expect(try ImageDecoder.decode(path: Self.data("images/camera.png"), gray: true) == s)
    }

    @Test func astronautDecodesRGBAndLuma() throws {
        let s = try ImageDecoder.decode(path: Self.data("images/astronaut.png"))
        #expect(s.channels == 3 && s.height == 512 && s.width == 512)
        #expect(s.values.allSatisfy { $0 >= 0 && $0 <= 1 })
        let pinned: [((Int, Int), [Double])] = [((0, 0), [154, 147, 151]), ((100, 200), [81, 57, 17]),
                                                ((256, 300), [53, 21, 7]), ((511, 511), [0, 0, 0])]
        for ((y, x), rgb) in pinned {
            #expect((0..<3).map { s[$0, y, x] } == rgb.map { $0 / 255 }, "pixel (\(y), \(x))")
        }
        #expect(s.values.reduce(0) { $0 + Int(($1 * 255).rounded()) } == 90_124_324)

        let g = try ImageDecoder.decode(path: Self.data("images/astronaut.png"), gray: true)
        #expect(g.channels == 1 && g.height == 512 && g.width == 512)
        for ((y, x), rgb) in pinned {
            let expected = 0.299 * (rgb[0] / 255) + 0.587 * (rgb[1] / 255) + 0.114 * (rgb[2] / 255)
            // Same formula, same order of operations: bit-for-bit equal.
            #expect(g[0, y, x] == expected, "luma at (\(y), \(x))")
        }
        #expect(g[0, 0, 0] == 0.299 * (154.0 / 255) + 0.587 * (147.0 / 255) + 0.114 * (151.0 / 255))  // ≈ 0.58647
    }

    @Test func nonSquareImageAndUndecodable() throws {
        let coins = try ImageDecoder.decode(path: Self.data("images/coins.png"))
        #expect(coins.channels == 1 && coins.height == 303 && coins.width == 384)
        #expect(coins[0, 0, 0] == 47.0 / 255 && coins[0, 150, 200] == 43.0 / 255)
        Self.expectMalformed("neither a PNG nor a JPEG") {
            _ = try ImageDecoder.decode(data: Data("definitely not an image".utf8), path: "x.png")
        }
        // A PNG cut in half.
        let png = try Data(contentsOf: URL(fileURLWithPath: Self.data("images/text.png")))
        Self.expectMalformed("invalid PNG") { _ = try ImageDecoder.decode(data: png.prefix(100), path: "t.png") }
    }

    // Two tiny baseline JPEGs, made once by a minimal solid-colour JPEG encoder written in
    // Python for this purpose (DC-only blocks, quantisation table of ones, no PIL): a 16×8
    // gray image of value 200, and an 8×8 YCbCr image (Y, Cb, Cr) = (128, 100, 180), which is
    // RGB (200.904, 100.501, 78.384) by the JFIF conversion formulas.
    static let grayJPEG = "/9j/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAALCAAIABABAREA/8QAHwAAAAAMAAAAAAAAAAAAAAAAAAECAwQFBgcICQoL/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQAAPwCpAA//2Q=="
    static let colorJPEG = "/9j/2wBDAAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQH/wAARCAAIAAgDAREAAhEAAxEA/8QAHwAAAAAMAAAAAAAAAAAAAAAAAAECAwQFBgcICQoL/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAwDAQACAAMAAD8ABA+nQP/Z"

    @Test func jpegDecoding() throws {
        let gray = try ImageDecoder.decode(data: try #require(Data(base64Encoded: Self.grayJPEG)), path: "g.jpg")
        #expect(gray.channels == 1 && gray.height == 8 && gray.width == 16)
        #expect(gray.values.allSatisfy { $0 == 200.0 / 255 })

        let dir = try Self.makeTempDir()
        defer { Self.cleanUp(dir) }
        let path = Self.join(dir, "c.jpeg")
        try #require(Data(base64Encoded: Self.colorJPEG)).write(to: URL(fileURLWithPath: path))
        let color = try InputLoader.loadSignals(path: path)
        #expect(color.count == 1)
        let c = color[0]
        #expect(c.channels == 3 && c.height == 8 && c.width == 8)
        let rgb = [200.904, 100.501, 78.384]
        for ch in 0..<3 {
            #expect(c.channel(ch).allSatisfy { abs($0 * 255 - rgb[ch]) <= 1.5 }, "channel \(ch): \(c[ch, 0, 0] * 255)")
        }
        let y = try InputLoader.loadSignals(path: path, gray: true)[0]
        #expect(y.channels == 1)
        #expect(y[0, 3, 3] == 0.299 * c[0, 3, 3] + 0.587 * c[1, 3, 3] + 0.114 * c[2, 3, 3])
    }

    // MARK: InputLoader

    @Test func inputLoaderShapes() throws {
        let dir = try Self.makeTempDir()
        defer { Self.cleanUp(dir) }
        let v = (0..<24).map(Double.init)
        func write(_ name: String, _ shape: [Int], _ dtype: NPY.DType = .float64, _ values: [Double]? = nil) throws -> String {
            let p = Self.join(dir, name)
            try NPY.write(values ?? Array(v.prefix(shape.reduce(1, *))), shape: shape, dtype: dtype, to: p)
            return p
        }
        let line = try InputLoader.loadSignals(path: write("l.npy", [5]))
        #expect(line == [Signal(channels: 1, height: 1, width: 5, values: Array(v.prefix(5)))])
        let hw = try write("hw.npy", [4, 6])
        #expect(try InputLoader.loadSignals(path: hw) == [Signal(channels: 1, height: 4, width: 6, values: v)])
        #expect(try InputLoader.loadSignals(path: hw, oneDimensional: true) == [Signal(channels: 4, height: 1, width: 6, values: v)])
        let chw = try write("chw.npy", [2, 3, 4])
        #expect(try InputLoader.loadSignals(path: chw) == [Signal(channels: 2, height: 3, width: 4, values: v)])
        let ncl = try InputLoader.loadSignals(path: chw, oneDimensional: true)
        #expect(ncl.count == 2 && ncl[1] == Signal(channels: 3, height: 1, width: 4, values: Array(v[12..<24])))
        let batch = try InputLoader.loadNamedSignals(path: write("n.npy", [3, 2, 2, 2]))
        #expect(batch.map(\.name) == ["n.npy[0]", "n.npy[1]", "n.npy[2]"])
        #expect(batch[2].signal == Signal(channels: 2, height: 2, width: 2, values: Array(v[16..<24])))
        // uint8 is scaled to [0, 1]; float32 is kept.
        let u8 = try InputLoader.loadSignals(path: write("u.npy", [2, 2], .uint8, [0, 51, 255, 1]))
        #expect(u8[0].values == [0, 0.2, 1, 1.0 / 255])
        let f32 = try InputLoader.loadSignals(path: write("f.npy", [2], .float32, [3, 300]))
        #expect(f32[0].values == [3, 300])
        // --gray turns a 3-channel array into luma.
        let rgb = try InputLoader.loadSignals(path: write("rgb.npy", [3, 1, 2], .float64, [1, 0, 0, 1, 0, 0]), gray: true)
        #expect(rgb == [Signal(channels: 1, height: 1, width: 2, values: [0.299, 0.587])])
        // Unsupported shapes.
        for shape in [[2, 2, 2, 2, 2], [0, 3], [Int]()] {
            let p = try write("bad.npy", shape, .float64, [Double](repeating: 1, count: shape.reduce(1, *)))
            #expect(throws: ConvSimError.self) { _ = try InputLoader.loadSignals(path: p) }
        }
    }

    @Test func inputLoaderErrors() throws {
        let dir = try Self.makeTempDir()
        defer { Self.cleanUp(dir) }
        let nanPath = Self.join(dir, "nan.npy")
        try NPY.write([0, 1, .nan, 3], shape: [2, 2], dtype: .float32, to: nanPath)
        #expect(throws: ConvSimError.nonFinite(what: nanPath, index: 2)) { _ = try InputLoader.loadSignals(path: nanPath) }
        let infPath = Self.join(dir, "inf.npy")
        try NPY.write([0, -.infinity], shape: [2], to: infPath)
        #expect(throws: ConvSimError.nonFinite(what: infPath, index: 1)) { _ = try InputLoader.loadSignals(path: infPath) }
        let missing = Self.join(dir, "missing.png")
        #expect(throws: ConvSimError.fileNotFound(path: missing)) { _ = try InputLoader.loadSignals(path: missing) }
        let empty = Self.join(dir, "empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        try Data("x".utf8).write(to: URL(fileURLWithPath: Self.join(empty, "notes.txt")))
        #expect(throws: ConvSimError.noInputs(path: empty)) { _ = try InputLoader.loadSignals(path: empty) }
    }

    @Test func inputLoaderDirectory() throws {
        let dir = try Self.makeTempDir()
        defer { Self.cleanUp(dir) }
        for name in ["camera.png", "astronaut.png"] {
            try FileManager.default.copyItem(atPath: Self.data("images/\(name)"), toPath: Self.join(dir, name))
        }
        try NPY.write([1, 2, 3, 4], shape: [2, 2], to: Self.join(dir, "b.npy"))
        try Data("ignored".utf8).write(to: URL(fileURLWithPath: Self.join(dir, "readme.txt")))
        try FileManager.default.createDirectory(atPath: Self.join(dir, "sub"), withIntermediateDirectories: false)
        try NPY.write([1], shape: [1], to: Self.join(dir, "sub/z.npy"))

        let named = try InputLoader.loadNamedSignals(path: dir, gray: true)
        #expect(named.map(\.name) == ["astronaut.png", "b.npy", "camera.png"])
        #expect(named.map(\.signal.channels) == [1, 1, 1])
        let color = try InputLoader.loadSignals(path: dir)
        #expect(color.map(\.channels) == [3, 1, 1])

        // The bundled images folder: five images in name order.
        let all = try InputLoader.loadNamedSignals(path: Self.data("images"))
        #expect(all.map(\.name) == ["astronaut.png", "brick.png", "camera.png", "coins.png", "text.png"])
        #expect(all.map(\.signal.channels) == [3, 1, 1, 1, 1])
        #expect(all[4].signal.height == 172 && all[4].signal.width == 448)
    }

    /// `InputSet`: several paths in order, a `.npy` batch found by its magic bytes under another
    /// extension, a memory-mapped batch (over 1 MiB) decoded signal by signal, a corrupt image
    /// refused when its signal is asked for (not when the set is opened), an index out of range
    /// refused; the same signals and names as `loadNamedSignals`.
    @Test func inputSetOpensWithoutDecoding() throws {
        let dir = try Self.makeTempDir()
        defer { Self.cleanUp(dir) }
        var rng = SeededRandom(seed: 3)
        let big = (0..<(44 * 3 * 32 * 32)).map { _ in rng.uniform() }   // 1,081,344 bytes of values: mapped
        try NPY.write(big, shape: [44, 3, 32, 32], to: Self.join(dir, "a.npy"))
        try NPY.write([1, 2, 3, 4, 5, 6], shape: [2, 1, 1, 3], to: Self.join(dir, "batch.bin"))
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]).write(to: URL(fileURLWithPath: Self.join(dir, "broken.png")))
        let paths = [Self.join(dir, "a.npy"), Self.join(dir, "batch.bin"), Self.data("images/camera.png"), Self.join(dir, "broken.png")]
        let set = try InputSet.open(paths: paths)
        #expect(set.count == 44 + 2 + 1 + 1)
        let first = try set.signal(0), last = try set.signal(43)
        #expect(first.name == "a.npy[0]" && last.name == "a.npy[43]")
        #expect(last.signal.values == Array(big[(43 * 3072)..<(44 * 3072)]))
        #expect(try set.signal(45) == NamedSignal(name: "batch.bin[1]", signal: Signal(channels: 1, height: 1, width: 3, values: [4, 5, 6])))
        #expect(try set.signal(46) == InputLoader.loadNamedSignals(path: Self.data("images/camera.png"))[0])
        #expect(throws: ConvSimError.self) { _ = try set.signal(47) }     // the corrupt PNG, when asked for
        #expect(throws: ConvSimError.self) { _ = try set.signal(48) }     // out of range
        #expect(throws: ConvSimError.self) { _ = try set.signal(-1) }
        #expect(throws: ConvSimError.fileNotFound(path: Self.join(dir, "missing.npy"))) {
            _ = try InputSet.open(paths: [Self.join(dir, "a.npy"), Self.join(dir, "missing.npy")])
        }
        // The same signals as loading them all at once.
        let all = try InputLoader.loadNamedSignals(path: Self.join(dir, "a.npy"))
        #expect(try (0..<44).map { try set.signal($0) } == all)
    }

    // MARK: KernelLoader

    @Test func mtcnnWeights() throws {
        let path = Self.data("weights/mtcnn.safetensors")
        let file = try Safetensors.read(path: path)
        #expect(file.metadata["layout"] == "OIHW")
        #expect(file["pnet.conv1.weight"]?.shape == [10, 3, 3, 3])
        #expect(file["onet.conv3.weight"]?.shape == [64, 64, 3, 3])
        #expect(file["rnet.conv3.weight"]?.shape == [64, 48, 2, 2])

        let layers = try KernelLoader.layers(path: path)
        #expect(layers.contains("pnet.conv1.weight"))
        #expect(layers == layers.sorted())
        #expect(layers == file.tensors.filter { $0.shape.count == 4 }.map(\.name))

        let (name, bank) = try KernelLoader.load(path: path, layer: "pnet.conv1.weight")
        #expect(name == "pnet.conv1.weight")
        #expect(bank.count == 10 && bank.channels == 3 && bank.kernelHeight == 3 && bank.kernelWidth == 3)
        #expect(bank.isFinite)

        // The .npy copy holds exactly the same float32 values.
        let npy = try NPY.read(path: Self.data("weights/mtcnn_pnet_conv1.npy"))
        #expect(npy.dtype == .float32 && npy.shape == [10, 3, 3, 3])
        #expect(npy.values == bank.values)
        let fromNPY = try KernelLoader.load(path: Self.data("weights/mtcnn_pnet_conv1.npy"), layer: nil)
        #expect(fromNPY.name == "mtcnn_pnet_conv1")
        #expect(fromNPY.bank == bank)

        let all = try KernelLoader.loadAll(path: path)
        #expect(all.map(\.name) == layers)
        #expect(all.first { $0.name == "pnet.conv1.weight" }?.bank == bank)

        #expect(throws: ConvSimError.layerRequired(path: path, available: layers)) {
            _ = try KernelLoader.load(path: path, layer: nil)
        }
        #expect(throws: ConvSimError.unknownLayer(name: "pnet.conv9.weight", available: layers)) {
            _ = try KernelLoader.load(path: path, layer: "pnet.conv9.weight")
        }
        #expect(ConvSimError.layerRequired(path: path, available: layers).description.contains("--layer"))
    }

    @Test func kernelLoaderFormats() throws {
        let dir = try Self.makeTempDir()
        defer { Self.cleanUp(dir) }
        let w = (0..<24).map { Double($0) - 12 }
        // Safetensors with one 4-D weight and a bias: the weight is the only layer.
        let st = Self.join(dir, "m.safetensors")
        try Safetensors.write(tensors: [(name: "conv.weight", shape: [2, 3, 2, 2], values: w),
                                        (name: "conv.bias", shape: [2], values: [0.5, -0.5])], to: st)
        #expect(try KernelLoader.layers(path: st) == ["conv.weight"])
        let one = try KernelLoader.load(path: st, layer: nil)
        #expect(one.name == "conv.weight")
        #expect(one.bank == KernelBank(count: 2, channels: 3, kernelHeight: 2, kernelWidth: 2, values: w))
        do {
            _ = try KernelLoader.load(path: st, layer: "conv.bias")
            Issue.record("bias accepted as a layer")
        } catch let ConvSimError.unsupportedShape(_, shape, expected) {
            #expect(shape == [2])
            #expect(expected.contains("conv.weight"))
        }
        // No 4-D tensor at all.
        let biasOnly = Self.join(dir, "b.safetensors")
        try Safetensors.write(tensors: [(name: "bias", shape: [2], values: [1, 2])], to: biasOnly)
        #expect(throws: ConvSimError.noLayers(path: biasOnly)) { _ = try KernelLoader.layers(path: biasOnly) }
        // NaN in weights names the layer.
        let nanST = Self.join(dir, "nan.safetensors")
        var bad = w
        bad[7] = .nan
        try Safetensors.write(tensors: [(name: "k", shape: [2, 3, 2, 2], values: bad)], dtype: .f64, to: nanST)
        #expect(throws: ConvSimError.nonFinite(what: "layer 'k' in \(nanST)", index: 7)) {
            _ = try KernelLoader.load(path: nanST, layer: "k")
        }
        // A 2-D .npy is a bank of 1-D kernels.
        let oneD = Self.join(dir, "taps.npy")
        try NPY.write(Array(w.prefix(6)), shape: [2, 3], to: oneD)
        let k1 = try KernelLoader.load(path: oneD, layer: nil)
        #expect(k1.name == "taps")
        #expect(k1.bank == KernelBank(count: 2, channels: 1, kernelHeight: 1, kernelWidth: 3, values: Array(w.prefix(6))))
        #expect(throws: ConvSimError.unknownLayer(name: "other", available: ["taps"])) {
            _ = try KernelLoader.load(path: oneD, layer: "other")
        }
        // A 3-D array is a Conv1d weight (M, C, k); 5-D is refused.
        let threeD = Self.join(dir, "three.npy")
        try NPY.write(w, shape: [2, 3, 4], to: threeD)
        #expect(try KernelLoader.load(path: threeD, layer: nil).bank.kernelHeight == 1)
        let fiveD = Self.join(dir, "five.npy")
        try NPY.write(w, shape: [2, 3, 2, 2, 1], to: fiveD)
        #expect(throws: ConvSimError.self) { _ = try KernelLoader.load(path: fiveD, layer: nil) }

        // A directory of .npy files: every 4-D file is a layer named by its stem.
        let layerDir = Self.join(dir, "layers")
        try FileManager.default.createDirectory(atPath: layerDir, withIntermediateDirectories: false)
        try NPY.write(w, shape: [2, 3, 2, 2], dtype: .float32, to: Self.join(layerDir, "b_conv.npy"))
        try NPY.write(w, shape: [1, 1, 4, 6], to: Self.join(layerDir, "a_conv.npy"))
        try NPY.write(w, shape: [4, 6], to: Self.join(layerDir, "not_a_layer.npy"))
        #expect(try KernelLoader.layers(path: layerDir) == ["a_conv", "b_conv"])
        #expect(try KernelLoader.load(path: layerDir, layer: "a_conv").bank.kernelWidth == 6)
        #expect(throws: ConvSimError.layerRequired(path: layerDir, available: ["a_conv", "b_conv"])) {
            _ = try KernelLoader.load(path: layerDir, layer: nil)
        }
        #expect(throws: ConvSimError.fileNotFound(path: Self.join(dir, "nope.npy"))) {
            _ = try KernelLoader.layers(path: Self.join(dir, "nope.npy"))
        }
    }

    /// JPEG goes through libjpeg-turbo with Pillow's settings: the decoded samples
    /// equal Pillow 13's (sums and first samples pinned from `numpy.asarray(Image.open(f))`).
    /// Layers in a network's order (natural order of names), and Conv1d weights `(M, C, k)` read
    /// as `(M, C, 1, k)`; a 3-D tensor that is not a weight is not a layer.
    @Test func kernelLoaderNaturalOrderAndConv1d() throws {
        let dir = try Self.makeTempDir()
        defer { Self.cleanUp(dir) }
        let st = Self.join(dir, "net.safetensors")
        let w4 = [Double](repeating: 1, count: 2 * 1 * 1 * 1)
        try Safetensors.write(tensors: [(name: "features.10.weight", shape: [2, 1, 1, 1], values: w4),
                                        (name: "features.3.weight", shape: [2, 1, 1, 1], values: w4),
                                        (name: "features.0.weight", shape: [2, 1, 1, 1], values: w4),
                                        (name: "conv1d.weight", shape: [2, 3, 5], values: (0..<30).map(Double.init)),
                                        (name: "pos_embedding", shape: [1, 4, 8], values: [Double](repeating: 0, count: 32))], to: st)
        #expect(try KernelLoader.layers(path: st) == ["conv1d.weight", "features.0.weight", "features.3.weight", "features.10.weight"])
        let c1 = try KernelLoader.load(path: st, layer: "conv1d.weight").bank
        #expect(c1.count == 2 && c1.channels == 3 && c1.kernelHeight == 1 && c1.kernelWidth == 5 && c1.values[7] == 7)
        #expect(KernelLoader.naturalOrder("a2", "a10") && !KernelLoader.naturalOrder("a10", "a2"))
        #expect(KernelLoader.naturalOrder("a02", "a2") || KernelLoader.naturalOrder("a2", "a02"))
        #expect(KernelLoader.naturalOrder("x.99999999999999999999999", "x.100000000000000000000000"))
        let npy = Self.join(dir, "c1.npy")
        try NPY.write((0..<12).map(Double.init), shape: [2, 2, 3], to: npy)
        #expect(try KernelLoader.load(path: npy, layer: nil).bank.kernelWidth == 3)
    }

    @Test func jpegDecodesLikePillow() throws {
        let rgb = try ImageDecoder.decode(path: Self.data("jpeg/astronaut_crop.jpg"))
        #expect(rgb.channels == 3 && rgb.height == 48 && rgb.width == 64)
        #expect(rgb.values.reduce(0) { $0 + Int(($1 * 255).rounded()) } == 1_243_289)
        #expect([rgb[0, 0, 0], rgb[1, 0, 0], rgb[2, 0, 0], rgb[0, 0, 1], rgb[1, 0, 1], rgb[2, 0, 1]] == [103, 76, 31, 102, 75, 30].map { Double($0) / 255 })
        let gray = try ImageDecoder.decode(path: Self.data("jpeg/camera_crop.jpg"))
        #expect(gray.channels == 1 && gray.height == 48 && gray.width == 64)
        #expect(gray.values.reduce(0) { $0 + Int(($1 * 255).rounded()) } == 182_729)
        #expect(Array(gray.values.prefix(6)) == [18, 26, 28, 21, 16, 18].map { Double($0) / 255 })
        // A truncated JPEG is an error, never a padded guess.
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.data("jpeg/astronaut_crop.jpg")))
        #expect(throws: ConvSimError.self) { try ImageDecoder.decode(data: data.prefix(data.count / 2), path: "half.jpg") }
    }
}

/// Files that once broke the readers (Tests/Regressions/inputs).
@Suite struct RegressionInputs {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Regressions/inputs")

    @Test("a .npy header nested 40,000 levels deep is refused, not a stack overflow")
    func nestedHeader() {
        #expect(throws: ConvSimError.self) { try NPY.read(path: Self.dir.appendingPathComponent("min-npy-nested-header.npy").path) }
        let deep = "{'descr': '<f8', 'fortran_order': False, 'shape': " + String(repeating: "(", count: 17) + String(repeating: ")", count: 17) + ", }"
        #expect(throws: PyLiteralParser.Failure.self) { try PyLiteralParser.parse(Array(deep.utf8)) }
        let ok = "{'a': " + String(repeating: "(", count: 15) + String(repeating: ")", count: 15) + "}"
        #expect((try? PyLiteralParser.parse(Array(ok.utf8))) != nil)
    }

    @Test("a repeated header key takes its last value, as NumPy does")
    func duplicatedKey() throws {
        let a = try NPY.read(path: Self.dir.appendingPathComponent("min-npy-duplicate-shape-key.npy").path)
        #expect(a.shape == [4])   // numpy.load gives shape (4,)
    }

    @Test("images declaring more pixels than the limit are refused before decoding")
    func declaredDimensions() {
        for f in ["min-jpeg-declares-65000x65000.jpg", "jpeg-memory-blowup-210ac44648.jpg", "min-png-16384x16384-1bit.png"] {
            do { _ = try ImageDecoder.decode(path: Self.dir.appendingPathComponent(f).path); Issue.record("\(f) decoded") } catch let e as ConvSimError {
                #expect(e.description.contains("CONVSIM_MAX_PIXELS"), "\(f): \(e)")
            } catch { Issue.record("\(f): \(error)") }
        }
    }
}

/// PNG through libspng gives Pillow's samples for every colour type, bit depth and
/// interlacing (Fixtures/png/pillow-samples.json: Pillow 13's `np.asarray`, palette through
/// `convert("RGB")`, alpha dropped), and refuses corrupt files.
@Suite struct PNGDecoding {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/png")

    struct Expected: Decodable { let shape: [Int]; let scale: Int; let samples: [Int] }

    @Test func samplesEqualPillow() throws {
        let data = try Data(contentsOf: Self.dir.appendingPathComponent("pillow-samples.json"))
        let expected = try JSONDecoder().decode([String: Expected].self, from: data)
        #expect(expected.count >= 13)
        for (file, e) in expected.sorted(by: { $0.key < $1.key }) {
            let s = try ImageDecoder.decode(path: Self.dir.appendingPathComponent(file).path)
            #expect([s.channels, s.height, s.width] == e.shape, "\(file)")
            guard s.values.count == e.samples.count else { continue }
            let scale = Double(e.scale)
            let mismatches = zip(s.values, e.samples).filter { $0.0 != Double($0.1) / scale }.count
            #expect(mismatches == 0, "\(file): \(mismatches) samples differ from Pillow's")
        }
    }

    @Test("corrupt PNGs (bad CRC, broken zlib stream) are refused with libspng's reason")
    func corruptFilesAreRefused() {
        let inputs = RegressionInputs.dir
        for f in ["png-silent-wrong-0ebfc6ac72.png", "png-silent-wrong-1a3ff589f2.png", "png-silent-wrong-2b6cbf15a1.png"] {
            do { _ = try ImageDecoder.decode(path: inputs.appendingPathComponent(f).path); Issue.record("\(f) decoded") } catch let e as ConvSimError {
                #expect(e.description.contains("libspng"), "\(f): \(e)")
            } catch { Issue.record("\(f): \(error)") }
        }
    }
}

@Suite struct OutputFolders {
    func temp() -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("convsim-out-\(UUID().uuidString)").path
        return d
    }

    @Test("an empty path, the root and a folder of someone else's files are refused; --force overrides the last")
    func refusals() throws {
        #expect(throws: ConvSimError.self) { try OutputFolder.claim("", force: false) }
        #expect(throws: ConvSimError.self) { try OutputFolder.claim("/", force: true) }
        let d = temp()
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: URL(fileURLWithPath: d + "/notes.txt"))
        #expect(throws: ConvSimError.self) { try OutputFolder.claim(d, force: false) }
        try OutputFolder.claim(d, force: true)
        #expect(FileManager.default.fileExists(atPath: d + "/notes.txt"))
        try OutputFolder.claim(d, force: false)   // now convsim's (manifest present)
        try? FileManager.default.removeItem(atPath: d)
    }

    @Test("a new report removes the files of the previous one that it does not rewrite, and nothing else")
    func staleFilesAreRemoved() throws {
        let d = temp()
        try OutputFolder.claim(d, force: false)
        for f in ["report.md", "certificates/a-1.json", "certificates/a-2.json"] { try IOFiles.writeAtomically(Data("x".utf8), to: d + "/" + f) }
        try OutputFolder.replaceManifest(d, with: ["report.md", "certificates/a-1.json", "certificates/a-2.json"])
        try Data("user".utf8).write(to: URL(fileURLWithPath: d + "/user.txt"))
        try OutputFolder.replaceManifest(d, with: ["report.md", "certificates/a-1.json"])
        #expect(!FileManager.default.fileExists(atPath: d + "/certificates/a-2.json"))
        #expect(FileManager.default.fileExists(atPath: d + "/certificates/a-1.json"))
        #expect(FileManager.default.fileExists(atPath: d + "/user.txt"))
        try? FileManager.default.removeItem(atPath: d)
    }

    @Test("a failed write names the path and the cause and leaves no temporary file")
    func failedWrite() throws {
        let d = temp()
        try FileManager.default.createDirectory(atPath: d + "/blocked", withIntermediateDirectories: true)
        do { try IOFiles.writeAtomically(Data("x".utf8), to: d + "/blocked"); Issue.record("wrote over a directory") } catch let e as ConvSimError {
            #expect(e.description.contains(d + "/blocked"))
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: d).filter { $0.contains(".tmp-") }
        #expect(left.isEmpty, "temporary files left: \(left)")
        try? FileManager.default.removeItem(atPath: d)
    }

    @Test("rewriting a file swaps the new one into place: the new bytes, a readable old file until then, no temporary file left; a symlink is replaced, not followed")
    func rewriteSwapsIntoPlace() throws {
        let d = temp()
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: d) }
        let path = d + "/g.npy"
        try IOFiles.writeAtomically(Data("first".utf8), to: path)
        let held = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))   // a reader of the old file
        try IOFiles.writeAtomically(Data("second, longer".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second, longer")
        #expect(String(decoding: held.readDataToEndOfFile(), as: UTF8.self) == "first")
        try held.close()
        try IOFiles.writeAtomically(Data("3".utf8), to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "3")
        // A symlink at the destination is replaced by the file (as rename(2) does), its target untouched.
        try IOFiles.writeAtomically(Data("target".utf8), to: d + "/target")
        try FileManager.default.createSymbolicLink(atPath: d + "/link", withDestinationPath: d + "/target")
        try IOFiles.writeAtomically(Data("new".utf8), to: d + "/link")
        #expect(try String(contentsOfFile: d + "/target", encoding: .utf8) == "target")
        #expect(try String(contentsOfFile: d + "/link", encoding: .utf8) == "new")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: d + "/link")) == nil)
        let left = try FileManager.default.contentsOfDirectory(atPath: d).filter { $0.contains(".tmp-") }
        #expect(left.isEmpty, "temporary files left: \(left)")
    }

}

/// Streaming writes (`NPYStreamWriter`, `AtomicFile`) and early reads (`KernelLoader.prefetch`).
@Suite struct StreamingIO {
    /// `NPYStreamWriter` in pieces of any sizes writes the bytes `NPY.write` writes for the whole
    /// array; the file appears only at `commit()`, and an existing file stays untouched until then.
    @Test func npyStreamWriterEqualsWholeWrite() async throws {
        let d = try IO.makeTempDir(); defer { IO.cleanUp(d) }
        await propertyCheck(count: 40, input: Gen.int(in: 1...5), Gen.int(in: 1...7), Gen.int(in: 1...6), Gen.int(in: 0...1_000_000)) { a, b, parts, seed in
            let shape = [a, b, 3]
            let values = IO.randomValues(count: a * b * 3, seed: UInt64(seed))
            let whole = IO.join(d, "whole.npy"), streamed = IO.join(d, "streamed.npy")
            try NPY.write(values, shape: shape, to: whole)
            try IOFiles.writeAtomically(Data("old".utf8), to: streamed)
            let w = try NPYStreamWriter(path: streamed, shape: shape)
            var rng = SeededRandom(seed: UInt64(seed))
            var start = 0
            try values.withUnsafeBufferPointer { vb in
                for p in 0..<parts {
                    let end = p == parts - 1 ? values.count : min(values.count, start + rng.integer(in: 0...values.count))
                    try w.write(UnsafeBufferPointer(rebasing: vb[start..<end]))
                    start = end
                }
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: streamed)) == Data("old".utf8), "replaced before commit")
            try w.commit()
            #expect(try Data(contentsOf: URL(fileURLWithPath: streamed)) == Data(contentsOf: URL(fileURLWithPath: whole)))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: d).sorted() == ["streamed.npy", "whole.npy"], "no temporary file left")
    }

    /// Too few or too many values: an error naming the counts, no file, an existing file untouched.
    @Test func npyStreamWriterRefusesWrongCounts() throws {
        let d = try IO.makeTempDir(); defer { IO.cleanUp(d) }
        let path = IO.join(d, "g.npy")
        try IOFiles.writeAtomically(Data("old".utf8), to: path)
        let values = [1.0, 2, 3, 4, 5, 6, 7]
        let short = try NPYStreamWriter(path: path, shape: [2, 3])
        try values.withUnsafeBufferPointer { try short.write(UnsafeBufferPointer(rebasing: $0[0..<5])) }
        #expect(throws: ConvSimError.self) { try short.commit() }
        let long = try NPYStreamWriter(path: path, shape: [2, 3])
        #expect(throws: ConvSimError.self) { try values.withUnsafeBufferPointer { try long.write($0) } }
        #expect(throws: ConvSimError.self) { try long.commit() }
        let dropped = try NPYStreamWriter(path: path, shape: [1])
        _ = dropped
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("old".utf8))
        #expect(throws: ConvSimError.self) { try NPYStreamWriter(path: path, shape: [-1, 2]) }
        #expect(throws: ConvSimError.self) { try NPYStreamWriter(path: IO.join(d, "g.npy/inside.npy"), shape: [1]) }
    }

    /// A file that is never committed (discarded, or released) leaves nothing behind.
    @Test func atomicFileDiscards() throws {
        let d = try IO.makeTempDir(); defer { IO.cleanUp(d) }
        do {
            let f = try AtomicFile(IO.join(d, "a.bin"))
            try Data([1, 2, 3]).withUnsafeBytes { try f.append($0) }
            #expect(f.size == 3)
        }
        let g = try AtomicFile(IO.join(d, "b.bin"))
        g.discard(); g.discard()
        #expect(throws: ConvSimError.self) { try g.commit() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: d).isEmpty)
    }

    /// An early read (`KernelLoader.prefetch`) gives `load` the same bank as reading afresh; a
    /// file replaced after the early read is read again; a failed early read leaves the error to
    /// `load`; an early read of another path is not used.
    @Test func kernelPrefetch() throws {
        let d = try IO.makeTempDir(); defer { IO.cleanUp(d) }
        let path = IO.join(d, "k.npy"), other = IO.join(d, "other.npy")
        let a = IO.randomValues(count: 4 * 3 * 9, seed: 1), b = IO.randomValues(count: 4 * 3 * 9, seed: 2)
        try NPY.write(a, shape: [4, 3, 3, 3], to: path)
        try NPY.write(b, shape: [4, 3, 3, 3], to: other)

        KernelLoader.prefetch(path: path)
        let early = try KernelLoader.load(path: path, layer: nil)
        #expect(early.bank.values.map(\.bitPattern) == a.map(\.bitPattern) && early.name == "k")

        KernelLoader.prefetch(path: path)
        Thread.sleep(forTimeInterval: 0.05)   // let the early read finish, then replace the file
        try NPY.write(b, shape: [4, 3, 3, 3], to: path)
        #expect(try KernelLoader.load(path: path, layer: nil).bank.values.map(\.bitPattern) == b.map(\.bitPattern))

        KernelLoader.prefetch(path: other)
        #expect(try KernelLoader.load(path: path, layer: nil).bank.values.map(\.bitPattern) == b.map(\.bitPattern))

        var bad = b; bad[5] = .nan
        try NPY.write(bad, shape: [4, 3, 3, 3], to: other)
        KernelLoader.prefetch(path: other)
        do { _ = try KernelLoader.load(path: other, layer: nil); Issue.record("a NaN was accepted") } catch let e as ConvSimError {
            guard case .nonFinite(_, let index) = e else { Issue.record("\(e)"); return }
            #expect(index == 5)
        }
        KernelLoader.prefetch(path: IO.join(d, "missing.npy"))
        #expect(throws: ConvSimError.self) { try KernelLoader.load(path: IO.join(d, "missing.npy"), layer: nil) }
    }

    /// `KernelLoader.loadInPlace`: a float64 `.npy` bank of 1 MiB or more comes mapped (with
    /// or without an early read, 2-D `(M, k)` and 3-D `(M, C, k)` shapes as layers), with the
    /// values `load` gives; small files, other dtypes and `.safetensors` come loaded; a layer
    /// name other than the file's gets `load`'s error; after a mapped early read, `load` and
    /// `loadAll` give the same values (copied), and a NaN is `load`'s error.
    @Test func kernelsInPlace() throws {
        let d = try IO.makeTempDir(); defer { IO.cleanUp(d) }
        let big = IO.join(d, "big.npy"), flat = IO.join(d, "flat.npy"), conv1d = IO.join(d, "c1.npy"), small = IO.join(d, "small.npy")
        let values = IO.randomValues(count: 64 * 32 * 9 * 8, seed: 5)
        try NPY.write(values, shape: [64, 32, 9, 8], to: big)
        try NPY.write(values, shape: [512, 288], to: flat)
        try NPY.write(values, shape: [64, 256, 9], to: conv1d)
        try NPY.write(Array(values.prefix(72)), shape: [2, 4, 3, 3], to: small)
        let f32 = IO.join(d, "f32.npy")
        try NPY.write(values, shape: [64, 32, 9, 8], dtype: .float32, to: f32)
        for (path, shape) in [(big, [64, 32, 9, 8]), (flat, [512, 1, 1, 288]), (conv1d, [64, 256, 1, 9])] {
            for early in [false, true] {
                if early { KernelLoader.prefetch(path: path, thenStartPool: true) }
                guard case .mapped(let layer) = try KernelLoader.loadInPlace(path: path, layer: nil) else {
                    Issue.record("\(path): not mapped"); continue
                }
                #expect(layer.shape == shape && layer.name == ((path as NSString).lastPathComponent as NSString).deletingPathExtension)
                #expect(Array(layer.file.values).map(\.bitPattern) == values.map(\.bitPattern))
                try layer.file.verifyUnchanged()
            }
            KernelLoader.prefetch(path: path)
            let loaded = try KernelLoader.load(path: path, layer: nil)
            #expect(loaded.bank.values.map(\.bitPattern) == values.map(\.bitPattern))
            KernelLoader.prefetch(path: path)
            #expect(try KernelLoader.loadAll(path: path).first?.bank.values.map(\.bitPattern) == values.map(\.bitPattern))
        }
        for path in [small, f32] {
            guard case .bank(_, let bank) = try KernelLoader.loadInPlace(path: path, layer: nil) else {
                Issue.record("\(path): mapped"); continue
            }
            #expect(bank.values == (try KernelLoader.load(path: path, layer: nil).bank.values))
        }
        for early in [false, true] {
            if early { KernelLoader.prefetch(path: big) }
            var viaLoad = "", inPlace = ""
            do { _ = try KernelLoader.load(path: big, layer: "other") } catch { viaLoad = "\(error)" }
            if early { KernelLoader.prefetch(path: big) }
            do { _ = try KernelLoader.loadInPlace(path: big, layer: "other") } catch { inPlace = "\(error)" }
            #expect(!viaLoad.isEmpty && inPlace == viaLoad, "\(inPlace) vs \(viaLoad)")
        }
        if case .mapped = try KernelLoader.loadInPlace(path: big, layer: "big") {} else { Issue.record("layer 'big' not mapped") }
        var bad = values; bad[70_000] = .nan
        try NPY.write(bad, shape: [64, 32, 9, 8], to: big)
        KernelLoader.prefetch(path: big)
        do { _ = try KernelLoader.load(path: big, layer: nil); Issue.record("a NaN was accepted") } catch let e as ConvSimError {
            guard case .nonFinite(let what, let index) = e else { Issue.record("\(e)"); return }
            #expect(index == 70_000 && what == "layer 'big' in \(big)", "\(e)")
        }
    }

    /// A float64 `.npy` file of 1 MiB or more is read with `pread` straight into the array
    /// (`NPY.readFloat64`): the same array as parsing its bytes, on 1 or 2 threads; a file whose
    /// data is cut short or runs on gets the bytes parser's message; other dtypes, small files
    /// and headers longer than the first 64 KiB read take the bytes path and give its result.
    @Test func npyDirectReadEqualsBytesParser() throws {
        let d = try IO.makeTempDir(); defer { IO.cleanUp(d) }
        for (count, seed) in [(131_072, 1), (131_072 + 262_144 * 2 + 5, 2)] {   // 1 MiB exactly; three pieces and a tail
            let values = IO.randomValues(count: count, seed: UInt64(seed))
            let path = IO.join(d, "a\(seed).npy")
            try NPY.write(values, shape: [count], to: path)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            let parsed = try NPY.read(data: bytes, path: path)
            for threads in [1, 2] {
                let direct = try Parallel.withThreads(threads) { try #require(try NPY.readFloat64(path: path)) }
                #expect(direct.shape == parsed.shape && direct.dtype == .float64)
                #expect(direct.values.map(\.bitPattern) == parsed.values.map(\.bitPattern))
                #expect(try NPY.read(path: path).values.map(\.bitPattern) == parsed.values.map(\.bitPattern))
            }
            for (name, changed) in [("cut", bytes.prefix(bytes.count - 8)), ("long", bytes + Data(count: 8))] {
                let bad = IO.join(d, "\(name)\(seed).npy")
                try Data(changed).write(to: URL(fileURLWithPath: bad))
                var viaBytes = "", viaPath = ""
                do { _ = try NPY.read(data: Data(changed), path: bad) } catch { viaBytes = "\(error)" }
                do { _ = try NPY.read(path: bad) } catch { viaPath = "\(error)" }
                #expect(!viaBytes.isEmpty && viaPath == viaBytes, "\(name): \(viaPath) vs \(viaBytes)")
            }
        }
        let small = IO.join(d, "small.npy"), f32 = IO.join(d, "f32.npy")
        let values = IO.randomValues(count: 200_000, seed: 3)
        try NPY.write(Array(values.prefix(100)), shape: [100], to: small)
        try NPY.write(values, shape: [200_000], dtype: .float32, to: f32)
        #expect(try NPY.readFloat64(path: small) == nil)
        #expect(try NPY.readFloat64(path: f32) == nil)
        #expect(try NPY.read(path: f32).values.count == 200_000)
        #expect(try NPY.readFloat64(path: IO.join(d, "missing.npy")) == nil)
        #expect(try NPY.readFloat64(path: d) == nil)   // a directory
    }

    /// A float64 `.npy` file of 1 MiB or more is mapped in place (`MappedNPY`): the same shape
    /// and values as reading it, and the same copy (`copiedValues`); every file the direct
    /// reader refuses (small, other dtypes, a directory, missing) is refused here too (nil), and
    /// so is a data section that does not start at a multiple of 8 bytes; a broken header is
    /// the reader's error.
    @Test func mappedNPYEqualsTheReadArray() throws {
        let d = try IO.makeTempDir(); defer { IO.cleanUp(d) }
        for (shape, seed) in [([131_072], 1), ([3, 5, 9_000, 1], 2)] {
            let count = shape.reduce(1, *)
            let values = IO.randomValues(count: count, seed: UInt64(seed))
            let path = IO.join(d, "m\(seed).npy")
            try NPY.write(values, shape: shape, to: path)
            let mapped = try #require(try MappedNPY.open(path: path))
            #expect(mapped.shape == shape && mapped.values.count == count)
            #expect(Array(mapped.values).map(\.bitPattern) == values.map(\.bitPattern))
            #expect(try mapped.copiedValues().map(\.bitPattern) == values.map(\.bitPattern))
            try mapped.verifyUnchanged()
        }
        let small = IO.join(d, "small.npy"), f32 = IO.join(d, "f32.npy")
        try NPY.write(IO.randomValues(count: 100, seed: 3), shape: [100], to: small)
        try NPY.write(IO.randomValues(count: 200_000, seed: 3), shape: [200_000], dtype: .float32, to: f32)
        for refused in [small, f32, IO.join(d, "missing.npy"), d] { #expect(try MappedNPY.open(path: refused) == nil, "\(refused)") }
        // Version 1.0 with a header of 117 bytes: the data starts at 127, not a multiple of 8.
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (131072,), }"
        let padded = header + String(repeating: " ", count: 117 - header.utf8.count - 1) + "\n"
        var odd = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(padded.utf8.count), 0]) + Data(padded.utf8)
        IO.randomValues(count: 131_072, seed: 4).withUnsafeBytes { odd.append(contentsOf: $0) }
        let oddPath = IO.join(d, "odd.npy")
        try odd.write(to: URL(fileURLWithPath: oddPath))
        #expect(try NPY.read(path: oddPath).values.count == 131_072)
        #expect(try MappedNPY.open(path: oddPath) == nil)
        let broken = IO.join(d, "broken.npy")
        try Data(odd.prefix(odd.count - 8)).write(to: URL(fileURLWithPath: broken))
        var viaRead = "", viaMap = ""
        do { _ = try NPY.read(path: broken) } catch { viaRead = "\(error)" }
        do { _ = try MappedNPY.open(path: broken) } catch { viaMap = "\(error)" }
        #expect(!viaRead.isEmpty && viaMap == viaRead)
    }

    /// A mapped file that another writer truncates does not end the process: the pages past the
    /// new end read as zeros (the SIGBUS is absorbed by the guard), and `verifyUnchanged` — as
    /// `copiedValues` — refuses what was read, naming the file. A file written in place while
    /// mapped is refused as changed. Several mappings are guarded at once, each on its own.
    @Test func mappedNPYSurvivesTruncationAndSeesChanges() throws {
        let d = try IO.makeTempDir(); defer { IO.cleanUp(d) }
        let count = 300_000
        let values = IO.randomValues(count: count, seed: 7)
        let cut = IO.join(d, "cut.npy"), kept = IO.join(d, "kept.npy"), written = IO.join(d, "written.npy")
        for p in [cut, kept, written] { try NPY.write(values, shape: [count], to: p) }
        let a = try #require(try MappedNPY.open(path: cut))
        let b = try #require(try MappedNPY.open(path: kept))
        let c = try #require(try MappedNPY.open(path: written))
        #expect(truncate(cut, 4096) == 0)   // keeps the header and a few values
        var sum = 0.0
        for v in a.values { sum += v * 0 }   // reads every page, past the new end too
        #expect(sum == 0)
        #expect(a.values[count - 1] == 0 && a.values[count / 2] == 0, "the cut pages read as zeros")
        for check in [{ try a.verifyUnchanged() }, { _ = try a.copiedValues() }] {
            do { try check(); Issue.record("a truncated file was accepted") } catch let e as ConvSimError {
                #expect("\(e)".contains("cut short") && "\(e)".contains(cut), "\(e)")
            }
        }
        #expect(Array(b.values).map(\.bitPattern) == values.map(\.bitPattern))
        try b.verifyUnchanged()
        let fd = open(written, O_WRONLY)
        #expect(fd >= 0)
        var one = 1.5
        #expect(pwrite(fd, &one, 8, 128 + 8 * 1_000) == 8)
        close(fd)
        #expect(c.values[1_000] == 1.5, "a shared page shows the write")
        do { try c.verifyUnchanged(); Issue.record("a file written while mapped was accepted") } catch let e as ConvSimError {
            #expect("\(e)".contains("changed while it was read"), "\(e)")
        }
    }

    /// Every mapped read (`IOFiles.readFile` of a regular file of 1 MiB or more) is guarded: a
    /// file another writer truncates while it is decoded — a safetensors file, a `.npy` array, a
    /// dataset whose signals are decoded one at a time — gives an error naming the file and the
    /// cut, never a SIGBUS, whether the decoder fails on the zeros or not; untouched files read
    /// as before.
    @Test func mappedReadsSurviveTruncation() throws {
        let d = try IO.makeTempDir(); defer { IO.cleanUp(d) }
        let values = IO.randomValues(count: 200_000, seed: 8)
        let st = IO.join(d, "w.safetensors"), npy = IO.join(d, "a.npy"), set = IO.join(d, "set.npy")
        try Safetensors.write(tensors: [("w", [4, 50_000], values)], dtype: .f64, to: st)
        try NPY.write(values + values, shape: [400_000], dtype: .float32, to: npy)   // 1.6 MB: mapped
        try NPY.write(values, shape: [8, 1, 100, 250], to: set)
        #expect(try Safetensors.read(path: st)["w"]?.values.count == 200_000)
        func expectCut(_ path: String, _ body: () throws -> Void) {
            do { try body(); Issue.record("\(path): a cut file was accepted") } catch let e as ConvSimError {
                #expect("\(e)".contains("cut short") && "\(e)".contains(path), "\(e)")
            } catch { Issue.record("\(error)") }
        }
        expectCut(st) {
            _ = try IOFiles.decodeFile(path: st) { data in
                #expect(truncate(st, 4096) == 0)
                return try Safetensors.read(data: data, path: st)
            }
        }
        let copy = IO.join(d, "b.npy")
        try FileManager.default.copyItem(atPath: npy, toPath: copy)
        expectCut(npy) {
            _ = try IOFiles.decodeFile(path: npy) { data in
                #expect(truncate(npy, 4096) == 0)   // the header stays; the values' pages are cut
                return try NPY.read(data: data, path: npy)
            }
        }
        // Cut inside the header: the decoder fails on the first page's zeros before it reaches a
        // cut page (no fault to report): its own error, still no SIGBUS.
        #expect(throws: ConvSimError.self) {
            _ = try IOFiles.decodeFile(path: copy) { data in
                #expect(truncate(copy, 64) == 0)
                return try NPY.read(data: data, path: copy)
            }
        }
        let inputs = try InputSet.open(paths: [set])
        #expect(try inputs.signal(0).signal.values.count == 25_000)
        #expect(truncate(set, 4096) == 0)
        expectCut(set) { _ = try inputs.signal(7) }
        #expect(throws: ConvSimError.self) { try NPY.read(path: npy) }   // read afresh: an ordinary short file
    }

    /// `NPY.layout` of a file's first bytes and its total size (the direct reader's check of a
    /// header it read alone) agrees with `layout` of the whole bytes: the same header, data start
    /// and count, or the same error message — or nil when the header does not end inside the
    /// first bytes. Over headers mutated byte by byte (shapes, dtypes, lengths, versions) and data
    /// sections cut, lengthened or exact, each split at a random point.
    @Test func npyLayoutOfAPrefixAgreesWithTheWholeFile() async throws {
        let d = try IO.makeTempDir(); defer { IO.cleanUp(d) }
        let path = IO.join(d, "s.npy")
        try NPY.write(IO.randomValues(count: 60, seed: 9), shape: [5, 3, 4], to: path)
        let base = try Data(contentsOf: URL(fileURLWithPath: path))
        await propertyCheck(count: 400, input: Gen.int(in: 0...1_000_000)) { seed in
            var rng = SeededRandom(seed: UInt64(seed))
            var bytes = [UInt8](base)
            for _ in 0..<rng.integer(in: 0...3) {   // mutate the preamble or the header
                let at = rng.integer(in: 0...min(bytes.count - 1, 140))
                bytes[at] = [UInt8(rng.integer(in: 0...255)), 0x20, 0x30 + UInt8(rng.integer(in: 0...9)), 0x2C, 0x29][rng.integer(in: 0...4)]
            }
            switch rng.integer(in: 0...2) {   // the data section: cut, lengthened or as it is
            case 0: bytes.removeLast(rng.integer(in: 1...min(40, bytes.count)))
            case 1: bytes += [UInt8](repeating: 0, count: rng.integer(in: 1...16))
            default: break
            }
            func outcome(_ body: () throws -> (header: NPY.Header, dataStart: Int, count: Int)?) -> String {
                do { return try body().map { "\($0.header.shape) \($0.header.dtype) \($0.dataStart) \($0.count)" } ?? "nil" }
                catch { return "error: \(error)" }
            }
            let whole = bytes.withUnsafeBytes { raw in outcome { try NPY.layout(raw, path: "p.npy") } }
            let split = rng.integer(in: 0...bytes.count)
            let prefix = bytes.prefix(split).withUnsafeBytes { raw in
                outcome { try NPY.layout(raw, totalSize: bytes.count, path: "p.npy") }
            }
            // The direct reader always hands over at least the preamble (12 bytes); from there the
            // prefix's verdict is the whole file's, or nil when the header runs past the prefix.
            if split >= 12 {
                #expect(prefix == whole || prefix == "nil", "split \(split) of \(bytes.count): \(prefix) vs \(whole)")
            }
            if split == bytes.count { #expect(prefix == whole) }
            #expect(bytes.withUnsafeBytes { raw in outcome { try NPY.layout(raw, totalSize: bytes.count, path: "p.npy") } } == whole)
        }
    }

    /// A pipe (`--kernels <(…)`) is read to its end: the same bank as from a file; past the limit
    /// it is refused by size, without reading on; a device is refused at once.
    @Test func pipesAreRead() throws {
        let d = try IO.makeTempDir(); defer { IO.cleanUp(d) }
        let path = IO.join(d, "k.npy")
        let values = IO.randomValues(count: 40 * 3 * 9, seed: 3)
        try NPY.write(values, shape: [40, 3, 3, 3], to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        func throughPipe<T>(_ body: (String) throws -> T) throws -> T {
            let pipe = Pipe()
            let writer = Thread { pipe.fileHandleForWriting.write(bytes); try? pipe.fileHandleForWriting.close() }
            writer.start()
            defer { try? pipe.fileHandleForReading.close() }
            return try body("/dev/fd/\(pipe.fileHandleForReading.fileDescriptor)")
        }
        let bank = try throughPipe { try KernelLoader.load(path: $0, layer: nil).bank }
        #expect(bank.values.map(\.bitPattern) == values.map(\.bitPattern) && bank.count == 40)
        do {
            _ = try IOFiles.readFile(path: "/dev/zero")
            Issue.record("a device was read")
        } catch let e as ConvSimError {
            guard case .malformedFile(_, let reason) = e else { Issue.record("\(e)"); return }
            #expect(reason.contains("device"))
        }
        do {
            _ = try throughPipe { try IOFiles.readFile(path: $0, limit: 4096) }
            Issue.record("a pipe past the limit was read")
        } catch let e as ConvSimError {
            guard case .fileTooLarge(_, _, let limit) = e else { Issue.record("\(e)"); return }
            #expect(limit == 4096)
        }
    }
}
