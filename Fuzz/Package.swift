// swift-tools-version: 6.1
// Coverage-guided fuzzing of every reader (libFuzzer through `swift build --sanitize=fuzzer`).
// Built and run by scripts/fuzz.sh; the entry points live in the main package
// (ConvSimFuzzing), so the tests replay the same corpus without libFuzzer.
import PackageDescription

let package = Package(
    name: "ConvSimFuzz",
    dependencies: [.package(name: "ConvSimKit", path: "..")],
    targets: [
        .executableTarget(name: "ConvSimFuzz",
                          dependencies: [.product(name: "ConvSimFuzzing", package: "ConvSimKit")],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
