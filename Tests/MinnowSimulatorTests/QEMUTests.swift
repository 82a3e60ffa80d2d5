import Foundation
import Testing
import MinnowCore
import MinnowModel
@testable import MinnowSimulator

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The bundled LeNet-5 model file.
let lenetModelPath = repositoryRoot.appendingPathComponent("models/lenet5-fashion.mnw").path

/// What `firmware-sim/cortex-m/profile.sh models/lenet5-fashion.mnw` printed (commit 9e2b484).
let cannedLeNetProfile = """
{"model":"lenet5_fashion","layer":0,"name":"C1","kind":"conv","macs":117600,"output_bytes":4704,"instructions":1324762,"instructions_per_mac":11.265,"runs":16}
{"model":"lenet5_fashion","layer":1,"name":"S2","kind":"maxpool","macs":0,"output_bytes":1176,"instructions":93034,"instructions_per_mac":null,"runs":16}
{"model":"lenet5_fashion","layer":2,"name":"C3","kind":"conv","macs":240000,"output_bytes":1600,"instructions":1746116,"instructions_per_mac":7.275,"runs":16}
{"model":"lenet5_fashion","layer":3,"name":"S4","kind":"maxpool","macs":0,"output_bytes":400,"instructions":25567,"instructions_per_mac":null,"runs":16}
{"model":"lenet5_fashion","layer":4,"name":"F5","kind":"dense","macs":48000,"output_bytes":120,"instructions":303548,"instructions_per_mac":6.324,"runs":16}
{"model":"lenet5_fashion","layer":5,"name":"F6","kind":"dense","macs":10080,"output_bytes":84,"instructions":70848,"instructions_per_mac":7.029,"runs":16}
{"model":"lenet5_fashion","layer":6,"name":"output","kind":"dense","macs":840,"output_bytes":10,"instructions":7460,"instructions_per_mac":8.881,"runs":16}
{"model":"lenet5_fashion","total":true,"instructions_per_inference":3570702,"macs":416520,"instructions_per_mac":8.57,"flash":110396,"flash_test_vectors":12720,"ram":7808,"arena":5856,"stack_hwm":1408,"images":16,"bit_exact":true}

"""

/// Hooks that read model files for real but neither run them on the host nor
/// start QEMU: the profiler returns `profile` (or throws `error`) and records the path.
func qemuHooks(profile: String = cannedLeNetProfile, error: (any Error)? = nil) -> SimulatorHooks {
    SimulatorHooks(modelFileReader: { path in try ModelFileReader.load(path) },
                   qemuProfiler: { _ in
                       if let error { throw error }
                       return profile
                   })
}

@Suite struct QEMUProfileParsingTests {
    @Test func parsesLayersAndTotals() throws {
        let p = try QEMUProfile.parse(jsonLines: cannedLeNetProfile)
        #expect(p.model == "lenet5_fashion")
        #expect(p.layers.map(\.name) == ["C1", "S2", "C3", "S4", "F5", "F6", "output"])
        #expect(p.layers[0].instructions == 1_324_762)
        #expect(abs(p.layers[0].instructionsPerMAC! - 1_324_762.0 / 117_600) < 1e-12)
        #expect(p.layers[1].instructionsPerMAC == nil)
        #expect(p.layers[2].runs == 16)
        #expect(p.layers[4].outputBytes == 120)
        #expect(p.instructionsPerInference == 3_570_702)
        #expect(p.macs == 416_520)
        #expect(abs(p.instructionsPerMAC! - 3_570_702.0 / 416_520) < 1e-12)
        #expect(p.flashBytes == 110_396)
        #expect(p.deployedFlashBytes == 110_396 - 12_720)
        #expect(p.ramBytes == 7808)
        #expect(p.arenaBytes == 5856)
        #expect(p.stackHighWaterBytes == 1408)
        #expect(p.images == 16)
        #expect(p.bitExact == true)
    }

    @Test func ignoresNonJSONLinesAndComputesMissingRatios() throws {
        let text = """
        building…
        {"layer":0,"name":"a","kind":"conv","macs":100,"instructions":650}
        {"layer":1,"name":"b","kind":"maxpool","macs":0,"instructions":40}
        {"total":true,"instructions_per_inference":700,"macs":100}
        """
        let p = try QEMUProfile.parse(jsonLines: text)
        #expect(p.layers.count == 2)
        #expect(p.layers[0].instructionsPerMAC == 6.5)
        #expect(p.layers[0].runs == 1)
        #expect(p.layers[1].instructionsPerMAC == nil)
        #expect(p.instructionsPerMAC == 7)
        #expect(p.flashBytes == nil && p.bitExact == nil)
    }

