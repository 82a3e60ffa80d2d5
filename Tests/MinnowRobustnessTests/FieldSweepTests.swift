import Foundation
import MinnowCore
import Testing

/// A deterministic complement to fuzzing: every 16- and 32-bit field of the
/// header, tensor table and layer table of a model with every opcode is set,
/// one at a time, to boundary values (0, 1, 15, 16, 0x7F, 0x80, 0xFF,
/// 0x7FFF, 0x8000, 0xFFFF and their 32-bit counterparts), with size and
/// CRC-32 re-stamped. Each variant must give a model or a `ModelError`; a
/// variant that loads (and plans at most 1 MiB) must run in its arena with
/// the guard bytes intact and both kernel sets agreeing.
@Suite struct FieldSweepTests {
    @Test func boundaryValuesInEveryTableField() throws {
        let bytes = try generatedModel(everyOpArchitecture, seed: 9)
        let original = AlignedBytes(bytes)
        let model = try Model(bytes: original.raw)
        let tensorTable = Int(bytes[28]) | Int(bytes[29]) << 8 | Int(bytes[30]) << 16 | Int(bytes[31]) << 24
        let layerTable = Int(bytes[32]) | Int(bytes[33]) << 8 | Int(bytes[34]) << 16 | Int(bytes[35]) << 24
        var offsets = Array(stride(from: 16, to: ModelFormat.headerBytes, by: 2))
        offsets += stride(from: tensorTable, to: tensorTable + model.tensorCount * ModelFormat.tensorRecordBytes, by: 2)
        offsets += stride(from: layerTable, to: layerTable + model.layerCount * ModelFormat.layerRecordBytes, by: 2)
        let values16: [UInt16] = [0, 1, 2, 15, 16, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF]
        let values32: [UInt32] = [0x1_0000, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 0x0010_0000, 0xFFFF_FFF0]
        var variants = 0, loaded = 0, ran = 0
        for offset in offsets {
            var candidates: [[UInt8]] = values16.map { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
            if offset % 4 == 0 && offset + 4 <= bytes.count {
                candidates += values32.map { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
            }
            for patch in candidates {
                var b = bytes
                for (k, byte) in patch.enumerated() where offset + k < b.count { b[offset + k] = byte }
                guard b != bytes else { continue }
                restampModel(&b)
                variants += 1
                let aligned = AlignedBytes(b)
                guard let m = try? Model(bytes: aligned.raw) else { continue }
                loaded += 1
                guard m.arenaBytes <= 1 << 20, m.totalMultiplyAdds <= 2_000_000 else { continue }
                ran += 1
                let g = 64
                var outputs: [[Int8]] = []
                for kernels in [KernelSet.reference, .optimized] {
                    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: m.arenaBytes + 2 * g, alignment: 16)
                    defer { buffer.deallocate() }
                    buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
                    let engine = try Engine(model: m, arena: UnsafeMutableRawBufferPointer(rebasing: buffer[g..<(g + m.arenaBytes)]),
                                            kernels: kernels)
                    for i in 0..<engine.inputBuffer.count { engine.inputBuffer[i] = Int8(truncatingIfNeeded: i &* 29 &+ offset) }
                    engine.invoke()
                    outputs.append(Array(engine.outputBuffer))
                    let intact = (0..<g).allSatisfy { buffer[$0] == 0xA5 && buffer[g + m.arenaBytes + $0] == 0xA5 }
                    #expect(intact, "field at \(offset) = \(patch): invoke (\(kernels)) wrote outside the arena")
                }
                #expect(outputs[0] == outputs[1], "field at \(offset) = \(patch): kernel sets disagree")
            }
        }
        #expect(variants > 5_000)
        print("field sweep: \(variants) variants, \(loaded) loaded, \(ran) run")
    }
}
