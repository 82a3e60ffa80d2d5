/// Optimized max and min pooling: for each output pixel the in-bounds taps
/// are combined 8 channels at a time (`vpmaxsb` / `vpminsb`), instead of tap
/// by tap per channel. Bit-exact with `poolReference` (max and min are
/// order-independent), with the same clamp.
///
/// A pixel's last group of fewer than 8 channels is still read as 8 bytes
/// when those bytes lie inside the input tensor (the extra lanes are
/// computed and dropped); only the real channels are stored.
func poolMaxMinOptimized(
    isMax: Bool,
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    activationMin: Int8, activationMax: Int8
) {
    let channels = outputLayout.channels
    let inputEnd = input + inputLayout.extentBytes
    let lower = SIMD8<Int8>(repeating: activationMin), upper = SIMD8<Int8>(repeating: activationMax)
    for outY in 0..<outputLayout.height {
        let originY = outY * g.strideHeight - g.padTop
        let yStart = max(originY, 0), yEnd = min(originY + g.kernelHeight, inputLayout.height)
        for outX in 0..<outputLayout.width {
            let originX = outX * g.strideWidth - g.padLeft
            let xStart = max(originX, 0), xEnd = min(originX + g.kernelWidth, inputLayout.width)
            let out = output + (outY * outputLayout.width + outX) * outputLayout.pixelStride
            // The loader guarantees at least one in-bounds tap per window.
            let first = input + (yStart * inputLayout.width + xStart) * inputLayout.pixelStride
            let last = input + ((yEnd - 1) * inputLayout.width + (xEnd - 1)) * inputLayout.pixelStride
            var c = 0
            while c < channels && last + c + 8 <= inputEnd {
                var r = UnsafeRawPointer(first + c).loadUnaligned(as: SIMD8<Int8>.self)
                for y in yStart..<yEnd {
                    var tap = input + (y * inputLayout.width + xStart) * inputLayout.pixelStride + c
                    for _ in xStart..<xEnd {
                        let v = UnsafeRawPointer(tap).loadUnaligned(as: SIMD8<Int8>.self)
                        r = isMax ? pointwiseMax(r, v) : pointwiseMin(r, v)
                        tap += inputLayout.pixelStride
                    }
                }
                r = pointwiseMin(pointwiseMax(r, lower), upper)
                storePartial(r, count: min(8, channels - c), to: out + c)
                c += 8
            }
            // Channels whose 8-byte read would leave the tensor: one at a time.
            while c < channels {
                var r = first[c]
                for y in yStart..<yEnd {
                    var tap = input + (y * inputLayout.width + xStart) * inputLayout.pixelStride + c
                    for _ in xStart..<xEnd {
                        r = isMax ? max(r, tap[0]) : min(r, tap[0])
                        tap += inputLayout.pixelStride
                    }
                }
                out[c] = min(max(r, activationMin), activationMax)
                c += 1
            }
        }
    }
}
