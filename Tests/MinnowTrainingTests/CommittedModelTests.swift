import Testing
import Foundation
import MinnowModel
@testable import MinnowTraining

/// The checkpoints committed under models/: they must load, match their
/// built-in architectures, and (when the data sets are installed) still reach
/// the accuracies docs/training.md reports.
@Suite struct CommittedModelTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("models")

    func check(_ file: String, architecture: Architecture, dataset: DatasetName, atLeast bar: Double) throws {
        let url = Self.models.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: url.path) else {
            Issue.record("missing committed checkpoint \(url.path)")
            return
        }
        let checkpoint = try Checkpoint.read(from: url)
        #expect(checkpoint.architecture == architecture)
        guard let test = try? Dataset.load(dataset, split: .test) else { return } // data set not installed: skip
        let accuracy = try FloatModel(checkpoint).accuracy(on: test)
        #expect(accuracy >= bar, "\(file): \(accuracy)")
    }

    @Test func lenet5Fashion() throws {
        try check("lenet5-fashion.ckpt", architecture: BuiltinArchitectures.lenet5, dataset: .fashionMNIST, atLeast: 0.9051)
    }

    @Test func inceptionLiteFashion() throws {
        try check("inception-lite-fashion.ckpt", architecture: BuiltinArchitectures.inceptionLite,
                  dataset: .fashionMNIST, atLeast: 0.9190)
        #expect(try ArchitectureAnalysis(BuiltinArchitectures.inceptionLite).parameters * 3 <= 61_706)
    }

    @Test func lenet5MNIST5k() throws {
        try check("lenet5-mnist5k.ckpt", architecture: BuiltinArchitectures.lenet5, dataset: .mnist5k, atLeast: 0.983)
    }
}
