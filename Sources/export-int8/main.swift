import Foundation
import MinnowCore
import MinnowExport
import MinnowModel
import MinnowTraining

// export-int8: quantize a float checkpoint into a Minnow int8 model file.

let usage = """
usage: export-int8 MODEL.ckpt [-o OUT.mnw] [--calibration-images N] [--calibration mse|minmax] [--test-images N]
                   [--dataset fashion-mnist|mnist5k] [--c-array DIR] [--c-array-images N] [--json]
"""

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("export-int8: error: \(message)\n\(usage)\n".utf8))
    exit(1)
}

var checkpointPath: String?
var outputPath: String?
var cArrayDirectory: String?
var datasetName: DatasetName?
var json = false
var options = Exporter.Options()

var argv = Array(CommandLine.arguments.dropFirst())
func value(_ flag: String) -> String {
    guard !argv.isEmpty else { fail("\(flag) needs a value") }
    return argv.removeFirst()
}
func count(_ flag: String) -> Int {
    let text = value(flag)
    guard let n = Int(text), n >= 1 else { fail("\(flag) takes a whole number ≥ 1, got '\(text)'") }
    return n
}
while !argv.isEmpty {
    let arg = argv.removeFirst()
    switch arg {
    case "-h", "--help":
        print(usage)
        exit(0)
    case "-o", "--output": outputPath = value(arg)
    case "--calibration-images": options.calibrationImages = count(arg)
    case "--test-images": options.testImages = count(arg)
    case "--c-array-images": options.cArrayImages = count(arg)
    case "--calibration":
        let name = value(arg)
        guard let method = Exporter.CalibrationMethod(rawValue: name) else {
            fail("unknown calibration method '\(name)' (mse, minmax)")
        }
        options.calibration = method
    case "--c-array": cArrayDirectory = value(arg)
    case "--json": json = true
    case "--dataset":
        let name = value(arg)
        guard let d = DatasetName(rawValue: name) else { fail("unknown data set '\(name)' (fashion-mnist, mnist5k)") }
        datasetName = d
    default:
        if arg.hasPrefix("-") { fail("unknown option '\(arg)'") }
        guard checkpointPath == nil else { fail("one checkpoint at a time ('\(arg)' is extra)") }
        checkpointPath = arg
    }
}
guard let checkpointPath else { fail("no checkpoint given") }

let checkpointURL = URL(fileURLWithPath: checkpointPath)
var isDirectory: ObjCBool = false
guard FileManager.default.fileExists(atPath: checkpointPath, isDirectory: &isDirectory) else {
    fail("\(checkpointPath): no such file")
}
guard !isDirectory.boolValue else { fail("\(checkpointPath) is a directory, not a checkpoint") }
let outputURL = outputPath.map { URL(fileURLWithPath: $0) }
    ?? checkpointURL.deletingPathExtension().appendingPathExtension("mnw")

do {
    let checkpoint = try Checkpoint.read(from: checkpointURL)
    let exporter = try Exporter(checkpoint: checkpoint, options: options)
    guard let dataset = datasetName ?? exporter.trainedDataset else {
        fail("the checkpoint does not say which data set it was trained on: pass --dataset")
    }
    let train = try Dataset.load(dataset, split: .train)
    let test = try Dataset.load(dataset, split: .test)
    let started = Date()
    let quantized = try exporter.quantize(calibration: exporter.calibrationSet(from: train))
    let bytes = try ModelWriter.serialize(quantized)
    var report = try exporter.evaluate(modelBytes: bytes, on: test)
    report.calibrationImages = min(options.calibrationImages, train.count)
    report.arenaLowerBoundBytes = quantized.memoryPlan.lowerBoundBytes
    // Everything is computed: now write, each file atomically.
    try writeAtomically(Data(bytes), to: outputURL)
    if let dir = cArrayDirectory {
        let symbol = outputURL.deletingPathExtension().lastPathComponent
        try CArrayWriter.write(model: bytes, tests: exporter.testVectors(modelBytes: bytes, test: test),
                               symbol: symbol, to: URL(fileURLWithPath: dir))
    }
    let seconds = Date().timeIntervalSince(started)
    if json {
        var object = report.json
        // As the user named it (relative paths stay relative).
        object["model_path"] = outputPath ?? String(checkpointPath.dropLast(checkpointURL.pathExtension.isEmpty ? 0 : checkpointURL.pathExtension.count + 1)) + ".mnw"
        object["seconds"] = (seconds * 10).rounded() / 10
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    } else {
        func pct(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
        print("""
        model       \(outputURL.path)
        data set    \(report.dataset): \(report.testImages) test images, \(report.calibrationImages) calibration images
        accuracy    float \(pct(report.floatAccuracy))   int8 \(pct(report.int8Accuracy))   \
        (Δ \(String(format: "%+.2f", (report.int8Accuracy - report.floatAccuracy) * 100)) points)
        agreement   \(pct(report.agreement)) of test images get the same class from float and int8
        size        \(report.modelBytes) bytes of model file for \(report.parameters) parameters \
        (\(String(format: "%.2f", Double(report.modelBytes) / Double(report.parameters))) bytes/parameter)
        arena       \(report.arenaBytes) bytes (lower bound without in-place reuse: \(report.arenaLowerBoundBytes))
        work        \(report.multiplyAdds) multiply-adds per image
        """)
    }
} catch {
    fail("\(error)")
}
