/// Optimized convolution over weights re-arranged once, at engine creation
/// ("packed", see `packConvolutionWeights`): blocks of 8 output channels,
/// each tap pair of a kernel row stored as int16 (w[k], w[k+1]) per channel.
///
/// The kh input rows an output row reads are held widened in an int16 band
/// (`x − inputZeroPoint`, padding 0) — a ring of kh rows, so with vertical
/// stride 1 each input row is widened once per layer — and every kernel row
/// of every pixel is a contiguous run of kw · C band values: no per-pixel
/// gathering, no bounds checks. One 32-bit load broadcasts a pair of inputs to all 8
/// channels of a block and `multiplyAddPairs` (`vpmaddwd`) does 16 exact MACs;
/// 4 pixels × 16 channels share the loads (8 accumulators; a row's last 1–3
/// pixels go 2 at a time), and no accumulator ever needs a horizontal sum:
/// 8 channels are requantized together.
///
/// Bit-exact with `convolveReference`: the same integer products, summed in
/// another order (int32 addition is associative when no partial sum
/// overflows; |w · x| ≤ 127 · 255, and the validator bounds K).
///
/// - packedWeights: `packedConvolutionWeightBytes(...)` bytes from
///   `packConvolutionWeights`, 2-byte aligned.
/// - band: `packedBandValues(...)` int16 values, 2-byte aligned.
func convolvePacked(
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout, inputZeroPoint: Int32,
    packedWeights: UnsafePointer<Int16>, bias: UnsafePointer<Int32>?,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    quantization q: OutputQuantization, band: UnsafeMutablePointer<Int16>
) {
    let channels = inputLayout.channels
    let rowTaps = g.kernelWidth * channels           // taps of one kernel row: contiguous in the band
    let pairs = (rowTaps + 1) / 2                    // an odd row's last pair has weight 0 second
    let bandRow = packedBandColumns(geometry: g, outputWidth: outputLayout.width) * channels
    let step = g.strideWidth * channels              // band distance between neighbouring output pixels
    let blockValues = g.kernelHeight * pairs * 16    // int16 weights of one block of 8 channels
    let outputChannels = outputLayout.channels
    let blocks = (outputChannels + 7) / 8
    // The last block may be partial: its bias, multipliers and shifts are
    // gathered once here (lanes past the last channel are 0 and never stored).
    let table = PackedBlockTable(channels: outputChannels, bias: bias, quantization: q)
    var filled = Int.min  // band rows r < filled (the last kh of them) are in the ring
    for outY in 0..<outputLayout.height {
        // Input row r (padding rows included) lives in ring slot r mod kh; an output
        // row needs rows originY ..< originY + kh, and only the new ones are widened.
        let originY = outY * g.strideHeight - g.padTop
        var r = max(originY, filled)
        while r < originY + g.kernelHeight {
            fillPackedBandRow(input: input, inputLayout: inputLayout, inputZeroPoint: inputZeroPoint, geometry: g,
                              row: r, bandRow: bandRow, into: band + bandSlot(r, g.kernelHeight) * bandRow)
            r += 1
        }
        filled = originY + g.kernelHeight
        let ring = BandRing(firstSlot: bandSlot(originY, g.kernelHeight), rows: g.kernelHeight, bandRow: bandRow)
        let outRow = output + outY * outputLayout.width * outputLayout.pixelStride
        var outX = 0
        if blocks == 1 && step == 1 && (pairs == 3 || pairs == 2) {
            // One input channel, horizontal stride 1, a 5- or 3-wide kernel and at most
            // 8 output channels (LeNet-5's first layer): 8 pixels at a time, whose input
            // pairs overlap — 12 (or 10) broadcasts serve 24 (or 16) multiply-add steps.
            if pairs == 3 {
                convolveEightColumnsThreePairs(band: band, ring: ring, kernelHeight: g.kernelHeight, weights: packedWeights,
                                               block: table[0], quantization: q, outRow: outRow,
                                               pixelStride: outputLayout.pixelStride, width: outputLayout.width, outX: &outX)
            } else {
                convolveEightColumnsTwoPairs(band: band, ring: ring, kernelHeight: g.kernelHeight, weights: packedWeights,
                                             block: table[0], quantization: q, outRow: outRow,
                                             pixelStride: outputLayout.pixelStride, width: outputLayout.width, outX: &outX)
            }
        }
        if blocks == 1 {
            // At most 8 output channels (LeNet-5's first layer): 4 pixels share each weight load.
            let only = table[0]
            while outX + 4 <= outputLayout.width {
                var a0 = only.bias, a1 = only.bias, a2 = only.bias, a3 = only.bias
                var w = packedWeights
                for ky in 0..<g.kernelHeight {
                    let p0 = band + (ring.offset(ky) + outX * step)
                    let p1 = p0 + step, p2 = p1 + step, p3 = p2 + step
                    for pair in 0..<pairs {
                        let w0 = loadWeights(w)
                        a0 &+= multiplyAddPairs(broadcastPair(p0 + 2 * pair), w0)
                        a1 &+= multiplyAddPairs(broadcastPair(p1 + 2 * pair), w0)
                        a2 &+= multiplyAddPairs(broadcastPair(p2 + 2 * pair), w0)
                        a3 &+= multiplyAddPairs(broadcastPair(p3 + 2 * pair), w0)
                        w += 16
                    }
                }
                let out = outRow + outX * outputLayout.pixelStride
                only.store(a0, quantization: q, to: out)
                only.store(a1, quantization: q, to: out + outputLayout.pixelStride)
                only.store(a2, quantization: q, to: out + 2 * outputLayout.pixelStride)
                only.store(a3, quantization: q, to: out + 3 * outputLayout.pixelStride)
                outX += 4
            }
        }
        // 4 pixels at a time share each weight load: 2 blocks (16 channels) × 4 pixels, then a last single block.
        while blocks > 1 && outX + 4 <= outputLayout.width {
            let x0 = band + outX * step
            let out0 = outRow + outX * outputLayout.pixelStride
            let pixel = outputLayout.pixelStride
            var block = 0
            while block + 2 <= blocks {
                let first = table[block]
                let next = table[block + 1]
                var a0 = first.bias, a1 = first.bias, a2 = first.bias, a3 = first.bias
                var b0 = next.bias, b1 = next.bias, b2 = next.bias, b3 = next.bias
                var w = packedWeights + block * blockValues
                for ky in 0..<g.kernelHeight {
                    let p0 = x0 + ring.offset(ky)
                    let p1 = p0 + step, p2 = p1 + step, p3 = p2 + step
                    for j in 0..<pairs {
                        let w0 = loadWeights(w), w1 = loadWeights(w + blockValues)
                        let v0 = broadcastPair(p0 + 2 * j), v1 = broadcastPair(p1 + 2 * j)
                        let v2 = broadcastPair(p2 + 2 * j), v3 = broadcastPair(p3 + 2 * j)
                        a0 &+= multiplyAddPairs(v0, w0)
                        a1 &+= multiplyAddPairs(v1, w0)
                        a2 &+= multiplyAddPairs(v2, w0)
                        a3 &+= multiplyAddPairs(v3, w0)
                        b0 &+= multiplyAddPairs(v0, w1)
                        b1 &+= multiplyAddPairs(v1, w1)
                        b2 &+= multiplyAddPairs(v2, w1)
                        b3 &+= multiplyAddPairs(v3, w1)
                        w += 16
                    }
                }
                let o = out0 + block * 8
                first.store(a0, quantization: q, to: o)
                first.store(a1, quantization: q, to: o + pixel)
                first.store(a2, quantization: q, to: o + 2 * pixel)
                first.store(a3, quantization: q, to: o + 3 * pixel)
                next.store(b0, quantization: q, to: o + 8)
                next.store(b1, quantization: q, to: o + pixel + 8)
                next.store(b2, quantization: q, to: o + 2 * pixel + 8)
                next.store(b3, quantization: q, to: o + 3 * pixel + 8)
                block += 2
            }
            if block < blocks {
                let only = table[block]
                var a0 = only.bias, a1 = only.bias, a2 = only.bias, a3 = only.bias
                var w = packedWeights + block * blockValues
                for ky in 0..<g.kernelHeight {
                    let p0 = x0 + ring.offset(ky)
                    let p1 = p0 + step, p2 = p1 + step, p3 = p2 + step
                    for j in 0..<pairs {
                        let w0 = loadWeights(w)
                        a0 &+= multiplyAddPairs(broadcastPair(p0 + 2 * j), w0)
                        a1 &+= multiplyAddPairs(broadcastPair(p1 + 2 * j), w0)
                        a2 &+= multiplyAddPairs(broadcastPair(p2 + 2 * j), w0)
                        a3 &+= multiplyAddPairs(broadcastPair(p3 + 2 * j), w0)
                        w += 16
                    }
                }
                let o = out0 + block * 8
                only.store(a0, quantization: q, to: o)
                only.store(a1, quantization: q, to: o + pixel)
                only.store(a2, quantization: q, to: o + 2 * pixel)
                only.store(a3, quantization: q, to: o + 3 * pixel)
            }
            outX += 4
        }
        // The last 1–3 pixels of the row: 2 at a time.
        while outX < outputLayout.width {
            let pair = outX + 1 < outputLayout.width
            let x0 = band + outX * step
            let x1 = pair ? x0 + step : x0
            let out0 = outRow + outX * outputLayout.pixelStride
            let out1 = pair ? out0 + outputLayout.pixelStride : out0
            var block = 0
            while block + 2 <= blocks {
                let first = table[block]
                let next = table[block + 1]
                var a0 = first.bias, a1 = next.bias, b0 = first.bias, b1 = next.bias
                var w = packedWeights + block * blockValues
                for ky in 0..<g.kernelHeight {
                    let p0 = x0 + ring.offset(ky), p1 = x1 + ring.offset(ky)
                    for j in 0..<pairs {
                        let w0 = loadWeights(w), w1 = loadWeights(w + blockValues)
                        let v0 = broadcastPair(p0 + 2 * j), v1 = broadcastPair(p1 + 2 * j)
                        a0 &+= multiplyAddPairs(v0, w0)
                        a1 &+= multiplyAddPairs(v0, w1)
                        b0 &+= multiplyAddPairs(v1, w0)
                        b1 &+= multiplyAddPairs(v1, w1)
                        w += 16
                    }
                }
                first.store(a0, quantization: q, to: out0 + block * 8)
                next.store(a1, quantization: q, to: out0 + block * 8 + 8)
                if pair {
                    first.store(b0, quantization: q, to: out1 + block * 8)
                    next.store(b1, quantization: q, to: out1 + block * 8 + 8)
                }
                block += 2
            }
            if block < blocks {
                let only = table[block]
                var a0 = only.bias, b0 = only.bias
                var w = packedWeights + block * blockValues
                for ky in 0..<g.kernelHeight {
                    let p0 = x0 + ring.offset(ky), p1 = x1 + ring.offset(ky)
                    for j in 0..<pairs {
                        let w0 = loadWeights(w)
                        a0 &+= multiplyAddPairs(broadcastPair(p0 + 2 * j), w0)
                        b0 &+= multiplyAddPairs(broadcastPair(p1 + 2 * j), w0)
                        w += 16
                    }
                }
                only.store(a0, quantization: q, to: out0 + block * 8)
                if pair { only.store(b0, quantization: q, to: out1 + block * 8) }
            }
            outX += 2
        }
    }
}

