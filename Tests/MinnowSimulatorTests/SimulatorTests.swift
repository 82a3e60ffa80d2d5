import Foundation
import Testing
import MinnowCore
import MinnowModel
@testable import MinnowSimulator

/// firmware-sim/examples, found from this file's path.
let examples = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("firmware-sim/examples")

func example(_ name: String) -> String { examples.appendingPathComponent(name).path }

func lenetReport(board: Board = BoardCatalogue.defaultBoard) throws -> SimulationReport {
    try SimulationReport(model: ModelLoader.load(.builtin("lenet5")), board: board)
}

func parseJSON(_ text: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(object as? [String: Any])
}

/// The classic LeNet-5 table of DESIGN.md: name, units, connections, weights.
let lenetTable: [(String, Int, Int, Int)] = [
    ("C1", 4704, 117_600, 150), ("S2", 1176, 4704, 0), ("C3", 1600, 240_000, 2400),
    ("S4", 400, 1600, 0), ("F5", 120, 48_000, 48_000), ("F6", 84, 10_080, 10_080),
    ("output", 10, 840, 840),
]

@Suite struct LeNetReportTests {
    @Test func reportReproducesTheClassicTable() throws {
        let r = try lenetReport()
        #expect(r.layers.count == lenetTable.count)
        for (layer, row) in zip(r.layers, lenetTable) {
            #expect(layer.name == row.0)
            #expect(layer.units == row.1, "units of \(row.0)")
            #expect(layer.connections == row.2, "connections of \(row.0)")
            #expect(layer.weights == row.3, "weights of \(row.0)")
        }
        #expect(r.totals.macs == 416_520)
        #expect(r.totals.parameters == 61_706)
    }

    @Test func jsonReproducesTheClassicTable() throws {
        let result = FirmwareSim.execute(["run", "--arch", "lenet5", "--format", "json"])
        #expect(result.status == 0)
        let root = try parseJSON(result.stdout)
        let layers = try #require(root["layers"] as? [[String: Any]])
        #expect(layers.count == lenetTable.count)
        for (layer, row) in zip(layers, lenetTable) {
            #expect(layer["name"] as? String == row.0)
            #expect(layer["units"] as? Int == row.1)
            #expect(layer["connections"] as? Int == row.2)
            #expect(layer["weights"] as? Int == row.3)
        }
        let totals = try #require(root["totals"] as? [String: Any])
        #expect(totals["macs"] as? Int == 416_520)
        #expect(totals["parameters"] as? Int == 61_706)
    }

    @Test func flashBytesPerLayer() throws {
        let r = try lenetReport()
        // C1: 150 int8 weights + 6 int32 biases + 6 × (int32 multiplier + int32 shift).
        #expect(r.layers[0].weightBytes == 150 + 24 + 48)
        #expect(r.layers[1].weightBytes == 0)
        // F5: 48,000 + 120 × 12.
        #expect(r.layers[4].weightBytes == 48_000 + 1440)
        #expect(r.totals.weightBytes == 61_470 + 236 * 12)
        #expect(!r.totals.flashBytesMeasured)
        #expect(r.totals.flashBytes > r.totals.weightBytes)
    }

    @Test func arenaIsTheMemoryPlan() throws {
        let r = try lenetReport()
        let analysis = try ArchitectureAnalysis(BuiltinArchitectures.lenet5)
        let plan = MemoryPlan(analysis)  // the engine's scratch: the plan the exporter writes
        #expect(r.totals.arenaBytes == plan.arenaBytes)
        #expect(r.totals.arenaLowerBoundBytes == plan.lowerBoundBytes)
        for (i, layer) in r.layers.enumerated() {
            #expect(layer.arenaOffset == plan.activations[i + 1].offset)
            #expect(layer.firstStep == plan.activations[i + 1].firstStep)
            #expect(layer.lastStep == plan.activations[i + 1].lastStep)
            #expect(layer.activationBytes == layer.outputShape.elementCount)
        }
        #expect(r.input.bytes == 784)
        // Bytes in use never exceed the arena; without in-place reuse their peak is the bound.
        #expect(r.liveBytesPerStep.max()! <= plan.arenaBytes)
        #expect(r.liveBytesPerStep.max()! <= plan.lowerBoundBytes)
    }

