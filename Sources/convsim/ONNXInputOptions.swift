import ArgumentParser
import ConvSimCore
import ConvSimONNX
import Foundation

/// `--scale`, `--mean`, `--std`, `--channel-order`, `--resize`: how `analyze MODEL.onnx`
/// prepares its `--input` images for the model (`Preprocessing` in ConvSimONNX, applied in
/// that order after the channel order and the resize).
struct ONNXInputOptions: ParsableArguments {
    @Option(help: "ONNX models: multiply the input values by S (images load as value/255 in [0, 1]; a model trained on 0…255 wants 255). Default 1.")
    var scale: Double = 1
    @Option(help: "ONNX models: per-channel means subtracted after --scale, M or M1,M2,M3 (e.g. 0.485,0.456,0.406).")
    var mean: String?
    @Option(help: "ONNX models: per-channel standard deviations divided by after --mean, S or S1,S2,S3 (e.g. 0.229,0.224,0.225).")
    var std: String?
    @Option(name: .customLong("channel-order"), help: "ONNX models: rgb (default) or bgr (reverse the 3 channels, for OpenCV/Caffe models).")
    var channelOrder: String = "rgb"
    @Option(help: "ONNX models: resize the inputs to H,W first (bilinear, half-pixel centers as PyTorch align_corners=False).")
    var resize: String?
    @Flag(name: .customLong("after-activation"), help: "ONNX models: also the cosines of each layer's maps after the activation that follows it (Relu, LeakyRelu, PRelu, Elu, Clip, Sigmoid, Tanh), from the forward pass.")
    var afterActivation = false

    /// True when any of these flags is given (they apply to ONNX models only).
    func isSet() throws -> Bool {
        if afterActivation { return true }
        return !(try preprocessing().isIdentity)
    }

    /// The preprocessing these flags describe.
    func preprocessing() throws -> Preprocessing {
        func list(_ s: String?, _ flag: String) throws -> [Double] {
            guard let s else { return [] }
            let v = s.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !v.isEmpty, v.allSatisfy({ $0?.isFinite == true }) else {
                throw ConvSimError.invalidArgument("\(flag) expects one number or one per channel, separated by commas (got '\(s)')")
            }
            return v.compactMap { $0 }
        }
        guard let order = Preprocessing.ChannelOrder(rawValue: channelOrder) else {
            throw ConvSimError.invalidArgument("--channel-order expects rgb or bgr (got '\(channelOrder)')")
        }
        guard scale.isFinite, scale != 0 else { throw ConvSimError.invalidArgument("--scale must be a finite non-zero number (got \(scale))") }
        var size: (height: Int, width: Int)? = nil
        if let r = resize {
            let p = r.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard p.count == 2, let h = p[0], let w = p[1], (1...16384).contains(h), (1...16384).contains(w) else {
                throw ConvSimError.invalidArgument("--resize expects H,W with each in 1…16384 (got '\(r)')")
            }
            size = (h, w)
        }
        return Preprocessing(scale: scale, mean: try list(mean, "--mean"), std: try list(std, "--std"), channelOrder: order, resize: size)
    }
}