/// `convolveEightColumns` for kernel rows of 5 taps (3 pairs).
@inline(never)
func convolveEightColumnsThreePairs(band: UnsafeMutablePointer<Int16>, ring: BandRing, kernelHeight: Int,
                                    weights: UnsafePointer<Int16>, block: PackedBlockParameters,
                                    quantization q: OutputQuantization, outRow: UnsafeMutablePointer<Int8>,
                                    pixelStride: Int, width: Int, outX: inout Int) {
    convolveEightColumns(pairs: 3, band: band, ring: ring, kernelHeight: kernelHeight, weights: weights, block: block,
                         quantization: q, outRow: outRow, pixelStride: pixelStride, width: width, outX: &outX)
}

/// `convolveEightColumns` for kernel rows of 3 taps (2 pairs).
@inline(never)
func convolveEightColumnsTwoPairs(band: UnsafeMutablePointer<Int16>, ring: BandRing, kernelHeight: Int,
                                  weights: UnsafePointer<Int16>, block: PackedBlockParameters,
                                  quantization q: OutputQuantization, outRow: UnsafeMutablePointer<Int8>,
                                  pixelStride: Int, width: Int, outX: inout Int) {
    convolveEightColumns(pairs: 2, band: band, ring: ring, kernelHeight: kernelHeight, weights: weights, block: block,
                         quantization: q, outRow: outRow, pixelStride: pixelStride, width: width, outX: &outX)
}