    @Test func inPlaceReuseGoesBelowTheBound() throws {
        let inception = try SimulationReport(model: ModelLoader.load(.builtin("inception-lite")), board: BoardCatalogue.defaultBoard)
        let analysis = try ArchitectureAnalysis(BuiltinArchitectures.inceptionLite)
        let p = inception.inPlace
        #expect(p.zeroCopyConcats == ["inc1", "inc2", "inc3"])
        #expect(p.arenaBytes == MemoryPlan(analysis).arenaBytes)
        #expect(p.arenaWithoutInPlaceBytes == MemoryPlan(analysis, inPlace: false).arenaBytes)
        #expect(p.arenaBytes < p.lowerBoundBytes, "DESIGN.md: in-place work goes below the bound")
        #expect(p.savedBytes > 0)
        // Slices are drawn inside their concatenation output and counted once.
        let slice = try #require(inception.buffers.first { $0.name == "inc1_1x1" })
        #expect(slice.sliceOf == "inc1")
        let parent = try #require(inception.buffers.first { $0.name == "inc1" })
        #expect(parent.firstStep <= slice.firstStep)
        #expect(inception.liveBytesPerStep.max()! <= inception.totals.arenaBytes)
        let root = try parseJSON(JSONReport.render(inception))
        let inPlace = try #require(root["in_place"] as? [String: Any])
        #expect(inPlace["saved_bytes"] as? Int == p.savedBytes)
        #expect(inception.layers.first { $0.name == "inc1_1x1" } != nil)
        #expect(TextReport.table(inception).contains("zero-copy concat"))
    }

    @Test func defaultRunFallsBackToTheBuiltinLeNet() {
        let result = FirmwareSim.execute([])
        #expect(result.status == 0)
        #expect(result.stdout.contains("lenet5"))
        #expect(result.stdout.contains("416,520"))
        #expect(result.stdout.contains("61,706"))
        #expect(result.stdout.contains(BoardCatalogue.defaultBoard.displayName))
        #expect(result.stdout.contains("verdict"))
    }

    @Test func latencyStatesItsModel() throws {
        let r = try lenetReport()
        let m = LatencyModel.assumed(for: .cortexM4F)
        let expected = Double(416_520) * m.cyclesPerMAC + Double(4704 + 1600 + 120 + 84 + 10) * m.cyclesPerRequantize
            + Double(4704 + 1600) * m.cyclesPerElement + 7 * m.cyclesPerLayer
        #expect(abs(r.totals.estimatedCycles - expected) < 0.5)
        #expect(abs(r.totals.estimatedMilliseconds - expected / 64_000) < 1e-6)
        let text = TextReport.table(r)
        #expect(text.contains("cycles/MAC"))
        #expect(text.contains(m.basis))  // where the figures come from
    }
}

@Suite struct JSONSchemaTests {
    static let layerKeys = ["name", "kind", "output_shape", "units", "connections", "weights", "biases", "macs",
                            "weight_bytes", "activation_bytes", "scratch_bytes", "arena_offset", "first_step", "last_step"]
    static let totalKeys = ["parameters", "macs", "flash_bytes", "arena_bytes", "arena_lower_bound_bytes",
                            "estimated_ms", "estimated_cycles"]
    static let boardKeys = ["name", "flash_bytes", "ram_bytes", "fits", "flash_margin_bytes", "ram_margin_bytes"]

