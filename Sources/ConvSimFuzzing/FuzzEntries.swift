import ConvSimCertificates
import ConvSimCore
import ConvSimReport
import ConvSimTheorems
import Foundation

/// The entry points of the fuzz targets (Fuzz/, run by `scripts/fuzz.sh` under libFuzzer)
/// and of the corpus replay in the tests: each feeds untrusted bytes to one reader, exactly
/// as the CLI does, and swallows the errors a bad input must produce. A trap, a hang or an
/// allocation beyond the limits is the only way to fail.
public enum FuzzEntries {
    public static let targets: [(name: String, run: @Sendable (Data) -> Void)] = [
        ("npy", { data in _ = try? NPY.read(data: data, path: "fuzz.npy") }),
        ("safetensors", { data in _ = try? Safetensors.read(data: data, path: "fuzz.safetensors") }),
        ("png", { data in _ = try? ImageDecoder.decode(data: data, path: "fuzz.png") }),
        ("jpeg", { data in _ = try? ImageDecoder.decode(data: data, path: "fuzz.jpg") }),
        ("certificate", { data in
            // The whole replay, with a small work limit so every input runs in milliseconds.
            guard let c = try? Certificate.decode(data, path: "fuzz.json") else { return }
            _ = try? CertificateChecker(SearchClaimVerifiers.all + [TheoremCertificates.verifier], maxWork: 1e6).verify(c, path: "fuzz.json")
        }),
        ("notebook", { data in
            guard let text = String(validating: [UInt8](data), as: UTF8.self) else { return }
            _ = Notebook.parse(text).render()
        }),
        ("json", { data in _ = try? StrictJSON.parse(data) }),
    ]

    public static func target(named name: String) -> (@Sendable (Data) -> Void)? {
        targets.first { $0.name == name }?.run
    }
}
