/// Int8 convolution for cores with a dual 16-bit multiply-accumulate (SMLAD,
/// Cortex-M4/M7/M33): two output pixels × two output channels at a time, four
/// taps per step.
///
/// The receptive fields of two neighbouring output pixels (in row-major pixel
/// order) are gathered into one int16 scratch patch (`x − inputZeroPoint`,
/// padding taps 0), four taps at a time and in the order SXTB16 produces from
/// four int8 weights: for taps t…t+3 the patch holds the words
///
///     (x[t], x[t+2]) (x[t+1], x[t+3])   of pixel A, then the same of pixel B
///
/// so one step loads one word of weights per channel (`ldr`), splits it into
/// (w[t], w[t+2]) and (w[t+1], w[t+3]) with SXTB16 and SXTB16 ROR 8, loads the
/// four patch words (2 `ldrd`) and does 8 SMLADs: 16 MACs in 20 instructions
/// with the loop. The
/// weights stay int8 OHWI where they are (flash); nothing is rearranged.
/// Contiguous input runs are widened 4 bytes at a time with SXTAB16 (which
/// also subtracts the zero point). The patch is zero-padded to a multiple of 4
/// taps and the last, partial weight word is read byte by byte (no read past a
/// weight row's end).
///
/// Bit-exact with `convolveReference`: the same int32 sum in another order.
///
/// - scratch: `convolutionDualMultiplyScratchBytes(...)` bytes, 4-byte aligned.
func convolveDualMultiply(
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout, inputZeroPoint: Int32,
    weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    quantization q: OutputQuantization, scratch: UnsafeMutableRawPointer
) {
    let channels = inputLayout.channels
    let rowLength = g.kernelWidth * channels
    let taps = g.kernelHeight * rowLength
    let fullGroups = taps >> 2, partial = taps & 3
    let groups = (taps + 3) >> 2
    let patch = scratch.assumingMemoryBound(to: Int16.self)   // groups × 8 int16
    let zeroPoint = Int16(truncatingIfNeeded: inputZeroPoint)
    let negativeZeroPoint = pairOf(0 &- zeroPoint)
    // The padding taps after the last one stay 0 for the whole call.
    for t in taps..<(groups << 2) {
        patch[dualPatchIndex(t, slot: 0)] = 0
        patch[dualPatchIndex(t, slot: 1)] = 0
    }

    // Gathers the receptive field of output pixel (outY, outX) into patch slot `slot`,
    // as runs: zeros (padding) and contiguous input bytes, each 4 taps per step once
    // the tap index is a multiple of 4.
    @inline(__always)
    func gather(_ outY: Int, _ outX: Int, slot: Int) {
        let originY = outY * g.strideHeight - g.padTop
        let originX = outX * g.strideWidth - g.padLeft
        let words = UnsafeMutableRawPointer(patch).assumingMemoryBound(to: UInt32.self) + 2 &* slot
        var t = 0
        // `count` taps of padding.
        @inline(__always)
        func zeros(_ count: Int) {
            let end = t &+ count
            while t < end && t & 3 != 0 { patch[dualPatchIndex(t, slot: slot)] = 0; t &+= 1 }
            while t &+ 4 <= end { let w = words + t; w[0] = 0; w[1] = 0; t &+= 4 }
            while t < end { patch[dualPatchIndex(t, slot: slot)] = 0; t &+= 1 }
        }
        // `count` taps from the contiguous bytes at `src`.
        @inline(__always)
        func copy(_ src: UnsafePointer<Int8>, _ count: Int) {
            var src = src
            let end = t &+ count
            while t < end && t & 3 != 0 {
                patch[dualPatchIndex(t, slot: slot)] = Int16(src.pointee) &- zeroPoint
                src += 1; t &+= 1
            }
            while t &+ 4 <= end {
                let v = loadWord(UnsafeRawPointer(src))
                let w = words + t   // group t/4 starts at word t; this slot's pair at +2·slot
                w[0] = addSignExtendedBytesLow(negativeZeroPoint, v)
                w[1] = addSignExtendedBytesHigh(negativeZeroPoint, v)
                src += 4; t &+= 4
            }
            while t < end {
                patch[dualPatchIndex(t, slot: slot)] = Int16(src.pointee) &- zeroPoint
                src += 1; t &+= 1
            }
        }
        // Kernel columns left of the input, inside it, right of it (same for every row).
        let left = min(max(0 &- originX, 0), g.kernelWidth)
        let right = min(max(originX &+ g.kernelWidth &- inputLayout.width, 0), g.kernelWidth &- left)
        let inside = g.kernelWidth &- left &- right
        let contiguous = inputLayout.pixelStride == channels
        if contiguous && inside == g.kernelWidth && originY >= 0 && originY &+ g.kernelHeight <= inputLayout.height {
            // Inside the input (the common case): one run per kernel row.
            var row = input + (originY &* inputLayout.width &+ originX) &* channels
            let rowStride = inputLayout.width &* channels
            for _ in 0..<g.kernelHeight { copy(row, rowLength); row += rowStride }
            return
        }
        for ky in 0..<g.kernelHeight {
            let y = originY &+ ky
            if y < 0 || y >= inputLayout.height {
                zeros(rowLength)
                continue
            }
            let row = input + y &* inputLayout.width &* inputLayout.pixelStride
            zeros(left &* channels)
            if contiguous {
                copy(row + (originX &+ left) &* channels, inside &* channels)
            } else {
                var src = row + (originX &+ left) &* inputLayout.pixelStride
                for _ in 0..<inside { copy(src, channels); src += inputLayout.pixelStride }
            }
            zeros(right &* channels)
        }
    }

    let outputChannels = outputLayout.channels
    let fast = ChannelRequantization.allFast(q, channels: outputChannels, bias: bias, taps: taps)
    let zeroPointTerm = ChannelRequantization.fastZeroPointTerm(q.zeroPoint)
    let pixels = outputLayout.height * outputLayout.width
    let patchWords = UnsafeRawPointer(patch).assumingMemoryBound(to: UInt32.self)
    var pixel = 0, outY = 0, outX = 0
    while pixel < pixels {
        gather(outY, outX, slot: 0)
        let outA = output + pixel * outputLayout.pixelStride
        let hasB = pixel + 1 < pixels
        outX += 1
        if outX == outputLayout.width { outX = 0; outY += 1 }
        if hasB {
            gather(outY, outX, slot: 1)
            outX += 1
            if outX == outputLayout.width { outX = 0; outY += 1 }
        }
        let outB = outA + outputLayout.pixelStride
        var k = 0
        while k + 2 <= outputChannels {
            let b0 = bias?[k] ?? 0, b1 = bias?[k + 1] ?? 0
            var a0 = b0, b0Acc = b0, a1 = b1, b1Acc = b1   // channel k / k+1, pixel A / B
            var w0 = UnsafeRawPointer(weights + k * taps)
            var w1 = w0 + taps
            var x = patchWords
            for _ in 0..<fullGroups {
                let v0 = loadWord(w0), v1 = loadWord(w1)
                let x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3]
                let l0 = signExtendBytesLow(v0), h0 = signExtendBytesHigh(v0)
                let l1 = signExtendBytesLow(v1), h1 = signExtendBytesHigh(v1)
                a0 = dualMultiplyAdd(h0, x1, dualMultiplyAdd(l0, x0, a0))
                b0Acc = dualMultiplyAdd(h0, x3, dualMultiplyAdd(l0, x2, b0Acc))
                a1 = dualMultiplyAdd(h1, x1, dualMultiplyAdd(l1, x0, a1))
                b1Acc = dualMultiplyAdd(h1, x3, dualMultiplyAdd(l1, x2, b1Acc))
                w0 += 4; w1 += 4; x += 4
            }
            if partial != 0 {
                let v0 = loadPartialWord(w0.assumingMemoryBound(to: Int8.self), count: partial)
                let v1 = loadPartialWord(w1.assumingMemoryBound(to: Int8.self), count: partial)
                let l0 = signExtendBytesLow(v0), h0 = signExtendBytesHigh(v0)
                let l1 = signExtendBytesLow(v1), h1 = signExtendBytesHigh(v1)
                a0 = dualMultiplyAdd(h0, x[1], dualMultiplyAdd(l0, x[0], a0))
                b0Acc = dualMultiplyAdd(h0, x[3], dualMultiplyAdd(l0, x[2], b0Acc))
                a1 = dualMultiplyAdd(h1, x[1], dualMultiplyAdd(l1, x[0], a1))
                b1Acc = dualMultiplyAdd(h1, x[3], dualMultiplyAdd(l1, x[2], b1Acc))
            }
            if fast {
                let m0 = q.multipliers[k], m1 = q.multipliers[k + 1]
                let s0 = 0 &- q.shifts[k], s1 = 0 &- q.shifts[k + 1]
                let o0 = ChannelRequantization.fastOffset(shift: q.shifts[k], zeroPointTerm: zeroPointTerm)
                let o1 = ChannelRequantization.fastOffset(shift: q.shifts[k + 1], zeroPointTerm: zeroPointTerm)
                outA[k] = Int8(truncatingIfNeeded: ChannelRequantization.fastOutput(a0, multiplier: m0, rightShift: s0, offset: o0))
                outA[k + 1] = Int8(truncatingIfNeeded: ChannelRequantization.fastOutput(a1, multiplier: m1, rightShift: s1, offset: o1))
                if hasB {
                    outB[k] = Int8(truncatingIfNeeded: ChannelRequantization.fastOutput(b0Acc, multiplier: m0, rightShift: s0, offset: o0))
                    outB[k + 1] = Int8(truncatingIfNeeded: ChannelRequantization.fastOutput(b1Acc, multiplier: m1, rightShift: s1, offset: o1))
                }
            } else {
                let r0 = ChannelRequantization(q, channel: k), r1 = ChannelRequantization(q, channel: k + 1)
                outA[k] = Int8(truncatingIfNeeded: r0.output(a0))
                outA[k + 1] = Int8(truncatingIfNeeded: r1.output(a1))
                if hasB {
                    outB[k] = Int8(truncatingIfNeeded: r0.output(b0Acc))
                    outB[k + 1] = Int8(truncatingIfNeeded: r1.output(b1Acc))
                }
            }
            k += 2
        }
        if k < outputChannels {
            let b0 = bias?[k] ?? 0
            var a0 = b0, b0Acc = b0
            var w0 = UnsafeRawPointer(weights + k * taps)
            var x = patchWords
            for _ in 0..<fullGroups {
                let v0 = loadWord(w0)
                let l0 = signExtendBytesLow(v0), h0 = signExtendBytesHigh(v0)
                a0 = dualMultiplyAdd(h0, x[1], dualMultiplyAdd(l0, x[0], a0))
                b0Acc = dualMultiplyAdd(h0, x[3], dualMultiplyAdd(l0, x[2], b0Acc))
                w0 += 4; x += 4
            }
            if partial != 0 {
                let v0 = loadPartialWord(w0.assumingMemoryBound(to: Int8.self), count: partial)
                let l0 = signExtendBytesLow(v0), h0 = signExtendBytesHigh(v0)
                a0 = dualMultiplyAdd(h0, x[1], dualMultiplyAdd(l0, x[0], a0))
                b0Acc = dualMultiplyAdd(h0, x[3], dualMultiplyAdd(l0, x[2], b0Acc))
            }
            let r0 = ChannelRequantization(q, channel: k, accumulatorBound: fast ? 0 : Int.max)
            outA[k] = Int8(truncatingIfNeeded: r0.anyOutput(a0))
            if hasB { outB[k] = Int8(truncatingIfNeeded: r0.anyOutput(b0Acc)) }
        }
        pixel += hasB ? 2 : 1
    }
}

/// Where tap `t` of patch slot `slot` (0 = pixel A, 1 = pixel B) lives in the
/// int16 patch of `convolveDualMultiply`: group t/4 holds 8 int16s, A's
/// (t0, t2, t1, t3) then B's.
@inline(__always)
func dualPatchIndex(_ t: Int, slot: Int) -> Int {
    let j = t & 3
    return (t >> 2) << 3 | slot << 2 | (j & 1) << 1 | j >> 1
}

/// Scratch bytes of `convolveDualMultiply`: two int16 patches of kh · kw · C
/// taps, each rounded up to a multiple of 4 taps.
public func convolutionDualMultiplyScratchBytes(kernelHeight: Int, kernelWidth: Int, inputChannels: Int) -> Int {
    let taps = saturatingProduct(kernelHeight, kernelWidth, inputChannels)
    guard taps < Int.max / 32 else { return Int.max }
    return 16 * ((taps + 3) / 4)
}
