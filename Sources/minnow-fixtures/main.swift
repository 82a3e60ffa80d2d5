// swift run minnow-fixtures OUTDIR [--count N] [--seed S] [--only NAME,...]
//
// Writes random-weight int8 models of the built-in architectures (LeNet-5,
// Inception-lite) and of "allops" (a small net with every opcode), so the C host
// and the Cortex-M4 firmware can be tested without trained checkpoints:
//
//   OUTDIR/<sym>.mnw                     the model file
//   OUTDIR/c/<sym>_model.h, <sym>_model.c  the model as an aligned C array, N quantized
//                                        test images, their labels and the int8
//                                        outputs the Swift engine gives (CArrayWriter)
//
// <sym> is lenet5, inception_lite, allops. The weights are He-initialised from a
// seeded generator (biases and batch-norm statistics small and random), quantized by the
// exporter (MinnowExport: calibration on 32 random images), the test images are other
// random images and their "labels" the float model's predictions (so the printed accuracy is int8-vs-float
// agreement). Deterministic: the same seed writes the same bytes.
import Foundation
import MinnowCore
import MinnowExport
import MinnowModel
import MinnowTraining

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("minnow-fixtures: error: \(message)\nrun 'minnow-fixtures --help' for usage\n".utf8))
    exit(1)
}

var outDir: String?
var count = 16
var seed: UInt64 = 2024
var only: Set<String>?
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--count":
        guard let v = args.first.flatMap({ Int($0) }), v >= 1, v <= 10_000 else { fail("--count needs 1...10000") }
        count = v; args.removeFirst()
    case "--seed":
        guard let v = args.first.flatMap({ UInt64($0) }) else { fail("--seed needs a number") }
        seed = v; args.removeFirst()
    case "--only":
        guard let v = args.first else { fail("--only needs names") }
        only = Set(v.split(separator: ",").map(String.init)); args.removeFirst()
    case "-h", "--help":
        print("usage: minnow-fixtures OUTDIR [--count N] [--seed S] [--only lenet5,inception_lite,allops]")
        exit(0)
    default:
        if a.hasPrefix("-") || outDir != nil { fail("unexpected argument '\(a)'") }
        outDir = a
    }
}
guard let outDir else { fail("usage: minnow-fixtures OUTDIR [--count N] [--seed S]") }

/// Every opcode once: conv (strided, same), the three poolings, concat, add, both
/// global poolings, dense and softmax.
let allOps = BuiltinArchitectures.everyOpcode

let architectures: [(symbol: String, architecture: Architecture)] = [
    ("lenet5", BuiltinArchitectures.lenet5),
    ("inception_lite", BuiltinArchitectures.inceptionLite),
    ("allops", allOps),
]

func randomImages(_ n: Int, _ size: Int, _ rng: inout SeededGenerator) -> [Float] {
    (0..<(n * size)).map { _ in Float(rng.nextUnit()) }
}

func makeFixture(_ symbol: String, _ architecture: Architecture, seed: UInt64) throws {
    var rng = SeededGenerator(seed: seed)
    // Float model: He-initialised, small random biases, batch norm with random statistics.
    var checkpoint = try Network(architecture: architecture, seed: seed).checkpoint()
    for name in checkpoint.parameters.keys.sorted() {
        var p = checkpoint.parameters[name]!
        p.bias = p.bias.map { _ in Float(rng.nextUnit() * 0.2 - 0.1) }
        if var bn = p.batchNorm {
            bn.gamma = bn.gamma.map { _ in Float(0.5 + rng.nextUnit()) }
            bn.beta = bn.beta.map { _ in Float(rng.nextUnit() * 0.2 - 0.1) }
            bn.runningMean = bn.runningMean.map { _ in Float(rng.nextUnit() * 0.2 - 0.1) }
            bn.runningVariance = bn.runningVariance.map { _ in Float(0.5 + rng.nextUnit()) }
            p.batchNorm = bn
        }
        checkpoint.parameters[name] = p
    }
    // The exporter's own path: calibration on random images, then quantization.
    var options = Exporter.Options()
    options.cArrayImages = count
    let exporter = try Exporter(checkpoint: checkpoint, options: options)
    let inputSize = architecture.input.elementCount
    let calibrationCount = 32
    let quantized = try exporter.quantize(calibration: (randomImages(calibrationCount, inputSize, &rng), calibrationCount))
    let bytes = try ModelWriter.serialize(quantized)

    // Test vectors: other random images, the float model's classes as labels, the engine's int8 outputs.
    let images = randomImages(count, inputSize, &rng)
    let labels = exporter.floatModel.predict(images, count: count)
    let test = Dataset(name: "random", images: images, labels: labels,
                       height: architecture.input.height, width: architecture.input.width * architecture.input.channels)
    let vectors = try exporter.testVectors(modelBytes: bytes, test: test)
    let session = try InferenceSession(modelBytes: bytes)
    var agree = 0
    for s in 0..<count {
        _ = try session.run(vectors.inputs[s])
        if session.engine.argmax() == labels[s] { agree += 1 }
    }

    let dir = URL(fileURLWithPath: outDir)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try writeAtomically(Data(bytes), to: dir.appendingPathComponent("\(symbol).mnw"))
    try CArrayWriter.write(model: bytes, tests: vectors,
                           symbol: symbol, to: dir.appendingPathComponent("c"))
    let model = session.model
    print("minnow-fixtures: \(symbol).mnw \(bytes.count) B, \(model.layerCount) layers, arena \(model.arenaBytes) B, "
          + "\(model.totalMultiplyAdds) MACs; \(count) test vectors (int8 argmax = float argmax on \(agree)/\(count))")
}

for (i, entry) in architectures.enumerated() where only?.contains(entry.symbol) ?? true {
    do {
        try makeFixture(entry.symbol, entry.architecture, seed: seed &+ UInt64(i) &* 1000)
    } catch {
        fail("\(entry.symbol): \(error)")
    }
}
