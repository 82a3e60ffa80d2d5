// Int8 softmax exactly as TensorFlow Lite's reference kernel computes it
// (gemmlowp fixed point): output scale 1/256, zero point −128.
//
// For each pixel, over channels: d = x − max(x) (≤ 0). Entries with
// d < diffMin contribute 0. The rest are rescaled to a Q5.26 fixed-point
// number (d · inputMultiplier · 2^inputLeftShift, SRDHM), exponentiated in
// fixed point (exp on negative values: a Taylor polynomial on [−1/4, 0) and a
// barrel shifter of exp(−2^k) constants), summed in Q12.19, inverted by
// Newton–Raphson (1 / (1 + x) on [0, 1)), and each output is
// exp(d) · (1 / Σ) scaled to 8 bits, minus 128.

/// Softmax quantization (TFLite's SoftmaxParams for int8):
/// `inputMultiplier`/`inputLeftShift` encode β · input_scale · 2^26 (a
/// multiplier ≥ 1, left shift 0...31), `diffMin` (≤ 0) the most negative
/// difference that still counts.
public struct SoftmaxParameters: Equatable, Sendable {
    public var inputMultiplier: Int32
    public var inputLeftShift: Int32
    public var diffMin: Int32

    public init(inputMultiplier: Int32, inputLeftShift: Int32, diffMin: Int32) {
        self.inputMultiplier = inputMultiplier
        self.inputLeftShift = inputLeftShift
        self.diffMin = diffMin
    }
}

/// x · 2^exponent saturated to int32, for a positive `exponent` (gemmlowp's
/// SaturatingRoundingMultiplyByPOT with a positive exponent).
@inline(__always)
func saturatingShiftLeft(_ x: Int32, _ exponent: Int32) -> Int32 {
    let threshold = (Int32(1) &<< (31 - exponent)) &- 1
    if x > threshold { return Int32.max }
    if x < -threshold { return Int32.min }
    return x &<< exponent
}

/// exp(a) for a in [−1/4, 0), a and the result in Q0.31.
@inline(__always)
func expOnIntervalNegativeQuarterToZero(_ a: Int32) -> Int32 {
    let constantTerm: Int32 = 1_895_147_668  // exp(−1/8)
    let oneThird: Int32 = 715_827_883        // 1/3
    let x = a &+ (1 << 28)                   // a + 1/8
    let x2 = saturatingRoundingDoublingHighMul(x, x)
    let x3 = saturatingRoundingDoublingHighMul(x2, x)
    let x4 = saturatingRoundingDoublingHighMul(x2, x2)
    let x4Over4 = roundingDivideByPowerOfTwo(x4, 2)
    let polynomial = roundingDivideByPowerOfTwo(
        saturatingRoundingDoublingHighMul(x4Over4 &+ x3, oneThird) &+ x2, 1)
    return constantTerm &+ saturatingRoundingDoublingHighMul(constantTerm, x &+ polynomial)
}

/// exp(a) for a ≤ 0 given in Q5.26; the result in Q0.31.
@inline(__always)
func expOnNegativeValues(_ a: Int32) -> Int32 {
    let oneQuarter: Int32 = 1 << 24
    let mask = oneQuarter &- 1
    let aModQuarterMinusQuarter = (a & mask) &- oneQuarter
    var result = expOnIntervalNegativeQuarterToZero(saturatingShiftLeft(aModQuarterMinusQuarter, 5))
    let remainder = aModQuarterMinusQuarter &- a
    // exp(−2^k) for k = −2 ... 4 in Q0.31, applied for each set bit of the remainder.
    if remainder & (1 << 24) != 0 { result = saturatingRoundingDoublingHighMul(result, 1_672_461_947) }
    if remainder & (1 << 25) != 0 { result = saturatingRoundingDoublingHighMul(result, 1_302_514_674) }
    if remainder & (1 << 26) != 0 { result = saturatingRoundingDoublingHighMul(result, 790_015_084) }
    if remainder & (1 << 27) != 0 { result = saturatingRoundingDoublingHighMul(result, 290_630_308) }
    if remainder & (1 << 28) != 0 { result = saturatingRoundingDoublingHighMul(result, 39_332_535) }
    if remainder & (1 << 29) != 0 { result = saturatingRoundingDoublingHighMul(result, 720_401) }
    if remainder & (1 << 30) != 0 { result = saturatingRoundingDoublingHighMul(result, 242) }
    return a == 0 ? Int32.max : result
}

