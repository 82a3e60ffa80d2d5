/// Optimized max and min pooling row by row, for a contiguous input
/// (pixel stride = channels) and a temporary row: for each output row the
/// window's input rows are first combined element-wise into `temp` (16 bytes
/// per `vpmaxsb`/`vpminsb`, the whole row of W · C bytes at once), then each
/// output pixel combines its window's columns of `temp`, 8 channels at a
/// time. Bit-exact with `poolReference` (max and min are order-independent).
///
/// Safe in place (output over its input, see docs/memory.md): every input
/// row an output row needs is read into `temp` before that row is written,
/// which is never later than the reference's pixel order reads it.
///
/// - temp: `poolingRowTempBytes(inputLayout:)` bytes.
func poolMaxMinRows(
    isMax: Bool,
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    activationMin: Int8, activationMax: Int8, temp: UnsafeMutablePointer<Int8>
) {
    let channels = inputLayout.channels
    let rowBytes = inputLayout.width * channels
    let lower = SIMD8<Int8>(repeating: activationMin), upper = SIMD8<Int8>(repeating: activationMax)
    for outY in 0..<outputLayout.height {
        let originY = outY * g.strideHeight - g.padTop
        let yStart = max(originY, 0), yEnd = min(originY + g.kernelHeight, inputLayout.height)
        // Combine the window's rows (the loader guarantees at least one).
        let first = input + yStart * rowBytes
        if rowBytes >= 16 {
            var i = 0
            while i < rowBytes {
                let at = min(i, rowBytes - 16)  // the last 16 overlap the previous ones
                var r = UnsafeRawPointer(first + at).loadUnaligned(as: SIMD16<Int8>.self)
                for y in (yStart + 1)..<max(yStart + 1, yEnd) {
                    let v = UnsafeRawPointer(input + (y * rowBytes + at)).loadUnaligned(as: SIMD16<Int8>.self)
                    r = isMax ? pointwiseMax(r, v) : pointwiseMin(r, v)
                }
                UnsafeMutableRawPointer(temp + at).storeBytes(of: r, as: SIMD16<Int8>.self)
                i += 16
            }
        } else {
            for i in 0..<rowBytes {
                var r = first[i]
                for y in (yStart + 1)..<max(yStart + 1, yEnd) {
                    let v = input[y * rowBytes + i]
                    r = isMax ? max(r, v) : min(r, v)
                }
                temp[i] = r
            }
        }
        // Combine the window's columns; 8 channels per step (temp has 16 bytes of slack).
        let outRow = output + outY * outputLayout.width * outputLayout.pixelStride
        for outX in 0..<outputLayout.width {
            let originX = outX * g.strideWidth - g.padLeft
            let xStart = max(originX, 0), xEnd = min(originX + g.kernelWidth, inputLayout.width)
            let out = outRow + outX * outputLayout.pixelStride
            var c = 0
            while c < channels {
                var r = UnsafeRawPointer(temp + (xStart * channels + c)).loadUnaligned(as: SIMD8<Int8>.self)
                for x in (xStart + 1)..<max(xStart + 1, xEnd) {
                    let v = UnsafeRawPointer(temp + (x * channels + c)).loadUnaligned(as: SIMD8<Int8>.self)
                    r = isMax ? pointwiseMax(r, v) : pointwiseMin(r, v)
                }
                storePartial(pointwiseMin(pointwiseMax(r, lower), upper), count: min(8, channels - c), to: out + c)
                c += 8
            }
        }
    }
}

/// Bytes of `poolMaxMinRows`'s temporary row: W · C plus 16 of slack.
public func poolingRowTempBytes(inputLayout: FeatureMapLayout) -> Int {
    saturatingSum(saturatingProduct(inputLayout.width, inputLayout.channels, 1), 16)
}