/// One block of at most 8 output channels of a single-input-channel,
/// horizontal-stride-1 convolution, 8 output columns at a time from `outX`
/// while 8 remain (advances `outX`). With one channel and stride 1, column
/// i's pair p starts at band offset i + 2p, so the 8 columns' 8 · pairs input
/// pairs are only 8 + 2 · (pairs − 1) distinct loads: with `pairs` a constant
/// the loops unroll and LLVM loads each broadcast once.
@inline(__always)
func convolveEightColumns(pairs: Int, band: UnsafeMutablePointer<Int16>, ring: BandRing, kernelHeight: Int,
                          weights: UnsafePointer<Int16>, block only: PackedBlockParameters,
                          quantization q: OutputQuantization, outRow: UnsafeMutablePointer<Int8>,
                          pixelStride: Int, width: Int, outX: inout Int) {
    while outX + 8 <= width {
        var a0 = only.bias, a1 = only.bias, a2 = only.bias, a3 = only.bias
        var a4 = only.bias, a5 = only.bias, a6 = only.bias, a7 = only.bias
        var w = weights
        for ky in 0..<kernelHeight {
            let p = UnsafePointer(band + (ring.offset(ky) + outX))
            for pair in 0..<pairs {
                let wv = loadWeights(w)
                let t = p + 2 * pair
                a0 &+= multiplyAddPairs(broadcastPair(t), wv)
                a1 &+= multiplyAddPairs(broadcastPair(t + 1), wv)
                a2 &+= multiplyAddPairs(broadcastPair(t + 2), wv)
                a3 &+= multiplyAddPairs(broadcastPair(t + 3), wv)
                a4 &+= multiplyAddPairs(broadcastPair(t + 4), wv)
                a5 &+= multiplyAddPairs(broadcastPair(t + 5), wv)
                a6 &+= multiplyAddPairs(broadcastPair(t + 6), wv)
                a7 &+= multiplyAddPairs(broadcastPair(t + 7), wv)
                w += 16
            }
        }
        let out = outRow + outX * pixelStride
        only.store(a0, quantization: q, to: out)
        only.store(a1, quantization: q, to: out + pixelStride)
        only.store(a2, quantization: q, to: out + 2 * pixelStride)
        only.store(a3, quantization: q, to: out + 3 * pixelStride)
        only.store(a4, quantization: q, to: out + 4 * pixelStride)
        only.store(a5, quantization: q, to: out + 5 * pixelStride)
        only.store(a6, quantization: q, to: out + 6 * pixelStride)
        only.store(a7, quantization: q, to: out + 7 * pixelStride)
        outX += 8
    }
}