/// 1 / (1 + x) for x in [0, 1), x in Q0.31, the result in Q0.31 (Newton–Raphson).
@inline(__always)
func oneOverOnePlusX(_ a: Int32) -> Int32 {
    let sum = Int64(a) + Int64(Int32.max)
    let halfDenominator = Int32(truncatingIfNeeded: (sum + (sum >= 0 ? 1 : -1)) / 2)  // Q0.31
    let constant48Over17: Int32 = 1_515_870_810     // Q2.29
    let constantMinus32Over17: Int32 = -1_010_580_540  // Q2.29
    var x = constant48Over17 &+ saturatingRoundingDoublingHighMul(halfDenominator, constantMinus32Over17)
    let one: Int32 = 1 << 29  // 1.0 in Q2.29
    for _ in 0..<3 {
        let halfDenominatorTimesX = saturatingRoundingDoublingHighMul(halfDenominator, x)
        let oneMinus = one &- halfDenominatorTimesX
        x = x &+ saturatingShiftLeft(saturatingRoundingDoublingHighMul(x, oneMinus), 2)
    }
    return saturatingShiftLeft(x, 1)
}

/// The reference int8 softmax over the channels of each pixel.
/// Input: any scale and zero point; output: scale 1/256, zero point −128.
public func softmaxReference(
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    parameters p: SoftmaxParameters
) {
    let depth = inputLayout.channels
    for pixel in 0..<(inputLayout.height * inputLayout.width) {
        let row = input + pixel * inputLayout.pixelStride
        let out = output + pixel * outputLayout.pixelStride
        var maxValue = Int32(row[0])
        for c in 1..<max(depth, 1) where Int32(row[c]) > maxValue { maxValue = Int32(row[c]) }

        var sumOfExps: Int32 = 0  // Q12.19
        for c in 0..<depth {
            let diff = Int32(row[c]) &- maxValue
            if diff >= p.diffMin {
                let rescaled = saturatingRoundingDoublingHighMul(diff &<< p.inputLeftShift, p.inputMultiplier)
                sumOfExps = sumOfExps &+ roundingDivideByPowerOfTwo(expOnNegativeValues(rescaled), 12)
            }
        }
        // Reciprocal of the sum: normalise into [1, 2), invert, remember the shift.
        let headroomPlusOne = Int32(UInt32(bitPattern: sumOfExps).leadingZeroBitCount)
        let bitsOverUnit = 12 - headroomPlusOne
        let shiftedSumMinusOne = Int32(bitPattern: (UInt32(bitPattern: sumOfExps) &<< UInt32(headroomPlusOne)) &- (1 << 31))
        let shiftedScale = oneOverOnePlusX(shiftedSumMinusOne)

        for c in 0..<depth {
            let diff = Int32(row[c]) &- maxValue
            if diff >= p.diffMin {
                let rescaled = saturatingRoundingDoublingHighMul(diff &<< p.inputLeftShift, p.inputMultiplier)
                let expValue = expOnNegativeValues(rescaled)
                // Shifts beyond 31 (sums over thousands of channels) round a
                // non-negative Q0.31 value to 0; the C reference leaves them undefined.
                let shift = bitsOverUnit + 31 - 8
                let unsaturated = shift > 31 ? 0 : roundingDivideByPowerOfTwo(
                    saturatingRoundingDoublingHighMul(shiftedScale, expValue), shift)
                out[c] = Int8(truncatingIfNeeded: clamp(unsaturated &- 128, -128, 127))
            } else {
                out[c] = -128
            }
        }
    }
}
