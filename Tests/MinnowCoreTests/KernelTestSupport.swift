@testable import MinnowCore

/// Unit requantization (real multiplier 1: M = 2^30, shift 1) for `channels` channels.
struct UnitQuantization {
    let multipliers: [Int32]
    let shifts: [Int32]

    init(channels: Int) {
        multipliers = [Int32](repeating: 1 << 30, count: channels)
        shifts = [Int32](repeating: 1, count: channels)
    }

    func with<R>(zeroPoint: Int32 = 0, min: Int32 = -128, max: Int32 = 127,
                 _ body: (OutputQuantization) -> R) -> R {
        multipliers.withUnsafeBufferPointer { m in
            shifts.withUnsafeBufferPointer { s in
                body(OutputQuantization(multipliers: m.baseAddress!, shifts: s.baseAddress!,
                                        zeroPoint: zeroPoint, activationMin: min, activationMax: max))
            }
        }
    }
}

/// Runs `convolveReference` on arrays.
func convolve(_ input: [Int8], _ inLayout: FeatureMapLayout, inputZeroPoint: Int32 = 0,
              weights: [Int8], bias: [Int32]?, geometry: WindowGeometry, outLayout: FeatureMapLayout,
              multipliers: [Int32], shifts: [Int32], outputZeroPoint: Int32 = 0,
              min: Int32 = -128, max: Int32 = 127, kernels: KernelSet = .reference) -> [Int8] {
    var out = [Int8](repeating: 0, count: (outLayout.height * outLayout.width - 1) * outLayout.pixelStride + outLayout.channels)
    input.withUnsafeBufferPointer { i in
        weights.withUnsafeBufferPointer { w in
            multipliers.withUnsafeBufferPointer { m in
                shifts.withUnsafeBufferPointer { s in
                    out.withUnsafeMutableBufferPointer { buffer in
                        let o = buffer
                        let q = OutputQuantization(multipliers: m.baseAddress!, shifts: s.baseAddress!,
                                                   zeroPoint: outputZeroPoint, activationMin: min, activationMax: max)
                        let run = { (b: UnsafePointer<Int32>?) in
                            switch kernels {
                            case .reference:
                                convolveReference(input: i.baseAddress!, inputLayout: inLayout, inputZeroPoint: inputZeroPoint,
                                                  weights: w.baseAddress!, bias: b, geometry: geometry,
                                                  output: o.baseAddress!, outputLayout: outLayout, quantization: q)
                            case .optimized:
                                let bytes = kernelScratchBytes(opcode: .convolution, geometry: geometry,
                                                               inputChannels: inLayout.channels,
                                                               inputElements: inLayout.elementCount,
                                                               outputHeight: outLayout.height, outputWidth: outLayout.width,
                                                               outputChannels: outLayout.channels)
                                let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes + 16, alignment: 16)
                                defer { scratch.deallocate() }
                                MinnowCore.convolve(input: i.baseAddress!, inputLayout: inLayout, inputZeroPoint: inputZeroPoint,
                                                    weights: w.baseAddress!, bias: b, geometry: geometry,
                                                    output: o.baseAddress!, outputLayout: outLayout, quantization: q,
                                                    scratch: scratch, kernels: .optimized)
                            }
                        }
                        if let bias { bias.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                    }
                }
            }
        }
    }
    return out
}

/// Runs `poolReference` (or the dispatcher) on arrays.
func pool(_ kind: PoolingKind, _ input: [Int8], _ inLayout: FeatureMapLayout, geometry: WindowGeometry,
          outLayout: FeatureMapLayout, kernels: KernelSet = .reference) -> [Int8] {
    var out = [Int8](repeating: 0, count: outLayout.elementCount)
    input.withUnsafeBufferPointer { i in
        out.withUnsafeMutableBufferPointer { o in
            switch kernels {
            case .reference:
                poolReference(kind: kind, input: i.baseAddress!, inputLayout: inLayout, geometry: geometry,
                              output: o.baseAddress!, outputLayout: outLayout)
            case .optimized:
                MinnowCore.pool(kind: kind, input: i.baseAddress!, inputLayout: inLayout, geometry: geometry,
                                output: o.baseAddress!, outputLayout: outLayout, activationMin: -128,
                                activationMax: 127, kernels: .optimized)
            }
        }
    }
    return out
}

