// swift-tools-version:6.0
import PackageDescription

// MARK: - Compile settings

/// On x86_64 the kernels are compiled for AVX2 (Haswell, 2013, and later; every
/// x86-64-v3 machine): LLVM then turns the int8 dot products into `vpmaddwd ymm`
/// and the requantization into `vpmuldq`/`vpsravd`. Without it the same Swift
/// gives SSE2 code that is 1.3-2x slower. Other architectures use their defaults.
/// MINNOW_AVX2 lets the packed kernels name `vpmaddwd` through its LLVM
/// intrinsic (Sources/MinnowCore/Kernels/VectorPrimitives.swift), which needs
/// the Builtin module.
#if arch(x86_64)
let vectorISA: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell", "-enable-builtin-module"]),
                                 .define("MINNOW_AVX2")]
#else
let vectorISA: [SwiftSetting] = []
#endif

/// The int8 kernels and the float trainer are hot loops: they are compiled with
/// optimisation even in debug builds, so `swift run` and `swift test` are usable
/// without `-c release`. `-enable-testing` still lets tests use `@testable`.
/// Whole-module optimisation too: without it (SwiftPM's debug default) helpers
/// in one file are not inlined into kernels in another, and `swift run
/// firmware-sim run` measured 66 µs per LeNet-5 image instead of 19 µs.
/// (Multi-threaded WMO: single-threaded WMO clashes with SwiftPM's index store.)
let optimized: [SwiftSetting] = [
    .unsafeFlags(["-O", "-whole-module-optimization", "-num-threads", "2"], .when(configuration: .debug)),
] + vectorISA

let package = Package(
    name: "Minnow",
    products: [
        .library(name: "MinnowCore", targets: ["MinnowCore"]),
        .library(name: "MinnowModel", targets: ["MinnowModel"]),
    ],
    targets: [
        // MARK: - Engine core (Embedded-clean: no Foundation, no existentials, no heap after init)
        .target(
            name: "MinnowCore",
            swiftSettings: optimized
        ),

        // MARK: - Host side (Foundation allowed)
        .target(
            name: "MinnowModel",
            dependencies: ["MinnowCore"]
        ),

        // MARK: - Firmware simulator (host only): per-layer report, board fit, SVG
        .target(
            name: "MinnowSimulator",
            dependencies: ["MinnowModel", "MinnowCore"],
            path: "firmware-sim/Sources/MinnowSimulator"
        ),
        .executableTarget(
            name: "firmware-sim",
            dependencies: ["MinnowSimulator"],
            path: "firmware-sim/Sources/firmware-sim"
        ),

        // MARK: - Float training (host only): tensors, layers, checkpoints, data sets
        .target(
            name: "MinnowTraining",
            dependencies: ["MinnowModel", "MinnowCore"],
            swiftSettings: optimized
        ),
        .executableTarget(
            name: "train",
            dependencies: ["MinnowTraining", "MinnowModel"],
            swiftSettings: optimized
        ),

        // MARK: - Export (host only): calibration, quantization, report
        .target(
            name: "MinnowExport",
            dependencies: ["MinnowTraining", "MinnowModel", "MinnowCore"],
            swiftSettings: optimized
        ),
        .executableTarget(
            name: "export-int8",
            dependencies: ["MinnowExport", "MinnowTraining", "MinnowModel", "MinnowCore"],
            swiftSettings: optimized
        ),

        // MARK: - C API (Sources/MinnowC/include/minnow.h; Embedded build: tools/build-embedded.sh)
        .target(
            name: "MinnowC",
            dependencies: ["MinnowCore"],
            exclude: ["include"],
            swiftSettings: optimized
        ),
        // Random-weight LeNet-5 / Inception-lite / all-opcode models + C arrays for the C host and firmware tests
        .executableTarget(
            name: "minnow-fixtures",
            dependencies: ["MinnowExport", "MinnowTraining", "MinnowModel", "MinnowCore"],
            swiftSettings: optimized
        ),

        // MARK: - Benchmarks (tools/bench-engine.sh runs it in release mode)
        .executableTarget(
            name: "minnow-bench",
            dependencies: ["MinnowModel", "MinnowCore", "NaiveInt8"]
        ),
        // The straightforward C baseline the benchmark compares against (-O3, not part of the library).
        .target(
            name: "NaiveInt8",
            path: "tools/bench/naive",
            cSettings: [.unsafeFlags(["-O3"])]
        ),

        // MARK: - Tests
        .target(
            name: "MallocCounter",
            path: "Tests/MallocCounter"
        ),
        .target(
            name: "MinnowCHeader",
            path: "Tests/MinnowCHeader"
        ),
        .testTarget(
            name: "MinnowCTests",
            dependencies: ["MinnowC", "MinnowCHeader", "MinnowCore", "MinnowModel", "MallocCounter"]
        ),
        .testTarget(
            name: "MinnowCoreTests",
            dependencies: ["MinnowCore", "MinnowModel", "MallocCounter"]
        ),
        .testTarget(
            name: "MinnowSimulatorTests",
            dependencies: ["MinnowSimulator", "MinnowModel", "MinnowCore"]
        ),
        .testTarget(
            name: "MinnowModelTests",
            dependencies: ["MinnowCore", "MinnowModel"]
        ),
        .testTarget(
            name: "MinnowTrainingTests",
            dependencies: ["MinnowTraining", "MinnowModel", "MinnowCore"]
        ),
        // Hostile input and faults (issue 8): arena canaries, corruption, interruption (docs/robustness.md)
        .testTarget(
            name: "MinnowRobustnessTests",
            dependencies: ["MinnowExport", "MinnowTraining", "MinnowModel", "MinnowCore"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
