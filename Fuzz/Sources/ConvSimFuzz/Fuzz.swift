import ConvSimFuzzing
import Foundation

/// The reader under test, chosen by the environment variable `FUZZ_TARGET`
/// (npy, safetensors, png, jpeg, certificate, notebook, json, checkpoint).
let target: @Sendable (Data) -> Void = {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
    guard let t = FuzzEntries.target(named: name) else {
        FileHandle.standardError.write(Data("set FUZZ_TARGET to one of: \(FuzzEntries.targets.map(\.name).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return t
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    target(Data(bytes: bytes, count: size))
    return 0
}
