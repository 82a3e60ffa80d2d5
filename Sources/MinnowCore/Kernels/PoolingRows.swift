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
/// With horizontal stride 1 and a contiguous output row (Inception's 3×3
/// "same" poolings), the columns are combined for the whole row at once:
/// `temp` gets padLeft columns of the neutral value (−128 for max, 127 for
/// min) before the row and enough after it, so output element j of the row
/// is the combination of temp[j + kx · C] over kx — 16 bytes per step.
///
/// - temp: `poolingRowTempBytes(inputLayout:geometry:)` bytes.
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
    let outputRowBytes = outputLayout.width * channels
    let wholeRows = g.strideWidth == 1 && outputLayout.isContiguous && outputRowBytes >= 16
    // The row starts after padLeft neutral columns when the whole row is combined at once.
    let rowStart = wholeRows ? temp + g.padLeft * channels : temp
    if wholeRows {
        let neutral: Int8 = isMax ? .min : .max
        let end = (outputLayout.width - 1 + g.kernelWidth) * channels + 16
        for i in 0..<(g.padLeft * channels) { temp[i] = neutral }
        for i in (g.padLeft * channels + rowBytes)..<max(end, g.padLeft * channels + rowBytes) { temp[i] = neutral }
    }
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
                UnsafeMutableRawPointer(rowStart + at).storeBytes(of: r, as: SIMD16<Int8>.self)
                i += 16
            }
        } else {
            for i in 0..<rowBytes {
                var r = first[i]
                for y in (yStart + 1)..<max(yStart + 1, yEnd) {
                    let v = input[y * rowBytes + i]
                    r = isMax ? max(r, v) : min(r, v)
                }
                rowStart[i] = r
            }
        }
        let outRow = output + outY * outputLayout.width * outputLayout.pixelStride
        if wholeRows {
            // Output element j = combination of temp[j + kx · C], 16 elements per step.
            let lower16 = SIMD16<Int8>(repeating: activationMin), upper16 = SIMD16<Int8>(repeating: activationMax)
            var j = 0
            while j < outputRowBytes {
                let at = min(j, outputRowBytes - 16)  // the last 16 overlap the previous ones
                var r = UnsafeRawPointer(temp + at).loadUnaligned(as: SIMD16<Int8>.self)
                for kx in 1..<max(1, g.kernelWidth) {
                    let v = UnsafeRawPointer(temp + (at + kx * channels)).loadUnaligned(as: SIMD16<Int8>.self)
                    r = isMax ? pointwiseMax(r, v) : pointwiseMin(r, v)
                }
                UnsafeMutableRawPointer(outRow + at).storeBytes(of: pointwiseMin(pointwiseMax(r, lower16), upper16),
                                                                as: SIMD16<Int8>.self)
                j += 16
            }
            continue
        }
        // Combine the window's columns; 8 channels per step (temp has 16 bytes of slack).
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

/// Bytes of `poolMaxMinRows`'s temporary row: the row (W · C) after padLeft
/// neutral columns, up to the last column a window reads, plus 16 of slack.
public func poolingRowTempBytes(inputLayout: FeatureMapLayout, geometry g: WindowGeometry, outputWidth: Int) -> Int {
    let columns = max(g.padLeft + inputLayout.width, (outputWidth - 1) * g.strideWidth + g.kernelWidth)
    return saturatingSum(saturatingProduct(columns, inputLayout.channels, 1), 16)
}
