import Foundation
import MinnowCore
import MinnowModel
import MinnowTraining
import Testing

/// The directory of the built executables: `$MINNOW_BIN_DIR`, else the
/// directory of this test executable (SwiftPM puts the tools beside it),
/// else the newest `.build*/debug` of the checkout that has `name`.
func executable(_ name: String) -> URL? {
    var dirs: [String] = []
    if let env = ProcessInfo.processInfo.environment["MINNOW_BIN_DIR"] { dirs.append(env) }
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // Inside an .xctest bundle on Darwin: Contents/MacOS.
        for _ in 0..<4 {
            dirs.append(dir.path)
            dir = dir.deletingLastPathComponent()
        }
    }
    for dir in dirs where FileManager.default.isExecutableFile(atPath: dir + "/" + name) {
        return URL(fileURLWithPath: dir + "/" + name)
    }
    var newest: (URL, Date)?
    let root = packageRoot.path
    for scratch in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] where scratch.hasPrefix(".build") {
        for sub in ["debug", "release"] {
            let path = "\(root)/\(scratch)/\(sub)/\(name)"
            guard FileManager.default.isExecutableFile(atPath: path),
                  let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            else { continue }
            if newest == nil || date > newest!.1 { newest = (URL(fileURLWithPath: path), date) }
        }
    }
    return newest?.0
}

/// A 28×28 net for the MNIST-sized synthetic data: fast to train and export.
let mnistSizedArchitecture = Architecture(name: "kill-me", input: TensorShape(height: 28, width: 28, channels: 1), layers: [
    Layer("c1", .convolution(Convolution(filters: 4, kernel: .square(3), stride: .square(2), padding: .same, activation: .relu))),
    Layer("p1", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2)))),
    Layer("out", .dense(Dense(units: 10))),
])

/// A synthetic MNIST-5k CSV (100 rows, 10 per class) at DIR/data/mnist5k/mnist_5k.csv;
/// returns DIR/data for `MINNOW_DATA_DIR`.
func writeSyntheticMNIST5k(in dir: URL) throws -> URL {
    let data = dir.appendingPathComponent("data")
    try FileManager.default.createDirectory(at: data.appendingPathComponent("mnist5k"), withIntermediateDirectories: true)
    var rng = SeededGenerator(seed: 1)
    var text = ""
    for row in 0..<100 {
        let label = row % 10
        let pixels = (0..<784).map { i in String((i % 28 + label * 3) % 7 == 0 ? 200 + rng.nextInt(below: 56) : rng.nextInt(below: 40)) }
        text += pixels.joined(separator: ",") + ",\(label)\n"
    }
    try text.write(to: data.appendingPathComponent("mnist5k/mnist_5k.csv"), atomically: true, encoding: .utf8)
    return data
}

/// Runs a tool and kills it with SIGKILL after `delay` seconds (or lets it
/// finish when it is faster); `whileTemporaryExists` kills it the moment a
/// dot-file shows up in `dir` instead. Returns whether it was killed.
@discardableResult
func runAndKill(_ tool: URL, _ arguments: [String], environment: [String: String], in dir: URL,
                after delay: Double?, whileTemporaryExists: Bool = false) throws -> Bool {
    let process = Process()
    process.executableURL = tool
    process.arguments = arguments
    process.currentDirectoryURL = dir
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let start = Date()
    var killed = false
    while process.isRunning {
        if whileTemporaryExists {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            if names.contains(where: { $0.hasPrefix(".") }) {
                kill(process.processIdentifier, SIGKILL); killed = true; break
            }
            if Date().timeIntervalSince(start) > 120 { kill(process.processIdentifier, SIGKILL); break }
        } else if let delay, Date().timeIntervalSince(start) >= delay {
            kill(process.processIdentifier, SIGKILL); killed = true; break
        } else {
            usleep(500)
        }
    }
    process.waitUntilExit()
    return killed && process.terminationReason == .uncaughtSignal
}

