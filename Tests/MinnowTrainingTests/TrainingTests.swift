import Testing
import Foundation
import MinnowCore
import MinnowModel
@testable import MinnowTraining

/// A synthetic 8×8 data set: class k is a bright bar at row k (10 classes
/// using rows 0-7 and two column bars), plus noise.
func syntheticDataset(count: Int, seed: UInt64) -> Dataset {
    var rng = SeededGenerator(seed: seed)
    var images = [Float](repeating: 0, count: count * 64)
    var labels = [Int]()
    for s in 0..<count {
        let label = rng.nextInt(below: 10)
        labels.append(label)
        for i in 0..<64 { images[s * 64 + i] = Float(rng.nextUnit() * 0.3) }
        for t in 0..<8 {
            let i = label < 8 ? label * 8 + t : t * 8 + (label == 8 ? 1 : 6)
            images[s * 64 + i] = 1
        }
    }
    return Dataset(name: "synthetic", images: images, labels: labels, height: 8, width: 8)
}

@Suite struct TrainingTests {
    func run(seed: UInt64, optimizer: OptimizerKind = .adam, epochs: Int = 2) throws -> (Checkpoint, [EpochReport]) {
        let trainer = try Trainer(architecture: smallArchitecture,
                                  options: TrainingOptions(epochs: epochs, batchSize: 16, optimizer: optimizer,
                                                           learningRate: optimizer == .adam ? 0.01 : 0.02, seed: seed))
        let reports = try trainer.train(syntheticDataset(count: 300, seed: 1), test: syntheticDataset(count: 100, seed: 2))
        return (try trainer.network.checkpoint(metadata: ["seed": String(seed)]), reports)
    }

    @Test func sameSeedGivesTheSameCheckpointBytes() throws {
        let (a, _) = try run(seed: 42)
        let (b, _) = try run(seed: 42)
        let (c, _) = try run(seed: 43)
        #expect(a.encoded() == b.encoded())
        #expect(a.parameters != c.parameters)
    }

    @Test func bothOptimisersLearnASeparableTask() throws {
        for optimizer in OptimizerKind.allCases {
            let (_, reports) = try run(seed: 1, optimizer: optimizer, epochs: 5)
            #expect(reports.count == 5)
            #expect(reports[4].loss < reports[0].loss, "\(optimizer)")
            #expect(reports[4].testAccuracy > 0.9, "\(optimizer): \(reports.map(\.testAccuracy))")
        }
    }

    @Test func heInitialisationHasTheRightScale() throws {
        let arch = Architecture(name: "wide", input: TensorShape(height: 1, width: 1, channels: 800), layers: [
            Layer("d", .dense(Dense(units: 50))),
        ])
        let network = try Network(architecture: arch, seed: 9)
        let w = network.params.array(count: 800 * 50)
        let mean = w.reduce(0, +) / Float(w.count)
        let variance = w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(w.count)
        #expect(abs(mean) < 0.005)
        #expect(abs(variance - 2.0 / 800) < 0.1 * 2.0 / 800)
        #expect(network.params.array(offset: 800 * 50, count: 50).allSatisfy { $0 == 0 })
    }

    @Test func mismatchedDataIsAnErrorNotATrap() throws {
        let trainer = try Trainer(architecture: BuiltinArchitectures.lenet5, options: TrainingOptions(epochs: 1))
        #expect(throws: NetworkError.self) { try trainer.check(syntheticDataset(count: 4, seed: 1)) }
        #expect(throws: NetworkError.self) { try Trainer(architecture: smallArchitecture, options: TrainingOptions(epochs: 0)) }
    }

    @Test func trainingCurveIsAnSVG() throws {
        let (_, reports) = try run(seed: 5)
        let svg = trainingCurveSVG(reports, title: "a < b")
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("a &lt; b"))
        #expect(svg.contains("<polyline"))
    }
}
