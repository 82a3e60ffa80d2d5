/// Optimized convolution for one input channel with horizontal stride 1
/// (LeNet-5's first layer): the input is copied once into a zero-padded int16
/// plane (`x − inputZeroPoint`, padding 0), then each output row is computed
/// 8 columns at a time: for every output channel, 8 accumulators take one
/// broadcast weight times 8 neighbouring inputs per tap — no gathering per
/// pixel and no horizontal sums, and the 8 results share one vector
/// requantization. Channel-blocked kernels waste most of their work here,
/// where the reduction is only kh · kw long.
///
/// Bit-exact with `convolveReference` (same integer sums).
///
/// - scratch: `singleChannelScratchBytes(...)` bytes, 16-byte aligned.
func convolveSingleChannel(
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout, inputZeroPoint: Int32,
    weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    quantization q: OutputQuantization, scratch: UnsafeMutablePointer<Int16>
) {
    let plane = singleChannelPlane(geometry: g, outputLayout: outputLayout)
    let zeroPoint = Int16(truncatingIfNeeded: inputZeroPoint)
    // Fill the padded plane: plane row r is input row r − padTop, column j is input column j − padLeft.
    for r in 0..<plane.rows {
        let y = r - g.padTop
        let dst = scratch + r * plane.columns
        if y < 0 || y >= inputLayout.height {
            for j in 0..<plane.columns { dst[j] = 0 }
            continue
        }
        let src = input + y * inputLayout.width * inputLayout.pixelStride
        for j in 0..<plane.columns {
            let x = j - g.padLeft
            dst[j] = (x < 0 || x >= inputLayout.width) ? 0 : Int16(src[x * inputLayout.pixelStride]) &- zeroPoint
        }
    }
    let taps = g.kernelHeight * g.kernelWidth
    for outY in 0..<outputLayout.height {
        let top = scratch + outY * g.strideHeight * plane.columns
        var x0 = 0
        while x0 < outputLayout.width {
            let lanes = min(8, outputLayout.width - x0)
            for k in 0..<outputLayout.channels {
                var acc = SIMD8<Int32>(repeating: bias?[k] ?? 0)
                let w = weights + k * taps
                for ky in 0..<g.kernelHeight {
                    let row = top + ky * plane.columns + x0
                    for kx in 0..<g.kernelWidth {
                        let p = row + kx
                        let v = SIMD8<Int32>(Int32(p[0]), Int32(p[1]), Int32(p[2]), Int32(p[3]),
                                             Int32(p[4]), Int32(p[5]), Int32(p[6]), Int32(p[7]))
                        acc &+= v &* SIMD8<Int32>(repeating: Int32(w[ky * g.kernelWidth + kx]))
                    }
                }
                let r = requantize8(acc, multiplier: SIMD8<Int32>(repeating: q.multipliers[k]),
                                    shift: SIMD8<Int32>(repeating: q.shifts[k])) &+ q.zeroPoint
                let clamped = pointwiseMin(pointwiseMax(r, SIMD8<Int32>(repeating: q.activationMin)),
                                           SIMD8<Int32>(repeating: q.activationMax))
                let out = output + (outY * outputLayout.width + x0) * outputLayout.pixelStride + k
                for i in 0..<lanes { out[i * outputLayout.pixelStride] = Int8(truncatingIfNeeded: clamped[i]) }
            }
            x0 += 8
        }
    }
}

/// Rows and columns of the padded int16 plane: enough for every tap of every
/// output, with the columns rounded up so the last 8-wide step stays inside.
@inline(__always)
func singleChannelPlane(geometry g: WindowGeometry, outputLayout: FeatureMapLayout) -> (rows: Int, columns: Int) {
    let rows = (outputLayout.height - 1) * g.strideHeight + g.kernelHeight
    let columns = ((outputLayout.width + 7) / 8) * 8 + g.kernelWidth - 1
    return (rows, columns)
}

/// Scratch bytes of `convolveSingleChannel`.
public func singleChannelScratchBytes(geometry: WindowGeometry, outputHeight: Int, outputWidth: Int) -> Int {
    let plane = singleChannelPlane(geometry: geometry,
                                   outputLayout: FeatureMapLayout(height: outputHeight, width: outputWidth, channels: 1))
    return 2 * plane.rows * plane.columns
}

/// Whether `convolveSingleChannel` applies: one input channel, horizontal stride 1.
@inline(__always)
func usesSingleChannelKernel(inputChannels: Int, strideWidth: Int) -> Bool {
    inputChannels == 1 && strideWidth == 1
}