func int8s(_ rows: [[Int]]) -> [Int8] { rows.flatMap { $0.map { Int8($0) } } }

/// Runs the fully connected kernel (reference or optimized) on arrays.
func fullyConnected(_ input: [Int8], inputZeroPoint: Int32, weights: [Int8], bias: [Int32]?, units: Int,
                    multipliers: [Int32], shifts: [Int32], outputZeroPoint: Int32, min: Int32, max: Int32,
                    kernels: KernelSet) -> [Int8] {
    var out = [Int8](repeating: 0, count: units)
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: fullyConnectedScratchBytes(inputCount: input.count) + 16, alignment: 16)
    defer { scratch.deallocate() }
    input.withUnsafeBufferPointer { i in
        weights.withUnsafeBufferPointer { w in
            multipliers.withUnsafeBufferPointer { m in
                shifts.withUnsafeBufferPointer { s in
                    out.withUnsafeMutableBufferPointer { buffer in
                        let o = buffer
                        let q = OutputQuantization(multipliers: m.baseAddress!, shifts: s.baseAddress!,
                                                   zeroPoint: outputZeroPoint, activationMin: min, activationMax: max)
                        let run = { (b: UnsafePointer<Int32>?) in
                            MinnowCore.fullyConnected(input: i.baseAddress!, inputCount: input.count, inputZeroPoint: inputZeroPoint,
                                                      weights: w.baseAddress!, bias: b, output: o.baseAddress!, outputCount: units,
                                                      quantization: q, scratch: scratch, kernels: kernels)
                        }
                        if let bias { bias.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                    }
                }
            }
        }
    }
    return out
}

/// A random convolution problem for the optimized-vs-reference tests: shape,
/// geometry (paddings below the kernel size, any output size ≥ 1), pixel
/// strides, weights, bias, requantization, zero points and clamp. The input
/// and weights arrays are exactly as long as the data (ASan sees any read
/// past them).
struct ConvolutionCase {
    var geometry: WindowGeometry
    var inLayout: FeatureMapLayout
    var outLayout: FeatureMapLayout
    var input: [Int8]
    var weights: [Int8]
    var bias: [Int32]?
    var multipliers: [Int32]
    var shifts: [Int32]
    var inputZeroPoint: Int32
    var outputZeroPoint: Int32
    var activationMin: Int32
    var activationMax: Int32

