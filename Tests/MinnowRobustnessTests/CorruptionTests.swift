import Foundation
import MinnowCore
import MinnowModel
import MinnowTraining
import Testing

/// Checks that a checkpoint decode failed with a clear, one-line error naming the file.
func expectClearCheckpointError(_ bytes: [UInt8], path: String, _ what: @autoclosure () -> String,
                                sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try Checkpoint.decode(Data(bytes), path: path)
        Issue.record("\(what()): accepted", sourceLocation: sourceLocation)
    } catch {
        let text = error.description
        let words = ["corrupt", "truncated", "not a Minnow checkpoint", "format version", "malformed", "does not match"]
        #expect(text.contains(path) && !text.contains("\n") && words.contains(where: text.contains),
                "\(what()): unclear error '\(text)'", sourceLocation: sourceLocation)
    }
}

@Suite struct CheckpointCorruptionTests {
    static let small = [UInt8](try! randomCheckpoint(tinyArchitecture, seed: 5, metadata: ["dataset": "synthetic"]).encoded())

    @Test func smallCheckpointIsValid() throws {
        #expect(Self.small.count < 4096)
        _ = try Checkpoint.decode(Data(Self.small))
    }

    /// Every position, every one of the 255 other values.
    @Test func everySingleByteChangeIsDetected() {
        let bytes = Self.small
        var failures = 0
        for position in 0..<bytes.count {
            for delta in 1...255 {
                var bad = bytes
                bad[position] ^= UInt8(delta)
                do {
                    _ = try Checkpoint.decode(Data(bad), path: "c.ckpt")
                    failures += 1
                } catch {
                    if delta == 0x5A { // a clear one-line message, checked once per position
                        let text = error.description
                        #expect(text.hasPrefix("checkpoint c.ckpt") || text.hasPrefix("c.ckpt"), "\(text)")
                        #expect(!text.contains("\n"))
                    }
                }
            }
        }
        #expect(failures == 0, "\(failures) single-byte changes were accepted")
    }

    /// Every change of the checksum-covered body is reported as corruption,
    /// not as some later parse error (the CRC is checked first).
    @Test func bodyChangesAreReportedAsCorruption() {
        let bytes = Self.small
        for position in 24..<bytes.count {
            var bad = bytes
            bad[position] ^= 0x01
            do {
                _ = try Checkpoint.decode(Data(bad), path: "c.ckpt")
                Issue.record("byte \(position) flipped: accepted")
            } catch {
                guard case .checksumMismatch = error else {
                    Issue.record("byte \(position) flipped: \(error.description)")
                    continue
                }
                #expect(error.description.contains("corrupt"))
            }
        }
    }

    @Test func truncationAtEveryLengthIsRefused() {
        let bytes = Self.small
        for length in 0..<bytes.count {
            expectClearCheckpointError(Array(bytes.prefix(length)), path: "t.ckpt", "truncated to \(length) bytes")
        }
        // And extra bytes after the checksum.
        expectClearCheckpointError(bytes + [0], path: "t.ckpt", "one extra byte")
        expectClearCheckpointError(bytes + bytes, path: "t.ckpt", "the file twice")
    }

    /// The real checkpoints are large: sampled positions and lengths.
    @Test func bundledCheckpointsSampled() throws {
        for url in bundledFiles("ckpt") {
            let bytes = [UInt8](try Data(contentsOf: url))
            _ = try Checkpoint.decode(Data(bytes), path: url.path)
            var rng = SeededGenerator(seed: 99)
            let name = url.lastPathComponent
            var positions = Array(0..<min(64, bytes.count)) + Array(max(0, bytes.count - 64)..<bytes.count)
            positions += (0..<200).map { _ in rng.nextInt(below: bytes.count) }
            for p in positions {
                var bad = bytes
                bad[p] ^= UInt8(1 + rng.nextInt(below: 255))
                expectClearCheckpointError(bad, path: name, "\(name) byte \(p) changed")
            }
            var lengths = Array(0..<64) + [bytes.count - 1, bytes.count - 4, bytes.count - 5]
            lengths += (0..<100).map { _ in rng.nextInt(below: bytes.count) }
            for n in lengths {
                expectClearCheckpointError(Array(bytes.prefix(n)), path: name, "\(name) truncated to \(n)")
            }
        }
    }

