// Fixed-point arithmetic of the int8 scheme (TensorFlow Lite's, with TFLM's
// default "double rounding"). Every kernel requantizes through these functions,
// so Minnow's outputs are bit-exact with TFLM's reference kernels and CMSIS-NN.
//
// A real multiplier m > 0 is stored as an int32 M in [2^30, 2^31) and a shift
// s with m ≈ M · 2^(s − 31). Applying it to an int32 accumulator x is
//
//     requantize(x, M, s) = RDBPOT(SRDHM(x · 2^max(s, 0), M), max(−s, 0))
//
// where the left shift wraps (as int32 multiplication does in practice in the
// C reference), SRDHM rounds half toward +∞ and RDBPOT rounds half away from
// zero. Worked examples (M = 2^30 stands for 0.5):
//
//     requantize(3, multiplier: 1 << 30, shift: 0)  == 2    //  1.5 → 2  (SRDHM: half up)
//     requantize(-3, multiplier: 1 << 30, shift: 0) == -1   // −1.5 → −1 (SRDHM: half up)
//     requantize(5, multiplier: 1 << 30, shift: -1) == 2    //  5 · 0.25: SRDHM(5, 2^30) = 3,
//                                                          //  then RDBPOT(3, 1) = 2
//
// (the last line shows the double rounding: 5 · 0.25 = 1.25 would round to 1
// with a single rounding; TFLM's default gives 2.)

/// A real multiplier in TFLite's fixed-point form: `multiplier` in [2^30, 2^31)
/// (or 0 for a zero multiplier) and `shift` in [−31, 30], meaning
/// `multiplier · 2^(shift − 31)`.
public struct QuantizedMultiplier: Equatable, Sendable {
    public var multiplier: Int32
    public var shift: Int32

    @inlinable
    public init(multiplier: Int32, shift: Int32) {
        self.multiplier = multiplier
        self.shift = shift
    }

    /// Converts a real multiplier ≥ 0 (TFLite's QuantizeMultiplier):
    /// frexp splits `real` into q · 2^shift with q in [0.5, 1);
    /// `multiplier = round(q · 2^31)` (half away from zero); a rounded 2^31
    /// becomes 2^30 with shift + 1. Multipliers below 2^−32 become 0; shifts
    /// above 30 saturate to the largest representable multiplier.
    /// Returns nil for a negative, infinite or NaN `real`.
    public init?(real: Double) {
        guard real.isFinite, real >= 0 else { return nil }
        if real == 0 {
            self.init(multiplier: 0, shift: 0)
            return
        }
        // real = significand · 2^exponent with significand in [1, 2);
        // frexp's fraction is significand / 2 and its exponent exponent + 1.
        var shift = Int(real.exponent) + 1
        let fraction = real.significand / 2
        var fixed = Int64((fraction * 2_147_483_648.0).rounded())
        if fixed == 1 << 31 {
            fixed /= 2
            shift += 1
        }
        if shift < -31 {
            self.init(multiplier: 0, shift: 0)
            return
        }
        if shift > 30 {
            self.init(multiplier: Int32.max, shift: 30)
            return
        }
        self.init(multiplier: Int32(fixed), shift: Int32(shift))
    }

    /// The real number this multiplier stands for.
    public var realValue: Double {
        Double(multiplier) * pow2(Int(shift) - 31)
    }

    /// Whether the pair is in the ranges every kernel assumes.
    @inlinable
    public var isValid: Bool {
        (multiplier == 0 || multiplier >= 1 << 30) && shift >= -31 && shift <= 30
    }
}

/// 2^e for −1074 < e < 1024, without a math library.
@usableFromInline
func pow2(_ e: Int) -> Double {
    Double(sign: .plus, exponent: e, significand: 1)
}

/// Saturating rounding doubling high multiply: the high 32 bits of 2·a·b,
/// rounded half toward +∞ (gemmlowp's SaturatingRoundingDoublingHighMul).
/// The one overflowing case, a == b == Int32.min, saturates to Int32.max.
///
/// Equal to `floor((Int64(a) · Int64(b) + 2^30) / 2^31)` for every other pair.
@inlinable @inline(__always)
public func saturatingRoundingDoublingHighMul(_ a: Int32, _ b: Int32) -> Int32 {
    if a == b && a == Int32.min { return Int32.max }
    let product = Int64(a) &* Int64(b)
    let nudge: Int64 = product >= 0 ? (1 << 30) : (1 - (1 << 30))
    // Swift's `/` truncates toward zero, as C's does.
    return Int32(truncatingIfNeeded: (product &+ nudge) / (1 << 31))
}

