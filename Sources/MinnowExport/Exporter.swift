import Foundation
import MinnowCore
import MinnowModel
import MinnowTraining

/// Post-training quantization of a float checkpoint into the engine's int8
/// model file, with an honest float-vs-int8 report.
///
/// Calibration (docs/quantization.md): the float model (batch norm in
/// inference mode, i.e. folded) runs on `calibrationImages` training images
/// chosen by a fixed seed; each layer's output range is the min/max it
/// reaches. Weights are symmetric per output channel; the input uses the
/// exact pixel grid (scale 1/255, zero point −128).
public struct Exporter {
    public struct Options: Sendable {
        /// Training images used to calibrate activation ranges.
        public var calibrationImages = 2000
        /// Seed choosing the calibration images.
        public var seed: UInt64 = 1
        /// Test images evaluated (nil: the whole test split).
        public var testImages: Int?
        /// Test images embedded in the C array.
        public var cArrayImages = 16
        /// Threads for evaluation.
        public var threads = 2
        /// How activation ranges are chosen from the calibration outputs.
        public var calibration: CalibrationMethod = .mse

        public init() {}
    }

    public struct Report: Sendable {
        public var floatAccuracy: Double
        public var int8Accuracy: Double
        public var agreement: Double
        public var modelBytes: Int
        public var parameters: Int
        public var arenaBytes: Int
        public var arenaLowerBoundBytes: Int
        public var testImages: Int
        public var calibrationImages: Int
        public var dataset: String
        public var multiplyAdds: Int

        public var json: [String: Any] {
            ["float_accuracy": floatAccuracy, "int8_accuracy": int8Accuracy, "agreement": agreement,
             "model_bytes": modelBytes, "parameters": parameters, "arena_bytes": arenaBytes,
             "arena_lower_bound_bytes": arenaLowerBoundBytes, "test_images": testImages,
             "calibration_images": calibrationImages, "dataset": dataset, "macs": multiplyAdds]
        }
    }

    /// How a layer's activation range is chosen.
    public enum CalibrationMethod: String, Sendable, CaseIterable {
        /// The minimum and maximum seen.
        case minmax
        /// For non-negative (post-ReLU) layers other than the output: the upper
        /// clip that minimises the expected squared quantization error over a
        /// 2,048-bin histogram (rounding error step²/12 below the clip,
        /// squared saturation error above it); other layers keep min/max.
        case mse
    }

    public struct ExportError: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public let checkpoint: Checkpoint
    public let options: Options
    public let floatModel: FloatModel

    public init(checkpoint: Checkpoint, options: Options = Options()) throws {
        self.checkpoint = checkpoint
        self.options = options
        do {
            floatModel = try FloatModel(checkpoint)
        } catch {
            throw ExportError("cannot build the float model: \(error)")
        }
    }

    /// The data set the checkpoint was trained on (its metadata), or nil.
    public var trainedDataset: DatasetName? {
        checkpoint.metadata["dataset"].flatMap(DatasetName.init(rawValue:))
    }

    /// Per-layer activation ranges of the float outputs over `images`
    /// (count × input size), by `options.calibration`.
    public func calibrate(_ images: [Float], count: Int) -> [String: (min: Float, max: Float)] {
        let layers = floatModel.analysis.layers
        var low = [Float](repeating: .infinity, count: layers.count)
        var high = [Float](repeating: -.infinity, count: layers.count)
        _ = floatModel.forward(images, count: count) { layer, values in
            var lo = low[layer], hi = high[layer]
            for v in values {
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            }
            low[layer] = lo
            high[layer] = hi
        }
        var ranges: [String: (min: Float, max: Float)] = [Architecture.inputName: (0, 1)]
        for (i, layer) in layers.enumerated() { ranges[layer.name] = (low[i], high[i]) }
        guard options.calibration == .mse else { return ranges }

        // Second pass: histograms of the non-negative layers over [0, max].
        let bins = 2048
        let clipped = layers.indices.filter { low[$0] >= 0 && high[$0] > 0 && $0 != layers.count - 1 }
        var histograms = [[Double]](repeating: [], count: layers.count)
        for i in clipped { histograms[i] = [Double](repeating: 0, count: bins) }
        _ = floatModel.forward(images, count: count) { layer, values in
            guard !histograms[layer].isEmpty else { return }
            let scale = Float(bins) / high[layer]
            histograms[layer].withUnsafeMutableBufferPointer { h in
                for v in values { h[Swift.min(bins - 1, Int(v * scale))] += 1 }
            }
        }
        for i in clipped {
            let width = Double(high[i]) / Double(bins)
            let h = histograms[i]
            var best = (error: Double.infinity, clip: Double(high[i]))
            for k in stride(from: 64, through: bins, by: 8) {
                let clip = Double(k) * width
                let step = clip / 255
                var error = 0.0
                for b in 0..<bins {
                    guard h[b] > 0 else { continue }
                    let center = (Double(b) + 0.5) * width
                    error += h[b] * (center < clip ? step * step / 12 : (center - clip) * (center - clip))
                }
                if error < best.error { best = (error, clip) }
            }
            ranges[layers[i].name] = (low[i], Float(best.clip))
        }
        return ranges
    }

