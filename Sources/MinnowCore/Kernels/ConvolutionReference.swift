/// The reference int8 convolution: plain loops, the oracle every optimized
/// convolution must match bit for bit.
///
/// - input: `inputLayout` int8 NHWC, values −128...127, zero point `inputZeroPoint` (−128...127).
/// - weights: int8 OHWI `[outputChannels][kernelHeight][kernelWidth][inputChannels]`,
///   −127...127, zero point 0 (symmetric, per output channel scale).
/// - bias: int32 per output channel (scale input_scale · weight_scale[c]), or nil.
/// - output: `outputLayout`, with `quantization` applied per channel.
///
/// acc = bias[c] + Σ w · (x − inputZeroPoint) over in-bounds taps (padding
/// taps are real zeros and are skipped); |w · (x − zp)| ≤ 127 · 255, so an
/// int32 accumulator holds 66,000 taps without overflow.
public func convolveReference(
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout, inputZeroPoint: Int32,
    weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    quantization q: OutputQuantization
) {
    let inChannels = inputLayout.channels
    for outY in 0..<outputLayout.height {
        for outX in 0..<outputLayout.width {
            let originY = outY * g.strideHeight - g.padTop
            let originX = outX * g.strideWidth - g.padLeft
            let outBase = (outY * outputLayout.width + outX) * outputLayout.pixelStride
            for k in 0..<outputLayout.channels {
                var acc: Int32 = bias?[k] ?? 0
                for ky in 0..<g.kernelHeight {
                    let y = originY + ky
                    if y < 0 || y >= inputLayout.height { continue }
                    for kx in 0..<g.kernelWidth {
                        let x = originX + kx
                        if x < 0 || x >= inputLayout.width { continue }
                        let inBase = (y * inputLayout.width + x) * inputLayout.pixelStride
                        let wBase = ((k * g.kernelHeight + ky) * g.kernelWidth + kx) * inChannels
                        for c in 0..<inChannels {
                            let xv = Int32(input[inBase + c]) &- inputZeroPoint
                            acc = acc &+ Int32(weights[wBase + c]) &* xv
                        }
                    }
                }
                output[outBase + k] = q.output(acc, channel: k)
            }
        }
    }
}
