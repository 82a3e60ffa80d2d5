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