    @Test(arguments: ["lenet5", "inception-lite"])
    func documentedKeysArePresent(arch: String) throws {
        let result = FirmwareSim.execute(["run", "--arch", arch, "--json"])
        #expect(result.status == 0)
        let root = try parseJSON(result.stdout)
        #expect(root["schema"] as? String == JSONReport.schema)
        let layers = try #require(root["layers"] as? [[String: Any]])
        for layer in layers {
            for key in Self.layerKeys { #expect(layer[key] != nil, "layer key \(key)") }
            let shape = try #require(layer["output_shape"] as? [Int])
            #expect(shape.count == 3)
        }
        let totals = try #require(root["totals"] as? [String: Any])
        for key in Self.totalKeys { #expect(totals[key] != nil, "totals key \(key)") }
        let board = try #require(root["board"] as? [String: Any])
        for key in Self.boardKeys { #expect(board[key] != nil, "board key \(key)") }
        #expect(board["fits"] as? Bool == true)
        #expect(board["name"] as? String == BoardCatalogue.defaultBoardID)
        let arena = try #require(root["arena"] as? [String: Any])
        #expect(arena["buffers"] is [[String: Any]])
        #expect(root["latency_model"] is [String: Any])
    }

    @Test func serializerEscapesAndSorts() throws {
        let v = JSONValue.object(["b": .string("q\"\\\n\u{01}"), "a": .array([.int(1), .decimal(2.5, digits: 2)]),
                                  "c": .object(["z": .null, "y": .bool(false)])])
        let text = v.serialized()
        let root = try parseJSON(text)
        #expect(root["b"] as? String == "q\"\\\n\u{01}")
        #expect(text.firstRange(of: "\"a\"")!.lowerBound < text.firstRange(of: "\"b\"")!.lowerBound)
        #expect(text.contains("2.50"))
    }
}

@Suite struct ExampleArchitectureTests {
    @Test func imageNetScaleGoogLeNetAnalyses() throws {
        let model = try ModelLoader.load(.architectureFile(example("googlenet-imagenet.json")))
        let r = try SimulationReport(model: model, board: BoardCatalogue.defaultBoard)
        #expect(r.inputShape == TensorShape(height: 224, width: 224, channels: 3))
        let byName = Dictionary(uniqueKeysWithValues: r.layers.map { ($0.name, $0) })
        #expect(byName["conv1"]?.outputShape == TensorShape(height: 112, width: 112, channels: 64))
        // 3×3/2 max pool with ceil rounding: (112 − 3) / 2 + 1 = 55.5 → 56.
        #expect(byName["pool1"]?.outputShape == TensorShape(height: 56, width: 56, channels: 64))
        #expect(byName["pool2"]?.outputShape == TensorShape(height: 28, width: 28, channels: 192))
        #expect(byName["inc3a"]?.outputShape == TensorShape(height: 28, width: 28, channels: 256))
        #expect(byName["inc5b"]?.outputShape == TensorShape(height: 7, width: 7, channels: 1024))
        #expect(r.layers.last?.outputShape == .vector(1000))
        #expect(r.totals.parameters > 6_500_000 && r.totals.parameters < 7_500_000)
        #expect(r.totals.macs > 1_400_000_000 && r.totals.macs < 1_700_000_000)
        #expect(!r.verdict.fits)
        #expect(r.inPlace.arenaWithoutInPlaceBytes >= r.totals.arenaLowerBoundBytes)
        #expect(r.totals.arenaBytes <= r.inPlace.arenaWithoutInPlaceBytes)
        // The JSON of a 100-layer net still parses.
        let root = try parseJSON(JSONReport.render(r))
        #expect((root["layers"] as? [Any])?.count == r.layers.count)
        let board = try #require(root["board"] as? [String: Any])
        #expect(board["fits"] as? Bool == false)
    }

    @Test func residualExampleAnalyses() throws {
        let result = FirmwareSim.execute(["run", "--arch", example("tiny-resnet.json"), "--board", "pico", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let root = try parseJSON(result.stdout)
        let layers = try #require(root["layers"] as? [[String: Any]])
        #expect(layers.contains { $0["kind"] as? String == "add" })
    }

    @Test func invalidGeometryNamesLayerAndFraction() {
        let result = FirmwareSim.execute(["run", "--arch", example("invalid-geometry.json")])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("firmware-sim: error:"))
        #expect(first.contains("'c1'"))
        #expect(first.contains("4.5"))
        #expect(!result.stderr.contains("Fatal"))
    }

    @Test func builtinExamplesRoundTrip() throws {
        for name in BuiltinArchitectures.names {
            let r = try SimulationReport(model: ModelLoader.load(.builtin(name)), board: BoardCatalogue.defaultBoard)
            #expect(r.verdict.fits, "\(name) fits the default board")
        }
    }
}

@Suite struct ErrorTests {
    func expectError(_ args: [String], status: Int32, mentions: [String]) {
        let result = FirmwareSim.execute(args)
        #expect(result.status == status, "\(args): \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("firmware-sim: error: "))
        #expect(result.stderr.contains("firmware-sim --help"))
        for word in mentions { #expect(result.stderr.contains(word), "\(args) mentions \(word)") }
    }

    @Test func unknownBoard() {
        expectError(["run", "--board", "esp8266"], status: 2, mentions: ["esp8266", "nano33ble"])
    }

    @Test func badFlags() {
        expectError(["run", "--frobnicate"], status: 2, mentions: ["--frobnicate"])
        expectError(["run", "--ram", "lots"], status: 2, mentions: ["--ram", "lots"])
        expectError(["run", "--ram"], status: 2, mentions: ["--ram needs a value"])
        expectError(["run", "--format", "xml"], status: 2, mentions: ["xml"])
        expectError(["run", "--core", "m33"], status: 2, mentions: ["m33"])
        expectError(["launch"], status: 2, mentions: ["launch"])
        expectError(["run", "a.mnw", "--arch", "lenet5"], status: 2, mentions: ["not both"])
    }

    @Test func unknownArchitecture() {
        expectError(["run", "--arch", "alexnet"], status: 1, mentions: ["alexnet", "lenet5"])
    }

    @Test func missingAndMalformedFiles() throws {
        expectError(["run", "--arch", "/nonexistent/net.json"], status: 1, mentions: ["/nonexistent/net.json"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firmware-sim-tests-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let broken = dir.appendingPathComponent("broken.json")
        try Data("{\"input\": [28, 28, 1], \"layers\": [".utf8).write(to: broken)
        expectError(["run", "--arch", broken.path], status: 1, mentions: ["malformed", "broken.json"])
        let noFilters = dir.appendingPathComponent("nofilters.json")
        try Data(#"{"input":[28,28,1],"layers":[{"name":"c1","type":"conv","kernel":3}]}"#.utf8).write(to: noFilters)
        expectError(["run", noFilters.path], status: 1, mentions: ["c1", "filters"])
        let model = dir.appendingPathComponent("m.mnw")
        try Data([0x4d, 0x4e]).write(to: model)
        expectError(["run", model.path], status: 1, mentions: ["m.mnw", "truncated"])
        let noReader = FirmwareSim.execute(["run", model.path], hooks: SimulatorHooks())
        #expect(noReader.status == 1)
        #expect(noReader.stderr.contains("--arch"))
        expectError(["run", dir.appendingPathComponent("absent.mnw").path], status: 1, mentions: ["absent.mnw"])
    }

    @Test func absurdSizesAreRefusedNotTrapped() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firmware-sim-huge-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let huge = dir.appendingPathComponent("huge.json")
        try Data(#"{"input":[65535,65535,65535],"layers":[{"name":"big","type":"conv","filters":65535,"kernel":65535,"padding":"same"}]}"#.utf8).write(to: huge)
        expectError(["run", "--arch", huge.path], status: 1, mentions: ["'big'", "too large"])
    }

    @Test func everyErrorIsOneLineAndAHint() {
        let result = FirmwareSim.execute(["run", "--board", "nope"])
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count >= 2)
        #expect(lines[0].contains("nope"))
    }
}

@Suite struct BoardTests {
    @Test func catalogueIsSane() {
        #expect(Set(BoardCatalogue.all.map(\.core)) == Set(CoreClass.allCases))
        #expect(BoardCatalogue.defaultBoard.core == .cortexM4F)
        for b in BoardCatalogue.all {
            #expect(b.flashBytes > 0 && b.ramBytes > 0 && b.clockMHz > 0)
            #expect(BoardCatalogue.named(b.id) == b)
            for alias in b.aliases { #expect(BoardCatalogue.named(alias.uppercased()) == b) }
        }
        #expect(BoardCatalogue.named("pico")?.ramBytes == 264 * 1024)
        #expect(BoardCatalogue.named("stm32f407")?.ramBytes == 128 * 1024)
        #expect(BoardCatalogue.named("stm32f746g-disco")?.ramBytes == 320 * 1024)
    }

    @Test func byteSizes() {
        #expect(ByteSize.parse("262144") == 262_144)
        #expect(ByteSize.parse("256K") == 262_144)
        #expect(ByteSize.parse("256kb") == 262_144)
        #expect(ByteSize.parse("256KiB") == 262_144)
        #expect(ByteSize.parse("1M") == 1_048_576)
        #expect(ByteSize.parse("1.5M") == 1_572_864)
        #expect(ByteSize.parse("0") == nil)
        #expect(ByteSize.parse("-4K") == nil)
        #expect(ByteSize.parse("K") == nil)
        #expect(ByteSize.parse("12Q") == nil)
        #expect(ByteSize.parse("0.3") == nil)
        #expect(ByteSize.grouped(1_234_567) == "1,234,567")
        #expect(ByteSize.grouped(-1000) == "-1,000")
    }

    @Test func customFiguresAndTheVerdict() throws {
        let result = FirmwareSim.execute(["run", "--arch", "lenet5", "--ram", "8K", "--flash", "1M", "--json"])
        #expect(result.status == 0)
        let board = try #require(try parseJSON(result.stdout)["board"] as? [String: Any])
        #expect(board["ram_bytes"] as? Int == 8192)
        #expect(board["fits"] as? Bool == false)
        #expect(board["fits_flash"] as? Bool == true)
        #expect(board["fits_ram"] as? Bool == false)
        #expect(board["name"] as? String == "custom")
        let checked = FirmwareSim.execute(["run", "--arch", "lenet5", "--ram=8K", "--check"])
        #expect(checked.status == 3)
        #expect(checked.stdout.contains("DOES NOT FIT"))
    }

    @Test func coreClassChangesTheEstimate() throws {
        let m0 = try lenetReport(board: #require(BoardCatalogue.named("pico")))
        let m7 = try lenetReport(board: #require(BoardCatalogue.named("teensy41")))
        #expect(m0.latency.cyclesPerMAC > m7.latency.cyclesPerMAC)
        #expect(m0.totals.estimatedMilliseconds > m7.totals.estimatedMilliseconds)
        let custom = FirmwareSim.execute(["run", "--cycles-per-mac", "1.5", "--json"])
        let latency = try #require(try parseJSON(custom.stdout)["latency_model"] as? [String: Any])
        #expect((latency["cycles_per_mac"] as? Double) == 1.5)
    }

    @Test func boardsCommand() throws {
        let table = FirmwareSim.execute(["boards"])
        #expect(table.status == 0)
        for b in BoardCatalogue.all { #expect(table.stdout.contains(b.id)) }
        let json = FirmwareSim.execute(["boards", "--format", "json"])
        let boards = try #require(try parseJSON(json.stdout)["boards"] as? [[String: Any]])
        #expect(boards.count == BoardCatalogue.all.count)
        #expect(FirmwareSim.execute(["--help"]).stdout.contains("--svg"))
    }
}

@Suite struct OutputFormatTests {
    @Test func markdownHasTheTable() throws {
        let result = FirmwareSim.execute(["run", "--arch", "lenet5", "--format", "markdown"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("| 2 | C3 | conv | 10x10x16 | 1,600 | 240,000 | 2,400 |"))
        #expect(result.stdout.contains("| verdict |"))
    }

    @Test func svgIsWrittenAtomicallyAndParses() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firmware-sim-svg-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("net.svg").path
        let result = FirmwareSim.execute(["run", "--arch", "inception-lite", "--svg", path])
        #expect(result.status == 0)
        let svg = try String(contentsOfFile: path, encoding: .utf8)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("inc2_3x3"))
        #expect(svg.contains("multiply-adds per layer"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["net.svg"])
        // Well-formed XML: every opened element closed.
        let opens = svg.components(separatedBy: "<rect").count + svg.components(separatedBy: "<text").count
        let closes = svg.components(separatedBy: "</rect>").count + svg.components(separatedBy: "</text>").count
            + svg.components(separatedBy: "/>").count
        #expect(closes >= opens)
        #expect(!svg.contains("& "))
    }

    @Test func svgToAMissingDirectoryIsAnError() {
        let result = FirmwareSim.execute(["run", "--svg", "/nonexistent-dir/x.svg"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent-dir/x.svg"))
    }
}

@Suite struct ExtensionPointTests {
    /// A stand-in for the model-file reader and the engine: the plan and
    /// file size come from "the file", the measured run is attached.
    @Test func modelFileReaderAndRunnerPlugIn() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("firmware-sim-hooks-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("lenet.mnw").path
        try Data(count: 70_000).write(to: URL(fileURLWithPath: path))
        let hooks = SimulatorHooks(
            modelFileReader: { path in
                let arch = BuiltinArchitectures.lenet5
                let plan = MemoryPlan(try ArchitectureAnalysis(arch), scratchBytes: { _ in 64 })
                let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
                return LoadedModel(architecture: arch, plan: plan, fileBytes: size, path: path, origin: "model file \(path)")
            },
            modelRunner: { request in
                MeasuredRun(host: "test", images: 100, accuracy: 0.9, arenaBytesUsed: request.model.plan!.arenaBytes,
                            perLayerMicroseconds: [5, 1, 6, 1, 2, 1, 1], totalMicroseconds: 17)
            })
        let result = FirmwareSim.execute(["run", path, "--json"], hooks: hooks)
        #expect(result.status == 0, "\(result.stderr)")
        let root = try parseJSON(result.stdout)
        let totals = try #require(root["totals"] as? [String: Any])
        #expect(totals["flash_bytes"] as? Int == 70_000)
        #expect(totals["flash_bytes_source"] as? String == "model_file")
        let layers = try #require(root["layers"] as? [[String: Any]])
        #expect(layers[0]["scratch_bytes"] as? Int == 64)
        #expect(layers[2]["measured_us"] as? Double == 6)
        let measured = try #require(root["measured"] as? [String: Any])
        #expect(measured["accuracy"] as? Double == 0.9)

        // A board too small for the arena: the run is refused with the numbers.
        let refused = FirmwareSim.execute(["run", path, "--ram", "9K"], hooks: hooks)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("refusing to run"))
    }
}
