import Dispatch
import Foundation
import MinnowCore
import MinnowModel

/// A real int8 run of a model file on this host, in an arena of exactly the
/// model's planned size (after checking it fits the board's budget): every
/// layer is invoked on its own and timed.
///
/// With a test set (`RunRequest.testSet`) the images are real and labelled:
/// the run reports top-1 accuracy over `images` of them, spread evenly over the set. Without
/// one the inputs are synthetic (a fixed pseudo-random int8 sequence): time
/// and arena only. Another runner can replace this one through
/// `SimulatorHooks.modelRunner`.
public enum HostRunner {
    /// Images run when `--images` is not given.
    public static let defaultImages = 1000

    public static func run(_ request: RunRequest) throws(SimulatorError) -> MeasuredRun {
        guard let path = request.model.path else { throw .runFailed("no model file to run") }
        let bytes = [UInt8](try ModelLoader.read(path))
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
        let layerCount = session.model.layerCount
        let inputCount = session.engine.inputBuffer.count
        var testSet: TestSet?
        if let spec = request.testSet {
            let set = try TestSet.load(spec)
            guard set.imageSize == inputCount else {
                let shape = session.model.input.layout
                throw .runFailed("the \(set.name) images are \(set.height)x\(set.width)x\(set.channels), the model input is \(shape.height)x\(shape.width)x\(shape.channels)")
            }
            testSet = set
        }
        var images = request.images ?? defaultImages
        if let set = testSet { images = min(images, set.count) }
        // Images spread evenly over the set (test sets are often sorted by class).
        let setCount = testSet?.count ?? 1
        func sample(_ i: Int) -> Int { images >= setCount ? i : i * setCount / images }
        var perLayer = [UInt64](repeating: 0, count: layerCount)
        var state: UInt32 = 0x9E37_79B9
        var input = [Int8](repeating: 0, count: inputCount)
        var total: UInt64 = 0
        var correct = 0
        for index in 0..<images {
            do {
                if let set = testSet {
                    try set.image(sample(index)).withUnsafeBufferPointer { try session.engine.setInput(quantizing: $0) }
                } else {
                    for i in 0..<inputCount {
                        state = state &* 1_664_525 &+ 1_013_904_223
                        input[i] = Int8(truncatingIfNeeded: state >> 24)
                    }
                    try input.withUnsafeBufferPointer { try session.engine.setInput($0) }
                }
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
            if let set = testSet, session.engine.argmax() == Int(set.labels[sample(index)]) { correct += 1 }
        }
        let n = Double(max(images, 1))
        #if arch(x86_64)
        let machine = "x86_64"
        #elseif arch(arm64)
        let machine = "arm64"
        #else
        let machine = "host"
        #endif
        let inputs = testSet.map { "\($0.name) (\(ByteSize.grouped(images)) of \(ByteSize.grouped($0.count)))" } ?? "synthetic inputs"
        return MeasuredRun(host: "this \(machine) host, 1 thread, \(inputs)", images: images,
                           accuracy: testSet == nil ? nil : Double(correct) / n,
                           arenaBytesUsed: arena,
                           perLayerMicroseconds: perLayer.map { Double($0) / n / 1000 },
                           totalMicroseconds: Double(total) / n / 1000)
    }
}
