/// One activation tensor of a model, as its record says (validated).
public struct TensorInfo: Equatable, Sendable {
    /// Byte offset of element (0, 0, 0) in the arena.
    public var arenaOffset: Int
    public var layout: FeatureMapLayout
    /// −128...127.
    public var zeroPoint: Int32
    /// Finite, > 0: real = (q − zeroPoint) · scale.
    public var scale: Float

    /// Bytes the tensor spans in the arena.
    public var extentBytes: Int { layout.extentBytes }
}

/// One layer of a model, as its record says (validated).
public struct LayerInfo: Sendable {
    public var opcode: Opcode
    public var inputCount: Int
    /// Tensor indices of the inputs (first `inputCount` meaningful).
    public var inputs: (Int, Int, Int, Int, Int, Int, Int, Int)
    public var output: Int
    public var geometry: WindowGeometry
    public var padBottom: Int
    public var padRight: Int
    public var rounding: OutputRounding
    public var activationMin: Int32
    public var activationMax: Int32
    public var weightsOffset: Int
    public var weightsBytes: Int
    public var paramsOffset: Int
    public var paramsBytes: Int
    public var scratchOffset: Int
    public var scratchBytes: Int
    /// File offset of the 16-byte, NUL-terminated name.
    public var nameOffset: Int

    /// The tensor index of input `i` (0 ≤ i < inputCount).
    public func input(_ i: Int) -> Int {
        switch i {
        case 0: return inputs.0
        case 1: return inputs.1
        case 2: return inputs.2
        case 3: return inputs.3
        case 4: return inputs.4
        case 5: return inputs.5
        case 6: return inputs.6
        default: return inputs.7
        }
    }
}

/// A validated, read-only view of model file bytes. The bytes are used in
/// place (weights are read straight from them, e.g. from flash) and must
/// outlive the model and every engine made from it.
///
/// `init(bytes:)` checks the magic, version, size, checksum and every record
/// (offsets, lengths, counts, shapes, geometry, quantization ranges, the arena
/// plan) before anything else reads the bytes: any byte string gives either a
/// `Model` or a `ModelError`, never a trap or an out-of-bounds read.
public struct Model {
    public let bytes: UnsafeRawBufferPointer
    public let tensorCount: Int
    public let layerCount: Int
    public let inputTensor: Int
    public let outputTensor: Int
    /// Bytes of arena the model's plan needs (activations and scratch).
    public let arenaBytes: Int
    let tensorTable: Int
    let layerTable: Int
    let dataStart: Int
    let dataEnd: Int

    public init(bytes: UnsafeRawBufferPointer) throws(ModelError) {
        let count = bytes.count
        guard count >= ModelFormat.headerBytes, let base = bytes.baseAddress else {
            throw .truncated(needed: ModelFormat.headerBytes, available: count)
        }
        let m = ModelFormat.magic
        guard bytes[0] == m.0, bytes[1] == m.1, bytes[2] == m.2, bytes[3] == m.3 else { throw .badMagic }
        let version = readU16(bytes, ModelFormat.versionOffset)
        guard version == ModelFormat.version else { throw .unsupportedVersion(Int(version)) }
        guard Int(readU16(bytes, ModelFormat.headerSizeOffset)) == ModelFormat.headerBytes else {
            throw .malformedHeader
        }
        let declared = readU32(bytes, ModelFormat.fileSizeOffset)
        guard UInt64(declared) <= UInt64(count) else {
            throw .truncated(needed: clampedInt(declared), available: count)
        }
        guard Int(declared) == count else { throw .fileSizeMismatch(declared: Int(declared), actual: count) }
        let stored = readU32(bytes, ModelFormat.checksumOffset)
        let computed = modelChecksum(bytes)
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        guard UInt(bitPattern: base) % 4 == 0 else { throw .misalignedBuffer }

        let tensorCount = Int(readU16(bytes, ModelFormat.tensorCountOffset))
        let layerCount = Int(readU16(bytes, ModelFormat.layerCountOffset))
        let inputTensor = Int(readU16(bytes, ModelFormat.inputTensorOffset))
        let outputTensor = Int(readU16(bytes, ModelFormat.outputTensorOffset))
        let arena = readU32(bytes, ModelFormat.arenaBytesOffset)
        let tensorTable = readU32(bytes, ModelFormat.tensorTableOffsetOffset)
        let layerTable = readU32(bytes, ModelFormat.layerTableOffsetOffset)
        let dataOffset = readU32(bytes, ModelFormat.dataOffsetOffset)
        let dataBytes = readU32(bytes, ModelFormat.dataBytesOffset)
        let a = UInt32(ModelFormat.alignment)
        guard tensorCount >= 1, layerCount >= 1,
              inputTensor < tensorCount, outputTensor < tensorCount, inputTensor != outputTensor,
              tensorTable % a == 0, layerTable % a == 0, dataOffset % a == 0,
              tensorTable >= UInt32(ModelFormat.headerBytes),
              // Optimized kernels may read up to 15 bytes before a weights block
              // (multiplied by zero): the data never starts inside the first 64 bytes.
              dataOffset >= UInt32(ModelFormat.headerBytes),
              fits(tensorTable, UInt64(tensorCount) * UInt64(ModelFormat.tensorRecordBytes), count),
              fits(layerTable, UInt64(layerCount) * UInt64(ModelFormat.layerRecordBytes), count),
              fits(dataOffset, UInt64(dataBytes), count),
              UInt64(arena) <= UInt64(Int.max / 2),
              bytes[ModelFormat.modelNameOffset + ModelFormat.nameBytes - 1] == 0,
              readU32(bytes, 60) == 0
        else { throw .malformedHeader }

        self.bytes = bytes
        self.tensorCount = tensorCount
        self.layerCount = layerCount
        self.inputTensor = inputTensor
        self.outputTensor = outputTensor
        self.arenaBytes = Int(arena)
        self.tensorTable = Int(tensorTable)
        self.layerTable = Int(layerTable)
        self.dataStart = Int(dataOffset)
        self.dataEnd = Int(dataOffset) + Int(dataBytes)
        try validate()
    }

