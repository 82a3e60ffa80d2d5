import Foundation
import MinnowModel

/// Float inference of a checkpoint, for the exporter's calibration and its
/// float-accuracy baseline. Batch normalisation runs in inference mode
/// (running statistics), so the outputs equal those of the folded model.
///
/// Not thread-safe: one `FloatModel` runs one batch at a time (it uses two
/// threads internally).
public final class FloatModel {
    public let checkpoint: Checkpoint
    public let analysis: ArchitectureAnalysis
    let network: Network
    /// Images are processed internally in batches of at most this many.
    public static let internalBatch = 128

    public init(_ checkpoint: Checkpoint) throws {
        self.checkpoint = checkpoint
        network = try Network(checkpoint: checkpoint)
        analysis = network.analysis
    }

    /// Number of values in one image (height × width × channels of the architecture's input).
    public var inputSize: Int { network.architecture.input.elementCount }
    /// Number of values the model outputs per image (the last layer's output size).
    public var outputSize: Int { analysis.outputShape.elementCount }

    /// Runs `count` images through the model.
    ///
    /// - Parameters:
    ///   - images: `count × inputSize` floats, NHWC, pixel / 255 in [0, 1].
    ///   - observe: if given, called after every layer with its index in
    ///     `architecture.layers` and that layer's output for the current
    ///     internal batch (`batch × outputShape.elementCount` floats, NHWC,
    ///     after the fused activation and inference-mode batch norm). Images
    ///     go through in internal batches of up to `internalBatch`, so the
    ///     closure is called once per layer per internal batch, layers in
    ///     order within a batch. The buffer is only valid during the call.
    /// - Returns: the last layer's outputs, `count × outputSize` floats
    ///   (the logits, or probabilities if the architecture ends in softmax).
    public func forward(_ images: [Float], count: Int,
                        observe: ((_ layerIndex: Int, _ values: UnsafeBufferPointer<Float>) -> Void)? = nil) -> [Float] {
        precondition(count >= 0 && images.count >= count * inputSize,
                     "FloatModel.forward: \(images.count) floats for \(count) images of \(inputSize)")
        var result = [Float](repeating: 0, count: count * outputSize)
        let last = network.plans.count - 1
        images.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                for start in stride(from: 0, to: count, by: FloatModel.internalBatch) {
                    let n = min(FloatModel.internalBatch, count - start)
                    network.setInput(src.baseAddress! + start * inputSize, count: n)
                    network.forward(training: false, observe: observe)
                    (dst.baseAddress! + start * outputSize).update(from: network.outputs[last].pointer, count: n * outputSize)
                }
            }
        }
        return result
    }

    /// `forward`, but a wrong image count or buffer size is a thrown
    /// `NetworkError` instead of a precondition failure.
    public func run(_ images: [Float], count: Int,
                    observe: ((_ layerIndex: Int, _ values: UnsafeBufferPointer<Float>) -> Void)? = nil) throws -> [Float] {
        guard count >= 0, images.count == count * inputSize else {
            throw NetworkError.shape("expected \(count) images of \(inputSize) floats (\(network.architecture.input)), got \(images.count) floats")
        }
        return forward(images, count: count, observe: observe)
    }

    /// The predicted class (argmax of the outputs) of each image.
    public func predict(_ images: [Float], count: Int) -> [Int] {
        let out = forward(images, count: count)
        return (0..<count).map { s in
            var best = 0
            for c in 1..<outputSize where out[s * outputSize + c] > out[s * outputSize + best] { best = c }
            return best
        }
    }

    /// Fraction of `data` classified correctly.
    public func accuracy(on data: Dataset) -> Double {
        let p = predict(data.images, count: data.count)
        return data.count == 0 ? 0 : Double(zip(p, data.labels).filter { $0 == $1 }.count) / Double(data.count)
    }
}
