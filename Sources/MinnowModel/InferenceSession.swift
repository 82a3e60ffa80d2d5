import Foundation
import MinnowCore

/// A host-side owner of a model's bytes and its arena, for Swift programs
/// that want the engine without managing memory:
///
///     let session = try InferenceSession(contentsOf: url)
///     print(session.model.arenaBytes)            // planned before any run
///     let label = try session.predict(pixels)    // pixels: [Float], quantized for you
///
/// The bytes are copied once into 16-byte aligned memory, and the weights
/// are packed once for the fastest host kernels (`PackedWeights`; pass
/// `packWeights: false` to run them in place, as a microcontroller does);
/// `predict` and `run` allocate nothing beyond their returned arrays.
public final class InferenceSession {
    public let model: Model
    public private(set) var engine: Engine
    private let modelStorage: UnsafeMutableRawBufferPointer
    private let arenaStorage: UnsafeMutableRawBufferPointer
    private let packedStorage: UnsafeMutableRawBufferPointer?

    /// Loads model bytes; the arena is exactly `model.arenaBytes` unless `arenaBytes` says otherwise
    /// (a smaller arena fails with the bytes needed).
    public init(modelBytes: [UInt8], arenaBytes: Int? = nil, kernels: KernelSet = .optimized,
                packWeights: Bool = true) throws {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(modelBytes.count, 1), alignment: 16)
        storage.copyBytes(from: modelBytes)
        let view = UnsafeRawBufferPointer(rebasing: storage[0..<modelBytes.count])
        let model: Model
        do {
            model = try Model(bytes: view)
        } catch {
            storage.deallocate()
            throw error
        }
        let size = arenaBytes ?? model.arenaBytes
        let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 16)
        arena.initializeMemory(as: UInt8.self, repeating: 0)
        let packedBytes = packWeights ? PackedWeights.bytes(for: model) : 0
        let packed = packedBytes > 0 ? UnsafeMutableRawBufferPointer.allocate(byteCount: packedBytes, alignment: 16) : nil
        do {
            engine = try Engine(model: model, arena: UnsafeMutableRawBufferPointer(rebasing: arena[0..<size]),
                                kernels: kernels, packedWeights: packed)
        } catch {
            storage.deallocate()
            arena.deallocate()
            packed?.deallocate()
            throw error
        }
        self.model = model
        modelStorage = storage
        arenaStorage = arena
        packedStorage = packed
    }

    /// Reads a model file.
    public convenience init(contentsOf url: URL, arenaBytes: Int? = nil, kernels: KernelSet = .optimized,
                            packWeights: Bool = true) throws {
        try self.init(modelBytes: [UInt8](try Data(contentsOf: url)), arenaBytes: arenaBytes, kernels: kernels,
                      packWeights: packWeights)
    }

    deinit {
        modelStorage.deallocate()
        arenaStorage.deallocate()
        packedStorage?.deallocate()
    }

    /// Chooses reference or optimized kernels.
    public var kernels: KernelSet {
        get { engine.kernels }
        set { engine.kernels = newValue }
    }

    /// Quantizes `input`, runs the model, returns the class with the largest output.
    public func predict(_ input: [Float]) throws -> Int {
        try input.withUnsafeBufferPointer { try engine.setInput(quantizing: $0) }
        engine.invoke()
        return engine.argmax()
    }

    /// Runs an int8 input and returns the int8 output.
    public func run(_ input: [Int8]) throws -> [Int8] {
        try input.withUnsafeBufferPointer { try engine.setInput($0) }
        engine.invoke()
        return Array(engine.outputBuffer)
    }

    /// The dequantized output of the last run.
    public var outputValues: [Float] {
        (0..<engine.outputBuffer.count).map { engine.outputValue($0) }
    }
}
