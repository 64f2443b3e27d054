// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "ConvSimKit",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "convsim", targets: ["convsim"]),
        .library(name: "ConvSimCore", targets: ["ConvSimCore"]),
        .library(name: "ConvSimCertificates", targets: ["ConvSimCertificates"]),
        .library(name: "ConvSimCorrelation", targets: ["ConvSimCorrelation"]),
        .library(name: "ConvSimSimilarity", targets: ["ConvSimSimilarity"]),
        .library(name: "ConvSimTheorems", targets: ["ConvSimTheorems"]),
        .library(name: "ConvSimSearch", targets: ["ConvSimSearch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // System libraries, all resolved through pkg-config.
        .systemLibrary(name: "CFFTW", path: "Sources/CFFTW", pkgConfig: "fftw3",
                       providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CLAPACK", path: "Sources/CLAPACK", pkgConfig: "lapacke",
                       providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]),
        .systemLibrary(name: "CSPNG", path: "Sources/CSPNG", pkgConfig: "spng",
                       providers: [.apt(["libspng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", pkgConfig: "libturbojpeg",
                       providers: [.apt(["libturbojpeg0-dev"])]),

        .target(name: "ConvSimCore",
                dependencies: [
                    "CSPNG", "CTurboJPEG", "CLAPACK",
                    .product(name: "Numerics", package: "swift-numerics"),
                ]),
        .target(name: "ConvSimCertificates",
                dependencies: ["ConvSimCore", .product(name: "BigInt", package: "BigInt")]),
        .target(name: "ConvSimCorrelation",
                dependencies: ["ConvSimCore", "CFFTW", "CLAPACK"]),
        .target(name: "ConvSimSimilarity",
                dependencies: ["ConvSimCore", "ConvSimCorrelation", "CFFTW", "CLAPACK"]),
        .target(name: "ConvSimTheorems",
                dependencies: [
                    "ConvSimCore", "ConvSimCertificates", "ConvSimCorrelation", "ConvSimSimilarity", "CLAPACK",
                    .product(name: "BigInt", package: "BigInt"),
                ],
                path: "Sources/Theorems"),
        .target(name: "ConvSimReport", dependencies: ["ConvSimCore"]),
        .target(name: "ConvSimAnalysis",
                dependencies: ["ConvSimCore", "ConvSimCorrelation", "ConvSimSimilarity", "ConvSimReport"]),
        .target(name: "ConvSimExperiments",
                dependencies: ["ConvSimCore", "ConvSimSimilarity", "ConvSimReport"]),
        .target(name: "ConvSimSearch",
                dependencies: ["ConvSimCore", "ConvSimCertificates", "ConvSimCorrelation", "ConvSimSimilarity",
                               "ConvSimReport", "ConvSimExperiments", "CLAPACK", .product(name: "BigInt", package: "BigInt")]),
        .executableTarget(name: "convsim",
                          dependencies: [
                              "ConvSimCore", "ConvSimCertificates", "ConvSimCorrelation", "ConvSimSimilarity", "ConvSimTheorems",
                              "ConvSimSearch", "ConvSimReport", "ConvSimAnalysis", "ConvSimExperiments",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                          ]),

        .testTarget(name: "ConvSimCoreTests",
                    dependencies: [
                        "ConvSimCore",
                        .product(name: "PropertyBased", package: "swift-property-based"),
                    ]),
        .testTarget(name: "ConvSimSimilarityTests",
                    dependencies: [
                        "ConvSimCore", "ConvSimCorrelation", "ConvSimSimilarity",
                        .product(name: "PropertyBased", package: "swift-property-based"),
                    ]),
        .testTarget(name: "ConvSimCertificatesTests",
                    dependencies: ["ConvSimCertificates", "ConvSimCore", "ConvSimTheorems", "ConvSimSearch",
                                   .product(name: "BigInt", package: "BigInt")],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ConvSimTheoremsTests",
                    dependencies: [
                        "ConvSimCore", "ConvSimCertificates", "ConvSimCorrelation", "ConvSimTheorems",
                        .product(name: "BigInt", package: "BigInt"),
                        .product(name: "PropertyBased", package: "swift-property-based"),
                    ]),
        .testTarget(name: "ConvSimSearchTests",
                    dependencies: [
                        "ConvSimCore", "ConvSimCertificates", "ConvSimCorrelation", "ConvSimSearch", "ConvSimReport",
                        .product(name: "PropertyBased", package: "swift-property-based"),
                    ]),
        .testTarget(name: "ConvSimAnalysisTests",
                    dependencies: ["ConvSimAnalysis", "ConvSimCore", "ConvSimCorrelation", "ConvSimSimilarity"]),
        .testTarget(name: "ConvSimExperimentsTests",
                    dependencies: [
                        "ConvSimExperiments", "ConvSimCore", "ConvSimSimilarity",
                        .product(name: "PropertyBased", package: "swift-property-based"),
                    ]),
        .testTarget(name: "ConvSimReportTests",
                    dependencies: ["ConvSimReport",
                                   .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(name: "ConvSimCorrelationTests",
                    dependencies: [
                        "ConvSimCore", "ConvSimCorrelation",
                        .product(name: "PropertyBased", package: "swift-property-based"),
                    ]),
    ]
)
