import Testing
@testable import MinnowCore

/// The worked examples of the course material, through the int8 kernels
/// (scale 1; zero point 0 where the values fit int8).
@Suite struct WorkedExampleTests {
    @Test func threeChannelPaddedConvolutionGivesMinus25() {
        let k1 = [[-1, -1, 1], [0, 1, -1], [0, 1, 1]]
        let k2 = [[1, 0, 0], [1, -1, -1], [1, 0, -1]]
        let k3 = [[0, 1, 1], [0, 1, 0], [1, -1, 1]]
        // The interior of the top-left windows (the zero row/column is the padding).
        let r = [[156, 155], [153, 154]], g = [[167, 166], [164, 165]], b = [[163, 162], [160, 161]]
        // Values up to 167 do not fit int8 with zero point 0: store q = real − 100,
        // i.e. zero point −100 (the kernel subtracts it back; padding stays real 0).
        var input: [Int8] = []
        for y in 0..<2 { for x in 0..<2 { for ch in [r, g, b] { input.append(Int8(ch[y][x] - 100)) } } }
        var weights: [Int8] = []
        for ky in 0..<3 { for kx in 0..<3 { for k in [k1, k2, k3] { weights.append(Int8(k[ky][kx])) } } }
        let unit = UnitQuantization(channels: 1)
        let out = convolve(input, FeatureMapLayout(height: 2, width: 2, channels: 3), inputZeroPoint: -100,
                           weights: weights, bias: [1],
                           geometry: WindowGeometry(kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1),
                           outLayout: FeatureMapLayout(height: 2, width: 2, channels: 1),
                           multipliers: unit.multipliers, shifts: unit.shifts)
        #expect(out[0] == -25)
        // Per-channel sums of the material: 308, −498, 164.
        func channelSum(_ k: [[Int]], _ ch: [[Int]]) -> Int {
            var s = 0
            for y in 0..<2 { for x in 0..<2 { s += k[y + 1][x + 1] * ch[y][x] } }
            return s
        }
        #expect(channelSum(k1, r) == 308 && channelSum(k2, g) == -498 && channelSum(k3, b) == 164)
    }

    static let edgeInput = int8s([[4, 9, 2, 5, 8, 3], [5, 6, 2, 4, 0, 3], [2, 4, 5, 4, 5, 2],
                                  [5, 6, 5, 4, 7, 8], [5, 7, 7, 9, 2, 1], [5, 8, 5, 3, 8, 4]])
    static let verticalEdge = int8s([[1, 0, -1], [1, 0, -1], [1, 0, -1]])

    @Test func verticalEdgeValid() {
        let unit = UnitQuantization(channels: 1)
        let out = convolve(Self.edgeInput, FeatureMapLayout(height: 6, width: 6, channels: 1),
                           weights: Self.verticalEdge, bias: nil,
                           geometry: WindowGeometry(kernelHeight: 3, kernelWidth: 3),
                           outLayout: FeatureMapLayout(height: 4, width: 4, channels: 1),
                           multipliers: unit.multipliers, shifts: unit.shifts)
        #expect(out == int8s([[2, 6, -4, 5], [0, 4, 0, -1], [-5, 0, 3, 6], [-2, 5, 0, 3]]))
    }

    @Test func verticalEdgeSame() throws {
        let h = try resolveAxis(input: 6, filter: 3, stride: 1, padding: .same, rounding: .exact, height: true)
        #expect(h == AxisGeometry(output: 6, padBefore: 1, padAfter: 1))
        let unit = UnitQuantization(channels: 1)
        let out = convolve(Self.edgeInput, FeatureMapLayout(height: 6, width: 6, channels: 1),
                           weights: Self.verticalEdge, bias: nil,
                           geometry: WindowGeometry(kernelHeight: 3, kernelWidth: 3, padTop: 1, padLeft: 1),
                           outLayout: FeatureMapLayout(height: 6, width: 6, channels: 1),
                           multipliers: unit.multipliers, shifts: unit.shifts)
        #expect(Array(out[0..<6]) == int8s([[-15, 5, 6, -4, 3, 8]]))
        // The valid output is the interior of the same output.
        for y in 0..<4 { for x in 0..<4 {
            #expect(out[(y + 1) * 6 + x + 1] == int8s([[2, 6, -4, 5], [0, 4, 0, -1], [-5, 0, 3, 6], [-2, 5, 0, 3]])[y * 4 + x])
        } }
    }

    static let poolInput = int8s([[13, 10, 1, 24], [7, 8, 5, 4], [21, 11, 5, 9], [3, 19, 34, 7]])

    @Test(arguments: [(PoolingKind.max, [[13, 24], [21, 34]]),
                      (PoolingKind.average, [[10, 9], [14, 14]]),
                      (PoolingKind.min, [[7, 1], [3, 5]])])
    func pooling2x2Stride2(kind: PoolingKind, expected: [[Int]]) {
        let out = pool(kind, Self.poolInput, FeatureMapLayout(height: 4, width: 4, channels: 1),
                       geometry: WindowGeometry(kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2),
                       outLayout: FeatureMapLayout(height: 2, width: 2, channels: 1))
        #expect(out == int8s(expected))
    }

    @Test func averageRoundsHalfAwayFromZero() {
        // 9.5 → 10 and −9.5 → −10; 13.75 → 14; −13.75 → −14.
        let input = int8s([[9, 10, -9, -10], [9, 10, -9, -10], [13, 14, -13, -14], [14, 14, -14, -14]])
        let out = pool(.average, input, FeatureMapLayout(height: 4, width: 4, channels: 1),
                       geometry: WindowGeometry(kernelHeight: 2, kernelWidth: 2, strideHeight: 2, strideWidth: 2),
                       outLayout: FeatureMapLayout(height: 2, width: 2, channels: 1))
        #expect(out == int8s([[10, -10], [14, -14]]))
    }

    @Test func outputSizes() throws {
        #expect(try outputLength(input: 7, filter: 3, stride: 1, padBefore: 0, padAfter: 0) == 5)
        #expect(try outputLength(input: 7, filter: 3, stride: 2, padBefore: 0, padAfter: 0) == 3)
        #expect(try outputLength(input: 5, filter: 3, stride: 2, padBefore: 1, padAfter: 1) == 3)
        #expect(throws: GeometryError.fractionalOutput(input: 10, filter: 3, padding: 0, stride: 2)) {
            try outputLength(input: 10, filter: 3, stride: 2, padBefore: 0, padAfter: 0)
        }
        #expect(GeometryError.fractionalOutput(input: 10, filter: 3, padding: 0, stride: 2).fractionalLengthText == "4.5")
        #expect(try outputLength(input: 10, filter: 3, stride: 2, padBefore: 0, padAfter: 0, rounding: .floor) == 4)
        #expect(try outputLength(input: 10, filter: 3, stride: 2, padBefore: 0, padAfter: 0, rounding: .ceil) == 5)
        #expect(throws: GeometryError.self) { try outputLength(input: 2, filter: 3, stride: 1, padBefore: 0, padAfter: 0) }
        #expect(throws: GeometryError.self) { try outputLength(input: 5, filter: 3, stride: 0, padBefore: 0, padAfter: 0) }
        #expect(GeometryError.fractionalOutput(input: 10, filter: 4, padding: 0, stride: 4).fractionalLengthText == "2.5")
        #expect(GeometryError.fractionalOutput(input: 11, filter: 3, padding: 0, stride: 3).fractionalLengthText == "3.66")
    }
}