    /// - kernel: (kh, kw), or nil for random sizes in `kernelSizes`.
    /// - strideWidth: nil for a random horizontal stride 1...3.
    /// - inputPixelGap / outputPixelGap: pixel strides larger than the channel count (concat slices).
    init(using rng: inout SeededGenerator, kernel: (Int, Int)? = nil, kernelSizes: ClosedRange<Int> = 1...5,
         strideWidth: Int? = nil, inputChannels: Int, outputChannels: Int, maxExtent: Int = 12,
         inputPixelGap: Bool, outputPixelGap: Bool, withBias: Bool,
         activation: (min: Int32, max: Int32)? = nil) {
        let kh = kernel?.0 ?? Int.random(in: kernelSizes, using: &rng)
        let kw = kernel?.1 ?? Int.random(in: kernelSizes, using: &rng)
        let sh = Int.random(in: 1...3, using: &rng), sw = strideWidth ?? Int.random(in: 1...3, using: &rng)
        let c = inputChannels, k = outputChannels
        let padTop = Int.random(in: 0..<kh, using: &rng), padLeft = Int.random(in: 0..<kw, using: &rng)
        let padBottom = Int.random(in: 0..<kh, using: &rng), padRight = Int.random(in: 0..<kw, using: &rng)
        let h = Int.random(in: max(1, kh - padTop - padBottom)...max(maxExtent, kh), using: &rng)
        let w = Int.random(in: max(1, kw - padLeft - padRight)...max(maxExtent, kw), using: &rng)
        let outH = (h + padTop + padBottom - kh) / sh + 1, outW = (w + padLeft + padRight - kw) / sw + 1
        let stride = c + (inputPixelGap ? Int.random(in: 1...5, using: &rng) : 0)
        let outStride = k + (outputPixelGap ? Int.random(in: 1...5, using: &rng) : 0)
        geometry = WindowGeometry(kernelHeight: kh, kernelWidth: kw, strideHeight: sh, strideWidth: sw,
                                  padTop: padTop, padLeft: padLeft)
        inLayout = FeatureMapLayout(height: h, width: w, channels: c, pixelStride: stride)
        outLayout = FeatureMapLayout(height: outH, width: outW, channels: k, pixelStride: outStride)
        let inputCount = inLayout.extentBytes
        input = (0..<inputCount).map { _ in Int8.random(in: -128...127, using: &rng) }
        weights = (0..<(k * kh * kw * c)).map { _ in Int8.random(in: -127...127, using: &rng) }
        bias = withBias ? (0..<k).map { _ in Int32.random(in: -50_000...50_000, using: &rng) } : nil
        (multipliers, shifts) = OptimizedKernelTests.randomMultipliers(k, &rng)
        inputZeroPoint = Int32.random(in: -128...127, using: &rng)
        outputZeroPoint = Int32.random(in: -128...127, using: &rng)
        if let activation {
            (activationMin, activationMax) = activation
        } else {
            activationMin = Int32.random(in: -128...0, using: &rng)
            activationMax = 127
        }
    }

    /// The reference kernel's output (gaps between pixels left 0).
    func reference() -> [Int8] {
        convolve(input, inLayout, inputZeroPoint: inputZeroPoint, weights: weights, bias: bias, geometry: geometry,
                 outLayout: outLayout, multipliers: multipliers, shifts: shifts, outputZeroPoint: outputZeroPoint,
                 min: activationMin, max: activationMax, kernels: .reference)
    }

    /// Runs `body` with the quantization and the bias pointer (nil without bias).
    func withQuantization<R>(_ body: (OutputQuantization, UnsafePointer<Int32>?) -> R) -> R {
        multipliers.withUnsafeBufferPointer { m in
            shifts.withUnsafeBufferPointer { s in
                let q = OutputQuantization(multipliers: m.baseAddress!, shifts: s.baseAddress!, zeroPoint: outputZeroPoint,
                                           activationMin: activationMin, activationMax: activationMax)
                if let bias { return bias.withUnsafeBufferPointer { body(q, $0.baseAddress!) } }
                return body(q, nil)
            }
        }
    }

    /// The first written element where `candidate` differs from `expected`, described; nil when none.
    func mismatch(_ expected: [Int8], _ candidate: [Int8]) -> String? {
        let g = geometry, k = outLayout.channels, stride = outLayout.pixelStride
        for p in 0..<(outLayout.height * outLayout.width) {
            for ch in 0..<k where expected[p * stride + ch] != candidate[p * stride + ch] {
                return "\(g.kernelHeight)x\(g.kernelWidth)/\(g.strideHeight)x\(g.strideWidth) pad \(g.padTop),\(g.padLeft) "
                    + "\(inLayout.height)x\(inLayout.width)x\(inLayout.channels) → \(outLayout.height)x\(outLayout.width)x\(k): "
                    + "pixel \(p) channel \(ch): \(expected[p * stride + ch]) vs \(candidate[p * stride + ch])"
            }
        }
        return nil
    }
}
