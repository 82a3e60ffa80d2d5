import Foundation
import MinnowCore
import MinnowModel
import MinnowTraining
import Testing

/// Writes fresh fuzzing seeds (small valid models and checkpoints made by the
/// current code) when `MINNOW_FUZZ_SEEDS` names a directory; tools/fuzz.sh
/// sets it. Otherwise only checks that the seeds are valid.
@Suite struct FuzzSeedTests {
    @Test func seedsAreValidAndWrittenOnRequest() throws {
        var models: [(String, [UInt8])] = [
            ("tiny.mnw", try generatedModel(tinyArchitecture, seed: 1)),
            ("everyop.mnw", try generatedModel(everyOpArchitecture, seed: 2)),
            ("mnist-sized.mnw", try generatedModel(mnistSizedArchitecture, seed: 3)),
        ]
        for (name, bytes) in models { #expect(modelError(bytes) == nil, "\(name)") }
        let checkpoints: [(String, [UInt8])] = [
            ("tiny.ckpt", [UInt8](try randomCheckpoint(tinyArchitecture, seed: 1, metadata: ["dataset": "mnist5k"]).encoded())),
            ("everyop.ckpt", [UInt8](try randomCheckpoint(everyOpArchitecture, seed: 2).encoded())),
        ]
        for (name, bytes) in checkpoints { #expect((try? Checkpoint.decode(Data(bytes))) != nil, "\(name)") }
        guard let dir = ProcessInfo.processInfo.environment["MINNOW_FUZZ_SEEDS"] else { return }
        models.append(("inception-lite.mnw", try generatedModel(BuiltinArchitectures.inceptionLite, seed: 4)))
        for (sub, files) in [("model", models), ("checkpoint", checkpoints)] {
            let d = URL(fileURLWithPath: dir).appendingPathComponent(sub)
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            for (name, bytes) in files { try Data(bytes).write(to: d.appendingPathComponent(name)) }
        }
    }
}
