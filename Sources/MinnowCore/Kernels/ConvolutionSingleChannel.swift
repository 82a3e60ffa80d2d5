/// Optimized convolution for one input channel with horizontal stride 1
/// (LeNet-5's first layer): input rows are copied once each into a ring of
/// kh zero-padded int16 rows (`x − inputZeroPoint`, padding 0), then each output row is computed
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
    let ring = g.kernelHeight
    // Plane row r (input row r − padTop, zero outside) lives in ring slot r % kh.
    func fill(_ r: Int) {
        let y = r - g.padTop
        let dst = scratch + (r % ring) * plane.columns
        if y < 0 || y >= inputLayout.height {
            for j in 0..<plane.columns { dst[j] = 0 }
            return
        }
        let src = input + y * inputLayout.width * inputLayout.pixelStride
        for j in 0..<plane.columns {
            let x = j - g.padLeft
            dst[j] = (x < 0 || x >= inputLayout.width) ? 0 : Int16(src[x * inputLayout.pixelStride]) &- zeroPoint
        }
    }
    var filled = 0  // plane rows 0..<filled have been written (the last kh of them are in the ring)
    let taps = g.kernelHeight * g.kernelWidth
    for outY in 0..<outputLayout.height {
        let first = outY * g.strideHeight
        filled = max(filled, first)
        while filled < first + g.kernelHeight {
            fill(filled)
            filled += 1
        }
        let firstSlot = first % ring  // ring slot of plane row `first`; no division in the tap loops
        var x0 = 0
        while x0 < outputLayout.width {
            let lanes = min(8, outputLayout.width - x0)
            for k in 0..<outputLayout.channels {
                var acc = SIMD8<Int32>(repeating: bias?[k] ?? 0)
                let w = weights + k * taps
                var slot = firstSlot
                for ky in 0..<g.kernelHeight {
                    let row = scratch + slot * plane.columns + x0
                    slot = slot + 1 == ring ? 0 : slot + 1
                    for kx in 0..<g.kernelWidth {
                        let v = widenToInt32(UnsafeRawPointer(row + kx).loadUnaligned(as: SIMD8<Int16>.self))
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

/// Rows of the ring (kh) and the columns of one ring row, rounded up so the
/// last 8-wide step stays inside. Extents are 16-bit: no overflow.
@inline(__always)
func singleChannelPlane(geometry g: WindowGeometry, outputLayout: FeatureMapLayout) -> (rows: Int, columns: Int) {
    let columns = ((outputLayout.width + 7) / 8) * 8 + g.kernelWidth - 1
    return (g.kernelHeight, columns)
}

/// Scratch bytes of `convolveSingleChannel`: a ring of kh int16 rows.
public func singleChannelScratchBytes(geometry: WindowGeometry, outputHeight: Int, outputWidth: Int) -> Int {
    let plane = singleChannelPlane(geometry: geometry,
                                   outputLayout: FeatureMapLayout(height: outputHeight, width: outputWidth, channels: 1))
    return saturatingProduct(2, plane.rows, plane.columns)
}

/// Whether `convolveSingleChannel` applies: one input channel, horizontal stride 1.
@inline(__always)
func usesSingleChannelKernel(inputChannels: Int, strideWidth: Int) -> Bool {
    inputChannels == 1 && strideWidth == 1
}
