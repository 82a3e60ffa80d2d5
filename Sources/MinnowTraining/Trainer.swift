import Foundation
import MinnowModel

/// Hyper-parameters of a training run. Every random choice derives from `seed`.
public struct TrainingOptions: Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: OptimizerKind
    /// Peak learning rate; nil means the optimiser's default.
    public var learningRate: Float?
    public var seed: UInt64
    /// Cosine decay of the learning rate from the peak to 5% of it over the
    /// run (per batch). Off gives a constant rate.
    public var cosineDecay: Bool
    /// Data augmentation: each training image is shifted by a random whole
    /// number of pixels in −shift...shift on each axis (zero fill). 0 = off.
    public var shift: Int

    public init(epochs: Int, batchSize: Int = 64, optimizer: OptimizerKind = .adam, learningRate: Float? = nil,
                seed: UInt64 = 1, cosineDecay: Bool = true, shift: Int = 0) {
        self.shift = shift
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.seed = seed
        self.cosineDecay = cosineDecay
    }

    public var effectiveLearningRate: Float { learningRate ?? optimizer.defaultLearningRate }
}

/// One epoch's figures.
public struct EpochReport: Sendable {
    public var epoch: Int
    /// Mean training cross-entropy over the epoch's batches (as they were trained).
    public var loss: Double
    /// Training accuracy measured on the fly during the epoch.
    public var trainAccuracy: Double
    /// Accuracy on the test split with batch norm in inference mode.
    public var testAccuracy: Double
    public var seconds: Double
    public var imagesPerSecond: Double
}

/// Progress within an epoch, for progress bars.
public struct BatchProgress: Sendable {
    public var epoch: Int
    public var epochs: Int
    public var imagesDone: Int
    public var imagesTotal: Int
    public var runningLoss: Double
    public var imagesPerSecond: Double
}

/// Mini-batch training of a `Network` with softmax cross-entropy.
public final class Trainer {
    public let network: Network
    public let options: TrainingOptions
    let optimizer: Optimizer
    var rng: SeededGenerator

