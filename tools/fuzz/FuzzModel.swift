// libFuzzer target: model parsing + validation + engine init + invoke.
//
// Built by tools/fuzz.sh (swiftc -sanitize=fuzzer,address) together with the
// MinnowCore sources. Every input is tried twice:
//   1. as it is (magic, version, size and checksum checks);
//   2. on a copy whose file-size field and CRC-32 are re-stamped, so that a
//      random mutation reaches the record checks instead of stopping at the
//      checksum.
// A model that loads and plans at most `maximumArena` bytes (and little work)
// is run with both kernel sets inside an arena with guard bytes on both
// sides; the fuzzer crashes (trap) if the kernel sets disagree or a guard
// byte changes. ASan catches any out-of-bounds read of the model bytes.
import MinnowCore

let maximumArena = 1 << 20
/// Skip models whose worst-case work per invoke is above this (keeps exec/s up).
let maximumWork = 4_000_000
let guardBytes = 64
let guardValue: UInt8 = 0xA5

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
    defer { storage.deallocate() }
    if size > 0, let data { storage.copyMemory(from: UnsafeRawBufferPointer(start: data, count: size)) }
    let bytes = UnsafeMutableRawBufferPointer(rebasing: storage[0..<size])

    // 1. As given.
    exercise(UnsafeRawBufferPointer(bytes))

    // 2. Re-stamped: file size and CRC-32 made consistent.
    if size >= ModelFormat.headerBytes {
        let n = UInt32(truncatingIfNeeded: size)
        for i in 0..<4 { bytes[ModelFormat.fileSizeOffset + i] = UInt8(truncatingIfNeeded: n >> (8 * UInt32(i))) }
        let crc = modelChecksum(UnsafeRawBufferPointer(bytes))
        for i in 0..<4 { bytes[ModelFormat.checksumOffset + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        exercise(UnsafeRawBufferPointer(bytes))
    }
    return 0
}

/// Upper bound of the multiply-adds / window taps of one invoke.
func work(_ model: Model) -> Int {
    var total = 0
    for i in 0..<model.layerCount {
        let l = model.layer(i)
        let out = model.tensor(l.output).layout.elementCount
        let input = model.tensor(l.input(0)).layout
        var w: Int
        switch l.opcode {
        case .convolution:
            w = out.multipliedReportingOverflow(by: l.geometry.kernelHeight * l.geometry.kernelWidth).partialValue
            w = w.multipliedReportingOverflow(by: input.channels).partialValue
        case .fullyConnected:
            w = out * input.elementCount
        case .maxPool, .averagePool, .minPool:
            w = out * min(l.geometry.kernelHeight, input.height + 1) * min(l.geometry.kernelWidth, input.width + 1)
        default:
            w = input.elementCount * l.inputCount + out
        }
        if w < 0 || w > maximumWork { return Int.max }
        total += w
        if total > maximumWork { return Int.max }
    }
    return total
}

func exercise(_ bytes: UnsafeRawBufferPointer) {
    let model: Model
    do {
        model = try Model(bytes: bytes)
    } catch {
        _ = error.message
        return
    }
    // Read-only queries a host tool makes on any loaded model.
    _ = model.name
    for i in 0..<model.layerCount {
        _ = model.layerName(i)
        _ = model.scratchBytesNeeded(i)
    }
    guard model.arenaBytes <= maximumArena, work(model) <= maximumWork else { return }
    _ = model.totalMultiplyAdds

    let total = model.arenaBytes + 2 * guardBytes
    let reference = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 16)
    let optimized = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 16)
    defer { reference.deallocate(); optimized.deallocate() }
    reference.initializeMemory(as: UInt8.self, repeating: guardValue)
    optimized.initializeMemory(as: UInt8.self, repeating: guardValue)

    var outputs: [[Int8]] = []
    for (buffer, kernels) in [(reference, KernelSet.reference), (optimized, KernelSet.optimized)] {
        let arena = UnsafeMutableRawBufferPointer(rebasing: buffer[guardBytes..<(guardBytes + model.arenaBytes)])
        // Too small or misaligned are refused with an error; this one fits.
        if model.arenaBytes > 0 {
            let short = UnsafeMutableRawBufferPointer(rebasing: arena[0..<(model.arenaBytes - 1)])
            if (try? Engine(model: model, arena: short)) != nil { fatalError("an arena one byte short was accepted") }
        }
        let engine: Engine
        do {
            engine = try Engine(model: model, arena: arena, kernels: kernels)
        } catch {
            fatalError("a validated model refused an arena of its own size: \(error)")
        }
        let input = engine.inputBuffer
        // Deterministic input from the model bytes (covers both signs and the extremes).
        for i in 0..<input.count { input[i] = Int8(truncatingIfNeeded: bytes[i % bytes.count] &+ UInt8(truncatingIfNeeded: i &* 37)) }
        engine.invoke()
        _ = engine.argmax()
        _ = engine.outputValue(0)
        outputs.append(Array(engine.outputBuffer))
        for i in 0..<guardBytes {
            if buffer[i] != guardValue || buffer[guardBytes + model.arenaBytes + i] != guardValue {
                fatalError("invoke wrote outside the arena (\(kernels))")
            }
        }
    }
    if outputs[0] != outputs[1] { fatalError("reference and optimized kernels disagree") }

    // The host fast path: packed weights (re-arranged at engine creation) give the same outputs
    // and touch nothing outside the arena and the packed memory.
    let packedBytes = PackedWeights.bytes(for: model)
    guard packedBytes > 0, packedBytes <= maximumArena * 4 else { return }
    let packedBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: packedBytes + 2 * guardBytes, alignment: 16)
    defer { packedBuffer.deallocate() }
    packedBuffer.initializeMemory(as: UInt8.self, repeating: guardValue)
    optimized.initializeMemory(as: UInt8.self, repeating: guardValue)
    let packed = UnsafeMutableRawBufferPointer(rebasing: packedBuffer[guardBytes..<(guardBytes + packedBytes)])
    let arena = UnsafeMutableRawBufferPointer(rebasing: optimized[guardBytes..<(guardBytes + model.arenaBytes)])
    if (try? Engine(model: model, arena: arena, packedWeights: UnsafeMutableRawBufferPointer(rebasing: packed[0..<(packedBytes - 1)]))) != nil {
        fatalError("packed-weights memory one byte short was accepted")
    }
    let engine: Engine
    do {
        engine = try Engine(model: model, arena: arena, kernels: .optimized, packedWeights: packed)
    } catch {
        fatalError("a validated model refused packed weights of its own size: \(error)")
    }
    let input = engine.inputBuffer
    for i in 0..<input.count { input[i] = Int8(truncatingIfNeeded: bytes[i % bytes.count] &+ UInt8(truncatingIfNeeded: i &* 37)) }
    engine.invoke()
    if Array(engine.outputBuffer) != outputs[0] { fatalError("packed-weights kernels disagree with the reference") }
    for i in 0..<guardBytes {
        if optimized[i] != guardValue || optimized[guardBytes + model.arenaBytes + i] != guardValue {
            fatalError("invoke with packed weights wrote outside the arena")
        }
        if packedBuffer[i] != guardValue || packedBuffer[guardBytes + packedBytes + i] != guardValue {
            fatalError("packing wrote outside the packed-weights memory")
        }
    }
}

