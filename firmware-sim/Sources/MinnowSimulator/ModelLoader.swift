import Foundation
import MinnowModel

/// Turns a `ModelSource` into a `LoadedModel`, with one-line errors.
public enum ModelLoader {
    public static func load(_ source: ModelSource, hooks: SimulatorHooks = .installed) throws(SimulatorError) -> LoadedModel {
        switch source {
        case let .builtin(name):
            guard let arch = BuiltinArchitectures.named(name) else { throw .unknownArchitecture(name) }
            return LoadedModel(architecture: arch, origin: "built-in architecture \(arch.name) (no weights)")
        case let .architectureFile(path):
            let data = try read(path)
            do {
                let arch = try ArchitectureJSON.decode(data)
                return LoadedModel(architecture: arch, origin: "architecture file \(path) (no weights)")
            } catch let error as ArchitectureJSON.FormatError {
                throw .malformedArchitecture(path: path, reason: error.description)
            } catch {
                throw .malformedArchitecture(path: path, reason: "\(error)")
            }
        case let .modelFile(path):
            guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path) }
            guard let reader = hooks.modelFileReader else { throw .modelFilesUnsupported(path) }
            do {
                return try reader(path)
            } catch let error as SimulatorError {
                throw error
            } catch {
                throw .malformedModel(path: path, reason: "\(error)")
            }
        }
    }

    /// `--arch VALUE`: a built-in name, else a file path.
    public static func architectureSource(_ value: String) -> ModelSource {
        if BuiltinArchitectures.named(value) != nil && !FileManager.default.fileExists(atPath: value) {
            return .builtin(value)
        }
        if value.hasSuffix(".json") || value.contains("/") || FileManager.default.fileExists(atPath: value) {
            return .architectureFile(value)
        }
        return .builtin(value)
    }

    static func read(_ path: String) throws(SimulatorError) -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .fileNotFound(path) }
        guard !isDirectory.boolValue else { throw .unreadableFile(path: path, reason: "it is a directory") }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
    }
}
