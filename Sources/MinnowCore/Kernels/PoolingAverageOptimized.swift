/// Optimized average pooling: for each output pixel the in-bounds taps are
/// summed 8 channels at a time in int32 lanes, and the rounded division by
/// the tap count n is a float division on 8 lanes.
///
/// Bit-exact with `poolReference` for windows of at most
/// `averagePoolFloatDivisionLimit` taps (the dispatcher sends larger windows
/// to the reference): the reference computes t / n truncated, with
/// t = s ± ⌊n/2⌋ and |s| ≤ 128 · n. Here t and n are exact in float
/// (|t| < 2^24), the float quotient is correctly rounded, and a true quotient
/// that is not an integer lies at least 1/n ≥ 2^−12 from the next integer,
/// far more than the quotient's rounding error (|t / n| ≤ 129, so at most
/// 2^−16): truncating the float quotient gives the integer quotient.
func poolAverageOptimized(
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    activationMin: Int32, activationMax: Int32
) {
    let channels = outputLayout.channels
    let lower = SIMD8<Int32>(repeating: activationMin), upper = SIMD8<Int32>(repeating: activationMax)
    let inputEnd = input + inputLayout.extentBytes
    for outY in 0..<outputLayout.height {
        let originY = outY * g.strideHeight - g.padTop
        let yStart = max(originY, 0), yEnd = min(originY + g.kernelHeight, inputLayout.height)
        for outX in 0..<outputLayout.width {
            let originX = outX * g.strideWidth - g.padLeft
            let xStart = max(originX, 0), xEnd = min(originX + g.kernelWidth, inputLayout.width)
            // The loader guarantees at least one in-bounds tap per window.
            let count = Int32(truncatingIfNeeded: (yEnd - yStart) * (xEnd - xStart))
            let half = SIMD8<Int32>(repeating: count / 2)
            let divisor = SIMD8<Float>(repeating: Float(count))
            let out = output + (outY * outputLayout.width + outX) * outputLayout.pixelStride
            let last = input + ((yEnd - 1) * inputLayout.width + (xEnd - 1)) * inputLayout.pixelStride
            var c = 0
            // 8 channels at a time; a last group of fewer is read as 8 bytes when
            // they lie inside the input tensor (extra lanes dropped).
            while c < channels && last + c + 8 <= inputEnd {
                var sum = SIMD8<Int32>()
                for y in yStart..<yEnd {
                    var tap = input + (y * inputLayout.width + xStart) * inputLayout.pixelStride + c
                    for _ in xStart..<xEnd {
                        sum &+= widenToInt32(UnsafeRawPointer(tap).loadUnaligned(as: SIMD8<Int8>.self))
                        tap += inputLayout.pixelStride
                    }
                }
                // t = s + n/2 for s > 0, s − n/2 otherwise (sign-bit arithmetic, no selects).
                let negative = sum &>> 31
                let t = sum &+ (half ^ negative) &- negative
                let quotient = truncatedFloatQuotient(t, divisor)
                let r = pointwiseMin(pointwiseMax(quotient, lower), upper)
                storePartial(narrowToInt8(r), count: min(8, channels - c), to: out + c)
                c += 8
            }
            while c < channels {
                var sum: Int32 = 0
                for y in yStart..<yEnd {
                    var tap = input + (y * inputLayout.width + xStart) * inputLayout.pixelStride + c
                    for _ in xStart..<xEnd {
                        sum &+= Int32(tap[0])
                        tap += inputLayout.pixelStride
                    }
                }
                let quotient = roundedAverageByFloatDivision(sum: sum, count: count)
                out[c] = Int8(truncatingIfNeeded: min(max(quotient, activationMin), activationMax))
                c += 1
            }
        }
    }
}

/// The reference's rounded average (s ± ⌊n/2⌋) / n, truncating, through a
/// float division (exact for n ≤ `averagePoolFloatDivisionLimit`, |s| ≤ 128 · n).
@inline(__always)
func roundedAverageByFloatDivision(sum: Int32, count: Int32) -> Int32 {
    let t = sum > 0 ? sum &+ count / 2 : sum &- count / 2
    return Int32(Float(t) / Float(count))
}

/// Largest window (taps) `poolAverageOptimized` handles exactly.
let averagePoolFloatDivisionLimit = 4096
