import Foundation
import MinnowCore
import MinnowModel
import MinnowTraining
import Testing

/// `invoke()` touches no byte outside its arena: for every bundled model
/// (`models/*.mnw`) and generated models covering every opcode, with random
/// inputs and both kernel sets, the guard bytes just before and just after
/// the arena keep their pattern, the model bytes do not change, and both
/// kernel sets give the same output.
@Suite struct ArenaCanaryTests {
    static let guardBytes = 256

    static var models: [(name: String, bytes: [UInt8])] {
        get throws {
            var list: [(String, [UInt8])] = [
                ("tiny", try generatedModel(tinyArchitecture, seed: 11)),
                ("everyop", try generatedModel(everyOpArchitecture, seed: 12)),
                ("lenet5", try generatedModel(BuiltinArchitectures.lenet5, seed: 13)),
                ("inception-lite", try generatedModel(BuiltinArchitectures.inceptionLite, seed: 14)),
            ]
            for url in bundledFiles("mnw") {
                list.append((url.lastPathComponent, [UInt8](try Data(contentsOf: url))))
            }
            return list
        }
    }

    @Test func guardBytesAroundTheArenaSurviveInvoke() throws {
        var checked = 0
        for (name, bytes) in try Self.models {
            let aligned = AlignedBytes(bytes)
            let model = try Model(bytes: aligned.raw)
            var rng = SeededGenerator(seed: UInt64(bytes.count))
            for trial in 0..<6 {
                var outputs: [[Int8]] = []
                let random = (0..<model.input.layout.elementCount).map { _ in Int8(truncatingIfNeeded: rng.next()) }
                // Extremes on some trials.
                let values = trial == 4 ? random.map { _ in Int8.min } : (trial == 5 ? random.map { _ in Int8.max } : random)
                for kernels in [KernelSet.reference, .optimized] {
                    let pattern: UInt8 = trial % 2 == 0 ? 0xA5 : 0x5A
                    let g = Self.guardBytes
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: model.arenaBytes + 2 * g, alignment: 16)
                    defer { buffer.deallocate() }
                    buffer.initializeMemory(as: UInt8.self, repeating: pattern)
                    let arena = UnsafeMutableRawBufferPointer(rebasing: buffer[g..<(g + model.arenaBytes)])
                    // Garbage in the arena itself: the engine must not depend on it.
                    for i in 0..<arena.count { arena[i] = UInt8(truncatingIfNeeded: rng.next()) }
                    let engine = try Engine(model: model, arena: arena, kernels: kernels)
                    try values.withUnsafeBufferPointer { try engine.setInput($0) }
                    engine.invoke()
                    outputs.append(Array(engine.outputBuffer))
                    let before = (0..<g).filter { buffer[$0] != pattern }
                    let after = (0..<g).filter { buffer[g + model.arenaBytes + $0] != pattern }
                    #expect(before.isEmpty, "\(name) (\(kernels)): \(before.count) guard bytes before the arena changed")
                    #expect(after.isEmpty, "\(name) (\(kernels)): \(after.count) guard bytes after the arena changed")
                }
                #expect(outputs[0] == outputs[1], "\(name): reference and optimized kernels disagree")
                checked += 1
            }
            #expect(Array(aligned.raw) == bytes, "\(name): invoke changed the model bytes")
        }
        #expect(checked >= 4 * 6)
    }

    /// The engine refuses an arena one byte short, and a misaligned one, with an error.
    @Test func shortOrMisalignedArenasAreRefused() throws {
        for (name, bytes) in try Self.models {
            let aligned = AlignedBytes(bytes)
            let model = try Model(bytes: aligned.raw)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: model.arenaBytes + 16, alignment: 16)
            defer { buffer.deallocate() }
            #expect(throws: EngineError.arenaTooSmall(required: model.arenaBytes, provided: model.arenaBytes - 1), "\(name)") {
                _ = try Engine(model: model, arena: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(model.arenaBytes - 1)]))
            }
            #expect(throws: EngineError.misalignedArena, "\(name)") {
                _ = try Engine(model: model, arena: UnsafeMutableRawBufferPointer(rebasing: buffer[1..<(model.arenaBytes + 1)]))
            }
        }
    }
}
