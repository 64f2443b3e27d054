import ConvSimCore
import CSPNG
import CTurboJPEG
import Foundation

/// PNG and JPEG decoding into a `Signal` with values in `[0, 1]`: PNG through libspng
/// (validating: chunk CRCs and the zlib stream are checked, corrupt files refused), JPEG
/// through libjpeg-turbo's TurboJPEG API with its defaults (accurate integer IDCT, fancy
/// upsampling) — the same decoder and settings as Pillow and torchvision. Both give
/// Pillow's samples (pinned in the tests); see `decodePNG` for the PNG colour types.
///
/// Channel handling: gray → 1 channel; gray + alpha → 1 channel (alpha dropped);
/// RGB, RGBA, palette → 3 channels. Every 8-bit sample `v` becomes `v / 255`, a 16-bit
/// gray sample `v / 65535`. Declared dimensions are checked against `maxPixels` first.
public enum ImageDecoder {
    /// ITU-R BT.601 luma weights for R, G, B.
    public static let lumaWeights: (r: Double, g: Double, b: Double) = (0.299, 0.587, 0.114)

    /// Decodes the image file at `path`.
    ///
    /// - Parameter gray: convert RGB to one channel with `Y = 0.299 R + 0.587 G + 0.114 B`
    ///   (on the `/255` values); gray images are unchanged.
    /// - Throws: `fileNotFound`; `malformedFile` naming the decoder's reason.
    public static func decode(path: String, gray: Bool = false) throws -> Signal {
        try IOFiles.decodeFile(path: path) { try decode(data: $0, path: path, gray: gray) }
    }

    /// Largest image decoded, in pixels (width × height): 64 Mpx by default; the environment
    /// variable `CONVSIM_MAX_PIXELS` raises or lowers it. Checked against the dimensions the
    /// file declares, before any pixel is decoded or allocated.
    public static var maxPixels: Int {
        if let v = ProcessInfo.processInfo.environment["CONVSIM_MAX_PIXELS"], let n = Int(v), n > 0 { return n }
        return 64 << 20
    }

    static func checkDimensions(_ w: Int, _ h: Int, path: String) throws {
        let (p, o) = w.multipliedReportingOverflow(by: h)
        guard w > 0, h > 0, !o, p <= maxPixels else {
            throw ConvSimError.invalidArgument("image \(path) declares \(w)×\(h) pixels, more than the limit of \(maxPixels) pixels (set CONVSIM_MAX_PIXELS to raise it, or crop the image)")
        }
    }

    /// Decodes image bytes; `path` is only used in error messages.
    public static func decode(data: Data, path: String, gray: Bool = false) throws -> Signal {
        guard data.count <= Int(Int32.max) else {
            throw ConvSimError.fileTooLarge(path: path, bytes: data.count, limit: Int(Int32.max))
        }
        if data.count >= 3 && data[data.startIndex] == 0xFF && data[data.startIndex + 1] == 0xD8 && data[data.startIndex + 2] == 0xFF {
            let signal = try decodeJPEG(data: data, path: path)
            return gray ? luma(signal) : signal
        }
        let pngMagic: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard data.count >= 8, Array(data.prefix(8)) == pngMagic else {
            throw ConvSimError.malformedFile(path: path, reason: "neither a PNG nor a JPEG file (unknown signature)")
        }
        let signal = try decodePNG(data: data, path: path)
        return gray ? luma(signal) : signal
    }

