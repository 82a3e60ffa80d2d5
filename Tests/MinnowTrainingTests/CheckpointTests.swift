import Testing
import Foundation
import MinnowCore
import MinnowModel
@testable import MinnowTraining

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("minnow-training-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A small net with every parameterised layer kind, batch norm included.
let smallArchitecture = Architecture(name: "small", input: TensorShape(height: 8, width: 8, channels: 1), layers: [
    Layer("c1", .convolution(Convolution(filters: 4, kernel: .square(3), padding: .same, activation: .relu, batchNorm: true))),
    Layer("p1", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2)))),
    Layer("c2", .convolution(Convolution(filters: 3, kernel: .square(3), activation: .relu))),
    Layer("out", .dense(Dense(units: 10))),
])

@Suite struct CheckpointTests {
    func trainedCheckpoint() throws -> Checkpoint {
        let network = try Network(architecture: smallArchitecture, seed: 3)
        // Non-trivial batch-norm statistics.
        network.runningMean[0]!.copy(from: [0.1, -0.2, 0.3, 0.05])
        network.runningVariance[0]!.copy(from: [0.5, 2.0, 1.5, 0.9])
        return try network.checkpoint(metadata: ["dataset": "synthetic", "note": "quote \" and\nnewline"])
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(crc32([UInt8]()) == 0)
    }

    @Test func roundTripThroughAFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = try trainedCheckpoint()
        let url = dir.appendingPathComponent("m.ckpt")
        try checkpoint.write(to: url)
        let back = try Checkpoint.read(from: url)
        #expect(back == checkpoint)
        #expect(back.parameters["c1"]?.batchNorm?.runningVariance == [0.5, 2.0, 1.5, 0.9])
        #expect(back.parameters["c1"]?.weights.count == 4 * 3 * 3 * 1)
        #expect(back.parameters["out"]?.weights.count == 10 * 2 * 2 * 3)
        #expect(back.metadata["note"] == "quote \" and\nnewline")
        #expect(back.encoded() == checkpoint.encoded())
        // Atomic write leaves no temporary file behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.ckpt"])
    }

    @Test func everyFlippedByteIsRejected() throws {
        let bytes = [UInt8](try trainedCheckpoint().encoded())
        for position in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            var bad = bytes
            bad[position] ^= 0x40
            #expect(throws: CheckpointError.self) { try Checkpoint.decode(Data(bad)) }
        }
        var bad = bytes
        bad[bytes.count / 2] ^= 1
        do {
            _ = try Checkpoint.decode(Data(bad), path: "x.ckpt")
            Issue.record("a corrupt checkpoint was accepted")
        } catch {
            guard case .checksumMismatch = error else { Issue.record("expected a checksum error, got \(error)"); return }
            #expect(error.description.contains("x.ckpt") && error.description.contains("corrupt"))
        }
    }

    @Test func truncatedFilesAreRejectedWithAClearMessage() throws {
        let bytes = [UInt8](try trainedCheckpoint().encoded())
        for length in [0, 3, 8, 12, 23, 24, 100, bytes.count / 2, bytes.count - 5, bytes.count - 1] {
            do {
                _ = try Checkpoint.decode(Data(bytes.prefix(length)), path: "t.ckpt")
                Issue.record("a checkpoint truncated to \(length) bytes was accepted")
            } catch {
                switch error {
                case .truncated, .checksumMismatch, .notACheckpoint: #expect(error.description.contains("t.ckpt"))
                default: Issue.record("unexpected error for length \(length): \(error)")
                }
            }
        }
        do {
            _ = try Checkpoint.decode(Data(bytes.prefix(100)), path: "t.ckpt")
        } catch {
            #expect(error.description.contains("truncated"), "\(error)")
        }
    }

    @Test func wrongMagicAndVersionAreNamed() throws {
        var bytes = [UInt8](try trainedCheckpoint().encoded())
        bytes[0] = UInt8(ascii: "X")
        #expect(throws: CheckpointError.notACheckpoint(path: "(data)")) { try Checkpoint.decode(Data(bytes)) }
        bytes = [UInt8](try trainedCheckpoint().encoded())
        bytes[8] = 9
        do {
            _ = try Checkpoint.decode(Data(bytes))
            Issue.record("version 9 was accepted")
        } catch {
            #expect(error == .unsupportedVersion(path: "(data)", found: 9, supported: 1))
        }
    }

    @Test func weightsThatDoNotMatchTheArchitectureAreRefused() throws {
        var checkpoint = try trainedCheckpoint()
        // Same weights, but an architecture with more filters in c2.
        checkpoint.architecture.layers[2].operation = .convolution(Convolution(filters: 5, kernel: .square(3), activation: .relu))
        do {
            _ = try Checkpoint.decode(checkpoint.encoded(), path: "m.ckpt")
            Issue.record("mismatched weights were accepted")
        } catch {
            guard case .mismatch = error else { Issue.record("expected a mismatch, got \(error)"); return }
            #expect(error.description.contains("c2"), "\(error)")
        }
        var missing = try trainedCheckpoint().parameters
        missing["c1"]?.batchNorm = nil
        #expect(throws: CheckpointError.self) { try Checkpoint(architecture: smallArchitecture, parameters: missing) }
        var nan = try trainedCheckpoint().parameters
        nan["out"]?.bias[0] = .nan
        #expect(throws: CheckpointError.self) { try Checkpoint(architecture: smallArchitecture, parameters: nan) }
    }

    @Test func missingFileIsAClearError() {
        do {
            _ = try Checkpoint.read(from: URL(fileURLWithPath: "/nonexistent/dir/m.ckpt"))
            Issue.record("expected an error")
        } catch let error as CheckpointError {
            #expect(error.description == "cannot read checkpoint /nonexistent/dir/m.ckpt: no such file")
        } catch {
            Issue.record("untyped error \(error)")
        }
    }

    @Test func foldingBatchNormKeepsInferenceOutputs() throws {
        let checkpoint = try trainedCheckpoint()
        let folded = checkpoint.folded()
        #expect(folded.parameters["c1"]?.batchNorm == nil)
        let f = checkpoint.foldedParameters()["c1"]!
        let p = checkpoint.parameters["c1"]!, bn = p.batchNorm!
        // Channel 1 by hand: s = gamma / sqrt(var + eps).
        let s = bn.gamma[1] / (bn.runningVariance[1] + bn.epsilon).squareRoot()
        #expect(abs(f.weights[9 + 4] - p.weights[9 + 4] * s) < 1e-6)
        #expect(abs(f.bias[1] - ((p.bias[1] - bn.runningMean[1]) * s + bn.beta[1])) < 1e-6)
        var rng = SeededGenerator(seed: 5)
        let images = (0..<(6 * 64)).map { _ in Float(rng.nextUnit()) }
        var observed = 0
        let a = try FloatModel(checkpoint).forward(images, count: 6) { index, values in
            observed += 1
            #expect(values.count == 6 * (try! ArchitectureAnalysis(smallArchitecture)).layers[index].outputShape.elementCount)
        }
        let b = try FloatModel(folded).forward(images, count: 6)
        #expect(observed == 4)
        #expect(a.count == 60)
        for (x, y) in zip(a, b) { #expect(abs(x - y) < 1e-4) }
    }
}
