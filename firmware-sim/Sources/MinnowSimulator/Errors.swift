import MinnowModel

/// Every way `firmware-sim` can fail: one line each, naming what was wrong.
public enum SimulatorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A bad flag, missing value or stray argument (exit status 2).
    case usage(String)
    case unknownBoard(String)
    case unknownArchitecture(String)
    case fileNotFound(String)
    case unreadableFile(path: String, reason: String)
    case malformedArchitecture(path: String, reason: String)
    case invalidArchitecture(name: String, reason: String)
    /// A model file was named but no model-file reader is available yet.
    case modelFilesUnsupported(String)
    case malformedModel(path: String, reason: String)
    /// The real run was refused: the arena does not fit the board's budget.
    case arenaTooLarge(needed: Int, budget: Int, board: String)
    case runFailed(String)
    /// `--qemu` cannot run: the ARM toolchain, QEMU or profile.sh is missing.
    case qemuUnavailable(String)
    /// `--qemu` ran but the firmware build, the run or its output failed.
    case qemuFailed(String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .usage(message):
            return message
        case let .unknownBoard(name):
            return "unknown board '\(name)' (known: \(BoardCatalogue.all.map(\.id).joined(separator: ", ")); or give --flash and --ram)"
        case let .unknownArchitecture(name):
            return "unknown architecture '\(name)': not a built-in (\(BuiltinArchitectures.names.joined(separator: ", "))) and no file of that name"
        case let .fileNotFound(path):
            return "no such file: \(path)"
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        case let .malformedArchitecture(path, reason):
            return "malformed architecture \(path): \(reason)"
        case let .invalidArchitecture(name, reason):
            return "invalid architecture '\(name)': \(reason)"
        case let .modelFilesUnsupported(path):
            return "cannot read model file \(path): this build has no model-file reader yet; analyse the architecture with --arch NAME|FILE.json"
        case let .malformedModel(path, reason):
            return "malformed model file \(path): \(reason)"
        case let .arenaTooLarge(needed, budget, board):
            return "refusing to run: the arena needs \(ByteSize.grouped(needed)) bytes but \(board) leaves \(ByteSize.grouped(budget)) bytes for it (RAM minus the runtime reserve)"
        case let .runFailed(reason):
            return "the int8 run failed: \(reason)"
        case let .qemuUnavailable(reason):
            return "--qemu: \(reason)"
        case let .qemuFailed(reason):
            return "--qemu: \(reason)"
        case let .writeFailed(path, reason):
            return "cannot write \(path): \(reason)"
        }
    }

    /// The process exit status for this error: 2 for usage errors, 1 otherwise.
    public var exitStatus: Int32 {
        switch self {
        case .usage, .unknownBoard: return 2
        default: return 1
        }
    }
}
