// swift-tools-version:6.0
// Breakglass: an on-call console for teams on AWS. See docs/ARCHITECTURE.md for what each target is
// for and the one direction dependencies point: breakglass -> TUI -> Core -> AWS -> C shims.
import PackageDescription

let package = Package(
    name: "Breakglass",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "breakglass", targets: ["breakglass"]),
        .executable(name: "breakglass-bench", targets: ["breakglass-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
    ],
    targets: [
        // System libraries. Each shim.h wraps, as typed inline C functions, the macros and variadic
        // functions Swift cannot call.
        .systemLibrary(
            name: "CNCursesW", path: "Sources/CNCursesW", pkgConfig: "ncursesw",
            providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(
            name: "CSQLite3", path: "Sources/CSQLite3", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(
            name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),

        .target(
            name: "BreakglassAWS",
            dependencies: ["CCurl", .product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "BreakglassCore",
            dependencies: [
                "BreakglassAWS", "CSQLite3", .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .target(name: "BreakglassTUI", dependencies: ["BreakglassCore", "CNCursesW"]),
        .target(
            name: "BreakglassTestSupport",
            dependencies: ["BreakglassCore", "BreakglassAWS", "BreakglassTUI"]),
        .executableTarget(
            name: "breakglass",
            dependencies: [
                "BreakglassTUI", "BreakglassCore", "BreakglassAWS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "breakglass-bench",
            dependencies: [
                "BreakglassTUI", "BreakglassCore", "BreakglassAWS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // `make stress` (docs/STRESS.md): kills the console, the daemon and runbook runs at random.
        .executableTarget(
            name: "breakglass-stress",
            dependencies: [
                "BreakglassTestSupport", "BreakglassCore", "BreakglassAWS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Fuzz targets (docs/FUZZING.md): plain functions the tests replay the corpus through, and a
        // driver that scripts/fuzz.sh builds with libFuzzer in its own scratch path.
        .target(name: "BreakglassFuzz", dependencies: ["BreakglassCore", "BreakglassAWS"]),
        .executableTarget(name: "breakglass-fuzz", dependencies: ["BreakglassFuzz"]),

        .testTarget(
            name: "BreakglassAWSTests", dependencies: ["BreakglassAWS", "BreakglassTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "BreakglassCoreTests",
            dependencies: ["BreakglassCore", "BreakglassTestSupport", "BreakglassFuzz", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "BreakglassTUITests", dependencies: ["BreakglassTUI", "BreakglassTestSupport"],
            exclude: ["__Snapshots__"]),
        .testTarget(
            name: "BreakglassEndToEndTests",
            dependencies: ["BreakglassTestSupport", "BreakglassCore", "BreakglassAWS", .product(name: "Crypto", package: "swift-crypto")]),
    ],
    swiftLanguageModes: [.v6]
)
