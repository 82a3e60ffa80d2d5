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
}