/// Files in `dir` that are not dot-files (temporaries are dot-files beside the target).
func visibleFiles(_ dir: URL) -> Set<String> {
    Set(((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { !$0.hasPrefix(".") })
}

func removeTemporaries(_ dir: URL) -> Int {
    let temps = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix(".") }
    for t in temps { try? FileManager.default.removeItem(at: dir.appendingPathComponent(t)) }
    return temps.count
}

@Suite(.serialized) struct InterruptionTests {
    /// `export-int8` killed at random moments (and the moment its temporary
    /// file appears): the previous model file is intact or the new one is
    /// complete, and nothing but dot-temporaries is left beside it.
    @Test func killedExportLeavesThePreviousModelIntact() throws {
        guard let tool = executable("export-int8") else {
            Issue.record("export-int8 is not built (swift build, or set MINNOW_BIN_DIR)"); return
        }
        let dir = try makeTemporaryDirectory("export")
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["MINNOW_DATA_DIR": try writeSyntheticMNIST5k(in: dir).path]
        let checkpoint = try randomCheckpoint(mnistSizedArchitecture, seed: 21, metadata: ["dataset": "mnist5k"])
        try checkpoint.write(to: dir.appendingPathComponent("m.ckpt"))
        let target = dir.appendingPathComponent("m.mnw")
        let previous = try generatedModel(mnistSizedArchitecture, seed: 22)
        let arguments = ["m.ckpt", "-o", "m.mnw", "--calibration-images", "20", "--test-images", "10"]

        // One full run: its duration sets the window for the random kills, and its output the "new" file.
        try Data(previous).write(to: target)
        let started = Date()
        #expect(try !runAndKill(tool, arguments, environment: env, in: dir, after: nil))
        let duration = Date().timeIntervalSince(started)
        let fresh = [UInt8](try Data(contentsOf: target))
        #expect(fresh != previous && modelError(fresh) == nil, "the uninterrupted export did not write a valid model")

        var rng = SeededGenerator(seed: 5)
        var kills = 0, leftovers = 0
        for trial in 0..<16 {
            try Data(previous).write(to: target)
            let killed = try runAndKill(tool, arguments, environment: env, in: dir,
                                        after: trial < 12 ? duration * 0.9 * rng.nextUnit() : nil,
                                        whileTemporaryExists: trial >= 12)
            if killed { kills += 1 }
            let now = [UInt8](try Data(contentsOf: target))
            #expect(now == previous || now == fresh, "trial \(trial): m.mnw is neither the previous nor the new model")
            #expect(modelError(now) == nil, "trial \(trial): m.mnw does not load")
            #expect(visibleFiles(dir) == ["m.ckpt", "m.mnw", "data"], "trial \(trial): \(visibleFiles(dir))")
            leftovers += removeTemporaries(dir)
        }
        #expect(kills >= 4, "only \(kills) of 16 runs were killed before they finished")
        print("export-int8: \(kills) kills, \(leftovers) dot-temporaries left behind (never mistaken for output)")
    }

    /// `train` killed at random moments: the previous checkpoint is intact or the new one is complete.
    @Test func killedTrainingLeavesThePreviousCheckpointIntact() throws {
        guard let tool = executable("train") else {
            Issue.record("train is not built (swift build, or set MINNOW_BIN_DIR)"); return
        }
        let dir = try makeTemporaryDirectory("train")
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["MINNOW_DATA_DIR": try writeSyntheticMNIST5k(in: dir).path]
        try ArchitectureJSON.encode(mnistSizedArchitecture).write(to: dir.appendingPathComponent("arch.json"))
        let target = dir.appendingPathComponent("t.ckpt")
        let previous = [UInt8](try randomCheckpoint(mnistSizedArchitecture, seed: 31, metadata: ["dataset": "mnist5k"]).encoded())
        let arguments = ["arch.json", "--dataset", "mnist5k", "--epochs", "1", "--seed", "3", "-o", "t.ckpt"]

        try Data(previous).write(to: target)
        let started = Date()
        #expect(try !runAndKill(tool, arguments, environment: env, in: dir, after: nil))
        let duration = Date().timeIntervalSince(started)
        let fresh = [UInt8](try Data(contentsOf: target))
        #expect(fresh != previous)
        _ = try Checkpoint.decode(Data(fresh))
        let expected: Set<String> = ["arch.json", "data", "t.ckpt", "t.svg"]

        var rng = SeededGenerator(seed: 6)
        var kills = 0, leftovers = 0
        for trial in 0..<16 {
            try Data(previous).write(to: target)
            let killed = try runAndKill(tool, arguments, environment: env, in: dir,
                                        after: trial < 12 ? duration * 0.9 * rng.nextUnit() : nil,
                                        whileTemporaryExists: trial >= 12)
            if killed { kills += 1 }
            let now = [UInt8](try Data(contentsOf: target))
            #expect(now == previous || now == fresh, "trial \(trial): t.ckpt is neither the previous nor the new checkpoint")
            #expect((try? Checkpoint.decode(Data(now))) != nil, "trial \(trial): t.ckpt does not decode")
            #expect(visibleFiles(dir).isSubset(of: expected) && visibleFiles(dir).contains("t.ckpt"),
                    "trial \(trial): \(visibleFiles(dir))")
            leftovers += removeTemporaries(dir)
        }
        #expect(kills >= 4, "only \(kills) of 16 runs were killed before they finished")
        print("train: \(kills) kills, \(leftovers) dot-temporaries left behind (never mistaken for output)")
    }
}
