/// `requantize(_:multiplier:shift:)` on 8 lanes at once, bit-exact with the
/// scalar function for multipliers in [0, 2^31) and shifts in −31...30 (the
/// ranges the model loader enforces; the one saturating SRDHM case needs a
/// multiplier of Int32.min and cannot occur).
///
/// SRDHM in 64-bit lanes (`vpmuldq`), the truncating division by 2^31 as a
/// shift after adding 2^31 − 1 to negative values, RDBPOT with per-lane
/// shifts (`vpsravd`) and sign-bit arithmetic instead of selects.
@inline(__always)
func requantize8(_ acc: SIMD8<Int32>, multiplier: SIMD8<Int32>, shift: SIMD8<Int32>) -> SIMD8<Int32> {
    VectorRequantizer(multiplier: multiplier, shift: shift).apply(acc)
}

/// The per-lane constants of `requantize8` for one block of 8 channels,
/// computed once (per layer and block) instead of for every pixel.
struct VectorRequantizer {
    var multiplier: SIMD8<Int32>
    /// max(shift, 0) and max(−shift, 0).
    var left: SIMD8<Int32>
    var right: SIMD8<Int32>
    /// 2^right − 1 and its half (RDBPOT's remainder mask and threshold).
    var mask: SIMD8<Int32>
    var half: SIMD8<Int32>

    @inline(__always)
    init(multiplier: SIMD8<Int32>, shift: SIMD8<Int32>) {
        let zero = SIMD8<Int32>()
        self.multiplier = multiplier
        left = pointwiseMax(shift, zero)
        right = pointwiseMax(zero &- shift, zero)
        mask = (SIMD8<Int32>(repeating: 1) &<< right) &- 1
        half = mask &>> 1
    }

    /// RDBPOT(SRDHM(acc · 2^left, multiplier), right) on every lane.
    @inline(__always)
    func apply(_ acc: SIMD8<Int32>) -> SIMD8<Int32> {
        let x = acc &<< left
#if MINNOW_AVX2
        let h = srdhm8(x, multiplier)
#else
        let h = SIMD8<Int32>(lowHalf: srdhm4(x.lowHalf, multiplier.lowHalf),
                             highHalf: srdhm4(x.highHalf, multiplier.highHalf))
#endif
        let remainder = h & mask
        let threshold = half &- (h &>> 31)
        return (h &>> right) &- ((threshold &- remainder) &>> 31)
    }
}

#if MINNOW_AVX2
/// Saturating rounding doubling high multiply on 8 lanes (b ≥ 0) without
/// moving lanes across the vector. TFLM's SRDHM is
/// trunc((p + nudge) / 2^31) with p = a · b, nudge = 2^30 for p ≥ 0 and
/// 1 − 2^30 for p < 0. Since b ≥ 0, p < 0 means p ≤ −1, so p + nudge < 0 and
/// the truncating division equals ⌊(p + nudge + 2^31 − 1) / 2^31⌋ =
/// ⌊(p + 2^30) / 2^31⌋ — the same expression as for p ≥ 0. So every lane is
/// (p + 2^30) >> 31, with p from `vpmuldq` (even lanes, and odd lanes moved
/// down within their 64-bit pair); the even results sit in the low and the
/// odd results in the high 32 bits of their pair, so one blend joins them.
/// (The saturating case a = b = Int32.min cannot occur with b ≥ 0.)
@inline(__always)
func srdhm8(_ a: SIMD8<Int32>, _ b: SIMD8<Int32>) -> SIMD8<Int32> {
    let x = unsafeBitCast(a, to: SIMD4<Int64>.self), y = unsafeBitCast(b, to: SIMD4<Int64>.self)
    let nudge = SIMD4<Int64>(repeating: 1 << 30)
    // Both factors sign-extended from 32 bits: LLVM makes each product one `vpmuldq`.
    let even = ((x &<< 32) &>> 32) &* ((y &<< 32) &>> 32) &+ nudge
    let odd = (x &>> 32) &* (y &>> 32) &+ nudge
    // even: bits 31...62 → shift right 31 (low half); odd: shift left 1 (high half).
    let low = unsafeBitCast(unsafeBitCast(even, to: SIMD4<UInt64>.self) &>> 31, to: SIMD8<Int32>.self)
    let high = unsafeBitCast(unsafeBitCast(odd, to: SIMD4<UInt64>.self) &<< 1, to: SIMD8<Int32>.self)
    let oddLanes = SIMD8<Int32>(0, -1, 0, -1, 0, -1, 0, -1)
    return (low & ~oddLanes) | (high & oddLanes)
}
#endif

/// Saturating rounding doubling high multiply on 4 lanes (b ≥ 0).
@inline(__always)
func srdhm4(_ a: SIMD4<Int32>, _ b: SIMD4<Int32>) -> SIMD4<Int32> {
    let p = SIMD4<Int64>(Int64(a[0]), Int64(a[1]), Int64(a[2]), Int64(a[3]))
        &* SIMD4<Int64>(Int64(b[0]), Int64(b[1]), Int64(b[2]), Int64(b[3]))
    let negative = p &>> 63
    let nudge = SIMD4<Int64>(repeating: 1 << 30) &- (negative & SIMD4<Int64>(repeating: (1 << 31) - 1))
    let v = p &+ nudge
    let q = (v &+ ((v &>> 63) & SIMD4<Int64>(repeating: (1 << 31) - 1))) &>> 31
    return SIMD4<Int32>(Int32(truncatingIfNeeded: q[0]), Int32(truncatingIfNeeded: q[1]),
                        Int32(truncatingIfNeeded: q[2]), Int32(truncatingIfNeeded: q[3]))
}

/// Requantizes `count` int32 accumulators of consecutive channels starting at
/// channel `first` and stores them as int8 (clamped) to `output[0..<count]`.
@inline(__always)
func requantizeChannels(_ acc: UnsafePointer<Int32>, count: Int, first: Int,
                        quantization q: OutputQuantization, output: UnsafeMutablePointer<Int8>) {
    var c = 0
    let lower = SIMD8<Int32>(repeating: q.activationMin), upper = SIMD8<Int32>(repeating: q.activationMax)
    let zeroPoint = SIMD8<Int32>(repeating: q.zeroPoint)
    while c + 8 <= count {
        let a = UnsafeRawPointer(acc + c).loadUnaligned(as: SIMD8<Int32>.self)
        let m = UnsafeRawPointer(q.multipliers + first + c).loadUnaligned(as: SIMD8<Int32>.self)
        let s = UnsafeRawPointer(q.shifts + first + c).loadUnaligned(as: SIMD8<Int32>.self)
        let r = pointwiseMin(pointwiseMax(requantize8(a, multiplier: m, shift: s) &+ zeroPoint, lower), upper)
        for i in 0..<8 { output[c + i] = Int8(truncatingIfNeeded: r[i]) }
        c += 8
    }
    while c < count {
        output[c] = q.output(acc[c], channel: first + c)
        c += 1
    }
}
