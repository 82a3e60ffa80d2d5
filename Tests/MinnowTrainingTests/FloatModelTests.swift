import Testing
import Foundation
import MinnowCore
import MinnowModel
@testable import MinnowTraining

/// The worked examples of DESIGN.md run through the float model, so the
/// trainer's geometry matches the engine's.
@Suite struct FloatModelTests {
    let map6: [Float] = [4, 9, 2, 5, 8, 3, 5, 6, 2, 4, 0, 3, 2, 4, 5, 4, 5, 2,
                         5, 6, 5, 4, 7, 8, 5, 7, 7, 9, 2, 1, 5, 8, 5, 3, 8, 4]
    let edge: [Float] = [1, 0, -1, 1, 0, -1, 1, 0, -1]

    func model(_ input: TensorShape, _ layers: [Layer], _ parameters: [String: LayerParameters]) throws -> FloatModel {
        let arch = Architecture(name: "example", input: input, layers: layers)
        return try FloatModel(try Checkpoint(architecture: arch, parameters: parameters))
    }

    @Test func verticalEdgeFilterValidAndSame() throws {
        let valid = try model(TensorShape(height: 6, width: 6, channels: 1),
                              [Layer("c", .convolution(Convolution(filters: 1, kernel: .square(3))))],
                              ["c": LayerParameters(weights: edge, bias: [0])])
        #expect(valid.forward(map6, count: 1) == [2, 6, -4, 5, 0, 4, 0, -1, -5, 0, 3, 6, -2, 5, 0, 3])
        let same = try model(TensorShape(height: 6, width: 6, channels: 1),
                             [Layer("c", .convolution(Convolution(filters: 1, kernel: .square(3), padding: .same)))],
                             ["c": LayerParameters(weights: edge, bias: [0])])
        let out = same.forward(map6, count: 1)
        #expect(out.count == 36)
        #expect(Array(out.prefix(6)) == [-15, 5, 6, -4, 3, 8])
    }

    @Test func threeChannelExampleGivesMinus25() throws {
        // The top-left output of the RGB example: one filter per channel, summed, bias 1.
        let k1: [Float] = [-1, -1, 1, 0, 1, -1, 0, 1, 1]
        let k2: [Float] = [1, 0, 0, 1, -1, -1, 1, 0, -1]
        let k3: [Float] = [0, 1, 1, 0, 1, 0, 1, -1, 1]
        var weights = [Float](repeating: 0, count: 27) // OHWI: [1][3][3][3]
        for t in 0..<9 { weights[t * 3] = k1[t]; weights[t * 3 + 1] = k2[t]; weights[t * 3 + 2] = k3[t] }
        let r: [Float] = [156, 155, 153, 154], g: [Float] = [167, 166, 164, 165], b: [Float] = [163, 162, 160, 161]
        var image = [Float](repeating: 0, count: 2 * 2 * 3)
        for i in 0..<4 { image[i * 3] = r[i]; image[i * 3 + 1] = g[i]; image[i * 3 + 2] = b[i] }
        let m = try model(TensorShape(height: 2, width: 2, channels: 3),
                          [Layer("c", .convolution(Convolution(filters: 1, kernel: .square(3), padding: .symmetric(1))))],
                          ["c": LayerParameters(weights: weights, bias: [1])])
        #expect(m.forward(image, count: 1)[0] == -25)
    }

    @Test func poolingExamples() throws {
        let map: [Float] = [13, 10, 1, 24, 7, 8, 5, 4, 21, 11, 5, 9, 3, 19, 34, 7]
        func pool(_ kind: PoolKind) throws -> [Float] {
            try model(TensorShape(height: 4, width: 4, channels: 1),
                      [Layer("p", .pooling(Pooling(kind: kind, size: .square(2), stride: .square(2))))], [:])
                .forward(map, count: 1)
        }
        #expect(try pool(.max) == [13, 24, 21, 34])
        #expect(try pool(.average) == [9.5, 8.5, 13.5, 13.75])
        #expect(try pool(.min) == [7, 1, 3, 5])
        // "same" 3×3 average pooling averages only the in-bounds taps: the corner has 4.
        let same = try model(TensorShape(height: 4, width: 4, channels: 1),
                             [Layer("p", .pooling(Pooling(kind: .average, size: .square(3), stride: .square(1), padding: .same)))], [:])
        #expect(same.forward(map, count: 1)[0] == Float(13 + 10 + 7 + 8) / 4)
    }

    @Test func denseFlattensInNHWCOrder() throws {
        // 1×2×2 input: the dense weight index is (y·W + x)·C + c.
        let m = try model(TensorShape(height: 1, width: 2, channels: 2),
                          [Layer("d", .dense(Dense(units: 1)))],
                          ["d": LayerParameters(weights: [1, 10, 100, 1000], bias: [0.5])])
        // pixels (x=0: c0=1, c1=2), (x=1: c0=3, c1=4)
        #expect(m.forward([1, 2, 3, 4], count: 1) == [4321.5])
    }

    @Test func forwardSplitsLargeBatchesConsistently() throws {
        let network = try Network(architecture: smallArchitecture, seed: 11)
        let m = try FloatModel(try network.checkpoint())
        var rng = SeededGenerator(seed: 1)
        let count = FloatModel.internalBatch + 5
        let images = (0..<(count * 64)).map { _ in Float(rng.nextUnit()) }
        let all = m.forward(images, count: count)
        let one = m.forward(Array(images[(count - 1) * 64..<count * 64]), count: 1)
        #expect(Array(all.suffix(10)) == one)
        #expect(throws: NetworkError.self) { try m.run([0, 1], count: 1) }
        #expect(try m.run(images, count: count) == all)
        var calls = [Int](repeating: 0, count: 4)
        _ = m.forward(images, count: count) { index, _ in calls[index] += 1 }
        #expect(calls == [2, 2, 2, 2])
    }
}