    /// A fresh network for `architecture`, He-initialised from `options.seed`.
    public init(architecture: Architecture, options: TrainingOptions) throws {
        guard options.epochs >= 1 else { throw NetworkError.shape("epochs must be at least 1") }
        guard options.batchSize >= 1 else { throw NetworkError.shape("batch size must be at least 1") }
        network = try Network(architecture: architecture, seed: options.seed)
        self.options = options
        optimizer = Optimizer(kind: options.optimizer, count: network.trainableCount)
        // A separate stream for batch order, so it does not depend on the weight count.
        rng = SeededGenerator(seed: options.seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// Checks that the data set fits the network's input and output.
    public func check(_ data: Dataset) throws {
        let input = network.architecture.input
        guard input.height == data.height, input.width == data.width, input.channels == 1 else {
            throw NetworkError.shape("the architecture takes \(input) inputs, \(data.name) has \(data.height)x\(data.width)x1 images")
        }
        guard network.classCount == data.classCount else {
            throw NetworkError.shape("the architecture outputs \(network.classCount) values, \(data.name) has \(data.classCount) classes")
        }
    }

    /// Trains for `options.epochs` epochs, evaluating on `test` after each.
    public func train(_ train: Dataset, test: Dataset,
                      progress: ((BatchProgress) -> Void)? = nil,
                      epochEnd: ((EpochReport) -> Void)? = nil) throws -> [EpochReport] {
        try check(train)
        try check(test)
        let B = options.batchSize
        let imageSize = train.imageSize
        network.reserve(batch: B)
        var batchImages = [Float](repeating: 0, count: B * imageSize)
        var batchLabels = [Int32](repeating: 0, count: B)
        let batchesPerEpoch = (train.count + B - 1) / B
        let totalSteps = batchesPerEpoch * options.epochs
        let peak = options.effectiveLearningRate
        var reports: [EpochReport] = []
        var step = 0
        for epoch in 1...options.epochs {
            let start = Date()
            let order = rng.permutation(train.count)
            var lossSum = 0.0
            var correct = 0
            var seen = 0
            var lastReport = Date()
            for batchStart in stride(from: 0, to: train.count, by: B) {
                let n = min(B, train.count - batchStart)
                train.images.withUnsafeBufferPointer { src in
                    batchImages.withUnsafeMutableBufferPointer { dst in
                        for i in 0..<n {
                            let from = order[batchStart + i] * imageSize
                            (dst.baseAddress! + i * imageSize).update(from: src.baseAddress! + from, count: imageSize)
                        }
                    }
                }
                for i in 0..<n { batchLabels[i] = Int32(train.labels[order[batchStart + i]]) }
                if options.shift > 0 {
                    for i in 0..<n {
                        let dy = rng.nextInt(below: 2 * options.shift + 1) - options.shift
                        let dx = rng.nextInt(below: 2 * options.shift + 1) - options.shift
                        shiftImage(&batchImages, offset: i * imageSize, height: train.height, width: train.width, dy: dy, dx: dx)
                    }
                }
                batchImages.withUnsafeBufferPointer { network.setInput($0.baseAddress!, count: n) }
                network.forward(training: true)
                let (loss, right) = batchLabels.withUnsafeBufferPointer { network.softmaxCrossEntropy(labels: $0.baseAddress!) }
                network.backward()
                var lr = peak
                if options.cosineDecay {
                    let t = Double(step) / Double(max(totalSteps, 1))
                    lr = peak * Float(0.05 + 0.95 * 0.5 * (1 + cos(Double.pi * t)))
                }
                optimizer.update(params: network.params.pointer, grad: network.grad.pointer,
                                 count: network.trainableCount, lr: lr)
                step += 1
                lossSum += loss
                correct += right
                seen += n
                if let progress, Date().timeIntervalSince(lastReport) > 0.25 || seen == train.count {
                    lastReport = Date()
                    let elapsed = Date().timeIntervalSince(start)
                    progress(BatchProgress(epoch: epoch, epochs: options.epochs, imagesDone: seen, imagesTotal: train.count,
                                           runningLoss: lossSum / Double(seen),
                                           imagesPerSecond: Double(seen) / max(elapsed, 1e-9)))
                }
            }
            let trainSeconds = Date().timeIntervalSince(start)
            let testAccuracy = evaluate(network, test)
            let report = EpochReport(epoch: epoch, loss: lossSum / Double(train.count),
                                     trainAccuracy: Double(correct) / Double(train.count),
                                     testAccuracy: testAccuracy, seconds: trainSeconds,
                                     imagesPerSecond: Double(train.count) / max(trainSeconds, 1e-9))
            reports.append(report)
            epochEnd?(report)
        }
        return reports
    }
}

/// Fraction of `data` the network classifies correctly (batch norm in
/// inference mode), in batches of 256.
public func evaluate(_ network: Network, _ data: Dataset) -> Double {
    let predictions = predict(network, data.images, count: data.count)
    var correct = 0
    for (p, l) in zip(predictions, data.labels) where p == l { correct += 1 }
    return data.count == 0 ? 0 : Double(correct) / Double(data.count)
}

/// The argmax class of each image.
func predict(_ network: Network, _ images: [Float], count: Int) -> [Int] {
    var result: [Int] = []
    result.reserveCapacity(count)
    let size = network.architecture.input.elementCount
    let C = network.classCount
    let chunk = 256
    images.withUnsafeBufferPointer { src in
        for start in stride(from: 0, to: count, by: chunk) {
            let n = min(chunk, count - start)
            network.setInput(src.baseAddress! + start * size, count: n)
            network.forward(training: false)
            let logits = network.outputs[network.logitsLayer].pointer
            for s in 0..<n {
                var best = 0
                for c in 1..<C where logits[s * C + c] > logits[s * C + best] { best = c }
                result.append(best)
            }
        }
    }
    return result
}

/// Shifts one single-channel image in place by (dy, dx) pixels, filling with 0.
func shiftImage(_ images: inout [Float], offset: Int, height: Int, width: Int, dy: Int, dx: Int) {
    if dy == 0 && dx == 0 { return }
    let source = Array(images[offset..<offset + height * width])
    for y in 0..<height {
        for x in 0..<width {
            let sy = y - dy, sx = x - dx
            images[offset + y * width + x] = (sy >= 0 && sy < height && sx >= 0 && sx < width) ? source[sy * width + sx] : 0
        }
    }
}
