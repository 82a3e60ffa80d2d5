import Testing
@testable import MinnowCore
@testable import MinnowModel

/// `convolvePacked` (weights packed at engine creation, int16 input band)
/// agrees bit for bit with `convolveReference` on random shapes, strides,
/// paddings, pixel strides, zero points and requantization — including
/// inputs that end exactly where the tensor ends (the band reads 8 values at
/// a time only where they exist).
@Suite struct PackedConvolutionTests {
    /// `convolvePacked` on one case (weights packed as the engine packs them).
    static func convolvePackedCase(_ t: ConvolutionCase) -> [Int8] {
        let g = t.geometry, c = t.inLayout.channels, k = t.outLayout.channels
        var packed = [Int16](repeating: 0, count: packedConvolutionWeightBytes(
            kernelHeight: g.kernelHeight, rowTaps: g.kernelWidth * c, outputChannels: k) / 2)
        var band = [Int16](repeating: 0, count: packedBandValues(geometry: g, outputWidth: t.outLayout.width,
                                                                  inputChannels: c))
        var optimized = [Int8](repeating: 0, count: t.outLayout.extentBytes)
        t.weights.withUnsafeBufferPointer { wb in
            packed.withUnsafeMutableBufferPointer { pb in
                packConvolutionWeights(wb.baseAddress!, kernelHeight: g.kernelHeight, rowTaps: g.kernelWidth * c,
                                       outputChannels: k, into: pb.baseAddress!)
            }
        }
        t.withQuantization { q, bias in
            t.input.withUnsafeBufferPointer { ib in
                packed.withUnsafeBufferPointer { pb in
                    band.withUnsafeMutableBufferPointer { bb in
                        optimized.withUnsafeMutableBufferPointer { ob in
                            convolvePacked(input: ib.baseAddress!, inputLayout: t.inLayout, inputZeroPoint: t.inputZeroPoint,
                                           packedWeights: pb.baseAddress!, bias: bias, geometry: g,
                                           output: ob.baseAddress!, outputLayout: t.outLayout, quantization: q,
                                           band: bb.baseAddress!)
                        }
                    }
                }
            }
        }
        return optimized
    }

    @Test func packedConvolutionMatchesReference() {
        var rng = SeededGenerator(seed: 4242)
        for trial in 0..<400 {
            let c = trial % 3 == 1 ? 1 : Int.random(in: 1...19, using: &rng)
            let k = [1, 6, 8, 16, 17, 24, Int.random(in: 1...40, using: &rng)][trial % 7]
            let t = ConvolutionCase(using: &rng, inputChannels: c, outputChannels: k, maxExtent: 13,
                                    inputPixelGap: trial % 4 == 0, outputPixelGap: trial % 5 == 0, withBias: trial % 6 != 0)
            if let problem = t.mismatch(t.reference(), Self.convolvePackedCase(t)) {
                Issue.record("trial \(trial): \(problem)")
                return
            }
        }
    }

    /// The 8-column path for one input channel, stride 1 and 5- or 3-wide kernels
    /// (LeNet-5's C1, Inception-lite's stem), on rows wide enough to use it.
    @Test func eightColumnSingleChannelPathMatchesReference() {
        var rng = SeededGenerator(seed: 808)
        for trial in 0..<150 {
            let kernel = [(5, 5), (3, 3), (1, 5), (4, 3)][trial % 4]
            let t = ConvolutionCase(using: &rng, kernel: kernel, strideWidth: 1, inputChannels: 1,
                                    outputChannels: Int.random(in: 1...8, using: &rng), maxExtent: 30,
                                    inputPixelGap: trial % 5 == 0, outputPixelGap: trial % 3 == 0, withBias: trial % 7 != 0)
            if let problem = t.mismatch(t.reference(), Self.convolvePackedCase(t)) {
                Issue.record("trial \(trial): \(problem)")
                return
            }
        }
    }

