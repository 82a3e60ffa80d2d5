import Foundation
import MinnowCore
import MinnowExport
import MinnowModel
import MinnowTraining

/// The package root (this file is Tests/MinnowRobustnessTests/Support.swift).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// Every bundled file `models/*.EXT`, sorted.
func bundledFiles(_ ext: String) -> [URL] {
    let dir = packageRoot.appendingPathComponent("models")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix("." + ext) }.sorted().map { dir.appendingPathComponent($0) }
}

func makeTemporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("minnow-robust-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A small net with every parameterised layer kind (batch norm included).
let tinyArchitecture = Architecture(name: "tiny", input: TensorShape(height: 8, width: 8, channels: 1), layers: [
    Layer("c1", .convolution(Convolution(filters: 3, kernel: .square(3), padding: .same, activation: .relu, batchNorm: true))),
    Layer("p1", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2)))),
    Layer("out", .dense(Dense(units: 4))),
])

/// Every opcode: strided and 1×1 convolutions, the three poolings, concat,
/// add, both global poolings, dense and softmax.
let everyOpArchitecture = Architecture(name: "everyop", input: TensorShape(height: 11, width: 11, channels: 2), layers: [
    Layer("stem", .convolution(Convolution(filters: 6, kernel: .square(3), stride: .square(2), padding: .same, activation: .relu))),
    Layer("b1", .convolution(Convolution(filters: 3, kernel: .square(1), activation: .relu)), inputs: ["stem"]),
    Layer("b2", .convolution(Convolution(filters: 3, kernel: Extent2(3, 1), padding: .same, activation: .relu, batchNorm: true)), inputs: ["stem"]),
    Layer("cat", .concat, inputs: ["b1", "b2"]),
    Layer("pmin", .pooling(Pooling(kind: .min, size: .square(3), stride: .square(1), padding: .same)), inputs: ["stem"]),
    Layer("res", .add(.relu), inputs: ["cat", "pmin"]),
    Layer("pavg", .pooling(Pooling(kind: .average, size: .square(3), stride: .square(1), padding: .same))),
    Layer("pmax", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2)))),
    Layer("gmax", .globalPooling(.max)),
    Layer("gap", .globalPooling(.average), inputs: ["pmax"]),
    Layer("both", .concat, inputs: ["gmax", "gap"]),
    Layer("fc", .dense(Dense(units: 10))),
    Layer("prob", .softmax),
])

/// A random-weight checkpoint of `architecture` (deterministic in `seed`).
func randomCheckpoint(_ architecture: Architecture, seed: UInt64, metadata: [String: String] = [:]) throws -> Checkpoint {
    try Network(architecture: architecture, seed: seed).checkpoint(metadata: metadata)
}

/// Quantized model file bytes of `architecture` with random weights,
/// calibrated on random images, through the exporter's own path.
func generatedModel(_ architecture: Architecture, seed: UInt64) throws -> [UInt8] {
    let checkpoint = try randomCheckpoint(architecture, seed: seed)
    var options = Exporter.Options()
    options.seed = seed
    let exporter = try Exporter(checkpoint: checkpoint, options: options)
    var rng = SeededGenerator(seed: seed &+ 1)
    let size = architecture.input.height * architecture.input.width * architecture.input.channels
    let images = (0..<(16 * size)).map { _ in Float(rng.nextUnit()) }
    return try ModelWriter.serialize(exporter.quantize(calibration: (images, 16)))
}

/// Model bytes copied into 16-aligned memory (as a device maps the file).
final class AlignedBytes {
    let buffer: UnsafeMutableRawBufferPointer
    let count: Int
    init(_ bytes: [UInt8]) {
        count = bytes.count
        buffer = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        buffer.copyBytes(from: bytes)
    }
    deinit { buffer.deallocate() }
    var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }
}

/// Decodes a model; the error when it is refused.
func modelError(_ bytes: [UInt8]) -> ModelError? {
    let aligned = AlignedBytes(bytes)
    do {
        _ = try Model(bytes: aligned.raw)
        return nil
    } catch {
        return error
    }
}

/// Sets the file size and CRC-32 of model bytes to match their content.
func restampModel(_ bytes: inout [UInt8]) {
    let n = UInt32(bytes.count)
    for i in 0..<4 { bytes[ModelFormat.fileSizeOffset + i] = UInt8(truncatingIfNeeded: n >> (8 * UInt32(i))) }
    let crc = bytes.withUnsafeBytes { modelChecksum($0) }
    for i in 0..<4 { bytes[ModelFormat.checksumOffset + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
}

/// Sets the trailing CRC-32 of checkpoint bytes to match their content.
func restampCheckpoint(_ bytes: inout [UInt8]) {
    let crc = crc32(bytes[0..<(bytes.count - 4)])
    for i in 0..<4 { bytes[bytes.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
}
