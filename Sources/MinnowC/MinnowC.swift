// The C API of Minnow (Sources/MinnowC/include/minnow.h is the contract; read it first).
//
// Every entry point is a `@_cdecl` function that checks its arguments and
// returns an Int32 status; none traps, allocates or throws across the C
// boundary. Embedded-clean: no String, no Array, no existentials, no classes —
// only the engine's value types, raw pointers and StaticStrings.
//
// Built two ways:
//   - SwiftPM target `MinnowC` (depends on the `MinnowCore` module) for host tests;
//   - tools/build-embedded.sh compiles Sources/MinnowCore and this directory as ONE
//     Embedded module (-D MINNOW_EMBEDDED_SINGLE_MODULE), hence the guarded import.

#if !MINNOW_EMBEDDED_SINGLE_MODULE
import MinnowCore
#endif

// MARK: - Status codes (keep equal to minnow.h)

public enum MinnowStatus {
    public static let ok: Int32 = 0
    public static let nullArgument: Int32 = 1
    public static let notInitialized: Int32 = 2
    public static let indexOutOfRange: Int32 = 3
    public static let inputSize: Int32 = 4
    public static let invalidArgument: Int32 = 5
    public static let arenaTooSmall: Int32 = 10
    public static let arenaMisaligned: Int32 = 11
    public static let packedTooSmall: Int32 = 12
    public static let packedMisaligned: Int32 = 13
    public static let modelTruncated: Int32 = 20
    public static let modelBadMagic: Int32 = 21
    public static let modelVersion: Int32 = 22
    public static let modelHeader: Int32 = 23
    public static let modelSizeMismatch: Int32 = 24
    public static let modelChecksum: Int32 = 25
    public static let modelMisaligned: Int32 = 26
    public static let modelTensor: Int32 = 27
    public static let modelLayer: Int32 = 28
    public static let modelTooLarge: Int32 = 29
    public static let `internal`: Int32 = 99

    /// The status of a model error.
    public static func of(_ error: ModelError) -> Int32 {
        switch error {
        case .truncated: return modelTruncated
        case .badMagic: return modelBadMagic
        case .unsupportedVersion: return modelVersion
        case .malformedHeader: return modelHeader
        case .fileSizeMismatch: return modelSizeMismatch
        case .checksumMismatch: return modelChecksum
        case .misalignedBuffer: return modelMisaligned
        case .invalidTensor: return modelTensor
        case .invalidLayer: return modelLayer
        }
    }

    /// The status of an engine error.
    public static func of(_ error: EngineError) -> Int32 {
        switch error {
        case .arenaTooSmall: return arenaTooSmall
        case .misalignedArena: return arenaMisaligned
        case .inputSizeMismatch: return inputSize
        case .packedWeightsTooSmall: return packedTooSmall
        case .misalignedPackedWeights: return packedMisaligned
        }
    }

    /// The fixed message of a status (what `minnow_status_message` returns).
    public static func message(_ status: Int32) -> StaticString {
        switch status {
        case ok: return "ok"
        case nullArgument: return "a required pointer argument is NULL"
        case notInitialized: return "engine is not initialized (call minnow_init first)"
        case indexOutOfRange: return "layer index out of range"
        case inputSize: return "input has the wrong number of values"
        case invalidArgument: return "invalid argument value"
        case arenaTooSmall: return "arena is too small for this model"
        case arenaMisaligned: return "arena must start on a 16-byte boundary"
        case packedTooSmall: return "packed-weights memory is too small for this model"
        case packedMisaligned: return "packed-weights memory must start on a 16-byte boundary"
        case modelTruncated: return "model file is truncated"
        case modelBadMagic: return "not a Minnow model file (bad magic)"
        case modelVersion: return "unsupported model file version"
        case modelHeader: return "model file header is malformed"
        case modelSizeMismatch: return "model file size does not match its header"
        case modelChecksum: return "model file checksum mismatch (corrupt file)"
        case modelMisaligned: return "model bytes must start on a 4-byte boundary"
        case modelTensor: return "model file has an invalid tensor record"
        case modelLayer: return "model file has an invalid layer record"
        case modelTooLarge: return "model is larger than the address space"
        case `internal`: return "internal error in the Minnow library"
        default: return "unknown status"
        }
    }
}

