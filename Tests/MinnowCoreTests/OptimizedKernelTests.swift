import Testing
@testable import MinnowCore

/// Every optimized kernel agrees bit for bit with its reference on random
/// shapes, strides, paddings, zero points and requantization.
@Suite struct OptimizedKernelTests {
    static func randomMultipliers(_ n: Int, _ rng: inout SeededGenerator) -> ([Int32], [Int32]) {
        ((0..<n).map { _ in Int32.random(in: (1 << 30)...Int32.max, using: &rng) },
         (0..<n).map { _ in Int32.random(in: -12...2, using: &rng) })
    }

    @Test func convolutionMatchesReference() {
        var rng = SeededGenerator(seed: 2024)
        for trial in 0..<300 {
            let c = trial % 3 == 1 ? 1 : Int.random(in: 1...19, using: &rng)
            let t = ConvolutionCase(using: &rng, strideWidth: trial % 2 == 1 ? 1 : nil, inputChannels: c,
                                    outputChannels: Int.random(in: 1...17, using: &rng),
                                    inputPixelGap: trial % 3 == 0, outputPixelGap: trial % 4 == 0, withBias: trial % 5 != 0)
            let optimized = convolve(t.input, t.inLayout, inputZeroPoint: t.inputZeroPoint, weights: t.weights, bias: t.bias,
                                     geometry: t.geometry, outLayout: t.outLayout, multipliers: t.multipliers,
                                     shifts: t.shifts, outputZeroPoint: t.outputZeroPoint,
                                     min: t.activationMin, max: t.activationMax, kernels: .optimized)
            if let problem = t.mismatch(t.reference(), optimized) {
                Issue.record("trial \(trial): \(problem)")
                return
            }
        }
    }

    @Test func fullyConnectedMatchesReference() {
        var rng = SeededGenerator(seed: 77)
        for trial in 0..<300 {
            let n = Int.random(in: 1...700, using: &rng), units = Int.random(in: 1...40, using: &rng)
            let input = (0..<n).map { _ in Int8.random(in: -128...127, using: &rng) }
            let weights = (0..<(n * units)).map { _ in Int8.random(in: -127...127, using: &rng) }
            let bias: [Int32]? = trial % 4 == 0 ? nil : (0..<units).map { _ in Int32.random(in: -50_000...50_000, using: &rng) }
            let (m, s) = Self.randomMultipliers(units, &rng)
            let zpIn = Int32.random(in: -128...127, using: &rng), zpOut = Int32.random(in: -128...127, using: &rng)
            let args = (zpIn, zpOut)
            let r = fullyConnected(input, inputZeroPoint: args.0, weights: weights, bias: bias, units: units,
                                   multipliers: m, shifts: s, outputZeroPoint: args.1, min: -128, max: 127, kernels: .reference)
            let o = fullyConnected(input, inputZeroPoint: args.0, weights: weights, bias: bias, units: units,
                                   multipliers: m, shifts: s, outputZeroPoint: args.1, min: -128, max: 127, kernels: .optimized)
            #expect(r == o, "trial \(trial): n=\(n) units=\(units)")
        }
    }
}

extension OptimizedKernelTests {
    @Test func poolingMatchesReference() {
        var rng = SeededGenerator(seed: 5150)
        for trial in 0..<400 {
            let kh = Int.random(in: 1...4, using: &rng), kw = Int.random(in: 1...4, using: &rng)
            let sh = Int.random(in: 1...3, using: &rng), sw = Int.random(in: 1...3, using: &rng)
            let padTop = Int.random(in: 0..<kh, using: &rng), padLeft = Int.random(in: 0..<kw, using: &rng)
            let h = Int.random(in: kh...11, using: &rng), w = Int.random(in: kw...11, using: &rng)
            let c = Int.random(in: 1...20, using: &rng)
            let outH = (h + padTop - kh) / sh + 1, outW = (w + padLeft - kw) / sw + 1
            let stride = c + (trial % 3 == 0 ? 3 : 0)
            let inLayout = FeatureMapLayout(height: h, width: w, channels: c, pixelStride: stride)
            let outLayout = FeatureMapLayout(height: outH, width: outW, channels: c)
            let input = (0..<inLayout.extentBytes).map { _ in Int8.random(in: -128...127, using: &rng) }
            let g = WindowGeometry(kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw,
                                   padTop: padTop, padLeft: padLeft)
            for kind in [PoolingKind.max, .min, .average] {
                let r = pool(kind, input, inLayout, geometry: g, outLayout: outLayout, kernels: .reference)
                let o = pool(kind, input, inLayout, geometry: g, outLayout: outLayout, kernels: .optimized)
                #expect(r == o, "trial \(trial) \(kind)")
            }
        }
    }
}

extension OptimizedKernelTests {
    /// The float division behind optimized average pooling equals the
    /// reference's integer rounding for every sum a window of n int8 values
    /// can have: all n ≤ 48 and the largest and some awkward n up to the limit.
    @Test func averagePoolingDivisionIsExact() {
        let counts = Array(1...48) + [255, 625, 999, 1000, 2047, 2048, 2049, 3969, 4095, averagePoolFloatDivisionLimit]
        for n in counts {
            let count = Int32(n)
            for sum in (-128 * count)...(127 * count) {
                let expected = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count
                if roundedAverageByFloatDivision(sum: sum, count: count) != expected {
                    Issue.record("n=\(n) sum=\(sum): \(roundedAverageByFloatDivision(sum: sum, count: count)) vs \(expected)")
                    return
                }
            }
        }
    }

