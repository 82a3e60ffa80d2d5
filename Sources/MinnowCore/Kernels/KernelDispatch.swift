// Picks the kernel for each layer: the optimized one where one exists for the
// shape, else the reference. Kept small on purpose (like CMSIS-NN's
// wrappers): the kernels themselves live one per file.

/// Convolution through the chosen kernel set (see `convolveReference` for the contract).
@inline(__always)
func convolve(
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout, inputZeroPoint: Int32,
    weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?, geometry: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    quantization: OutputQuantization, scratch: UnsafeMutableRawPointer, kernels: KernelSet
) {
    #if arch(arm)
    // ARM (Cortex-M4 …): the SMLAD kernels (DualMultiply.swift).
    if kernels == .optimized {
        if usesSingleChannelKernel(inputChannels: inputLayout.channels, strideWidth: geometry.strideWidth) {
            convolveSingleChannelDualMultiply(input: input, inputLayout: inputLayout, inputZeroPoint: inputZeroPoint,
                                              weights: weights, bias: bias, geometry: geometry, output: output,
                                              outputLayout: outputLayout, quantization: quantization, scratch: scratch)
        } else {
            convolveDualMultiply(input: input, inputLayout: inputLayout, inputZeroPoint: inputZeroPoint,
                                 weights: weights, bias: bias, geometry: geometry, output: output,
                                 outputLayout: outputLayout, quantization: quantization, scratch: scratch)
        }
        return
    }
    #endif
    if kernels == .optimized && usesSingleChannelKernel(inputChannels: inputLayout.channels,
                                                         strideWidth: geometry.strideWidth) {
        convolveSingleChannel(input: input, inputLayout: inputLayout, inputZeroPoint: inputZeroPoint,
                              weights: weights, bias: bias, geometry: geometry,
                              output: output, outputLayout: outputLayout, quantization: quantization,
                              scratch: scratch.assumingMemoryBound(to: Int16.self))
        return
    }
    if kernels == .optimized {
        convolveIm2col(input: input, inputLayout: inputLayout, inputZeroPoint: inputZeroPoint,
                       weights: weights, bias: bias, geometry: geometry,
                       output: output, outputLayout: outputLayout, quantization: quantization,
                       scratch: scratch.assumingMemoryBound(to: Int16.self))
        return
    }
    convolveReference(input: input, inputLayout: inputLayout, inputZeroPoint: inputZeroPoint,
                      weights: weights, bias: bias, geometry: geometry,
                      output: output, outputLayout: outputLayout, quantization: quantization)
}

/// Fully connected through the chosen kernel set (see `fullyConnectedReference`).
@inline(__always)
func fullyConnected(
    input: UnsafePointer<Int8>, inputCount: Int, inputZeroPoint: Int32,
    weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    output: UnsafeMutablePointer<Int8>, outputCount: Int,
    quantization: OutputQuantization, scratch: UnsafeMutableRawPointer, kernels: KernelSet
) {
    #if arch(arm)
    if kernels == .optimized {
        fullyConnectedDualMultiply(input: input, inputCount: inputCount, inputZeroPoint: inputZeroPoint,
                                   weights: weights, bias: bias, output: output, outputCount: outputCount,
                                   quantization: quantization, scratch: scratch)
        return
    }
    #endif
    if kernels == .optimized {
        fullyConnectedOptimized(input: input, inputCount: inputCount, inputZeroPoint: inputZeroPoint,
                                weights: weights, bias: bias, output: output, outputCount: outputCount,
                                quantization: quantization, scratch: scratch.assumingMemoryBound(to: Int16.self))
        return
    }
    fullyConnectedReference(input: input, inputCount: inputCount, inputZeroPoint: inputZeroPoint,
                            weights: weights, bias: bias, output: output, outputCount: outputCount,
                            quantization: quantization)
}