    @Test(arguments: [
        ("", "no JSON lines"),
        ("{\"layer\":0,\"name\":\"a\",\"kind\":\"conv\",\"macs\":1,\"instructions\":5}", "no total line"),
        ("{\"total\":true,\"instructions_per_inference\":5}", "no per-layer lines"),
        ("{\"layer\":0,\"name\":\"a\",\"kind\":\"conv\",\"macs\":1}\n{\"total\":true,\"instructions_per_inference\":5}", "\"instructions\""),
        ("{\"layer\":0,\"name\":\"a\",\"kind\":\"conv\",\"macs\":1,\"instructions\":5}\n{\"total\":true}", "instructions_per_inference"),
        ("{not json", "not JSON"),
    ])
    func malformedOutputIsAnError(text: String, expected: String) {
        #expect {
            _ = try QEMUProfile.parse(jsonLines: text)
        } throws: { error in
            guard case let .qemuFailed(message) = error as? SimulatorError else { return false }
            return message.contains(expected)
        }
    }

    @Test func lastLineOfTheLogPrefersErrors() {
        let log = "[firmware] building\nERROR: arm-none-eabi-gcc failed\n[firmware] cleaning up\n\n"
        #expect(QEMUProfiler.lastLine(of: log) == "ERROR: arm-none-eabi-gcc failed")
        #expect(QEMUProfiler.lastLine(of: "one\ntwo\n") == "two")
        #expect(QEMUProfiler.lastLine(of: "\n") == nil)
    }
}