/// The int16 pair at `p` (p[0], p[1]) repeated in all 8 pairs of a vector.
@inline(__always)
func broadcastPair(_ p: UnsafePointer<Int16>) -> SIMD16<Int16> {
    unsafeBitCast(SIMD8<Int32>(repeating: UnsafeRawPointer(p).loadUnaligned(as: Int32.self)), to: SIMD16<Int16>.self)
}

/// 8 channels' weight pairs.
@inline(__always)
func loadWeights(_ w: UnsafePointer<Int16>) -> SIMD16<Int16> {
    UnsafeRawPointer(w).loadUnaligned(as: SIMD16<Int16>.self)
}

/// Columns of the band: the input columns one output row reads,
/// (outW − 1) · strideW + kw, padding included.
@inline(__always)
func packedBandColumns(geometry g: WindowGeometry, outputWidth: Int) -> Int {
    (outputWidth - 1) * g.strideWidth + g.kernelWidth
}

/// Int16 values of the band of `convolvePacked`: kh rows of
/// `packedBandColumns` · C values, plus 16 of slack (8-value stores past a
/// row's end and the zero-weighted read after an odd kernel row), or
/// `Int.max` on overflow.
public func packedBandValues(geometry g: WindowGeometry, outputWidth: Int, inputChannels: Int) -> Int {
    saturatingSum(saturatingProduct(g.kernelHeight, packedBandColumns(geometry: g, outputWidth: outputWidth),
                                    inputChannels), 16)
}

/// Ring slot of band row `r` (an input row index, negative in the top padding): r mod kh.
@inline(__always)
func bandSlot(_ r: Int, _ rows: Int) -> Int {
    let m = r % rows
    return m < 0 ? m + rows : m
}

/// Where kernel row ky of the current output row starts in the band ring.
struct BandRing {
    let firstSlot: Int
    let rows: Int
    let bandRow: Int

    @inline(__always)
    func offset(_ ky: Int) -> Int {
        let slot = firstSlot + ky
        return (slot >= rows ? slot - rows : slot) * bandRow
    }
}