/// Pooling through the chosen kernel set (see `poolReference`).
@inline(__always)
func pool(
    kind: PoolingKind, input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout, geometry: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    activationMin: Int32, activationMax: Int32, kernels: KernelSet
) {
    if kernels == .optimized && kind != .average && inputLayout.height > 0 {
        poolMaxMinOptimized(isMax: kind == .max, input: input, inputLayout: inputLayout, geometry: geometry,
                            output: output, outputLayout: outputLayout,
                            activationMin: Int8(truncatingIfNeeded: activationMin),
                            activationMax: Int8(truncatingIfNeeded: activationMax))
        return
    }
    if kernels == .optimized && kind == .average
        && geometry.kernelHeight * geometry.kernelWidth <= averagePoolFloatDivisionLimit {
        poolAverageOptimized(input: input, inputLayout: inputLayout, geometry: geometry,
                             output: output, outputLayout: outputLayout,
                             activationMin: activationMin, activationMax: activationMax)
        return
    }
    poolReference(kind: kind, input: input, inputLayout: inputLayout, geometry: geometry,
                  output: output, outputLayout: outputLayout,
                  activationMin: activationMin, activationMax: activationMax)
}

/// Scratch bytes the optimized kernel of a layer needs (0 for the rest). The
/// exporter plans exactly this into the model's arena; the loader refuses a
/// model that plans less.
///
/// - convolution: `singleChannelScratchBytes` (one input channel, horizontal
///   stride 1) or `convolutionIm2colScratchBytes` (one int16 patch);
/// - fully connected: `fullyConnectedScratchBytes` (the input as int16).
///
/// and never less than the ARM dual-multiply kernels need
/// (`dualMultiplyKernelScratchBytes`), so one model file serves every target.
public func kernelScratchBytes(opcode: Opcode, geometry: WindowGeometry,
                               inputChannels: Int, inputElements: Int,
                               outputHeight: Int, outputWidth: Int, outputChannels: Int) -> Int {
    // Also enough for the ARM dual-multiply kernels (DualMultiply.swift), on every platform.
    max(portableKernelScratchBytes(opcode: opcode, geometry: geometry, inputChannels: inputChannels,
                                   inputElements: inputElements, outputHeight: outputHeight,
                                   outputWidth: outputWidth, outputChannels: outputChannels),
        dualMultiplyKernelScratchBytes(opcode: opcode, geometry: geometry, inputChannels: inputChannels,
                                       inputElements: inputElements, outputWidth: outputWidth,
                                       outputChannels: outputChannels))
}

/// `kernelScratchBytes` of the portable optimized kernels.
func portableKernelScratchBytes(opcode: Opcode, geometry: WindowGeometry,
                                inputChannels: Int, inputElements: Int,
                                outputHeight: Int, outputWidth: Int, outputChannels: Int) -> Int {
    let kernelHeight = geometry.kernelHeight, kernelWidth = geometry.kernelWidth
    switch opcode {
    case .convolution:
        if usesSingleChannelKernel(inputChannels: inputChannels, strideWidth: geometry.strideWidth) {
            return singleChannelScratchBytes(geometry: geometry, outputHeight: outputHeight, outputWidth: outputWidth)
        }
        return convolutionIm2colScratchBytes(kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                                             inputChannels: inputChannels, outputChannels: outputChannels)
    case .fullyConnected:
        return fullyConnectedScratchBytes(inputCount: inputElements)
    default:
        return 0
    }
}

/// Global pooling through the chosen kernel set (see `globalPoolReference`):
/// the optimized kernels treat it as one pooling window over the whole map
/// (the same sums, rounding and order-free max).
@inline(__always)
func globalPool(kind: GlobalPoolingKind, input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout,
                output: UnsafeMutablePointer<Int8>, kernels: KernelSet) {
    let taps = inputLayout.height * inputLayout.width
    if kernels == .optimized && taps > 0 && (kind == .max || taps <= averagePoolFloatDivisionLimit) {
        let window = WindowGeometry(kernelHeight: inputLayout.height, kernelWidth: inputLayout.width)
        let outputLayout = FeatureMapLayout(height: 1, width: 1, channels: inputLayout.channels)
        pool(kind: kind == .max ? .max : .average, input: input, inputLayout: inputLayout, geometry: window,
             output: output, outputLayout: outputLayout, activationMin: -128, activationMax: 127, kernels: .optimized)
        return
    }
    globalPoolReference(kind: kind, input: input, inputLayout: inputLayout, output: output)
}