@Suite struct QEMUReportTests {
    @Test func tableShowsInstructionsBesideTheMACs() throws {
        let result = FirmwareSim.execute(["run", lenetModelPath, "--qemu"], hooks: qemuHooks())
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("#  layer") })
        #expect(header.contains("M4 instr"))
        #expect(header.contains("instr/MAC"))
        let c1 = try #require(lines.first { $0.hasPrefix("0  C1") })
        #expect(c1.contains("117,600"))
        #expect(c1.contains("1,324,762"))
        #expect(c1.contains("11.26"))
        let total = try #require(lines.first { $0.contains("total") && $0.contains("416,520") })
        #expect(total.contains("3,570,702"))
        #expect(total.contains("8.57"))
        #expect(result.stdout.contains("Cortex-M4 (QEMU)  3,570,702 instructions per inference, 8.57 per MAC"))
        #expect(result.stdout.contains("16 test images, outputs bit-exact"))
        #expect(result.stdout.contains("flash 110,396 B (97,676 B without the 12,720 B of test vectors)"))
        // Latency on the (M4F) default board: instructions at 1 cycle each, said so.
        #expect(result.stdout.contains("= 3,570,702 cycles (from the QEMU instruction count)"))
        #expect(result.stdout.contains("1.00 cycle/instruction (assumes zero-wait-state flash"))
    }

    @Test func markdownHasTheColumns() throws {
        let result = FirmwareSim.execute(["run", lenetModelPath, "--qemu", "--markdown"], hooks: qemuHooks())
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("| M4 instr | instr/MAC |"))
        #expect(result.stdout.contains("| 1,324,762 | 11.26 |"))
        #expect(result.stdout.contains("| **3,570,702** | **8.57** |"))
    }

    @Test func withoutQEMUThereAreNoColumnsAndNullKeys() throws {
        let table = FirmwareSim.execute(["run", lenetModelPath], hooks: qemuHooks())
        #expect(table.status == 0)
        #expect(!table.stdout.contains("M4 instr"))
        let json = FirmwareSim.execute(["run", lenetModelPath, "--json"], hooks: qemuHooks())
        let root = try parseJSON(json.stdout)
        #expect(root["qemu"] is NSNull)
        let layers = try #require(root["layers"] as? [[String: Any]])
        #expect(layers[0]["instructions"] is NSNull)
        let latency = try #require(root["latency_model"] as? [String: Any])
        #expect(latency["source"] as? String == "assumed")
    }

    @Test func jsonCarriesTheCounts() throws {
        let result = FirmwareSim.execute(["run", lenetModelPath, "--qemu", "--json"], hooks: qemuHooks())
        #expect(result.status == 0, "\(result.stderr)")
        let root = try parseJSON(result.stdout)
        let layers = try #require(root["layers"] as? [[String: Any]])
        #expect(layers[0]["instructions"] as? Int == 1_324_762)
        #expect(layers[0]["instructions_per_mac"] as? Double == 11.265)
        #expect(layers[1]["instructions"] as? Int == 93_034)
        #expect(layers[1]["instructions_per_mac"] is NSNull)
        #expect(layers[0]["estimated_cycles"] as? Int == 1_324_762)
        let totals = try #require(root["totals"] as? [String: Any])
        #expect(totals["instructions"] as? Int == 3_570_702)
        #expect(totals["instructions_per_mac"] as? Double == 8.573)
        #expect(totals["estimated_cycles"] as? Int == 3_570_702)
        let qemu = try #require(root["qemu"] as? [String: Any])
        #expect(qemu["instructions_per_inference"] as? Int == 3_570_702)
        #expect(qemu["flash_bytes"] as? Int == 110_396)
        #expect(qemu["flash_without_test_vectors_bytes"] as? Int == 97_676)
        #expect(qemu["ram_bytes"] as? Int == 7808)
        #expect(qemu["stack_high_water_bytes"] as? Int == 1408)
        #expect(qemu["bit_exact"] as? Bool == true)
        #expect((qemu["layers"] as? [Any])?.count == 7)
        let latency = try #require(root["latency_model"] as? [String: Any])
        #expect(latency["source"] as? String == "qemu_instructions")
        #expect(latency["cycles_per_instruction"] as? Double == 1)
    }

    @Test func cyclesPerInstructionScalesTheLatency() throws {
        let result = FirmwareSim.execute(["run", lenetModelPath, "--qemu", "--cycles-per-instruction", "1.5", "--json"],
                                         hooks: qemuHooks())
        #expect(result.status == 0, "\(result.stderr)")
        let totals = try #require(try parseJSON(result.stdout)["totals"] as? [String: Any])
        #expect(totals["estimated_cycles"] as? Int == 5_356_053)
    }

    @Test func otherCoresKeepTheEstimate() throws {
        let plain = try parseJSON(FirmwareSim.execute(["run", lenetModelPath, "--core", "m7", "--json"], hooks: qemuHooks()).stdout)
        let result = FirmwareSim.execute(["run", lenetModelPath, "--core", "m7", "--qemu", "--json"], hooks: qemuHooks())
        #expect(result.status == 0, "\(result.stderr)")
        let root = try parseJSON(result.stdout)
        let totals = try #require(root["totals"] as? [String: Any])
        let plainTotals = try #require(plain["totals"] as? [String: Any])
        #expect(totals["instructions"] as? Int == 3_570_702)
        #expect(totals["estimated_cycles"] as? Int == plainTotals["estimated_cycles"] as? Int)
        let notes = try #require(root["notes"] as? [String])
        #expect(notes.contains { $0.contains("stays the model's estimate") })
    }

    @Test func mismatchedLayersAreNoted() throws {
        let profile = cannedLeNetProfile.replacingOccurrences(of: "\"name\":\"F6\",\"kind\":\"dense\"",
                                                              with: "\"name\":\"X\",\"kind\":\"conv\"")
        let result = FirmwareSim.execute(["run", lenetModelPath, "--qemu", "--json"], hooks: qemuHooks(profile: profile))
        #expect(result.status == 0, "\(result.stderr)")
        let root = try parseJSON(result.stdout)
        let layers = try #require(root["layers"] as? [[String: Any]])
        #expect(layers[5]["instructions"] is NSNull)
        let notes = try #require(root["notes"] as? [String])
        #expect(notes.contains { $0.contains("no instruction count for F6") })
    }
}

