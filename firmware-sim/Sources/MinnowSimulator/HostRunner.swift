import Dispatch
import Foundation
import MinnowCore
import MinnowModel

/// A real int8 run of a model file on this host, in an arena of exactly the
/// model's planned size (after checking it fits the board's budget): every
/// layer is invoked on its own and timed, over `images` inputs.
///
/// Inputs are synthetic (a fixed pseudo-random int8 sequence), so the run
/// measures time and proves the arena is enough, but has no accuracy; a
/// runner with a labelled test set replaces this one through
/// `SimulatorHooks.modelRunner`.
public enum HostRunner {
    public static let defaultImages = 100

    public static func run(_ request: RunRequest) throws(SimulatorError) -> MeasuredRun {
        guard let path = request.model.path else { throw .runFailed("no model file to run") }
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try ModelLoader.read(path))
        }
        let session: InferenceSession
        do {
            session = try InferenceSession(modelBytes: bytes)
        } catch {
            throw .runFailed("\(error)")
        }
        let arena = session.model.arenaBytes
        guard arena <= request.arenaBudgetBytes else {
            throw .arenaTooLarge(needed: arena, budget: request.arenaBudgetBytes, board: request.board.id)
        }
        let images = request.images ?? defaultImages
        let layerCount = session.model.layerCount
        let inputCount = session.engine.inputBuffer.count
        var perLayer = [UInt64](repeating: 0, count: layerCount)
        var state: UInt32 = 0x9E37_79B9
        var input = [Int8](repeating: 0, count: inputCount)
        var total: UInt64 = 0
        for _ in 0..<images {
            for i in 0..<inputCount {
                state = state &* 1_664_525 &+ 1_013_904_223
                input[i] = Int8(truncatingIfNeeded: state >> 24)
            }
            do {
                try input.withUnsafeBufferPointer { try session.engine.setInput($0) }
            } catch {
                throw .runFailed("\(error)")
            }
            let start = DispatchTime.now().uptimeNanoseconds
            var last = start
            for layer in 0..<layerCount {
                session.engine.invokeLayer(layer)
                let now = DispatchTime.now().uptimeNanoseconds
                perLayer[layer] += now - last
                last = now
            }
            total += last - start
        }
        let n = Double(max(images, 1))
        #if arch(x86_64)
        let machine = "x86_64"
        #elseif arch(arm64)
        let machine = "arm64"
        #else
        let machine = "host"
        #endif
        return MeasuredRun(host: "this \(machine) host, 1 thread, synthetic inputs", images: images, accuracy: nil,
                           arenaBytesUsed: arena,
                           perLayerMicroseconds: perLayer.map { Double($0) / n / 1000 },
                           totalMicroseconds: Double(total) / n / 1000)
    }
}
