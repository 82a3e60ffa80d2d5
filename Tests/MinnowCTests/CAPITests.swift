import Testing
import MallocCounter
import MinnowCHeader                 // minnow.h: the C declarations and struct layouts
import struct MinnowC.CEngineState   // only the storage type; the functions are called through C
import MinnowCore
import MinnowModel

// The C API (Sources/MinnowC) called from Swift through its C header, as a C
// program calls it: outputs equal `Engine`'s bit for bit, every argument error
// gives its status, the engine state fits the C struct, nothing allocates.

/// Every opcode once (as in minnow-fixtures' "allops").
let allOpsNet = BuiltinArchitectures.everyOpcode

/// A small deterministic generator (SplitMix64).
struct Mix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random-weight int8 model of `architecture` (fixed activation ranges: the test is
/// about the C boundary, not about quantization quality).
func randomModelBytes(_ architecture: Architecture, seed: UInt64 = 11) throws -> [UInt8] {
    var rng = Mix64(state: seed)
    let analysis = try ArchitectureAnalysis(architecture)
    var parameters: [String: Int8Converter.FloatParameters] = [:]
    var ranges: [String: (min: Float, max: Float)] = [Architecture.inputName: (0, 1)]
    for layer in analysis.layers {
        ranges[layer.name] = (-2, 4)
        guard layer.weights > 0 else { continue }
        let bound = Float(2.0 / Double(layer.weights / layer.biases)).squareRoot() * 1.7
        parameters[layer.name] = .init(
            weights: (0..<layer.weights).map { _ in Float.random(in: -bound...bound, using: &rng) },
            bias: (0..<layer.biases).map { _ in Float.random(in: -0.1...0.1, using: &rng) })
    }
    return try ModelWriter.serialize(Int8Converter.convert(architecture, parameters: parameters, ranges: ranges))
}

/// Memory the tests own: 16-aligned, freed at the end of `body`.
func withAligned<R>(_ bytes: Int, offset: Int = 0, _ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
    let p = UnsafeMutableRawPointer.allocate(byteCount: bytes + offset + 16, alignment: 16)
    defer { p.deallocate() }
    return try body(p + offset)
}

func copyModel(_ bytes: [UInt8], to p: UnsafeMutableRawPointer) {
    p.copyMemory(from: bytes, byteCount: bytes.count)
}

func status(_ s: minnow_status) -> String { String(cString: minnow_status_message(s)) }

@Suite struct CAPITests {
    @Test func engineStateFitsTheCStruct() {
        #expect(CEngineState.fitsStorage)
        #expect(MemoryLayout<CEngineState>.size <= Int(MINNOW_ENGINE_SIZE))
        #expect(MemoryLayout<Engine>.size + 8 <= Int(MINNOW_ENGINE_SIZE))
        #expect(Int(MINNOW_ENGINE_ALIGNMENT) % MemoryLayout<CEngineState>.alignment == 0)
        #expect(Int(MINNOW_ENGINE_ALIGNMENT) % MemoryLayout<Engine>.alignment == 0)
        #expect(CEngineState.storageBytes == Int(MINNOW_ENGINE_SIZE))
        #expect(CEngineState.storageAlignment == Int(MINNOW_ENGINE_ALIGNMENT))
        #expect(minnow_test_sizeof_engine() == Int(MINNOW_ENGINE_SIZE))
        #expect(minnow_test_alignof_engine() >= MemoryLayout<CEngineState>.alignment)
        // The layouts the Swift side writes into (P = 8 here) are the C compiler's.
        #expect(minnow_test_sizeof_tensor_info() == 40)
        #expect(minnow_test_sizeof_layer_info() == 64)
        #expect(MemoryLayout<minnow_tensor_info>.size == minnow_test_sizeof_tensor_info())
        #expect(MemoryLayout<minnow_layer_info>.size == minnow_test_sizeof_layer_info())
        #expect(MemoryLayout<minnow_model_info>.size == 32)
    }

    @Test(arguments: [BuiltinArchitectures.lenet5, BuiltinArchitectures.inceptionLite, allOpsNet])
    func outputsEqualTheSwiftEngine(_ architecture: Architecture) throws {
        let bytes = try randomModelBytes(architecture)
        try withAligned(bytes.count) { modelPtr in
            copyModel(bytes, to: modelPtr)
            let model = try Model(bytes: UnsafeRawBufferPointer(start: modelPtr, count: bytes.count))
            var need = 0
            #expect(minnow_arena_size(modelPtr, bytes.count, &need) == MINNOW_OK)
            #expect(need == model.arenaBytes)

            try withAligned(need) { arena in
              try withAligned(need) { refArena in
                var engine = minnow_engine()
                var needed = 0
                #expect(minnow_init(&engine, modelPtr, bytes.count, arena, need, &needed) == MINNOW_OK)
                #expect(needed == need)
                let reference = try Engine(model: model, arena: UnsafeMutableRawBufferPointer(start: refArena, count: need))

                // Model information.
                var mi = minnow_model_info()
                #expect(minnow_get_model_info(&engine, &mi) == MINNOW_OK)
                #expect(String(cString: mi.name) == model.name)
                #expect(mi.total_macs == UInt64(model.totalMultiplyAdds))
                #expect(Int(mi.layer_count) == model.layerCount)
                #expect(Int(mi.tensor_count) == model.tensorCount)
                #expect(Int(mi.arena_bytes) == need)
                #expect(Int(mi.model_bytes) == bytes.count)
                var count: UInt32 = 0
                #expect(minnow_layer_count(&engine, &count) == MINNOW_OK)
                #expect(Int(count) == model.layerCount)

                // Input and output descriptions.
                var input = minnow_tensor_info(), output = minnow_tensor_info()
                #expect(minnow_get_input(&engine, &input) == MINNOW_OK)
                #expect(minnow_get_output(&engine, &output) == MINNOW_OK)
                for (info, t) in [(input, model.input), (output, model.output)] {
                    #expect(info.count == t.layout.elementCount)
                    #expect(Int(info.height) == t.layout.height)
                    #expect(Int(info.width) == t.layout.width)
                    #expect(Int(info.channels) == t.layout.channels)
                    #expect(info.zero_point == t.zeroPoint)
                    #expect(info.scale == t.scale)
                    #expect(UnsafeMutableRawPointer(info.data) == arena + t.arenaOffset)
                }

                // Per-layer information.
                for i in 0..<model.layerCount {
                    var li = minnow_layer_info()
                    #expect(minnow_get_layer_info(&engine, UInt32(i), &li) == MINNOW_OK)
                    let l = model.layer(i)
                    #expect(String(cString: li.name) == model.layerName(i))
                    #expect(String(cString: li.kind) == l.opcode.name.description)
                    #expect(li.macs == UInt64(model.multiplyAdds(i)))
                    #expect(Int(li.output_bytes) == model.tensor(l.output).layout.elementCount)
                    #expect(Int(li.weight_bytes) == l.weightsBytes)
                    #expect(Int(li.param_bytes) == l.paramsBytes)
                    #expect(Int(li.scratch_bytes) == l.scratchBytes)
                    #expect(Int(li.output_channels) == model.tensor(l.output).layout.channels)
                    #expect(Int(li.input_count) == l.inputCount)
                    #expect(li.opcode == Int32(l.opcode.rawValue))
                }

                // Int8 inputs: invoke, per-layer invoke and both kernel sets equal the engine.
                var rng = Mix64(state: 5)
                for round in 0..<4 {
                    let values = (0..<input.count).map { _ in Int8.random(in: -128...127, using: &rng) }
                    try values.withUnsafeBufferPointer { try reference.setInput($0) }
                    reference.invoke()
                    let expected = Array(reference.outputBuffer)

                    #expect(minnow_set_kernels(&engine, round % 2 == 0 ? MINNOW_KERNELS_OPTIMIZED : MINNOW_KERNELS_REFERENCE) == MINNOW_OK)
                    #expect(minnow_set_input(&engine, values, values.count) == MINNOW_OK)
                    #expect(Array(UnsafeBufferPointer(start: input.data, count: input.count)) == values)
                    #expect(minnow_invoke(&engine) == MINNOW_OK)
                    #expect(Array(UnsafeBufferPointer(start: output.data, count: output.count)) == expected)
                    var best: UInt32 = 99
                    #expect(minnow_argmax(&engine, &best) == MINNOW_OK)
                    #expect(Int(best) == reference.argmax())

                    // The arena plan may reuse the input's bytes for later tensors: set it again.
                    UnsafeMutableRawPointer(output.data).initializeMemory(as: Int8.self, repeating: 0x55, count: output.count)
                    #expect(minnow_set_input(&engine, values, values.count) == MINNOW_OK)
                    for i in 0..<count { #expect(minnow_invoke_layer(&engine, i) == MINNOW_OK) }
                    #expect(Array(UnsafeBufferPointer(start: output.data, count: output.count)) == expected)
                }

                // Packed weights: refused when short or misaligned (engine unchanged), then the same outputs.
                var packedNeed = 0
                #expect(minnow_packed_weights_size(modelPtr, bytes.count, &packedNeed) == MINNOW_OK)
                #expect(packedNeed == PackedWeights.bytes(for: model) && packedNeed > 0)
                try withAligned(packedNeed + 16) { packed in
                    #expect(minnow_use_packed_weights(&engine, packed, packedNeed - 1) == MINNOW_ERR_PACKED_TOO_SMALL)
                    #expect(minnow_use_packed_weights(&engine, packed + 1, packedNeed) == MINNOW_ERR_PACKED_MISALIGNED)
                    #expect(minnow_use_packed_weights(nil, packed, packedNeed) == MINNOW_ERR_NULL_ARGUMENT)
                    #expect(minnow_use_packed_weights(&engine, packed, packedNeed) == MINNOW_OK)
                    #expect(minnow_set_kernels(&engine, MINNOW_KERNELS_OPTIMIZED) == MINNOW_OK)
                    for _ in 0..<3 {
                        let values = (0..<input.count).map { _ in Int8.random(in: -128...127, using: &rng) }
                        try values.withUnsafeBufferPointer { try reference.setInput($0) }
                        reference.invoke()
                        #expect(minnow_set_input(&engine, values, values.count) == MINNOW_OK)
                        #expect(minnow_invoke(&engine) == MINNOW_OK)
                        #expect(Array(UnsafeBufferPointer(start: output.data, count: output.count)) == Array(reference.outputBuffer))
                    }
                }
                // The packed memory is gone: back to weights in place.
                #expect(minnow_init(&engine, modelPtr, bytes.count, arena, need, nil) == MINNOW_OK)

                // Real inputs are quantized exactly as Engine.setInput(quantizing:) does.
                let reals = (0..<input.count).map { _ in Float.random(in: -0.2...1.2, using: &rng) }
                try reals.withUnsafeBufferPointer { try reference.setInput(quantizing: $0) }
                #expect(minnow_set_input_float(&engine, reals, reals.count) == MINNOW_OK)
                #expect(Array(UnsafeBufferPointer(start: input.data, count: input.count)) == Array(reference.inputBuffer))

                // Nothing allocates on the C paths.
                var li = minnow_layer_info()
                minnow_allocation_count_begin()
                _ = minnow_set_input_float(&engine, reals, reals.count)
                _ = minnow_invoke(&engine)
                _ = minnow_invoke_layer(&engine, 0)
                _ = minnow_get_layer_info(&engine, 0, &li)
                _ = minnow_get_model_info(&engine, &mi)
                _ = minnow_get_output(&engine, &output)
                _ = minnow_argmax(&engine, &count)
                _ = minnow_arena_size(modelPtr, bytes.count, &need)
                var other = minnow_engine()
                _ = minnow_init(&other, modelPtr, bytes.count, arena, need, nil)
                #expect(minnow_allocation_count_end() == 0)
              }
            }
        }
    }

    @Test func everyArgumentErrorHasItsStatus() throws {
        let bytes = try randomModelBytes(allOpsNet)
        try withAligned(bytes.count + 64) { modelPtr in
            copyModel(bytes, to: modelPtr)
            let n = bytes.count
            var need = 0
            #expect(minnow_arena_size(modelPtr, n, &need) == MINNOW_OK)
            try withAligned(need + 64) { arena in
                var engine = minnow_engine()
                var info = minnow_tensor_info()
                var li = minnow_layer_info()
                var mi = minnow_model_info()
                var u: UInt32 = 0
                let values = [Int8](repeating: 0, count: 288)
                let reals = [Float](repeating: 0, count: 288)

                // NULL arguments.
                #expect(minnow_arena_size(nil, n, &need) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_arena_size(modelPtr, n, nil) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_init(nil, modelPtr, n, arena, need, nil) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_init(&engine, nil, n, arena, need, nil) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_init(&engine, modelPtr, n, nil, need, nil) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_set_kernels(nil, 0) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_get_model_info(nil, &mi) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_get_input(nil, &info) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_get_output(nil, &info) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_set_input(nil, values, 288) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_set_input_float(nil, reals, 288) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_invoke(nil) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_invoke_layer(nil, 0) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_argmax(nil, &u) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_layer_count(nil, &u) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_get_layer_info(nil, 0, &li) == MINNOW_ERR_NULL_ARGUMENT)

                // A zero-filled (never initialised) engine.
                #expect(minnow_set_kernels(&engine, 0) == MINNOW_ERR_NOT_INITIALIZED)
                #expect(minnow_get_model_info(&engine, &mi) == MINNOW_ERR_NOT_INITIALIZED)
                #expect(minnow_get_input(&engine, &info) == MINNOW_ERR_NOT_INITIALIZED)
                #expect(minnow_get_output(&engine, &info) == MINNOW_ERR_NOT_INITIALIZED)
                #expect(minnow_set_input(&engine, values, 288) == MINNOW_ERR_NOT_INITIALIZED)
                #expect(minnow_set_input_float(&engine, reals, 288) == MINNOW_ERR_NOT_INITIALIZED)
                #expect(minnow_invoke(&engine) == MINNOW_ERR_NOT_INITIALIZED)
                #expect(minnow_invoke_layer(&engine, 0) == MINNOW_ERR_NOT_INITIALIZED)
                #expect(minnow_argmax(&engine, &u) == MINNOW_ERR_NOT_INITIALIZED)
                #expect(minnow_layer_count(&engine, &u) == MINNOW_ERR_NOT_INITIALIZED)
                #expect(minnow_get_layer_info(&engine, 0, &li) == MINNOW_ERR_NOT_INITIALIZED)

                // Bad models (arena_size and init give the same status).
                func modelStatus(_ p: UnsafeRawPointer, _ len: Int) -> minnow_status {
                    var x = 0, e = minnow_engine()
                    let a = minnow_arena_size(p, len, &x)
                    let b = minnow_init(&e, p, len, arena, need, nil)
                    #expect(a == b)
                    return a
                }
                #expect(modelStatus(modelPtr, 0) == MINNOW_ERR_MODEL_TRUNCATED)
                #expect(modelStatus(modelPtr, 63) == MINNOW_ERR_MODEL_TRUNCATED)
                #expect(modelStatus(modelPtr, n - 1) == MINNOW_ERR_MODEL_TRUNCATED)
                #expect(modelStatus(modelPtr, n + 16) == MINNOW_ERR_MODEL_SIZE_MISMATCH)
                #expect(modelStatus(modelPtr, Int.max) == MINNOW_ERR_MODEL_SIZE_MISMATCH)
                var tooLarge = 0
                #expect(minnow_arena_size(modelPtr, -1, &tooLarge) == MINNOW_ERR_MODEL_TOO_LARGE) // SIZE_MAX
                let b = modelPtr.assumingMemoryBound(to: UInt8.self)
                b[n / 2] ^= 0x10
                #expect(modelStatus(modelPtr, n) == MINNOW_ERR_MODEL_CHECKSUM)
                b[n / 2] ^= 0x10
                b[0] = UInt8(ascii: "X")
                #expect(modelStatus(modelPtr, n) == MINNOW_ERR_MODEL_BAD_MAGIC)
                b[0] = bytes[0]
                #expect(modelStatus(modelPtr, n) == MINNOW_OK)
                try withAligned(n, offset: 2) { odd in
                    copyModel(bytes, to: odd)
                    #expect(modelStatus(odd, n) == MINNOW_ERR_MODEL_MISALIGNED)
                }

                // Arena too small: the status says so and arena_needed says how much.
                var needed = 0
                #expect(minnow_init(&engine, modelPtr, n, arena, need - 1, &needed) == MINNOW_ERR_ARENA_TOO_SMALL)
                #expect(needed == need)
                needed = 0
                #expect(minnow_init(&engine, modelPtr, n, arena, 0, &needed) == MINNOW_ERR_ARENA_TOO_SMALL)
                #expect(needed == need)
                #expect(minnow_init(&engine, modelPtr, n, arena + 1, need, &needed) == MINNOW_ERR_ARENA_MISALIGNED)
                #expect(minnow_invoke(&engine) == MINNOW_ERR_NOT_INITIALIZED)

                // A working engine; then caller errors on it.
                #expect(minnow_init(&engine, modelPtr, n, arena, need, nil) == MINNOW_OK)
                #expect(minnow_layer_count(&engine, &u) == MINNOW_OK)
                #expect(minnow_invoke_layer(&engine, u) == MINNOW_ERR_INDEX_OUT_OF_RANGE)
                #expect(minnow_invoke_layer(&engine, .max) == MINNOW_ERR_INDEX_OUT_OF_RANGE)
                #expect(minnow_get_layer_info(&engine, u, &li) == MINNOW_ERR_INDEX_OUT_OF_RANGE)
                #expect(minnow_get_layer_info(&engine, 0, nil) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_get_input(&engine, nil) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_get_output(&engine, nil) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_get_model_info(&engine, nil) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_argmax(&engine, nil) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_layer_count(&engine, nil) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_set_input(&engine, nil, 288) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_set_input_float(&engine, nil, 288) == MINNOW_ERR_NULL_ARGUMENT)
                #expect(minnow_set_input(&engine, values, 287) == MINNOW_ERR_INPUT_SIZE)
                #expect(minnow_set_input(&engine, values, -1) == MINNOW_ERR_INPUT_SIZE)
                #expect(minnow_set_input_float(&engine, reals, 289) == MINNOW_ERR_INPUT_SIZE)
                #expect(minnow_set_input(&engine, values, 288) == MINNOW_OK)
                #expect(minnow_set_kernels(&engine, 2) == MINNOW_ERR_INVALID_ARGUMENT)
                #expect(minnow_set_kernels(&engine, -1) == MINNOW_ERR_INVALID_ARGUMENT)
                #expect(minnow_invoke(&engine) == MINNOW_OK)

                // Misaligned engine storage.
                try withAligned(Int(MINNOW_ENGINE_SIZE), offset: 4) { storage in
                    let e = storage.assumingMemoryBound(to: minnow_engine.self)
                    #expect(minnow_init(e, modelPtr, n, arena, need, nil) == MINNOW_ERR_NOT_INITIALIZED)
                }

                // A failed init leaves a previously working engine not initialised.
                #expect(minnow_init(&engine, modelPtr, 10, arena, need, nil) == MINNOW_ERR_MODEL_TRUNCATED)
                #expect(minnow_invoke(&engine) == MINNOW_ERR_NOT_INITIALIZED)
            }
        }
    }

    /// Random corruptions with a repaired checksum reach the deep record checks: every
    /// one gives a status (never a trap), and a model that passes runs.
    @Test func corruptModelsGiveAStatusNeverATrap() throws {
        let bytes = try randomModelBytes(allOpsNet)
        var rng = Mix64(state: 77)
        var accepted = 0, refused = 0
        try withAligned(bytes.count) { modelPtr in
            for round in 0..<600 {
                copyModel(bytes, to: modelPtr)
                let b = modelPtr.assumingMemoryBound(to: UInt8.self)
                for _ in 0..<(1 + round % 3) {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    b[at] = round % 2 == 0 ? UInt8.random(in: 0...255, using: &rng) : b[at] ^ (1 << UInt8(round % 8))
                }
                // Repair the CRC so the mutation is seen by the record validation.
                let crc = modelChecksum(UnsafeRawBufferPointer(start: modelPtr, count: bytes.count))
                for k in 0..<4 { b[12 + k] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k))) }
                var need = 0
                let s = minnow_arena_size(modelPtr, bytes.count, &need)
                guard s == MINNOW_OK else {
                    refused += 1
                    #expect(s >= 20 && s <= 29, "status \(s)")
                    continue
                }
                accepted += 1
                try withAligned(max(need, 1)) { arena in
                    var engine = minnow_engine()
                    #expect(minnow_init(&engine, modelPtr, bytes.count, arena, need, nil) == MINNOW_OK)
                    var input = minnow_tensor_info()
                    #expect(minnow_get_input(&engine, &input) == MINNOW_OK)
                    #expect(minnow_invoke(&engine) == MINNOW_OK)
                    var layers: UInt32 = 0, best: UInt32 = 0
                    _ = minnow_layer_count(&engine, &layers)
                    for i in 0..<layers {
                        var li = minnow_layer_info()
                        #expect(minnow_get_layer_info(&engine, i, &li) == MINNOW_OK)
                    }
                    #expect(minnow_argmax(&engine, &best) == MINNOW_OK)
                }
            }
        }
        #expect(refused > 0)
        #expect(accepted + refused == 600)
    }

    @Test func everyStatusHasAMessage() {
        let codes: [minnow_status] = [
            MINNOW_OK, MINNOW_ERR_NULL_ARGUMENT, MINNOW_ERR_NOT_INITIALIZED, MINNOW_ERR_INDEX_OUT_OF_RANGE,
            MINNOW_ERR_INPUT_SIZE, MINNOW_ERR_INVALID_ARGUMENT, MINNOW_ERR_ARENA_TOO_SMALL,
            MINNOW_ERR_ARENA_MISALIGNED, MINNOW_ERR_PACKED_TOO_SMALL, MINNOW_ERR_PACKED_MISALIGNED,
            MINNOW_ERR_MODEL_TRUNCATED, MINNOW_ERR_MODEL_BAD_MAGIC,
            MINNOW_ERR_MODEL_VERSION, MINNOW_ERR_MODEL_HEADER, MINNOW_ERR_MODEL_SIZE_MISMATCH,
            MINNOW_ERR_MODEL_CHECKSUM, MINNOW_ERR_MODEL_MISALIGNED, MINNOW_ERR_MODEL_TENSOR,
            MINNOW_ERR_MODEL_LAYER, MINNOW_ERR_MODEL_TOO_LARGE, MINNOW_ERR_INTERNAL,
        ]
        let messages = codes.map(status)
        #expect(Set(messages).count == codes.count)
        #expect(!messages.contains("unknown status"))
        #expect(messages[0] == "ok")
        #expect(status(MINNOW_ERR_ARENA_TOO_SMALL) == "arena is too small for this model")
        for bad: minnow_status in [-1, 6, 14, 30, 98, 100, .max, .min] {
            #expect(status(bad) == "unknown status")
        }
    }
}