    /// `count` calibration images drawn from `train` with the options' seed.
    public func calibrationSet(from train: Dataset) -> (images: [Float], count: Int) {
        let n = Swift.min(options.calibrationImages, train.count)
        var rng = SeededGenerator(seed: options.seed)
        let order = rng.permutation(train.count)
        let size = train.imageSize
        var images = [Float]()
        images.reserveCapacity(n * size)
        for i in order.prefix(n) {
            images += train.images[(i * size)..<((i + 1) * size)]
        }
        return (images, n)
    }

    /// Quantizes the checkpoint with ranges from `calibration`.
    public func quantize(calibration: (images: [Float], count: Int)) throws -> QuantizedModel {
        let ranges = calibrate(calibration.images, count: calibration.count)
        let folded = checkpoint.foldedParameters().mapValues {
            Int8Converter.FloatParameters(weights: $0.weights, bias: $0.bias)
        }
        do {
            return try Int8Converter.convert(checkpoint.architecture, parameters: folded, ranges: ranges)
        } catch let error as Int8Converter.ConversionError {
            throw ExportError(error.description)
        }
    }

    /// Float and int8 predictions on `test`, the int8 ones through the real engine
    /// (model bytes in place, one arena per thread).
    public func evaluate(modelBytes: [UInt8], on test: Dataset) throws -> Report {
        let count = Swift.min(options.testImages ?? test.count, test.count)
        let size = test.imageSize
        let floatPredictions = floatModel.predict(Array(test.images[0..<(count * size)]), count: count)
        let threads = Swift.max(1, Swift.min(options.threads, count))
        let sessions = try (0..<threads).map { _ in try InferenceSession(modelBytes: modelBytes) }
        var int8Predictions = [Int](repeating: -1, count: count)
        let chunk = (count + threads - 1) / threads
        var failure: Error?
        let lock = NSLock()
        int8Predictions.withUnsafeMutableBufferPointer { out in
            let out = out
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let session = sessions[t]
                let start = t * chunk, end = Swift.min(count, start + chunk)
                guard start < end else { return }
                for i in start..<end {
                    do {
                        out[i] = try session.predict(Array(test.images[(i * size)..<((i + 1) * size)]))
                    } catch {
                        lock.lock(); failure = error; lock.unlock()
                        return
                    }
                }
            }
        }
        if let failure { throw failure }
        var floatCorrect = 0, int8Correct = 0, agree = 0
        for i in 0..<count {
            if floatPredictions[i] == test.labels[i] { floatCorrect += 1 }
            if int8Predictions[i] == test.labels[i] { int8Correct += 1 }
            if floatPredictions[i] == int8Predictions[i] { agree += 1 }
        }
        // Read the model while its session (which owns the bytes) is certainly alive.
        let (arenaBytes, macs) = withExtendedLifetime(sessions) {
            (sessions[0].model.arenaBytes, sessions[0].model.totalMultiplyAdds)
        }
        let plan = try ArchitectureAnalysis(checkpoint.architecture)
        return Report(
            floatAccuracy: Double(floatCorrect) / Double(count),
            int8Accuracy: Double(int8Correct) / Double(count),
            agreement: Double(agree) / Double(count),
            modelBytes: modelBytes.count, parameters: plan.parameters,
            arenaBytes: arenaBytes, arenaLowerBoundBytes: 0,
            testImages: count, calibrationImages: Swift.min(options.calibrationImages, Int.max),
            dataset: test.name, multiplyAdds: macs)
    }

    /// The first `options.cArrayImages` test images, quantized, with labels and engine outputs.
    public func testVectors(modelBytes: [UInt8], test: Dataset) throws -> CArrayWriter.TestSet {
        let session = try InferenceSession(modelBytes: modelBytes)
        let n = Swift.min(options.cArrayImages, test.count)
        let size = test.imageSize
        let input = session.model.input
        var inputs: [[Int8]] = [], outputs: [[Int8]] = []
        for i in 0..<n {
            let q = test.images[(i * size)..<((i + 1) * size)].map {
                quantizeToInt8($0, scale: input.scale, zeroPoint: input.zeroPoint)
            }
            inputs.append(q)
            outputs.append(try session.run(q))
        }
        return CArrayWriter.TestSet(inputs: inputs, labels: Array(test.labels.prefix(n)), outputs: outputs)
    }
}
