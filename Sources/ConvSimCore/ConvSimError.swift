/// Errors a user can cause with bad input. Every message names the problem and,
/// where there is one, the fix.
public enum ConvSimError: Error, CustomStringConvertible, Equatable, Sendable {
    case fileNotFound(path: String)
    case malformedFile(path: String, reason: String)
    case unsupportedDType(path: String, dtype: String, supported: [String])
    case unsupportedShape(path: String, shape: [Int], expected: String)
    case nonFinite(what: String, index: Int)
    case channelMismatch(inputChannels: Int, kernelChannels: Int, input: String)
    case kernelLargerThanInput(kernel: (Int, Int), input: (Int, Int), padding: Padding)
    case unknownLayer(name: String, available: [String])
    case noLayers(path: String)
    case noInputs(path: String)
    case zeroKernels(indices: [Int])
    case invalidArgument(String)
    case fileTooLarge(path: String, bytes: Int, limit: Int)
    case writeFailed(path: String, reason: String)
    case layerRequired(path: String, available: [String])
    case outOfMemory(what: String)

    public var description: String {
        switch self {
        case .fileNotFound(let p):
            return "file not found: \(p) (check the path; directories of images are accepted too)"
        case .malformedFile(let p, let r):
            return "malformed file \(p): \(r)"
        case .unsupportedDType(let p, let d, let s):
            return "unsupported data type '\(d)' in \(p); supported: \(s.joined(separator: ", "))"
        case .unsupportedShape(let p, let s, let e):
            return "unsupported shape \(s) in \(p); expected \(e)"
        case .nonFinite(let w, let i):
            return "\(w) contains a non-finite value (NaN or Inf) at flat index \(i); clean the data first"
        case .channelMismatch(let ic, let kc, let input):
            let hint = ic == 3 && kc == 1 ? "pass --gray to convert RGB inputs to one channel"
                : (ic == 1 && kc == 3 ? "these kernels read RGB images: give an RGB input" : "pick a layer whose input channels match")
            return "channel mismatch: input \(input) has \(ic) channel(s) but the kernels expect \(kc) (OIHW 'I' axis); \(hint)"
        case .kernelLargerThanInput(let k, let x, let p):
            return "kernel \(k.0)×\(k.1) is larger than the input \(x.0)×\(x.1) in \(p.rawValue) padding: no output position exists; use --padding same/full/circular or a larger input"
        case .unknownLayer(let n, let a):
            return "unknown layer '\(n)'; layers in this file: \(a.joined(separator: ", "))"
        case .noLayers(let p):
            return "no 4-D convolution weight (M, C, kh, kw) found in \(p)"
        case .noInputs(let p):
            return "no readable inputs found in \(p) (expected .png, .jpg/.jpeg or .npy files)"
        case .zeroKernels(let idx):
            return "kernel(s) \(idx.map(String.init).joined(separator: ", ")) are identically zero: their cosine is undefined"
        case .invalidArgument(let s):
            return s
        case .fileTooLarge(let p, let b, let l):
            let tenthsGiB = (l * 10 + (1 << 29)) >> 30   // limit in GiB, rounded to one decimal
            return "file \(p) is \(b) bytes, larger than the supported limit of \(l) bytes (\(tenthsGiB / 10).\(tenthsGiB % 10) GiB); split it or extract the data you need"
        case .writeFailed(let p, let r):
            return "cannot write \(p): \(r)"
        case .outOfMemory(let w):
            return "out of memory: \(w); use smaller inputs or kernels, or a machine with more memory"
        case .layerRequired(let p, let a):
            return "\(p) contains \(a.count) convolution layers (\(a.joined(separator: ", "))); pass --layer NAME to choose one"
        }
    }

    public static func == (a: ConvSimError, b: ConvSimError) -> Bool { a.description == b.description }
}