// MARK: - The engine storage (minnow_engine)

/// What a `minnow_engine` holds: a magic word and the Swift `Engine` value
/// (a trivial type: pointers, integers and an enum — no references), stored
/// in place in the caller's `MINNOW_ENGINE_SIZE`-byte struct.
public struct CEngineState {
    public var magic: UInt32
    public var engine: Engine

    /// "MNWE" little-endian: the storage was set up by a successful minnow_init.
    public static let magicValue: UInt32 = 0x4557_4E4D
    /// `MINNOW_ENGINE_SIZE` / `MINNOW_ENGINE_ALIGNMENT` of minnow.h.
    public static let storageBytes = 256
    public static let storageAlignment = 8
    /// Whether the state fits the C struct (checked by minnow_init and a test).
    public static var fitsStorage: Bool {
        MemoryLayout<CEngineState>.size <= storageBytes && MemoryLayout<CEngineState>.alignment <= storageAlignment
            && storageAlignment % MemoryLayout<CEngineState>.alignment == 0
    }
}

/// The initialised state at `raw`, or nil (NULL, misaligned, or no magic word).
@inline(__always)
func engineState(_ raw: UnsafeRawPointer?) -> UnsafePointer<CEngineState>? {
    guard let raw else { return nil }
    guard UInt(bitPattern: raw) % UInt(MemoryLayout<CEngineState>.alignment) == 0 else { return nil }
    // The magic word is read as raw bytes first: a garbage struct is never used as an Engine.
    guard raw.load(as: UInt32.self) == CEngineState.magicValue else { return nil }
    return raw.assumingMemoryBound(to: CEngineState.self)
}

