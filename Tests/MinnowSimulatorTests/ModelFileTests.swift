import Foundation
import Testing
import MinnowCore
import MinnowModel
@testable import MinnowSimulator

/// Writes `architecture` as an int8 model file with small deterministic
/// weights and made-up calibration ranges (the numbers do not matter here:
/// the report reads the file's structure, size and plan).
func writeModelFile(_ architecture: Architecture, to path: String) throws {
    let analysis = try ArchitectureAnalysis(architecture)
    var state: UInt32 = 12_345
    func next() -> Float {
        state = state &* 1_664_525 &+ 1_013_904_223
        return Float(Int32(bitPattern: state) >> 16) / 400_000
    }
    var parameters: [String: Int8Converter.FloatParameters] = [:]
    var ranges: [String: (min: Float, max: Float)] = [Architecture.inputName: (0, 1)]
    for layer in analysis.layers {
        if layer.weights > 0 {
            parameters[layer.name] = .init(weights: (0..<layer.weights).map { _ in next() },
                                           bias: (0..<layer.biases).map { _ in next() })
        }
        ranges[layer.name] = (-4, 4)
    }
    let quantized = try Int8Converter.convert(architecture, parameters: parameters, ranges: ranges)
    try ModelWriter.write(quantized, to: URL(fileURLWithPath: path))
}