    /// The engine refuses packed-weights memory that is too small, with the size needed.
    @Test func tooSmallPackedWeightsAreRefused() throws {
        let (bytes, _, _) = try buildModel(smallNet)
        try bytes.withUnsafeBytes { raw in
            let model = try Model(bytes: raw)
            let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: model.arenaBytes, alignment: 16)
            defer { arena.deallocate() }
            let need = PackedWeights.bytes(for: model)
            #expect(need > 0)
            let packed = UnsafeMutableRawBufferPointer.allocate(byteCount: need, alignment: 16)
            defer { packed.deallocate() }
            #expect(throws: EngineError.packedWeightsTooSmall(required: need, provided: need - 1)) {
                _ = try Engine(model: model, arena: arena, packedWeights: UnsafeMutableRawBufferPointer(rebasing: packed[0..<(need - 1)]))
            }
            _ = try Engine(model: model, arena: arena, packedWeights: packed)
        }
    }

    /// The AVX2 pair multiply-add equals its portable definition, including
    /// the extreme operands the kernels can pass.
    @Test func pairMultiplyAddMatchesPortableDefinition() {
        var rng = SeededGenerator(seed: 8)
        for trial in 0..<2000 {
            let edge: [Int16] = [-255, 255, -127, 127, 0]
            let a = SIMD16<Int16>((0..<16).map { i in trial < 25 ? edge[(trial + i) % 5] : Int16.random(in: -255...255, using: &rng) })
            let b = SIMD16<Int16>((0..<16).map { i in trial < 25 ? edge[(trial / 5 + i) % 5] : Int16.random(in: -127...127, using: &rng) })
            #expect(multiplyAddPairs(a, b) == multiplyAddPairsPortable(a, b))
            var expected = SIMD8<Int32>()
            for i in 0..<8 { expected[i] = Int32(a[2 * i]) * Int32(b[2 * i]) + Int32(a[2 * i + 1]) * Int32(b[2 * i + 1]) }
            #expect(multiplyAddPairs(a, b) == expected)
        }
    }

    /// `fullyConnectedPacked` agrees bit for bit with `fullyConnectedReference`
    /// (odd and even input counts, partial and full blocks of 8 outputs).
    @Test func packedFullyConnectedMatchesReference() {
        var rng = SeededGenerator(seed: 314)
        for trial in 0..<300 {
            let n = Int.random(in: 1...700, using: &rng), units = [1, 8, 10, 32, 33, Int.random(in: 1...90, using: &rng)][trial % 6]
            let input = (0..<n).map { _ in Int8.random(in: -128...127, using: &rng) }
            let weights = (0..<(n * units)).map { _ in Int8.random(in: -127...127, using: &rng) }
            let bias: [Int32]? = trial % 4 == 0 ? nil : (0..<units).map { _ in Int32.random(in: -50_000...50_000, using: &rng) }
            let (m, s) = OptimizedKernelTests.randomMultipliers(units, &rng)
            let zpIn = Int32.random(in: -128...127, using: &rng), zpOut = Int32.random(in: -128...127, using: &rng)
            let reference = fullyConnected(input, inputZeroPoint: zpIn, weights: weights, bias: bias, units: units,
                                           multipliers: m, shifts: s, outputZeroPoint: zpOut, min: -128, max: 127,
                                           kernels: .reference)
            var packed = [Int16](repeating: 0, count: packedConvolutionWeightBytes(kernelHeight: 1, rowTaps: n,
                                                                                   outputChannels: units) / 2)
            var band = [Int16](repeating: 0, count: n + 16)
            var optimized = [Int8](repeating: 0, count: units)
            weights.withUnsafeBufferPointer { wb in
                packed.withUnsafeMutableBufferPointer { pb in
                    packConvolutionWeights(wb.baseAddress!, kernelHeight: 1, rowTaps: n, outputChannels: units,
                                           into: pb.baseAddress!)
                }
            }
            input.withUnsafeBufferPointer { ib in
                packed.withUnsafeBufferPointer { pb in
                    m.withUnsafeBufferPointer { mb in
                        s.withUnsafeBufferPointer { sb in
                            band.withUnsafeMutableBufferPointer { bb in
                                optimized.withUnsafeMutableBufferPointer { ob in
                                    let q = OutputQuantization(multipliers: mb.baseAddress!, shifts: sb.baseAddress!,
                                                               zeroPoint: zpOut, activationMin: -128, activationMax: 127)
                                    let out = ob.baseAddress!, bandStart = bb.baseAddress!
                                    func run(_ b: UnsafePointer<Int32>?) {
                                        fullyConnectedPacked(input: ib.baseAddress!, inputCount: n, inputZeroPoint: zpIn,
                                                             packedWeights: pb.baseAddress!, bias: b, output: out,
                                                             outputCount: units, quantization: q, band: bandStart)
                                    }
                                    if let bias { bias.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                                }
                            }
                        }
                    }
                }
            }
            #expect(reference == optimized, "trial \(trial): n=\(n) units=\(units)")
        }
    }
}