    // MARK: Records

    /// Tensor `index` (0 ≤ index < tensorCount).
    public func tensor(_ index: Int) -> TensorInfo {
        let r = tensorTable + index * ModelFormat.tensorRecordBytes
        return TensorInfo(
            arenaOffset: Int(readU32(bytes, r)),
            layout: FeatureMapLayout(height: Int(readU16(bytes, r + 4)), width: Int(readU16(bytes, r + 6)),
                                     channels: Int(readU16(bytes, r + 8)), pixelStride: Int(readU16(bytes, r + 10))),
            zeroPoint: Int32(bitPattern: readU32(bytes, r + 12)),
            scale: Float(bitPattern: readU32(bytes, r + 16)))
    }

    /// The raw opcode byte of layer `index`.
    func opcodeByte(_ index: Int) -> UInt8 {
        bytes[layerTable + index * ModelFormat.layerRecordBytes]
    }

    /// Layer `index` (0 ≤ index < layerCount). Valid only after validation.
    public func layer(_ index: Int) -> LayerInfo {
        let r = layerTable + index * ModelFormat.layerRecordBytes
        func u16(_ o: Int) -> Int { Int(readU16(bytes, r + o)) }
        func u32(_ o: Int) -> Int { Int(readU32(bytes, r + o)) }
        return LayerInfo(
            opcode: Opcode(rawValue: bytes[r]) ?? .concatenation,
            inputCount: Int(bytes[r + 1]),
            inputs: (u16(4), u16(6), u16(8), u16(10), u16(12), u16(14), u16(16), u16(18)),
            output: u16(2),
            geometry: WindowGeometry(kernelHeight: u16(36), kernelWidth: u16(38),
                                     strideHeight: u16(40), strideWidth: u16(42),
                                     padTop: u16(44), padLeft: u16(46)),
            padBottom: u16(48), padRight: u16(50),
            rounding: OutputRounding(rawValue: bytes[r + 54]) ?? .exact,
            activationMin: Int32(Int8(bitPattern: bytes[r + 52])),
            activationMax: Int32(Int8(bitPattern: bytes[r + 53])),
            weightsOffset: u32(56), weightsBytes: u32(60),
            paramsOffset: u32(64), paramsBytes: u32(68),
            scratchOffset: u32(72), scratchBytes: u32(76),
            nameOffset: r + 20)
    }

    /// The name of layer `index` as a NUL-terminated C string inside the model bytes.
    public func layerNamePointer(_ index: Int) -> UnsafePointer<CChar> {
        (bytes.baseAddress! + layer(index).nameOffset).assumingMemoryBound(to: CChar.self)
    }

    /// The name of layer `index`.
    public func layerName(_ index: Int) -> String {
        let start = layerTable + index * ModelFormat.layerRecordBytes + 20
        var end = start
        while end < start + ModelFormat.nameBytes && bytes[end] != 0 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// The model's name from the header.
    public var name: String {
        let start = ModelFormat.modelNameOffset
        var end = start
        while end < start + ModelFormat.nameBytes && bytes[end] != 0 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }

    /// The model input tensor.
    public var input: TensorInfo { tensor(inputTensor) }
    /// The model output tensor.
    public var output: TensorInfo { tensor(outputTensor) }

    /// Multiply-adds of layer `index` (convolution and fully connected; 0 for
    /// the rest), saturating at `Int.max` (32 bits on Cortex-M).
    public func multiplyAdds(_ index: Int) -> Int {
        let l = layer(index)
        switch l.opcode {
        case .convolution:
            let out = tensor(l.output).layout
            let inChannels = tensor(l.input(0)).layout.channels
            return saturatingProduct(out.elementCount,
                                     saturatingProduct(l.geometry.kernelHeight, l.geometry.kernelWidth, inChannels), 1)
        case .fullyConnected:
            return saturatingProduct(tensor(l.input(0)).layout.elementCount, tensor(l.output).layout.elementCount, 1)
        default:
            return 0
        }
    }

    /// Multiply-adds of the whole model, saturating at `Int.max`.
    public var totalMultiplyAdds: Int {
        var total = 0
        for i in 0..<layerCount { total = saturatingSum(total, multiplyAdds(i)) }
        return total
    }

    /// Typed pointer to `count` values of `T` at file offset `offset` (validated, aligned).
    @inline(__always)
    func data<T>(_ offset: Int, as type: T.Type) -> UnsafePointer<T> {
        (bytes.baseAddress! + offset).assumingMemoryBound(to: T.self)
    }
}

// MARK: - Byte reading (bounds are checked by callers before use)

@inline(__always)
func readU16(_ b: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
    UInt16(b[offset]) | UInt16(b[offset + 1]) << 8
}

@inline(__always)
func readU32(_ b: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
    UInt32(b[offset]) | UInt32(b[offset + 1]) << 8 | UInt32(b[offset + 2]) << 16 | UInt32(b[offset + 3]) << 24
}

/// Whether [offset, offset + length) lies inside a buffer of `count` bytes (no overflow).
@inline(__always)
func fits(_ offset: UInt32, _ length: UInt64, _ count: Int) -> Bool {
    UInt64(offset) + length <= UInt64(count)
}

@inline(__always)
func clampedInt(_ v: UInt32) -> Int {
    UInt64(v) > UInt64(Int.max) ? Int.max : Int(v)
}