    /// Hostile but checksummed: random changes with the CRC re-stamped give a
    /// checkpoint or a `CheckpointError`, never a trap.
    @Test func restampedMutationsNeverTrap() {
        var rng = SeededGenerator(seed: 7)
        let bytes = Self.small
        var refused = 0
        for trial in 0..<3000 {
            var bad = bytes
            for _ in 0..<(1 + trial % 4) {
                let p = rng.nextInt(below: bad.count - 4)
                switch rng.nextInt(below: 4) {
                case 0: bad[p] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bad[p] = [0, 0xFF, 0x7F, 0x80][rng.nextInt(below: 4)]
                case 2: bad.insert(UInt8(truncatingIfNeeded: rng.next()), at: p)
                default: bad.remove(at: p)
                }
            }
            restampCheckpoint(&bad)
            do { _ = try Checkpoint.decode(Data(bad)) } catch { refused += 1 }
        }
        #expect(refused > 2500)
    }
}

@Suite struct ModelCorruptionTests {
    /// A generated model with every opcode: every position with three kinds
    /// of change, and truncation at every length.
    @Test func everyOpModelEveryPositionAndLength() throws {
        let bytes = try generatedModel(everyOpArchitecture, seed: 3)
        #expect(modelError(bytes) == nil)
        for position in 0..<bytes.count {
            for delta: UInt8 in [0x01, 0x80, 0xFF] {
                var bad = bytes
                bad[position] ^= delta
                #expect(modelError(bad) != nil, "byte \(position) ^ \(delta) accepted")
            }
        }
        for length in 0..<bytes.count {
            guard let error = modelError(Array(bytes.prefix(length))) else {
                Issue.record("truncated to \(length) bytes: accepted"); continue
            }
            switch error {
            case .truncated, .badMagic: break
            default: Issue.record("truncated to \(length): \(error)")
            }
        }
    }

    @Test func bundledModelsSampled() throws {
        for url in bundledFiles("mnw") {
            let bytes = [UInt8](try Data(contentsOf: url))
            #expect(modelError(bytes) == nil, "\(url.lastPathComponent) does not load")
            var rng = SeededGenerator(seed: 17)
            for p in Array(0..<min(128, bytes.count)) + (0..<300).map({ _ in rng.nextInt(below: bytes.count) }) {
                var bad = bytes
                bad[p] ^= UInt8(1 + rng.nextInt(below: 255))
                #expect(modelError(bad) != nil, "\(url.lastPathComponent): byte \(p) changed, accepted")
            }
            for n in Array(0..<80) + (0..<200).map({ _ in rng.nextInt(below: bytes.count) }) {
                #expect(modelError(Array(bytes.prefix(n))) != nil, "\(url.lastPathComponent) truncated to \(n): accepted")
            }
        }
    }

    /// Hostile but checksummed: random changes with size and CRC re-stamped
    /// give a model or a `ModelError`; a model that loads runs in its arena.
    @Test func restampedMutationsNeverTrap() throws {
        let bytes = try generatedModel(everyOpArchitecture, seed: 4)
        var rng = SeededGenerator(seed: 8)
        var loaded = 0
        for trial in 0..<4000 {
            var bad = bytes
            for _ in 0..<(1 + trial % 3) {
                let p = 16 + rng.nextInt(below: bad.count - 16)
                bad[p] = rng.nextInt(below: 2) == 0 ? UInt8(truncatingIfNeeded: rng.next()) : bad[p] ^ (1 << UInt8(rng.nextInt(below: 8)))
            }
            restampModel(&bad)
            let aligned = AlignedBytes(bad)
            guard let model = try? Model(bytes: aligned.raw), model.arenaBytes <= 1 << 20 else { continue }
            loaded += 1
            let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: max(model.arenaBytes, 1), alignment: 16)
            defer { arena.deallocate() }
            let engine = try Engine(model: model, arena: UnsafeMutableRawBufferPointer(rebasing: arena[0..<model.arenaBytes]))
            engine.invoke()
        }
        #expect(loaded > 0)
    }
}
