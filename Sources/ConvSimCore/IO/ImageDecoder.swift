import CSTB
import Foundation

/// PNG and JPEG decoding (through stb_image) into a `Signal` with values in `[0, 1]`.
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

    /// Decodes image bytes; `path` is only used in error messages.
    public static func decode(data: Data, path: String, gray: Bool = false) throws -> Signal {
        guard data.count <= Int(Int32.max) else {
            throw ConvSimError.fileTooLarge(path: path, bytes: data.count, limit: Int(Int32.max))
        }
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0
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
