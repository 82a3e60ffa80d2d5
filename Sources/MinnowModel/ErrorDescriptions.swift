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
        }
    }
}

private func hex(_ v: UInt32) -> String {
    "0x" + String(v, radix: 16, uppercase: true)
}
