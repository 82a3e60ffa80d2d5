/// Int8 fully connected layer for cores with SMLAD: the input is widened once
/// (`x − inputZeroPoint`, with SXTAB16) into int16 pairs in the order SXTB16
/// splits a word of four int8 weights — (x[i], x[i+2]) (x[i+1], x[i+3]) — then
/// two outputs at a time take one weight word each per 4 inputs: 2 `ldr` +
/// 4 SXTB16 + 1 `ldrd` + 4 SMLAD per 8 MACs. The weights stay int8 where they
/// are. Bit-exact with `fullyConnectedReference`.
///
/// - scratch: `fullyConnectedDualMultiplyScratchBytes(inputCount:)` bytes, 4-byte aligned.
func fullyConnectedDualMultiply(
    input: UnsafePointer<Int8>, inputCount: Int, inputZeroPoint: Int32,
    weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    output: UnsafeMutablePointer<Int8>, outputCount: Int,
    quantization q: OutputQuantization, scratch: UnsafeMutableRawPointer
) {
    let fullGroups = inputCount >> 2, partial = inputCount & 3
    let x = scratch.assumingMemoryBound(to: UInt32.self)   // 2 words per group of 4 inputs
    let negativeZeroPoint = pairOf(0 &- Int16(truncatingIfNeeded: inputZeroPoint))
    for i in 0..<fullGroups {
        let v = loadWord(UnsafeRawPointer(input + 4 * i))
        x[2 * i] = addSignExtendedBytesLow(negativeZeroPoint, v)
        x[2 * i + 1] = addSignExtendedBytesHigh(negativeZeroPoint, v)
    }
    if partial != 0 {
        // The missing inputs are 0 (not −zero point): they meet the bytes 0 of the partial weight word anyway.
        var values: (Int16, Int16, Int16, Int16) = (0, 0, 0, 0)
        let zeroPoint = Int16(truncatingIfNeeded: inputZeroPoint)
        let tail = input + 4 * fullGroups
        values.0 = Int16(tail[0]) &- zeroPoint
        if partial > 1 { values.1 = Int16(tail[1]) &- zeroPoint }
        if partial > 2 { values.2 = Int16(tail[2]) &- zeroPoint }
        x[2 * fullGroups] = pairOf(values.0, values.2)
        x[2 * fullGroups + 1] = pairOf(values.1, values.3)
    }
    let words = UnsafePointer(x)
    let fast = ChannelRequantization.allFast(q, channels: outputCount, bias: bias, taps: inputCount)
    @inline(__always)
    func requantize(_ acc: Int32, _ o: Int) -> Int32 {
        if fast {
            let s = q.shifts[o]
            return ChannelRequantization.fastOutput(
                acc, multiplier: q.multipliers[o], rightShift: 0 &- s,
                offset: ChannelRequantization.fastOffset(shift: s, zeroPointTerm: ChannelRequantization.fastZeroPointTerm(q.zeroPoint)))
        }
        return ChannelRequantization(q, channel: o).output(acc)
    }
    var o = 0
    while o + 2 <= outputCount {
        var a0 = bias?[o] ?? 0, a1 = bias?[o + 1] ?? 0
        var w0 = UnsafeRawPointer(weights + o * inputCount)
        var w1 = w0 + inputCount
        var p = words
        for _ in 0..<fullGroups {
            let v0 = loadWord(w0), v1 = loadWord(w1)
            let xl = p[0], xh = p[1]
            a0 = dualMultiplyAdd(signExtendBytesHigh(v0), xh, dualMultiplyAdd(signExtendBytesLow(v0), xl, a0))
            a1 = dualMultiplyAdd(signExtendBytesHigh(v1), xh, dualMultiplyAdd(signExtendBytesLow(v1), xl, a1))
            w0 += 4; w1 += 4; p += 2
        }
        if partial != 0 {
            let v0 = loadPartialWord(w0.assumingMemoryBound(to: Int8.self), count: partial)
            let v1 = loadPartialWord(w1.assumingMemoryBound(to: Int8.self), count: partial)
            a0 = dualMultiplyAdd(signExtendBytesHigh(v0), p[1], dualMultiplyAdd(signExtendBytesLow(v0), p[0], a0))
            a1 = dualMultiplyAdd(signExtendBytesHigh(v1), p[1], dualMultiplyAdd(signExtendBytesLow(v1), p[0], a1))
        }
        output[o] = Int8(truncatingIfNeeded: requantize(a0, o))
        output[o + 1] = Int8(truncatingIfNeeded: requantize(a1, o + 1))
        o += 2
    }
    if o < outputCount {
        var a0 = bias?[o] ?? 0
        var w0 = UnsafeRawPointer(weights + o * inputCount)
        var p = words
        for _ in 0..<fullGroups {
            let v0 = loadWord(w0)
            a0 = dualMultiplyAdd(signExtendBytesHigh(v0), p[1], dualMultiplyAdd(signExtendBytesLow(v0), p[0], a0))
            w0 += 4; p += 2
        }
        if partial != 0 {
            let v0 = loadPartialWord(w0.assumingMemoryBound(to: Int8.self), count: partial)
            a0 = dualMultiplyAdd(signExtendBytesHigh(v0), p[1], dualMultiplyAdd(signExtendBytesLow(v0), p[0], a0))
        }
        output[o] = Int8(truncatingIfNeeded: requantize(a0, o))
    }
}

/// Scratch bytes of `fullyConnectedDualMultiply`: the input as int16, rounded
/// up to a multiple of 4 values (never more than `fullyConnectedScratchBytes`).
public func fullyConnectedDualMultiplyScratchBytes(inputCount: Int) -> Int {
    guard inputCount < Int.max / 4 else { return Int.max }
    return 2 * ((inputCount + 3) & ~3)
}
