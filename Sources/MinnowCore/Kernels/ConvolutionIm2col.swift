/// Optimized int8 convolution: for each output pixel the receptive field is
/// gathered once into an int16 patch (`x − inputZeroPoint`, padding taps 0),
/// then each output channel is one contiguous dot product of its OHWI weight
/// row with the patch (`dotProduct`, 16 MACs per step). Bit-exact with
/// `convolveReference`: the same integer sum in a different order (int32
/// addition is associative when no partial sum overflows, and none can).
///
/// - scratch: `convolutionIm2colScratchBytes(...)` bytes, 2-byte aligned:
///   16 zero int16 guard values, then the patch.
func convolveIm2col(
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout, inputZeroPoint: Int32,
    weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    quantization q: OutputQuantization, scratch: UnsafeMutablePointer<Int16>
) {
    let channels = inputLayout.channels
    let rowLength = g.kernelWidth * channels
    let patchLength = g.kernelHeight * rowLength
    let zeroPoint = Int16(truncatingIfNeeded: inputZeroPoint)
    for i in 0..<dotProductGuardElements { scratch[i] = 0 }
    let patch = scratch + dotProductGuardElements
    // The accumulators follow the patch (4-byte aligned: the patch length is rounded up to 2 elements).
    let accumulators = UnsafeMutableRawPointer(patch + ((patchLength + 1) & ~1)).assumingMemoryBound(to: Int32.self)
    for outY in 0..<outputLayout.height {
        let originY = outY * g.strideHeight - g.padTop
        for outX in 0..<outputLayout.width {
            let originX = outX * g.strideWidth - g.padLeft
            // Gather the patch row by row; out-of-bounds taps are real zeros.
            var p = patch
            for ky in 0..<g.kernelHeight {
                let y = originY + ky
                if y < 0 || y >= inputLayout.height {
                    for i in 0..<rowLength { p[i] = 0 }
                } else {
                    let row = input + y * inputLayout.width * inputLayout.pixelStride
                    if originX >= 0 && originX + g.kernelWidth <= inputLayout.width
                        && inputLayout.pixelStride == channels {
                        // The whole row of the window is one contiguous run.
                        let src = row + originX * channels
                        var i = 0
                        while i + 16 <= rowLength {
                            let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Int8>.self)
                            let z = SIMD8<Int16>(repeating: zeroPoint)
                            UnsafeMutableRawPointer(p + i).storeBytes(of: widenToInt16(v.lowHalf) &- z, as: SIMD8<Int16>.self)
                            UnsafeMutableRawPointer(p + i + 8).storeBytes(of: widenToInt16(v.highHalf) &- z, as: SIMD8<Int16>.self)
                            i += 16
                        }
                        while i < rowLength {
                            p[i] = Int16(src[i]) &- zeroPoint
                            i += 1
                        }
                        p += rowLength
                        continue
                    }
                    for kx in 0..<g.kernelWidth {
                        let x = originX + kx
                        let dst = p + kx * channels
                        if x < 0 || x >= inputLayout.width {
                            for c in 0..<channels { dst[c] = 0 }
                        } else {
                            let src = row + x * inputLayout.pixelStride
                            for c in 0..<channels { dst[c] = Int16(src[c]) &- zeroPoint }
                        }
                    }
                }
                p += rowLength
            }
            let out = output + (outY * outputLayout.width + outX) * outputLayout.pixelStride
            var w = weights
            for k in 0..<outputLayout.channels {
                accumulators[k] = (bias?[k] ?? 0) &+ dotProductZeroGuarded(w, patch, count: patchLength)
                w += patchLength
            }
            requantizeChannels(accumulators, count: outputLayout.channels, first: 0, quantization: q, output: out)
        }
    }
}

/// Scratch bytes of `convolveIm2col`: 16 zero int16s, one int16 patch of
/// kh · kw · C values (rounded up to an even count), then one int32
/// accumulator per output channel.
public func convolutionIm2colScratchBytes(kernelHeight: Int, kernelWidth: Int, inputChannels: Int,
                                          outputChannels: Int) -> Int {
    let patch = saturatingProduct(kernelHeight, kernelWidth, inputChannels)
    guard patch < Int.max / 4 else { return Int.max }
    return saturatingSum(2 * (dotProductGuardElements + ((patch + 1) & ~1)), saturatingProduct(4, outputChannels, 1))
}

/// a · b · c, or `Int.max` when it overflows (`Int` is 32 bits on Cortex-M,
/// and hostile model files carry any 16-bit extents).
@inline(__always)
func saturatingProduct(_ a: Int, _ b: Int, _ c: Int) -> Int {
    let (ab, o1) = a.multipliedReportingOverflow(by: b)
    let (abc, o2) = ab.multipliedReportingOverflow(by: c)
    return o1 || o2 ? Int.max : abc
}

/// a + b, or `Int.max` when it overflows.
@inline(__always)
func saturatingSum(_ a: Int, _ b: Int) -> Int {
    let (s, o) = a.addingReportingOverflow(b)
    return o ? Int.max : s
}