@inline(__always)
func mutableEngineState(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<CEngineState>? {
    guard let s = engineState(UnsafeRawPointer(raw)) else { return nil }
    return UnsafeMutablePointer(mutating: s)
}

// MARK: - Helpers

/// size_t → Int, nil when it does not fit (only possible for huge lengths).
@inline(__always)
func intLength(_ n: UInt) -> Int? {
    n > UInt(Int.max) ? nil : Int(n)
}

/// Validates model bytes (no trap for any input).
func makeModel(_ bytes: UnsafeRawPointer?, _ length: UInt) -> (model: Model?, status: Int32) {
    guard let bytes else { return (nil, MinnowStatus.nullArgument) }
    guard let count = intLength(length) else { return (nil, MinnowStatus.modelTooLarge) }
    do {
        let model = try Model(bytes: UnsafeRawBufferPointer(start: bytes, count: count))
        return (model, MinnowStatus.ok)
    } catch {
        return (nil, MinnowStatus.of(error))
    }
}

extension Model {
    /// Multiply-adds of layer `index`, in 64 bits (no overflow trap on 32-bit targets).
    func multiplyAdds64(_ index: Int) -> UInt64 {
        let l = layer(index)
        switch l.opcode {
        case .convolution:
            let out = tensor(l.output).layout
            let inChannels = tensor(l.input(0)).layout.channels
            return UInt64(out.height) &* UInt64(out.width) &* UInt64(out.channels)
                &* UInt64(l.geometry.kernelHeight) &* UInt64(l.geometry.kernelWidth) &* UInt64(inChannels)
        case .fullyConnected:
            let i = tensor(l.input(0)).layout, o = tensor(l.output).layout
            return UInt64(i.height) &* UInt64(i.width) &* UInt64(i.channels)
                &* UInt64(o.height) &* UInt64(o.width) &* UInt64(o.channels)
        default:
            return 0
        }
    }

    /// The model name as a NUL-terminated C string inside the model bytes (validated: the
    /// 16-byte field ends with NUL).
    var namePointer: UnsafePointer<CChar> {
        (bytes.baseAddress! + ModelFormat.modelNameOffset).assumingMemoryBound(to: CChar.self)
    }
}

@inline(__always)
func cString(_ s: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
}

@inline(__always)
func u32(_ v: Int) -> UInt32 { UInt32(truncatingIfNeeded: v) }
@inline(__always)
func i32(_ v: Int) -> Int32 { Int32(truncatingIfNeeded: v) }

/// Field offsets of the C structs (P = pointer size), as minnow.h asserts.
enum CLayout {
    static let p = MemoryLayout<UnsafeRawPointer>.size
}

func writeTensorInfo(_ t: TensorInfo, data: UnsafeMutablePointer<Int8>, to out: UnsafeMutableRawPointer) {
    let p = CLayout.p
    out.storeBytes(of: UnsafeMutableRawPointer(data), toByteOffset: 0, as: UnsafeMutableRawPointer.self)
    out.storeBytes(of: UInt(t.layout.elementCount), toByteOffset: p, as: UInt.self)
    out.storeBytes(of: i32(t.layout.height), toByteOffset: 2 * p, as: Int32.self)
    out.storeBytes(of: i32(t.layout.width), toByteOffset: 2 * p + 4, as: Int32.self)
    out.storeBytes(of: i32(t.layout.channels), toByteOffset: 2 * p + 8, as: Int32.self)
    out.storeBytes(of: t.zeroPoint, toByteOffset: 2 * p + 12, as: Int32.self)
    out.storeBytes(of: t.scale.bitPattern, toByteOffset: 2 * p + 16, as: UInt32.self)
}

// MARK: - Entry points

@_cdecl("minnow_status_message")
public func minnow_status_message(_ status: Int32) -> UnsafePointer<CChar> {
    cString(MinnowStatus.message(status))
}

@_cdecl("minnow_arena_size")
public func minnow_arena_size(_ model: UnsafeRawPointer?, _ modelLength: UInt,
                              _ bytes: UnsafeMutablePointer<UInt>?) -> Int32 {
    guard let bytes else { return MinnowStatus.nullArgument }
    let (m, status) = makeModel(model, modelLength)
    guard let m else { return status }
    bytes.pointee = UInt(m.arenaBytes)
    return MinnowStatus.ok
}

@_cdecl("minnow_init")
public func minnow_init(_ engine: UnsafeMutableRawPointer?, _ model: UnsafeRawPointer?, _ modelLength: UInt,
                        _ arena: UnsafeMutableRawPointer?, _ arenaLength: UInt,
                        _ arenaNeeded: UnsafeMutablePointer<UInt>?) -> Int32 {
    guard let engine else { return MinnowStatus.nullArgument }
    guard CEngineState.fitsStorage else { return MinnowStatus.internal }
    guard UInt(bitPattern: engine) % UInt(MemoryLayout<CEngineState>.alignment) == 0 else {
        return MinnowStatus.notInitialized
    }
    // Not initialised until everything succeeded.
    engine.storeBytes(of: 0, as: UInt32.self)
    guard model != nil, arena != nil else { return MinnowStatus.nullArgument }
    let (m, status) = makeModel(model, modelLength)
    guard let m else { return status }
    if let arenaNeeded { arenaNeeded.pointee = UInt(m.arenaBytes) }
    let arenaCount = intLength(arenaLength) ?? Int.max
    do {
        let e = try Engine(model: m, arena: UnsafeMutableRawBufferPointer(start: arena, count: arenaCount))
        engine.bindMemory(to: CEngineState.self, capacity: 1)
            .initialize(to: CEngineState(magic: CEngineState.magicValue, engine: e))
        return MinnowStatus.ok
    } catch {
        return MinnowStatus.of(error)
    }
}

@_cdecl("minnow_packed_weights_size")
public func minnow_packed_weights_size(_ model: UnsafeRawPointer?, _ modelLength: UInt,
                                       _ bytes: UnsafeMutablePointer<UInt>?) -> Int32 {
    guard let bytes else { return MinnowStatus.nullArgument }
    let (m, status) = makeModel(model, modelLength)
    guard let m else { return status }
    let need = PackedWeights.bytes(for: m)
    guard need < Int.max else { return MinnowStatus.modelTooLarge }
    bytes.pointee = UInt(need)
    return MinnowStatus.ok
}

@_cdecl("minnow_use_packed_weights")
public func minnow_use_packed_weights(_ engine: UnsafeMutableRawPointer?, _ memory: UnsafeMutableRawPointer?,
                                      _ length: UInt) -> Int32 {
    guard engine != nil, memory != nil else { return MinnowStatus.nullArgument }
    guard let s = mutableEngineState(engine) else { return MinnowStatus.notInitialized }
    let current = s.pointee.engine
    do {
        let e = try Engine(model: current.model, arena: current.arena, kernels: current.kernels,
                           packedWeights: UnsafeMutableRawBufferPointer(start: memory, count: intLength(length) ?? Int.max))
        s.pointee.engine = e
        return MinnowStatus.ok
    } catch {
        return MinnowStatus.of(error)
    }
}

@_cdecl("minnow_set_kernels")
public func minnow_set_kernels(_ engine: UnsafeMutableRawPointer?, _ kernels: Int32) -> Int32 {
    guard engine != nil else { return MinnowStatus.nullArgument }
    guard let s = mutableEngineState(engine) else { return MinnowStatus.notInitialized }
    switch kernels {
    case 0: s.pointee.engine.kernels = .optimized
    case 1: s.pointee.engine.kernels = .reference
    default: return MinnowStatus.invalidArgument
    }
    return MinnowStatus.ok
}

@_cdecl("minnow_get_model_info")
public func minnow_get_model_info(_ engine: UnsafeRawPointer?, _ info: UnsafeMutableRawPointer?) -> Int32 {
    guard engine != nil, let info else { return MinnowStatus.nullArgument }
    guard let s = engineState(engine) else { return MinnowStatus.notInitialized }
    let m = s.pointee.engine.model
    var macs: UInt64 = 0
    for i in 0..<m.layerCount { macs &+= m.multiplyAdds64(i) }
    info.storeBytes(of: UnsafeRawPointer(m.namePointer), toByteOffset: 0, as: UnsafeRawPointer.self)
    info.storeBytes(of: macs, toByteOffset: 8, as: UInt64.self)
    info.storeBytes(of: u32(m.layerCount), toByteOffset: 16, as: UInt32.self)
    info.storeBytes(of: u32(m.tensorCount), toByteOffset: 20, as: UInt32.self)
    info.storeBytes(of: u32(m.arenaBytes), toByteOffset: 24, as: UInt32.self)
    info.storeBytes(of: u32(m.bytes.count), toByteOffset: 28, as: UInt32.self)
    return MinnowStatus.ok
}

@_cdecl("minnow_get_input")
public func minnow_get_input(_ engine: UnsafeRawPointer?, _ info: UnsafeMutableRawPointer?) -> Int32 {
    guard engine != nil, let info else { return MinnowStatus.nullArgument }
    guard let s = engineState(engine) else { return MinnowStatus.notInitialized }
    let e = s.pointee.engine
    writeTensorInfo(e.model.input, data: e.inputBuffer.baseAddress!, to: info)
    return MinnowStatus.ok
}

@_cdecl("minnow_get_output")
public func minnow_get_output(_ engine: UnsafeRawPointer?, _ info: UnsafeMutableRawPointer?) -> Int32 {
    guard engine != nil, let info else { return MinnowStatus.nullArgument }
    guard let s = engineState(engine) else { return MinnowStatus.notInitialized }
    let e = s.pointee.engine
    writeTensorInfo(e.model.output, data: UnsafeMutablePointer(mutating: e.outputBuffer.baseAddress!), to: info)
    return MinnowStatus.ok
}

@_cdecl("minnow_set_input")
public func minnow_set_input(_ engine: UnsafeMutableRawPointer?, _ values: UnsafePointer<Int8>?,
                             _ count: UInt) -> Int32 {
    guard engine != nil, let values else { return MinnowStatus.nullArgument }
    guard let s = mutableEngineState(engine) else { return MinnowStatus.notInitialized }
    guard let n = intLength(count) else { return MinnowStatus.inputSize }
    do {
        try s.pointee.engine.setInput(UnsafeBufferPointer(start: values, count: n))
        return MinnowStatus.ok
    } catch {
        return MinnowStatus.of(error)
    }
}

@_cdecl("minnow_set_input_float")
public func minnow_set_input_float(_ engine: UnsafeMutableRawPointer?, _ values: UnsafePointer<Float>?,
                                   _ count: UInt) -> Int32 {
    guard engine != nil, let values else { return MinnowStatus.nullArgument }
    guard let s = mutableEngineState(engine) else { return MinnowStatus.notInitialized }
    guard let n = intLength(count) else { return MinnowStatus.inputSize }
    do {
        try s.pointee.engine.setInput(quantizing: UnsafeBufferPointer(start: values, count: n))
        return MinnowStatus.ok
    } catch {
        return MinnowStatus.of(error)
    }
}

@_cdecl("minnow_invoke")
public func minnow_invoke(_ engine: UnsafeMutableRawPointer?) -> Int32 {
    guard engine != nil else { return MinnowStatus.nullArgument }
    guard let s = mutableEngineState(engine) else { return MinnowStatus.notInitialized }
    s.pointee.engine.invoke()
    return MinnowStatus.ok
}

@_cdecl("minnow_invoke_layer")
public func minnow_invoke_layer(_ engine: UnsafeMutableRawPointer?, _ index: UInt32) -> Int32 {
    guard engine != nil else { return MinnowStatus.nullArgument }
    guard let s = mutableEngineState(engine) else { return MinnowStatus.notInitialized }
    guard UInt64(index) < UInt64(s.pointee.engine.model.layerCount) else { return MinnowStatus.indexOutOfRange }
    s.pointee.engine.invokeLayer(Int(index))
    return MinnowStatus.ok
}

@_cdecl("minnow_argmax")
public func minnow_argmax(_ engine: UnsafeRawPointer?, _ index: UnsafeMutablePointer<UInt32>?) -> Int32 {
    guard engine != nil, let index else { return MinnowStatus.nullArgument }
    guard let s = engineState(engine) else { return MinnowStatus.notInitialized }
    index.pointee = u32(s.pointee.engine.argmax())
    return MinnowStatus.ok
}

@_cdecl("minnow_layer_count")
public func minnow_layer_count(_ engine: UnsafeRawPointer?, _ count: UnsafeMutablePointer<UInt32>?) -> Int32 {
    guard engine != nil, let count else { return MinnowStatus.nullArgument }
    guard let s = engineState(engine) else { return MinnowStatus.notInitialized }
    count.pointee = u32(s.pointee.engine.model.layerCount)
    return MinnowStatus.ok
}

@_cdecl("minnow_get_layer_info")
public func minnow_get_layer_info(_ engine: UnsafeRawPointer?, _ index: UInt32,
                                  _ info: UnsafeMutableRawPointer?) -> Int32 {
    guard engine != nil, let info else { return MinnowStatus.nullArgument }
    guard let s = engineState(engine) else { return MinnowStatus.notInitialized }
    let m = s.pointee.engine.model
    guard UInt64(index) < UInt64(m.layerCount) else { return MinnowStatus.indexOutOfRange }
    let i = Int(index)
    let l = m.layer(i)
    let out = m.tensor(l.output).layout
    let p = CLayout.p
    info.storeBytes(of: UnsafeRawPointer(m.layerNamePointer(i)), toByteOffset: 0, as: UnsafeRawPointer.self)
    info.storeBytes(of: UnsafeRawPointer(cString(l.opcode.name)), toByteOffset: p, as: UnsafeRawPointer.self)
    info.storeBytes(of: m.multiplyAdds64(i), toByteOffset: 2 * p, as: UInt64.self)
    info.storeBytes(of: u32(out.elementCount), toByteOffset: 2 * p + 8, as: UInt32.self)
    info.storeBytes(of: u32(l.weightsBytes), toByteOffset: 2 * p + 12, as: UInt32.self)
    info.storeBytes(of: u32(l.paramsBytes), toByteOffset: 2 * p + 16, as: UInt32.self)
    info.storeBytes(of: u32(l.scratchBytes), toByteOffset: 2 * p + 20, as: UInt32.self)
    info.storeBytes(of: i32(out.height), toByteOffset: 2 * p + 24, as: Int32.self)
    info.storeBytes(of: i32(out.width), toByteOffset: 2 * p + 28, as: Int32.self)
    info.storeBytes(of: i32(out.channels), toByteOffset: 2 * p + 32, as: Int32.self)
    info.storeBytes(of: i32(l.inputCount), toByteOffset: 2 * p + 36, as: Int32.self)
    info.storeBytes(of: Int32(l.opcode.rawValue), toByteOffset: 2 * p + 40, as: Int32.self)
    return MinnowStatus.ok
}