/// Rounding arithmetic right shift: x / 2^exponent rounded to nearest, ties
/// away from zero (gemmlowp's RoundingDivideByPOT). `exponent` in 0...31.
///
///     roundingDivideByPowerOfTwo(5, 1) == 3      // 2.5 → 3
///     roundingDivideByPowerOfTwo(-5, 1) == -3    // −2.5 → −3
///     roundingDivideByPowerOfTwo(-7, 2) == -2    // −1.75 → −2
@inlinable @inline(__always)
public func roundingDivideByPowerOfTwo(_ x: Int32, _ exponent: Int32) -> Int32 {
    let mask = Int32(truncatingIfNeeded: (Int64(1) &<< Int64(exponent)) &- 1)
    let remainder = x & mask
    let threshold = (mask &>> 1) &+ (x < 0 ? 1 : 0)
    return (x &>> exponent) &+ (remainder > threshold ? 1 : 0)
}

/// Applies a quantized multiplier to an int32 accumulator with TFLM's
/// default double rounding (MultiplyByQuantizedMultiplier):
/// `RDBPOT(SRDHM(x · 2^max(shift, 0), multiplier), max(−shift, 0))`.
/// The left shift wraps on overflow. `multiplier` in [0, 2^31), `shift` in [−31, 30].
@inlinable @inline(__always)
public func requantize(_ x: Int32, multiplier: Int32, shift: Int32) -> Int32 {
    let leftShift = shift > 0 ? shift : 0
    let rightShift = shift > 0 ? 0 : -shift
    return roundingDivideByPowerOfTwo(
        saturatingRoundingDoublingHighMul(x &<< leftShift, multiplier), rightShift)
}

/// `requantize(_:multiplier:shift:)` with a `QuantizedMultiplier`.
@inlinable @inline(__always)
public func requantize(_ x: Int32, _ m: QuantizedMultiplier) -> Int32 {
    requantize(x, multiplier: m.multiplier, shift: m.shift)
}

/// Clamps an int32 to [−128, 127].
@inlinable @inline(__always)
public func saturatingInt8(_ x: Int32) -> Int8 {
    Int8(truncatingIfNeeded: x < -128 ? -128 : (x > 127 ? 127 : x))
}

/// Clamps an int32 to [lower, upper] (lower ≤ upper).
@inlinable @inline(__always)
public func clamp(_ x: Int32, _ lower: Int32, _ upper: Int32) -> Int32 {
    x < lower ? lower : (x > upper ? upper : x)
}

/// Quantizes a real value to int8 with `scale` > 0 and `zeroPoint` in
/// [−128, 127]: round(x / scale) + zeroPoint, half away from zero, saturated.
/// NaN maps to the zero point.
@inlinable
public func quantizeToInt8(_ x: Float, scale: Float, zeroPoint: Int32) -> Int8 {
    let scaled = x / scale
    guard scaled == scaled else { return saturatingInt8(zeroPoint) }
    let rounded = scaled.rounded(.toNearestOrAwayFromZero)
    let clipped = rounded < -1000 ? Float(-1000) : (rounded > 1000 ? Float(1000) : rounded)
    return saturatingInt8(Int32(clipped) &+ zeroPoint)
}

/// The real value of an int8: (q − zeroPoint) · scale.
@inlinable
public func dequantize(_ q: Int8, scale: Float, zeroPoint: Int32) -> Float {
    Float(Int32(q) - zeroPoint) * scale
}

/// `quantizeToInt8` over `count` values with the same division, rounding
/// (half away from zero, computed exactly without a libm call: truncate,
/// then add ±1 where the exact fraction is at least one half) and
/// saturation; a plain loop LLVM vectorises. NaN maps to the zero point.
public func quantizeToInt8(_ values: UnsafePointer<Float>, count: Int, scale: Float, zeroPoint: Int32,
                           into destination: UnsafeMutablePointer<Int8>) {
    for i in 0..<count {
        let scaled = values[i] / scale
        // Values past ±1000 saturate either way; within, clamping changes nothing. NaN → 0.
        let clipped = scaled > 1000 ? Float(1000) : (scaled >= -1000 ? scaled : (scaled < -1000 ? Float(-1000) : 0))
        let whole = truncateToInt32(clipped)                // toward zero
        let fraction = clipped - Float(whole)               // exact, in (−1, 1)
        let away = truncateToInt32(fraction * 2)            // ±1 where |fraction| ≥ ½, else 0
        let q = whole &+ away &+ zeroPoint
        destination[i] = Int8(truncatingIfNeeded: q < -128 ? -128 : (q > 127 ? 127 : q))
    }
}
