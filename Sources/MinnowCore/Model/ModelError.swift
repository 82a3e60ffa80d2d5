/// Why a layer record is rejected.
public enum LayerProblem: Error, Equatable, Sendable {
    case unknownOpcode(UInt8)
    /// The op takes a different number of inputs.
    case wrongInputCount(Int)
    /// An input or output names a tensor past the table.
    case tensorIndexOutOfRange(Int)
    /// An input is neither the model input nor written by an earlier layer.
    case inputNotYetComputed(tensor: Int)
    /// The output is the model input or a tensor an earlier layer already writes.
    case outputWrittenTwice(tensor: Int)
    /// Input and output shapes do not fit the op.
    case shapeMismatch
    /// The window geometry is invalid (for example a fractional output size).
    case geometry(GeometryError)
    /// A window covers only padding (pooling needs one real tap per window).
    case emptyWindow
    /// Weights or params lie outside the data section or are misaligned.
    case dataOutOfBounds
    /// The weights block does not hold exactly the weights the shapes imply.
    case weightsSizeMismatch(expected: Int, actual: Int)
    /// The params block does not hold exactly the params the op needs.
    case paramsSizeMismatch(expected: Int, actual: Int)
    /// A multiplier outside [2^30, 2^31) ∪ {0} or a shift outside −31...30.
    case invalidRequantization(channel: Int)
    /// activation min > max.
    case invalidActivationRange
    /// Concatenation inputs must share the output's scale and zero point;
    /// softmax output must be scale 1/256, zero point −128.
    case quantizationMismatch
    /// The scratch buffer is smaller than the kernel needs or outside the arena.
    case scratchInvalid(needed: Int)
    /// The scratch buffer shares bytes with a tensor alive at this layer.
    case scratchOverlapsTensor(Int)
    /// The name field has no NUL terminator; reserved bytes or flags not zero;
    /// an unknown rounding mode.
    case malformedRecord
}

/// Why a tensor record is rejected.
public enum TensorProblem: Equatable, Sendable {
    /// Zero height, width or channels, or a pixel stride below channels.
    case invalidShape
    /// The tensor does not lie inside the arena.
    case outsideArena
    /// Zero point outside −128...127, or scale not finite and positive.
    case invalidQuantization
    /// Reserved bytes not zero.
    case malformedRecord
    /// The tensor shares bytes with tensor `other` while both are alive.
    case overlapsLiveTensor(other: Int)
    /// The model input or output is not contiguous, or the output is never written.
    case notContiguousOrUnused
}

/// Why model bytes are not a valid Minnow model. Every check runs before any
/// other use of the bytes, so any byte string gives a model or one of these.
public enum ModelError: Error, Equatable, Sendable {
    /// Fewer bytes than the header or the declared file size needs.
    case truncated(needed: Int, available: Int)
    /// The first four bytes are not "MNW8".
    case badMagic
    /// A version this engine does not read.
    case unsupportedVersion(Int)
    /// The header size, counts or table offsets are inconsistent.
    case malformedHeader
    /// More bytes than the declared file size.
    case fileSizeMismatch(declared: Int, actual: Int)
    /// The CRC-32 over the file does not match the stored one.
    case checksumMismatch(stored: UInt32, computed: UInt32)
    /// The bytes do not start on a 4-byte boundary (int32 params are read in place).
    case misalignedBuffer
    /// A tensor record is invalid.
    case invalidTensor(index: Int, TensorProblem)
    /// A layer record is invalid.
    case invalidLayer(index: Int, LayerProblem)

    /// A short fixed message (for the C API), without the numbers.
    public var message: StaticString {
        switch self {
        case .truncated: return "model file is truncated"
        case .badMagic: return "not a Minnow model file (bad magic)"
        case .unsupportedVersion: return "unsupported model file version"
        case .malformedHeader: return "model file header is malformed"
        case .fileSizeMismatch: return "model file size does not match its header"
        case .checksumMismatch: return "model file checksum mismatch (corrupt file)"
        case .misalignedBuffer: return "model bytes must start on a 4-byte boundary"
        case .invalidTensor: return "model file has an invalid tensor record"
        case .invalidLayer: return "model file has an invalid layer record"
        }
    }
}

/// Why an engine cannot start or take an input.
public enum EngineError: Error, Equatable, Sendable {
    /// The arena is smaller than the model's plan: `required` bytes are needed.
    case arenaTooSmall(required: Int, provided: Int)
    /// The arena must start on a 16-byte boundary.
    case misalignedArena
    /// An input of the wrong number of values.
    case inputSizeMismatch(expected: Int, provided: Int)
    /// The optional packed-weights memory is smaller than `PackedWeights.bytes(for:)`.
    case packedWeightsTooSmall(required: Int, provided: Int)
    /// The packed-weights memory must start on a 16-byte boundary.
    case misalignedPackedWeights

    public var message: StaticString {
        switch self {
        case .arenaTooSmall: return "arena is too small for this model"
        case .misalignedArena: return "arena must start on a 16-byte boundary"
        case .inputSizeMismatch: return "input has the wrong number of values"
        case .packedWeightsTooSmall: return "packed-weights memory is too small for this model"
        case .misalignedPackedWeights: return "packed-weights memory must start on a 16-byte boundary"
        }
    }
}
