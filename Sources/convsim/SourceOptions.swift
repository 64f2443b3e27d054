import ArgumentParser
import ConvSimCore
import ConvSimIO

/// `--kernels PATH [--layer NAME]`: the kernel bank a command reads (gram, cs, minimize).
struct KernelOptions: ParsableArguments {
    @Option(help: "Kernel bank: .npy (M,C,kh,kw), .safetensors (each 4-D tensor a layer, OIHW), or a directory of .npy layers.")
    var kernels: String
    @Option(help: "Layer name inside a .safetensors file or folder (required when it holds several 4-D tensors).")
    var layer: String?
}

/// `--input PATH … [--gray]`: the images or arrays a command reads (gram, minimize, stats build).
struct InputOptions: ParsableArguments {
    @Option(name: .customLong("input"), help: "An image (PNG, JPEG), a .npy array (C,H,W) or (N,C,H,W), or a directory of them (repeatable; read in the order given, directories sorted).")
    var inputs: [String] = []
    @Flag(help: "Convert RGB inputs to one channel (ITU-R BT.601 luma).")
    var gray = false
}

extension KernelOptions {
    /// The bank at `--kernels` (the `--layer` one when given) and its name.
    func load() throws -> (name: String, bank: KernelBank) { try KernelLoader.load(path: kernels, layer: layer) }
}

extension InputOptions {
    /// Every input, in the order given (directories sorted), each with its name.
    func namedSignals(oneDimensional: Bool = false) throws -> [NamedSignal] {
        try inputs.flatMap { try InputLoader.loadNamedSignals(path: $0, gray: gray, oneDimensional: oneDimensional) }
    }
}