/// Writes input row `row` (0 outside the input: padding) as int16
/// `x − inputZeroPoint` into one band row of `bandRow` values: band column j
/// is input column j − padLeft, padding columns 0.
@inline(__always)
func fillPackedBandRow(input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout, inputZeroPoint: Int32,
                       geometry g: WindowGeometry, row y: Int, bandRow: Int, into dst: UnsafeMutablePointer<Int16>) {
    let channels = inputLayout.channels
    let columns = bandRow / max(channels, 1)
    let zeroPoint = Int16(truncatingIfNeeded: inputZeroPoint)
    let inputEnd = input + inputLayout.extentBytes
    if y < 0 || y >= inputLayout.height {
        for i in 0..<bandRow { dst[i] = 0 }
        return
    }
    // Band columns [left, right) hold input columns; the rest is padding.
    let left = min(g.padLeft, columns)
    let right = max(left, min(columns, g.padLeft + inputLayout.width))
    let src = input + (y * inputLayout.width + (left - g.padLeft)) * inputLayout.pixelStride
    let run = (right - left) * channels
    let out = dst + left * channels
    if inputLayout.pixelStride == channels {
        // One contiguous run: 8 values at a time, the last 8 overlapping; a run
        // shorter than 8 is read as 8 when those bytes exist and the 8 values
        // stay inside this band row (the extra ones are overwritten by the
        // right padding written below).
        if run >= 8 {
            var i = 0
            while i + 8 < run {
                storeWidened(src + i, minus: zeroPoint, to: out + i)
                i += 8
            }
            storeWidened(src + (run - 8), minus: zeroPoint, to: out + (run - 8))
        } else if run > 0 && src + 8 <= inputEnd && left * channels + 8 <= bandRow {
            storeWidened(src, minus: zeroPoint, to: out)
        } else {
            for i in 0..<run { out[i] = Int16(src[i]) &- zeroPoint }
        }
    } else {
        for x in 0..<(right - left) {
            let p = src + x * inputLayout.pixelStride
            for c in 0..<channels { out[x * channels + c] = Int16(p[c]) &- zeroPoint }
        }
    }
    for i in 0..<(left * channels) { dst[i] = 0 }
    for i in (right * channels)..<bandRow { dst[i] = 0 }
}

/// `destination[0..<8] = Int16(source[0..<8]) − offset`.
@inline(__always)
func storeWidened(_ source: UnsafePointer<Int8>, minus offset: Int16, to destination: UnsafeMutablePointer<Int16>) {
    let v = widenToInt16(UnsafeRawPointer(source).loadUnaligned(as: SIMD8<Int8>.self))
    UnsafeMutableRawPointer(destination).storeBytes(of: v &- SIMD8<Int16>(repeating: offset), as: SIMD8<Int16>.self)
}

/// Bytes of a convolution's packed weights: ⌈OC / 8⌉ blocks of kh · ⌈kw·C / 2⌉
/// pairs × 8 channels × 2 int16, or `Int.max` when that overflows.
public func packedConvolutionWeightBytes(kernelHeight: Int, rowTaps: Int, outputChannels: Int) -> Int {
    saturatingProduct(saturatingProduct((outputChannels + 7) / 8, kernelHeight, (rowTaps + 1) / 2), 32, 1)
}

/// Re-arranges OHWI weights (`weights[o · K + k]`, K = kh · rowTaps, rowTaps =
/// kw · C) into the packed layout: for block b, kernel row ky, pair p and
/// channel j of the block,
/// `packed[((b · kh + ky) · pairs + p) · 16 + 2j + t] = weights[(8b + j) · K + ky · rowTaps + 2p + t]`
/// (t = 0, 1), 0 past the kernel row's end and for channels past the last.
func packConvolutionWeights(_ weights: UnsafePointer<Int8>, kernelHeight: Int, rowTaps: Int, outputChannels: Int,
                            into packed: UnsafeMutablePointer<Int16>) {
    let blocks = (outputChannels + 7) / 8
    let pairs = (rowTaps + 1) / 2
    let taps = kernelHeight * rowTaps
    for b in 0..<blocks {
        for ky in 0..<kernelHeight {
            for p in 0..<pairs {
                for j in 0..<8 {
                    for t in 0..<2 {
                        let o = 8 * b + j, k = 2 * p + t
                        packed[((b * kernelHeight + ky) * pairs + p) * 16 + 2 * j + t] =
                            o < outputChannels && k < rowTaps ? Int16(weights[o * taps + ky * rowTaps + k]) : 0
                    }
                }
            }
        }
    }
}