// MARK: - Structure-aware mutation

@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// Boundary values for 16-bit fields (counts, indices, shapes, geometry).
let boundary16: [UInt16] = [0, 1, 2, 3, 15, 16, 17, 0x7F, 0x80, 0xFF, 0x100, 0x3FFF, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF]
/// Boundary values for 32-bit fields (offsets, sizes, zero points, scales, multipliers).
let boundary32: [UInt32] = [0, 1, 4, 16, 64, 0xFF, 0xFFFF, 0x1_0000, 0x10_0000, 0x3F80_0000, 0x3B80_0000, 0x7F80_0000,
                            0x4000_0000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FF80, 0xFFFF_FFFF]

/// One time in three libFuzzer's own mutations; otherwise 1–4 fields of the
/// header, tensor table or layer table (as the header places them) get a
/// boundary value, a random value, a neighbour (±1) or a value copied from
/// another field of the same record. The target re-stamps size and CRC, so
/// every such mutation reaches the record checks.
@_cdecl("LLVMFuzzerCustomMutator")
public func customMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    func next() -> Int {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return Int(truncatingIfNeeded: state >> 1)
    }
    guard size >= ModelFormat.headerBytes, next() % 3 != 0 else { return LLVMFuzzerMutate(data, size, maxSize) }
    func u16(_ o: Int) -> Int { Int(data[o]) | Int(data[o + 1]) << 8 }
    func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
    // Regions: [start, end) clipped to the buffer, with their record size.
    var regions: [(start: Int, end: Int, record: Int)] = [(16, ModelFormat.headerBytes, 48)]
    let tensorTable = u32(ModelFormat.tensorTableOffsetOffset), layerTable = u32(ModelFormat.layerTableOffsetOffset)
    let tensors = u16(ModelFormat.tensorCountOffset), layers = u16(ModelFormat.layerCountOffset)
    if tensorTable < size { regions.append((tensorTable, min(size, tensorTable + tensors * ModelFormat.tensorRecordBytes), ModelFormat.tensorRecordBytes)) }
    if layerTable < size { regions.append((layerTable, min(size, layerTable + layers * ModelFormat.layerRecordBytes), ModelFormat.layerRecordBytes)) }
    regions = regions.filter { $0.end - $0.start >= 4 }
    guard !regions.isEmpty else { return LLVMFuzzerMutate(data, size, maxSize) }
    for _ in 0..<(1 + next() % 4) {
        let region = regions[next() % regions.count]
        let offset = region.start + (next() % ((region.end - region.start) / 2)) * 2
        let wide = offset % 4 == 0 && offset + 4 <= size && next() % 2 == 0
        var value: Int
        switch next() % 4 {
        case 0: value = wide ? Int(boundary32[next() % boundary32.count]) : Int(boundary16[next() % boundary16.count])
        case 1: value = next()
        case 2: value = (wide ? u32(offset) : u16(offset)) + (next() % 2 == 0 ? 1 : -1)
        default:
            // Copy another 16-bit field of the same record (e.g. a kernel size into the padding).
            let recordStart = region.start + (offset - region.start) / region.record * region.record
            let other = recordStart + (next() % (region.record / 2)) * 2
            value = other + 2 <= size ? u16(other) : 0
        }
        for k in 0..<(wide ? 4 : 2) where offset + k < size { data[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
    }
    return size
}