    /// PNG through libspng, validating: CRCs of every chunk and the zlib stream (Adler-32)
    /// are checked, and a corrupt file is refused with the decoder's reason. Samples are
    /// Pillow's: gray ≤ 8 bit → one channel (low depths scaled to 0…255); 16-bit gray → one
    /// channel of 0…65535 (Pillow's `I;16`); RGB, RGBA, gray+alpha → colour channels, alpha
    /// dropped, 16-bit samples reduced to their high byte (Pillow's `RGB`, `RGBA`, `LA`; 16-bit
    /// gray+alpha becomes RGB as Pillow makes it `RGBA`); palette → RGB through `PLTE`, an index
    /// past the palette giving black as in Pillow. `tRNS` and gamma are not applied.
    static func decodePNG(data: Data, path: String) throws -> Signal {
        func bad(_ what: String, _ code: Int32) -> ConvSimError {
            .malformedFile(path: path, reason: "invalid PNG (\(what): libspng: \(String(cString: spng_strerror(code))))")
        }
        guard let ctx = spng_ctx_new(0) else { throw ConvSimError.malformedFile(path: path, reason: "cannot start the PNG decoder") }
        defer { spng_ctx_free(ctx) }
        _ = spng_set_crc_action(ctx, Int32(SPNG_CRC_ERROR.rawValue), Int32(SPNG_CRC_ERROR.rawValue))
        _ = spng_set_chunk_limits(ctx, 64 << 20, 64 << 20)
        return try data.withUnsafeBytes { raw -> Signal in
            var r = spng_set_png_buffer(ctx, raw.baseAddress, raw.count)
            guard r == 0 else { throw bad("buffer", r) }
            var ihdr = spng_ihdr()
            r = spng_get_ihdr(ctx, &ihdr)
            guard r == 0 else { throw bad("header", r) }
            let w = Int(ihdr.width), h = Int(ihdr.height), plane = w * h
            try checkDimensions(w, h, path: path)
            let depth = Int(ihdr.bit_depth), color = Int(ihdr.color_type)
            // What libspng decodes to, and how Pillow's samples are read from it.
            let fmt: spng_format, perPixel: Int, wide: Bool
            switch color {
            case 0 where depth <= 8: (fmt, perPixel, wide) = (SPNG_FMT_G8, 1, false)
            case 0: (fmt, perPixel, wide) = (SPNG_FMT_GA16, 2, true)          // 16-bit gray
            case 4: (fmt, perPixel, wide) = (depth == 16 ? SPNG_FMT_RGBA16 : SPNG_FMT_RGBA8, 4, depth == 16)   // gray in R
            case 3: (fmt, perPixel, wide) = (SPNG_FMT_PNG, 1, false)
            default: (fmt, perPixel, wide) = (depth == 16 ? SPNG_FMT_RGBA16 : SPNG_FMT_RGBA8, 4, depth == 16)
            }
            var size = 0
            r = spng_decoded_image_size(ctx, Int32(fmt.rawValue), &size)
            guard r == 0 else { throw bad("size", r) }
            var out = [UInt8](repeating: 0, count: size)
            r = out.withUnsafeMutableBytes { spng_decode_image(ctx, $0.baseAddress, size, Int32(fmt.rawValue), 0) }
            guard r == 0 else { throw bad("image data", r) }
            func sample(_ p: Int, _ k: Int) -> Int {   // component k of pixel p (16-bit: host-endian)
                guard wide else { return Int(out[p * perPixel + k]) }
                let o = 2 * (p * perPixel + k)
                return Int(UInt16(out[o]) | UInt16(out[o + 1]) << 8)
            }
            // 8-bit gray, and gray+alpha up to 8 bits: the gray samples (16-bit ones scaled to 8).
            let gray8 = { Signal(channels: 1, height: h, width: w, values: (0..<plane).map { Double(wide ? sample($0, 0) >> 8 : sample($0, 0)) / 255 }) }
            switch color {
            case 0 where depth == 16:
                return Signal(channels: 1, height: h, width: w, values: (0..<plane).map { Double(sample($0, 0)) / 65535 })
            case 0:
                return gray8()
            case 4 where depth != 16:
                return gray8()
            case 4:   // 16-bit gray+alpha: Pillow makes it RGBA, gray in all three colour channels
                let v = (0..<plane).map { Double(sample($0, 0) >> 8) / 255 }
                return Signal(channels: 3, height: h, width: w, values: v + v + v)
            case 3:
                var plte = spng_plte()
                r = spng_get_plte(ctx, &plte)
                guard r == 0 else { throw bad("palette", r) }
                let entries = withUnsafeBytes(of: plte.entries) { Array($0.bindMemory(to: spng_plte_entry.self)) }
                let n = Int(plte.n_entries)
                let stride = size / max(h, 1)
                var values = [Double](repeating: 0, count: 3 * plane)
                for y in 0..<h { for x in 0..<w {
                    let bit = x * depth
                    let idx = (Int(out[y * stride + bit / 8]) >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
                    guard idx < n else { continue }   // past PLTE: black, as Pillow
                    let e = entries[idx], p = y * w + x
                    values[p] = Double(e.red) / 255; values[plane + p] = Double(e.green) / 255; values[2 * plane + p] = Double(e.blue) / 255
                } }
                return Signal(channels: 3, height: h, width: w, values: values)
            default:
                var values = [Double](repeating: 0, count: 3 * plane)
                for p in 0..<plane { for c in 0..<3 {
                    values[c * plane + p] = Double(wide ? sample(p, c) >> 8 : sample(p, c)) / 255
                } }
                return Signal(channels: 3, height: h, width: w, values: values)
            }
        }
    }

    /// JPEG through TurboJPEG (flags 0: accurate IDCT, fancy upsampling); gray JPEGs give
    /// one channel, colour ones three (YCbCr → RGB by libjpeg-turbo). CMYK is refused.
    static func decodeJPEG(data: Data, path: String) throws -> Signal {
        guard let handle = tjInitDecompress() else {
            throw ConvSimError.malformedFile(path: path, reason: "cannot start the JPEG decoder")
        }
        defer { tjDestroy(handle) }
        func failure() -> String { tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error" }
        var w: Int32 = 0, h: Int32 = 0, subsamp: Int32 = 0, colorspace: Int32 = 0
        let ok = data.withUnsafeBytes { raw -> Int32 in
            tjDecompressHeader3(handle, raw.bindMemory(to: UInt8.self).baseAddress, UInt(raw.count), &w, &h, &subsamp, &colorspace)
        }
        guard ok == 0, w > 0, h > 0 else {
            throw ConvSimError.malformedFile(path: path, reason: "cannot decode JPEG header (libjpeg-turbo: \(failure()))")
        }
        if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) {
            throw ConvSimError.malformedFile(path: path, reason: "CMYK JPEG images are not supported; convert to RGB first")
        }
        let isGray = colorspace == Int32(TJCS_GRAY.rawValue)
        let n = isGray ? 1 : 3
        let width = Int(w), height = Int(h)
        try checkDimensions(width, height, path: path)
        var pixels = [UInt8](repeating: 0, count: width * height * n)
        let status = data.withUnsafeBytes { raw -> Int32 in
            pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, raw.bindMemory(to: UInt8.self).baseAddress, UInt(raw.count), dst.baseAddress,
                              w, 0, h, isGray ? Int32(TJPF_GRAY.rawValue) : Int32(TJPF_RGB.rawValue), 0)
            }
        }
        // A warning (e.g. a truncated scan, which libjpeg-turbo pads) is an error here: we never guess pixels.
        guard status == 0 else {
            throw ConvSimError.malformedFile(path: path, reason: "cannot decode JPEG data (libjpeg-turbo: \(failure()))")
        }
        let plane = width * height
        var values = [Double](repeating: 0, count: n * plane)
        for p in 0..<plane { for c in 0..<n { values[c * plane + p] = Double(pixels[p * n + c]) / 255 } }
        return Signal(channels: n, height: height, width: width, values: values)
    }

    /// The BT.601 luma `Y = 0.299 R + 0.587 G + 0.114 B` of a 3-channel signal, as one
    /// channel; signals with another channel count are returned unchanged.
    public static func luma(_ signal: Signal) -> Signal {
        guard signal.channels == 3 else { return signal }
        let plane = signal.pixelsPerChannel
        let v = signal.values
        var out = [Double](repeating: 0, count: plane)
        for p in 0..<plane {
            out[p] = lumaWeights.r * v[p] + lumaWeights.g * v[plane + p] + lumaWeights.b * v[2 * plane + p]
        }
        return Signal(channels: 1, height: signal.height, width: signal.width, values: out)
    }
}
