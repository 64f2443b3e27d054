import CSTB
import CTurboJPEG
import Foundation

/// PNG and JPEG decoding into a `Signal` with values in `[0, 1]`: PNG through
/// stb_image (lossless, so any decoder gives the same samples), JPEG through
/// libjpeg-turbo's TurboJPEG API with its defaults (accurate integer IDCT, fancy
/// upsampling) — the same decoder and settings as Pillow and torchvision, so
/// JPEG inputs give the same samples as those tools.
///
/// Channel handling: gray → 1 channel; gray + alpha → 1 channel (alpha dropped);
/// RGB → 3 channels; RGBA → 3 channels (alpha dropped). 16-bit PNGs are reduced to
/// 8 bits by stb. Every 8-bit sample `v` becomes `v / 255`.
public enum ImageDecoder {
    /// ITU-R BT.601 luma weights for R, G, B.
    public static let lumaWeights: (r: Double, g: Double, b: Double) = (0.299, 0.587, 0.114)

    /// Decodes the image file at `path`.
    ///
    /// - Parameter gray: convert RGB to one channel with `Y = 0.299 R + 0.587 G + 0.114 B`
    ///   (on the `/255` values); gray images are unchanged.
    /// - Throws: `fileNotFound`; `malformedFile` naming stb's failure reason.
    public static func decode(path: String, gray: Bool = false) throws -> Signal {
        try decode(data: IOFiles.readFile(path: path), path: path, gray: gray)
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
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0
        let known = data.withUnsafeBytes { raw -> Int32 in
            guard let base = raw.bindMemory(to: stbi_uc.self).baseAddress else { return 0 }
            return stbi_info_from_memory(base, Int32(raw.count), &width, &height, &components)
        }
        if known != 0 { try checkDimensions(Int(width), Int(height), path: path) }
        let pixels: UnsafeMutablePointer<stbi_uc>? = data.withUnsafeBytes { raw in
            guard let base = raw.bindMemory(to: stbi_uc.self).baseAddress else { return nil }
            return stbi_load_from_memory(base, Int32(raw.count), &width, &height, &components, 0)
        }
        guard let pixels else {
            let reason = stbi_failure_reason().map { String(cString: $0) } ?? "unknown error"
            throw ConvSimError.malformedFile(path: path, reason: "cannot decode image (stb_image: \(reason)); expected a PNG or JPEG file")
        }
        defer { stbi_image_free(pixels) }

        let w = Int(width), h = Int(height), n = Int(components)
        guard w > 0, h > 0, (1...4).contains(n) else {
            throw ConvSimError.malformedFile(path: path, reason: "decoded image has size \(w)×\(h) with \(n) components")
        }
        let plane = w * h
        let colorChannels = n >= 3 ? 3 : 1   // 2 = gray+alpha, 4 = RGBA: alpha dropped
        var values = [Double](repeating: 0, count: colorChannels * plane)
        for p in 0..<plane {
            for c in 0..<colorChannels {
                values[c * plane + p] = Double(pixels[p * n + c]) / 255
            }
        }
        let signal = Signal(channels: colorChannels, height: h, width: w, values: values)
        return gray ? luma(signal) : signal
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
