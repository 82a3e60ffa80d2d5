/// Optimized max and min pooling: for each output pixel the in-bounds taps
/// are combined channel-vector by channel-vector (contiguous runs that LLVM
/// vectorises), instead of tap by tap per channel. Bit-exact with
/// `poolReference` (max and min are order-independent); the caller clamps
/// nothing extra because the clamp is applied here as in the reference.
func poolMaxMinOptimized(
    isMax: Bool,
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    activationMin: Int8, activationMax: Int8
) {
    let channels = outputLayout.channels
    for outY in 0..<outputLayout.height {
        let originY = outY * g.strideHeight - g.padTop
        let yStart = max(originY, 0), yEnd = min(originY + g.kernelHeight, inputLayout.height)
        for outX in 0..<outputLayout.width {
            let originX = outX * g.strideWidth - g.padLeft
            let xStart = max(originX, 0), xEnd = min(originX + g.kernelWidth, inputLayout.width)
            let out = output + (outY * outputLayout.width + outX) * outputLayout.pixelStride
            // The loader guarantees at least one in-bounds tap per window.
            let first = input + (yStart * inputLayout.width + xStart) * inputLayout.pixelStride
            for c in 0..<channels { out[c] = first[c] }
            for y in yStart..<yEnd {
                for x in xStart..<xEnd {
                    let tap = input + (y * inputLayout.width + x) * inputLayout.pixelStride
                    if isMax {
                        for c in 0..<channels { out[c] = max(out[c], tap[c]) }
                    } else {
                        for c in 0..<channels { out[c] = min(out[c], tap[c]) }
                    }
                }
            }
            for c in 0..<channels { out[c] = min(max(out[c], activationMin), activationMax) }
        }
    }
}