@Suite struct ModelFileTests {
    func temporaryDirectory(_ tag: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firmware-sim-\(tag)-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test(arguments: ["lenet5", "inception-lite"])
    func modelFileReportUsesTheFile(name: String) throws {
        let dir = try temporaryDirectory("model-\(name)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("\(name).mnw").path
        let architecture = try #require(BuiltinArchitectures.named(name))
        try writeModelFile(architecture, to: path)
        let fileSize = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)

        let result = FirmwareSim.execute(["run", path, "--json", "--images", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        let root = try parseJSON(result.stdout)
        let totals = try #require(root["totals"] as? [String: Any])
        #expect(totals["flash_bytes"] as? Int == fileSize)
        #expect(totals["flash_bytes_source"] as? String == "model_file")
        let reference = try ArchitectureAnalysis(architecture)
        #expect(totals["macs"] as? Int == reference.macs)
        #expect(totals["parameters"] as? Int == reference.parameters)

        // The arena reported is the one the engine uses for this file.
        let session = try InferenceSession(contentsOf: URL(fileURLWithPath: path))
        #expect(totals["arena_bytes"] as? Int == session.model.arenaBytes)
        // Without the file, the estimate follows the file layout: equal for these nets…
        let estimate = try SimulationReport(model: ModelLoader.load(.builtin(name)), board: BoardCatalogue.defaultBoard)
        #expect(estimate.totals.flashBytes == fileSize)
        // … and the arena planned from the architecture is the file's.
        #expect(estimate.totals.arenaBytes == session.model.arenaBytes)
        // The in-place reuse read back from the file is the plan's.
        let inPlace = try #require(root["in_place"] as? [String: Any])
        #expect(inPlace["slices"] as? [String] == estimate.inPlace.slices)
        #expect(inPlace["in_place_layers"] as? [String] == estimate.inPlace.inPlaceLayers)
        #expect(inPlace["arena_without_in_place_bytes"] as? Int == estimate.inPlace.arenaWithoutInPlaceBytes)
        let layers = try #require(root["layers"] as? [[String: Any]])
        #expect(layers.count == session.model.layerCount)
        for (i, layer) in layers.enumerated() {
            let info = session.model.layer(i)
            #expect(layer["arena_offset"] as? Int == session.model.tensor(info.output).arenaOffset)
            #expect(layer["measured_us"] is Double)
        }
        let measured = try #require(root["measured"] as? [String: Any])
        #expect(measured["images"] as? Int == 3)
        #expect(measured["arena_bytes_used"] as? Int == session.model.arenaBytes)
        if name == "lenet5" {
            let units = layers.compactMap { $0["units"] as? Int }
            #expect(units == lenetTable.map(\.1))
            #expect(totals["macs"] as? Int == 416_520)
        }
    }

    @Test func aBoardTooSmallRefusesTheRunWithTheNumbers() throws {
        let dir = try temporaryDirectory("small")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("lenet5.mnw").path
        try writeModelFile(BuiltinArchitectures.lenet5, to: path)
        let result = FirmwareSim.execute(["run", path, "--ram", "10K"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("refusing to run"))
        #expect(result.stderr.contains("2,048"))  // 10 KiB − 8 KiB reserve
        #expect(result.stdout.contains("DOES NOT FIT"))  // the report still stands
        #expect(FirmwareSim.execute(["run", path, "--ram", "10K", "--check"]).status == 3)
        // Analysis only still works.
        let analysed = FirmwareSim.execute(["run", path, "--ram", "10K", "--no-run"])
        #expect(analysed.status == 0)
        #expect(analysed.stdout.contains("DOES NOT FIT"))
    }

    @Test func corruptModelFilesAreRefused() throws {
        let dir = try temporaryDirectory("corrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("lenet5.mnw").path
        try writeModelFile(BuiltinArchitectures.lenet5, to: path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count - 1] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: path))
        let result = FirmwareSim.execute(["run", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("malformed model file"))
        #expect(result.stderr.contains("CRC"))
    }
}

@Suite struct TestSetTests {
    func directory(_ tag: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firmware-sim-set-\(tag)-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func csvAndIDXReadTheSameImages() throws {
        let dir = try directory("formats")
        defer { try? FileManager.default.removeItem(at: dir) }
        // Three 28×28 images: image k has every pixel = k × 40, label k + 1.
        var csv = ""
        var idxImages: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28]
        var idxLabels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 3]
        for k in 0..<3 {
            csv += Array(repeating: String(k * 40), count: 784).joined(separator: ",") + ",\(k + 1)\n"
            idxImages += Array(repeating: UInt8(k * 40), count: 784)
            idxLabels.append(UInt8(k + 1))
        }
        try Data(csv.utf8).write(to: dir.appendingPathComponent("set.csv"))
        try Data(idxImages).write(to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        try Data(idxLabels).write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        let fromCSV = try TestSet.load(dir.appendingPathComponent("set.csv").path)
        let fromIDX = try TestSet.load(dir.path)
        #expect(fromCSV.count == 3 && fromIDX.count == 3)
        #expect(fromCSV.labels == [1, 2, 3] && fromIDX.labels == [1, 2, 3])
        #expect(fromCSV.pixels == fromIDX.pixels)
        #expect(fromIDX.image(2)[100] == Float(80) / 255)
    }

    @Test func malformedTestSetsAreRefused() throws {
        let dir = try directory("bad")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("1,2,3\n4,5,6\n".utf8).write(to: dir.appendingPathComponent("bad.csv"))
        #expect(throws: SimulatorError.self) { try TestSet.load(dir.appendingPathComponent("bad.csv").path) }
        #expect(throws: SimulatorError.self) { try TestSet.load(dir.path) }  // no IDX files
        #expect(throws: SimulatorError.self) { try TestSet.load("/nonexistent/set") }
    }

    @Test func aRunWithATestSetReportsAccuracy() throws {
        let dir = try directory("run")
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("lenet5.mnw").path
        try writeModelFile(BuiltinArchitectures.lenet5, to: model)
        var csv = ""
        for k in 0..<20 { csv += Array(repeating: String((k * 13) % 256), count: 784).joined(separator: ",") + ",\(k % 10)\n" }
        let set = dir.appendingPathComponent("set.csv").path
        try Data(csv.utf8).write(to: URL(fileURLWithPath: set))
        let result = FirmwareSim.execute(["run", model, "--test-set", set, "--images", "50", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let measured = try #require(try parseJSON(result.stdout)["measured"] as? [String: Any])
        #expect(measured["images"] as? Int == 20)  // capped at the set's size
        let accuracy = try #require(measured["accuracy"] as? Double)
        #expect(accuracy >= 0 && accuracy <= 1)

        // A test set of the wrong image size is refused.
        let small = dir.appendingPathComponent("small").path
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        try Data([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]).write(to: URL(fileURLWithPath: small + "/t10k-images-idx3-ubyte"))
        try Data([0, 0, 8, 1, 0, 0, 0, 1, 7]).write(to: URL(fileURLWithPath: small + "/t10k-labels-idx1-ubyte"))
        let wrong = FirmwareSim.execute(["run", model, "--test-set", small])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("2x2x1"))
    }
}
