/// Optimized convolution over weights re-arranged once, at engine creation,
/// into blocks of 8 output channels ("packed", see `packConvolutionWeights`):
/// for each output row the kh input rows it reads are widened once into an
/// int32 band (`x − inputZeroPoint`, padding 0), so every kernel row of every
/// pixel is a contiguous run of kw · C band values — no per-pixel gathering,
/// no bounds checks. For every tap one broadcast input value multiplies 8
/// output channels' weights at once (`vpmovsxbd` + `vpmulld` + `vpaddd` on
/// AVX2); two pixels share each weight load and 16 channels are accumulated
/// at a time, so no accumulator needs a horizontal sum and 8 channels are
/// requantized together.
///
/// Bit-exact with `convolveReference`: the same integer products, summed in
/// another order (int32 addition is associative when no partial sum
/// overflows, and none can: |w · x| ≤ 127 · 255 and K ≤ 65,535 · 65,535 is
/// bounded by the validator's tensor limits).
///
/// - packedWeights: `packedConvolutionWeightBytes(taps:outputChannels:)` bytes
///   from `packConvolutionWeights`.
/// - band: `packedBandValues(...)` int32 values, 4-byte aligned.
func convolvePacked(
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout, inputZeroPoint: Int32,
    packedWeights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    quantization q: OutputQuantization, band: UnsafeMutablePointer<Int32>
) {
    let channels = inputLayout.channels
    let rowTaps = g.kernelWidth * channels           // taps of one kernel row: contiguous in the band
    let taps = g.kernelHeight * rowTaps
    let bandRow = packedBandColumns(geometry: g, outputWidth: outputLayout.width) * channels
    let step = g.strideWidth * channels              // band distance between neighbouring output pixels
    let outputChannels = outputLayout.channels
    let blocks = (outputChannels + 7) / 8
    // The last block may be partial: its bias, multipliers and shifts are
    // gathered once here (lanes past the last channel are 0 and never stored).
    let tail = PackedBlockParameters(channelStart: (blocks - 1) * 8, channels: outputChannels, bias: bias, quantization: q)
    for outY in 0..<outputLayout.height {
        fillPackedBand(input: input, inputLayout: inputLayout, inputZeroPoint: inputZeroPoint, geometry: g,
                       originY: outY * g.strideHeight - g.padTop, bandRow: bandRow, into: band)
        let outRow = output + outY * outputLayout.width * outputLayout.pixelStride
        var outX = 0
        if blocks == 1 {
            // At most 8 output channels (LeNet-5's first layer): 4 pixels share each weight load.
            let only = PackedBlockParameters(block: 0, channels: outputChannels, bias: bias, quantization: q, tail: tail)
            while outX + 4 <= outputLayout.width {
                let x0 = band + outX * step
                var a0 = only.bias, a1 = only.bias, a2 = only.bias, a3 = only.bias
                var w = packedWeights
                for ky in 0..<g.kernelHeight {
                    let p0 = x0 + ky * bandRow
                    let p1 = p0 + step, p2 = p1 + step, p3 = p2 + step
                    for j in 0..<rowTaps {
                        let w0 = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(w).loadUnaligned(as: SIMD8<Int8>.self))
                        a0 &+= SIMD8<Int32>(repeating: p0[j]) &* w0
                        a1 &+= SIMD8<Int32>(repeating: p1[j]) &* w0
                        a2 &+= SIMD8<Int32>(repeating: p2[j]) &* w0
                        a3 &+= SIMD8<Int32>(repeating: p3[j]) &* w0
                        w += 8
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
        while outX < outputLayout.width {
            let pair = outX + 1 < outputLayout.width
            let x0 = band + outX * step
            let x1 = pair ? x0 + step : x0
            let out0 = outRow + outX * outputLayout.pixelStride
            let out1 = pair ? out0 + outputLayout.pixelStride : out0
            var block = 0
            while block + 2 <= blocks {
                let first = PackedBlockParameters(block: block, channels: outputChannels, bias: bias, quantization: q, tail: tail)
                let next = PackedBlockParameters(block: block + 1, channels: outputChannels, bias: bias, quantization: q, tail: tail)
                var a0 = first.bias, a1 = next.bias, b0 = first.bias, b1 = next.bias
                var w = packedWeights + block * 8 * taps
                let nextBlock = 8 * taps
                for ky in 0..<g.kernelHeight {
                    let p0 = x0 + ky * bandRow, p1 = x1 + ky * bandRow
                    for j in 0..<rowTaps {
                        let w0 = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(w).loadUnaligned(as: SIMD8<Int8>.self))
                        let w1 = SIMD8<Int32>(truncatingIfNeeded:
                            UnsafeRawPointer(w + nextBlock).loadUnaligned(as: SIMD8<Int8>.self))
                        let v0 = SIMD8<Int32>(repeating: p0[j]), v1 = SIMD8<Int32>(repeating: p1[j])
                        a0 &+= v0 &* w0
                        a1 &+= v0 &* w1
                        b0 &+= v1 &* w0
                        b1 &+= v1 &* w1
                        w += 8
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
                let only = PackedBlockParameters(block: block, channels: outputChannels, bias: bias, quantization: q, tail: tail)
                var a0 = only.bias, b0 = only.bias
                var w = packedWeights + block * 8 * taps
                for ky in 0..<g.kernelHeight {
                    let p0 = x0 + ky * bandRow, p1 = x1 + ky * bandRow
                    for j in 0..<rowTaps {
                        let w0 = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(w).loadUnaligned(as: SIMD8<Int8>.self))
                        a0 &+= SIMD8<Int32>(repeating: p0[j]) &* w0
                        b0 &+= SIMD8<Int32>(repeating: p1[j]) &* w0
                        w += 8
                    }
                }
                only.store(a0, quantization: q, to: out0 + block * 8)
                if pair { only.store(b0, quantization: q, to: out1 + block * 8) }
            }
            outX += 2
        }
    }
}

/// Columns of the band: the input columns one output row reads,
/// (outW − 1) · strideW + kw, padding included.
@inline(__always)
func packedBandColumns(geometry g: WindowGeometry, outputWidth: Int) -> Int {
    (outputWidth - 1) * g.strideWidth + g.kernelWidth
}

/// Int32 values of the band of `convolvePacked` (kh rows of
/// `packedBandColumns` · C values, plus 8 of slack), or `Int.max` on overflow.
public func packedBandValues(geometry g: WindowGeometry, outputWidth: Int, inputChannels: Int) -> Int {
    saturatingSum(saturatingProduct(g.kernelHeight, packedBandColumns(geometry: g, outputWidth: outputWidth),
                                    inputChannels), 8)
}

/// Writes the kh input rows one output row reads (from input row `originY`)
/// as int32 `x − inputZeroPoint`, padding columns and rows 0, row after row
/// `bandRow` values apart: band column j is input column j − padLeft.
@inline(__always)
func fillPackedBand(input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout, inputZeroPoint: Int32,
                    geometry g: WindowGeometry, originY: Int, bandRow: Int, into band: UnsafeMutablePointer<Int32>) {
    let channels = inputLayout.channels
    let columns = bandRow / max(channels, 1)
    let inputEnd = input + inputLayout.extentBytes
    // Band columns [left, right) hold input columns; the rest is padding.
    let left = min(g.padLeft, columns)
    let right = max(left, min(columns, g.padLeft + inputLayout.width))
    for ky in 0..<g.kernelHeight {
        let dst = band + ky * bandRow
        let y = originY + ky
        if y < 0 || y >= inputLayout.height {
            for i in 0..<bandRow { dst[i] = 0 }
            continue
        }
        for i in 0..<(left * channels) { dst[i] = 0 }
        for i in (right * channels)..<bandRow { dst[i] = 0 }
        let src = input + (y * inputLayout.width + (left - g.padLeft)) * inputLayout.pixelStride
        let run = (right - left) * channels
        let out = dst + left * channels
        if inputLayout.pixelStride == channels {
            // One contiguous run: 8 values at a time, the last 8 overlapping
            // (or, for a run shorter than 8, 8 read when they exist: the extra
            // values are overwritten by the padding written above or by the
            // next row, or land in the band's slack).
            if run >= 8 {
                var i = 0
                while i + 8 < run {
                    storeWidened(src + i, minus: inputZeroPoint, to: out + i)
                    i += 8
                }
                storeWidened(src + (run - 8), minus: inputZeroPoint, to: out + (run - 8))
            } else if run > 0 && src + 8 <= inputEnd {
                storeWidened(src, minus: inputZeroPoint, to: out)
                for i in (right * channels)..<bandRow { dst[i] = 0 }
            } else {
                for i in 0..<run { out[i] = Int32(src[i]) &- inputZeroPoint }
            }
        } else {
            for x in 0..<(right - left) {
                let p = src + x * inputLayout.pixelStride
                for c in 0..<channels { out[x * channels + c] = Int32(p[c]) &- inputZeroPoint }
            }
        }
    }
}

/// Bias, multipliers and shifts of one block of 8 output channels as vectors,
/// and how many of its lanes are real channels.
struct PackedBlockParameters {
    var bias: SIMD8<Int32>
    var multipliers: SIMD8<Int32>
    var shifts: SIMD8<Int32>
    var lanes: Int

    /// Gathers a block lane by lane (for the partial last block; lanes past
    /// `channels` are 0).
    @inline(__always)
    init(channelStart: Int, channels: Int, bias: UnsafePointer<Int32>?, quantization q: OutputQuantization) {
        self.bias = SIMD8<Int32>()
        multipliers = SIMD8<Int32>()
        shifts = SIMD8<Int32>()
        lanes = min(8, channels - channelStart)
        for i in 0..<lanes {
            self.bias[i] = bias?[channelStart + i] ?? 0
            multipliers[i] = q.multipliers[channelStart + i]
            shifts[i] = q.shifts[channelStart + i]
        }
    }

    /// Block `block`: loaded as vectors when all 8 channels exist, else `tail`.
    @inline(__always)
    init(block: Int, channels: Int, bias: UnsafePointer<Int32>?, quantization q: OutputQuantization,
         tail: PackedBlockParameters) {
        let start = block * 8
        guard start + 8 <= channels else {
            self = tail
            return
        }
        if let bias {
            self.bias = UnsafeRawPointer(bias + start).loadUnaligned(as: SIMD8<Int32>.self)
        } else {
            self.bias = SIMD8<Int32>()
        }
        multipliers = UnsafeRawPointer(q.multipliers + start).loadUnaligned(as: SIMD8<Int32>.self)
        shifts = UnsafeRawPointer(q.shifts + start).loadUnaligned(as: SIMD8<Int32>.self)
        lanes = 8
    }

    /// Requantizes, clamps and stores the block's real lanes (consecutive bytes).
    @inline(__always)
    func store(_ acc: SIMD8<Int32>, quantization q: OutputQuantization, to out: UnsafeMutablePointer<Int8>) {
        let r = pointwiseMin(pointwiseMax(requantize8(acc, multiplier: multipliers, shift: shifts)
                                              &+ SIMD8<Int32>(repeating: q.zeroPoint),
                                          SIMD8<Int32>(repeating: q.activationMin)),
                             SIMD8<Int32>(repeating: q.activationMax))
        if lanes == 8 {
            for i in 0..<8 { out[i] = Int8(truncatingIfNeeded: r[i]) }
        } else {
            for i in 0..<lanes { out[i] = Int8(truncatingIfNeeded: r[i]) }
        }
    }
}

/// `destination[0..<8] = Int32(source[0..<8]) − offset`.
@inline(__always)
func storeWidened(_ source: UnsafePointer<Int8>, minus offset: Int32, to destination: UnsafeMutablePointer<Int32>) {
    let v = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(source).loadUnaligned(as: SIMD8<Int8>.self))
    UnsafeMutableRawPointer(destination).storeBytes(of: v &- SIMD8<Int32>(repeating: offset), as: SIMD8<Int32>.self)
}

/// Bytes of a convolution's packed weights: ⌈OC / 8⌉ blocks of K × 8 int8
/// (K = kh · kw · C), or `Int.max` when that overflows.
public func packedConvolutionWeightBytes(taps: Int, outputChannels: Int) -> Int {
    saturatingProduct((outputChannels + 7) / 8, taps, 8)
}

/// Re-arranges OHWI weights (`weights[o · K + k]`) into the packed layout:
/// `packed[(b · K + k) · 8 + j] = weights[(8b + j) · K + k]`, 0 for channels
/// past the last.
func packConvolutionWeights(_ weights: UnsafePointer<Int8>, taps: Int, outputChannels: Int,
                            into packed: UnsafeMutablePointer<Int8>) {
    let blocks = (outputChannels + 7) / 8
    for b in 0..<blocks {
        for k in 0..<taps {
            for j in 0..<8 {
                let o = 8 * b + j
                packed[(b * taps + k) * 8 + j] = o < outputChannels ? weights[o * taps + k] : 0
            }
        }
    }
}