    /// Large average windows (up to the float-division limit) through the optimized kernel.
    @Test func largeAveragePoolingWindowsMatchReference() {
        var rng = SeededGenerator(seed: 99)
        for (k, c) in [(16, 9), (64, 3), (31, 17)] {
            let inLayout = FeatureMapLayout(height: k, width: k, channels: c)
            let outLayout = FeatureMapLayout(height: 1, width: 1, channels: c)
            let input = (0..<inLayout.extentBytes).map { _ in Int8.random(in: -128...127, using: &rng) }
            let g = WindowGeometry(kernelHeight: k, kernelWidth: k, strideHeight: 1, strideWidth: 1, padTop: 0, padLeft: 0)
            let r = pool(.average, input, inLayout, geometry: g, outLayout: outLayout, kernels: .reference)
            let o = pool(.average, input, inLayout, geometry: g, outLayout: outLayout, kernels: .optimized)
            #expect(r == o, "\(k)x\(k)x\(c)")
        }
    }
}

extension OptimizedKernelTests {
    /// Global average and max pooling through the optimized pooling kernels equal the reference.
    @Test func globalPoolingMatchesReference() {
        var rng = SeededGenerator(seed: 1234)
        for trial in 0..<200 {
            let h = Int.random(in: 1...12, using: &rng), w = Int.random(in: 1...12, using: &rng)
            let c = Int.random(in: 1...70, using: &rng)
            let stride = c + (trial % 3 == 0 ? Int.random(in: 1...4, using: &rng) : 0)
            let layout = FeatureMapLayout(height: h, width: w, channels: c, pixelStride: stride)
            let input = (0..<layout.extentBytes).map { _ in Int8.random(in: -128...127, using: &rng) }
            for kind in [GlobalPoolingKind.average, .max] {
                var reference = [Int8](repeating: 0, count: c), optimized = [Int8](repeating: 1, count: c)
                input.withUnsafeBufferPointer { i in
                    reference.withUnsafeMutableBufferPointer { globalPoolReference(kind: kind, input: i.baseAddress!, inputLayout: layout, output: $0.baseAddress!) }
                    optimized.withUnsafeMutableBufferPointer { MinnowCore.globalPool(kind: kind, input: i.baseAddress!, inputLayout: layout, output: $0.baseAddress!, kernels: .optimized) }
                }
                #expect(reference == optimized, "trial \(trial): \(h)x\(w)x\(c) stride \(stride) \(kind)")
            }
        }
    }
}

extension OptimizedKernelTests {
    /// Row-by-row max/min pooling (the host path with a temporary row) equals
    /// the reference, also in place (output over its input, no top/left padding).
    @Test func rowPoolingMatchesReference() {
        var rng = SeededGenerator(seed: 6060)
        for trial in 0..<400 {
            let kh = Int.random(in: 1...4, using: &rng), kw = Int.random(in: 1...4, using: &rng)
            let sh = Int.random(in: 1...3, using: &rng), sw = trial % 2 == 1 ? 1 : Int.random(in: 1...3, using: &rng)
            let inPlace = trial % 4 == 0
            let padTop = inPlace ? 0 : Int.random(in: 0..<kh, using: &rng)
            let padLeft = inPlace ? 0 : Int.random(in: 0..<kw, using: &rng)
            let h = Int.random(in: kh...11, using: &rng), w = Int.random(in: kw...11, using: &rng)
            let c = Int.random(in: 1...20, using: &rng)
            let padRight = inPlace ? 0 : Int.random(in: 0..<kw, using: &rng)
            let outH = (h + padTop - kh) / sh + 1, outW = (w + padLeft + padRight - kw) / sw + 1
            let inLayout = FeatureMapLayout(height: h, width: w, channels: c)
            let outStride = inPlace ? c : c + (trial % 3 == 0 ? 2 : 0)
            let outLayout = FeatureMapLayout(height: outH, width: outW, channels: c, pixelStride: outStride)
            let input = (0..<inLayout.extentBytes).map { _ in Int8.random(in: -128...127, using: &rng) }
            let g = WindowGeometry(kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw,
                                   padTop: padTop, padLeft: padLeft)
            let lo = Int8.random(in: -128...0, using: &rng)
            for isMax in [true, false] {
                var expected = [Int8](repeating: 0, count: outLayout.extentBytes)
                input.withUnsafeBufferPointer { i in
                    expected.withUnsafeMutableBufferPointer { o in
                        poolReference(kind: isMax ? .max : .min, input: i.baseAddress!, inputLayout: inLayout, geometry: g,
                                      output: o.baseAddress!, outputLayout: outLayout, activationMin: Int32(lo), activationMax: 127)
                    }
                }
                var temp = [Int8](repeating: 0, count: poolingRowTempBytes(inputLayout: inLayout, geometry: g, outputWidth: outW))
                var buffer = inPlace ? input : [Int8](repeating: 0, count: outLayout.extentBytes)
                var source = input
                source.withUnsafeMutableBufferPointer { s in
                    buffer.withUnsafeMutableBufferPointer { b in
                        temp.withUnsafeMutableBufferPointer { t in
                            poolMaxMinRows(isMax: isMax, input: inPlace ? UnsafePointer(b.baseAddress!) : UnsafePointer(s.baseAddress!),
                                           inputLayout: inLayout, geometry: g, output: b.baseAddress!, outputLayout: outLayout,
                                           activationMin: lo, activationMax: 127, temp: t.baseAddress!)
                        }
                    }
                }
                for p in 0..<(outH * outW) {
                    for ch in 0..<c where expected[p * outStride + ch] != buffer[p * outStride + ch] {
                        Issue.record("trial \(trial) \(isMax ? "max" : "min") in-place \(inPlace): \(kh)x\(kw)/\(sh)x\(sw) pad \(padTop),\(padLeft) \(h)x\(w)x\(c): pixel \(p) channel \(ch)")
                        return
                    }
                }
            }
        }
    }
}