@Suite struct QEMUErrorTests {
    /// One line on stderr starting `firmware-sim: error:`, plus the usage hint.
    func expectError(_ result: CommandResult, status: Int32, containing text: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == status, sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
        let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("firmware-sim: error:"), sourceLocation: sourceLocation)
        #expect(first.contains(text), "\(first)", sourceLocation: sourceLocation)
    }

    @Test func qemuNeedsAModelFile() {
        expectError(FirmwareSim.execute(["run", "--arch", "lenet5", "--qemu"], hooks: qemuHooks()),
                    status: 2, containing: "--qemu")
        expectError(FirmwareSim.execute(["run", example("googlenet-imagenet.json"), "--qemu"], hooks: qemuHooks()),
                    status: 2, containing: "--qemu needs a model file")
        expectError(FirmwareSim.execute(["run", "--cycles-per-instruction", "2"], hooks: qemuHooks()),
                    status: 2, containing: "only with --qemu")
    }

    @Test func noProfilerIsAnError() {
        let hooks = SimulatorHooks(modelFileReader: { path in try ModelFileReader.load(path) })
        expectError(FirmwareSim.execute(["run", lenetModelPath, "--qemu"], hooks: hooks),
                    status: 1, containing: "no QEMU profiler")
    }

    @Test func missingToolchainNamesTheInstallCommand() {
        #expect(QEMUProfiler.missingTools(environment: ["PATH": "/nonexistent"]) == ["qemu-system-arm", "arm-none-eabi-gcc"])
        #expect {
            _ = try QEMUProfiler.run(modelPath: lenetModelPath, environment: ["PATH": "/nonexistent"])
        } throws: { error in
            (error as? SimulatorError)?.description.contains("tools/install-toolchain.sh") == true
        }
        // Through the CLI, with a profiler that fails the same way.
        let hooks = qemuHooks(error: SimulatorError.qemuUnavailable("qemu-system-arm not found on PATH; install the Cortex-M toolchain and QEMU with tools/install-toolchain.sh"))
        expectError(FirmwareSim.execute(["run", lenetModelPath, "--qemu"], hooks: hooks),
                    status: 1, containing: "tools/install-toolchain.sh")
    }

    @Test func failingProfilerIsOneLine() {
        struct Boom: Error {}
        expectError(FirmwareSim.execute(["run", lenetModelPath, "--qemu"], hooks: qemuHooks(error: Boom())),
                    status: 1, containing: "--qemu: Boom")
        expectError(FirmwareSim.execute(["run", lenetModelPath, "--qemu"], hooks: qemuHooks(profile: "garbage\n")),
                    status: 1, containing: "--qemu: the profiler printed no JSON lines")
    }

    @Test func aRefusedRunSkipsQEMUWithANote() {
        var hooks = qemuHooks(error: SimulatorError.qemuFailed("must not be called"))
        hooks.modelRunner = { _ in throw SimulatorError.runFailed("must not be called") }
        let result = FirmwareSim.execute(["run", lenetModelPath, "--qemu", "--ram", "9K"], hooks: hooks)
        #expect(result.status == 1)
        #expect(result.stderr.contains("refusing to run"))
        #expect(result.stdout.contains("--qemu skipped: the run was refused"))
    }

    @Test func findsTheScriptFromInsideTheCheckout() {
        let nested = repositoryRoot.appendingPathComponent("firmware-sim/Sources/MinnowSimulator").path
        let found = QEMUProfiler.locateScript(environment: [:], currentDirectory: nested, executable: nil, sourceFile: "/")
        #expect(found == repositoryRoot.appendingPathComponent(QEMUProfiler.scriptPath).standardizedFileURL.path)
        let fromExecutable = QEMUProfiler.locateScript(environment: [:], currentDirectory: "/",
                                                       executable: repositoryRoot.appendingPathComponent(".build/debug/firmware-sim").path,
                                                       sourceFile: "/")
        #expect(fromExecutable != nil)
        #expect(QEMUProfiler.locateScript(environment: [:], currentDirectory: "/", executable: nil, sourceFile: "/") == nil)
    }
}

/// The real thing: builds the firmware and runs it under QEMU (≈ 3–15 s; more
/// when the Cortex-M4 library must be rebuilt). Skipped when the toolchain is missing.
@Suite struct QEMURealProfilerTests {
    static let toolchainPresent = QEMUProfiler.missingTools().isEmpty

    @Test(.enabled(if: toolchainPresent, "qemu-system-arm / arm-none-eabi-gcc not on PATH (tools/install-toolchain.sh)"))
    func lenetUnderQEMU() throws {
        let hooks = SimulatorHooks(modelFileReader: { path in try ModelFileReader.load(path) },
                                   qemuProfiler: { path in try QEMUProfiler.run(modelPath: path) })
        let result = FirmwareSim.execute(["run", lenetModelPath, "--qemu", "--json"], hooks: hooks)
        #expect(result.status == 0, "\(result.stderr)")
        let root = try parseJSON(result.stdout)
        let qemu = try #require(root["qemu"] as? [String: Any])
        #expect(qemu["bit_exact"] as? Bool == true)
        #expect(qemu["macs"] as? Int == 416_520)
        let perInference = try #require(qemu["instructions_per_inference"] as? Int)
        #expect(perInference > 416_520)          // at least one instruction per MAC
        #expect(perInference < 50 * 416_520)
        let layers = try #require(root["layers"] as? [[String: Any]])
        #expect(layers.allSatisfy { ($0["instructions"] as? Int ?? 0) > 0 })
    }
}
