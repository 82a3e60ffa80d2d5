import MinnowCore

extension ModelError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .truncated(needed, available):
            return "model file is truncated: \(available) bytes, at least \(needed) needed"
        case .badMagic:
            return "not a Minnow model file (the first bytes are not \"MNW8\")"
        case let .unsupportedVersion(v):
            return "model file version \(v) is not supported (this engine reads version \(ModelFormat.version))"
        case .malformedHeader:
            return "model file header is malformed (counts or table offsets out of range)"
        case let .fileSizeMismatch(declared, actual):
            return "model file has \(actual) bytes but its header says \(declared)"
        case let .checksumMismatch(stored, computed):
            return "model file is corrupt: CRC-32 is \(hex(computed)), header says \(hex(stored))"
        case .misalignedBuffer:
            return "model bytes must start on a 4-byte boundary"
        case let .invalidTensor(index, problem):
            return "tensor #\(index) is invalid: \(problem)"
        case let .invalidLayer(index, problem):
            return "layer #\(index) is invalid: \(problem)"
        }
    }
}

extension EngineError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .arenaTooSmall(required, provided):
            return "arena too small: the model needs \(required) bytes, \(provided) given"
        case .misalignedArena:
            return "the arena must start on a 16-byte boundary"
        case let .inputSizeMismatch(expected, provided):
            return "input has \(provided) values, the model takes \(expected)"
        case let .packedWeightsTooSmall(required, provided):
            return "packed-weights memory too small: the model needs \(required) bytes, \(provided) given"
        case .misalignedPackedWeights:
            return "the packed-weights memory must start on a 16-byte boundary"
        }
    }
}

private func hex(_ v: UInt32) -> String {
    "0x" + String(v, radix: 16, uppercase: true)
}

extension LayerProblem: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .unknownOpcode(op): return "unknown opcode \(op)"
        case let .wrongInputCount(n): return "wrong number of inputs (\(n)) for its op"
        case let .tensorIndexOutOfRange(t): return "tensor index \(t) is past the tensor table"
        case let .inputNotYetComputed(t): return "reads tensor #\(t) before any layer writes it"
        case let .outputWrittenTwice(t): return "writes tensor #\(t), which is the model input or already written"
        case .shapeMismatch: return "input and output shapes do not fit the op"
        case let .geometry(e): return e.explanation
        case .emptyWindow: return "a pooling window covers only padding"
        case .dataOutOfBounds: return "weights or parameters lie outside the data section or are misaligned"
        case let .weightsSizeMismatch(expected, actual): return "\(actual) weight bytes, the shapes need \(expected)"
        case let .paramsSizeMismatch(expected, actual): return "\(actual) parameter bytes, the op needs \(expected)"
        case let .invalidRequantization(c): return "requantization multiplier or shift out of range (channel \(c))"
        case .invalidActivationRange: return "activation min above max"
        case .quantizationMismatch: return "scale or zero point differ where the op needs them equal"
        case let .scratchInvalid(needed):
            return "scratch buffer too small or outside the arena: this engine's kernels need \(needed) bytes "
                + "(re-export the model with this version's export-int8)"
        case let .scratchOverlapsTensor(t): return "scratch buffer overlaps tensor #\(t) while it is alive"
        case .malformedRecord: return "malformed record (name not terminated, unknown rounding, or non-zero reserved bytes)"
        }
    }
}

extension TensorProblem: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidShape: return "zero size or pixel stride below its channels"
        case .outsideArena: return "does not lie inside the arena"
        case .invalidQuantization: return "zero point outside -128...127 or scale not finite and positive"
        case .malformedRecord: return "non-zero reserved bytes"
        case let .overlapsLiveTensor(other): return "shares bytes with tensor #\(other) while both are alive"
        case .notContiguousOrUnused: return "model input/output must be contiguous and the output must be written"
        }
    }
}
