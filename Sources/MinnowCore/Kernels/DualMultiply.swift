// The ARMv7E-M DSP operations the dual-multiply kernels are built from
// (ConvolutionDualMultiply.swift, ConvolutionSingleChannelDualMultiply.swift,
// FullyConnectedDualMultiply.swift), and a scalar requantization that is cheap
// on a 32-bit core.
//
// With `-D MINNOW_ARM_DSP` (the Cortex-M4 Embedded build, tools/embedded-env.sh,
// together with `-enable-experimental-feature BuiltinModule`) each operation is
// one LLVM ARM intrinsic, i.e. one instruction: SMLAD, SXTB16, SXTAB16 (the
// 8-bit rotation of the `…High` forms folds into the instruction). Everywhere
// else they are plain Swift with the same results, so the kernels also run —
// and are tested bit for bit against the reference kernels — on the host.
//
// Why intrinsics and not LLVM's ARMParallelDSP pass (which turns two
// sign-extended int16 multiply-adds into SMLAD): LLVM schedules that pass only
// for CodeGenOptLevel::Aggressive, and swiftc's code generator always runs at
// CodeGenOptLevel::Default (also with -O), so Swift code never gets SMLAD from
// it (docs/cortex-m.md §11).
//
// A "pair" is a UInt32 holding two int16 values: the low halfword is the value
// at the lower address (little endian, as on Cortex-M and x86).

#if MINNOW_ARM_DSP
import Builtin
#endif

/// SMLAD: `acc + lo(a)·lo(b) + hi(a)·hi(b)`, the halfwords signed, wrapping.
@inline(__always)
func dualMultiplyAdd(_ a: UInt32, _ b: UInt32, _ acc: Int32) -> Int32 {
    #if MINNOW_ARM_DSP
    return Int32(Builtin.int_arm_smlad(a._value, b._value, acc._value))
    #else
    let low = Int32(Int16(truncatingIfNeeded: a)) &* Int32(Int16(truncatingIfNeeded: b))
    let high = Int32(Int16(truncatingIfNeeded: a >> 16)) &* Int32(Int16(truncatingIfNeeded: b >> 16))
    return acc &+ low &+ high
    #endif
}

/// SMLABT: `acc + lo(a)·hi(b)`, the halfwords signed, wrapping.
@inline(__always)
func multiplyAddLowHigh(_ a: UInt32, _ b: UInt32, _ acc: Int32) -> Int32 {
    #if MINNOW_ARM_DSP
    return Int32(Builtin.int_arm_smlabt(a._value, b._value, acc._value))
    #else
    return acc &+ Int32(Int16(truncatingIfNeeded: a)) &* Int32(Int16(truncatingIfNeeded: b >> 16))
    #endif
}

/// SMLATB: `acc + hi(a)·lo(b)`, the halfwords signed, wrapping.
@inline(__always)
func multiplyAddHighLow(_ a: UInt32, _ b: UInt32, _ acc: Int32) -> Int32 {
    #if MINNOW_ARM_DSP
    return Int32(Builtin.int_arm_smlatb(a._value, b._value, acc._value))
    #else
    return acc &+ Int32(Int16(truncatingIfNeeded: a >> 16)) &* Int32(Int16(truncatingIfNeeded: b))
    #endif
}

/// SXTB16: bytes 0 and 2 of `x`, sign-extended, as a pair.
@inline(__always)
func signExtendBytesLow(_ x: UInt32) -> UInt32 {
    #if MINNOW_ARM_DSP
    return UInt32(Builtin.int_arm_sxtb16(x._value))
    #else
    return UInt32(UInt16(bitPattern: Int16(Int8(truncatingIfNeeded: x))))
        | UInt32(UInt16(bitPattern: Int16(Int8(truncatingIfNeeded: x >> 16)))) << 16
    #endif
}

/// SXTB16 with ROR #8: bytes 1 and 3 of `x`, sign-extended, as a pair.
@inline(__always)
func signExtendBytesHigh(_ x: UInt32) -> UInt32 {
    signExtendBytesLow((x >> 8) | (x << 24))
}

/// SXTAB16: `offset` plus bytes 0 and 2 of `x` (sign-extended), halfword by halfword (wrapping).
@inline(__always)
func addSignExtendedBytesLow(_ offset: UInt32, _ x: UInt32) -> UInt32 {
    #if MINNOW_ARM_DSP
    return UInt32(Builtin.int_arm_sxtab16(offset._value, x._value))
    #else
    let e = signExtendBytesLow(x)
    let low = UInt16(truncatingIfNeeded: offset) &+ UInt16(truncatingIfNeeded: e)
    let high = UInt16(truncatingIfNeeded: offset >> 16) &+ UInt16(truncatingIfNeeded: e >> 16)
    return UInt32(low) | UInt32(high) << 16
    #endif
}

/// SXTAB16 with ROR #8: `offset` plus bytes 1 and 3 of `x` (sign-extended).
@inline(__always)
func addSignExtendedBytesHigh(_ offset: UInt32, _ x: UInt32) -> UInt32 {
    addSignExtendedBytesLow(offset, (x >> 8) | (x << 24))
}

/// The pair (v, v).
@inline(__always)
func pairOf(_ v: Int16) -> UInt32 {
    let h = UInt32(UInt16(bitPattern: v))
    return h | h << 16
}

/// The pair (a, b): `a` in the low halfword.
@inline(__always)
func pairOf(_ a: Int16, _ b: Int16) -> UInt32 {
    UInt32(UInt16(bitPattern: a)) | UInt32(UInt16(bitPattern: b)) << 16
}

/// 4 bytes from `p` (any alignment) as a little-endian word.
@inline(__always)
func loadWord(_ p: UnsafeRawPointer) -> UInt32 {
    UInt32(littleEndian: p.loadUnaligned(as: UInt32.self))
}

/// The first `count` (0...3) bytes at `p` as a little-endian word, the other bytes 0
/// (never reads past `p + count`).
@inline(__always)
func loadPartialWord(_ p: UnsafePointer<Int8>, count: Int) -> UInt32 {
    var v: UInt32 = 0
    for i in 0..<count { v |= UInt32(UInt8(bitPattern: p[i])) << UInt32(8 * i) }
    return v
}

/// One output channel's requantization with the shifts resolved once:
/// `output(acc)` is bit-exact with `OutputQuantization.output(acc, channel:)`
/// for multipliers in [0, 2^31) and shifts in −31...30 (what the model loader
/// enforces), in about a dozen 32-bit instructions.
///
/// SRDHM(x, M) = trunc((x·M + nudge) / 2^31) with nudge = 2^30 or 1 − 2^30 by
/// the sign of x·M equals floor((x·M + 2^30) / 2^31) — one 64-bit add and
/// an arithmetic shift; only x = M = Int32.min, where SRDHM saturates, differs,
/// and M ≥ 0 excludes it. RDBPOT as in `requantize8`.
struct ChannelRequantization {
    var multiplier: Int32
    var leftShift: Int32
    var rightShift: Int32
    var mask: Int32
    var half: Int32
    var zeroPoint: Int32
    var lower: Int32
    var upper: Int32
    /// Whether `fastOutput` is exact for this channel (see there).
    var isFast: Bool
    /// `fastOutput`'s high-word addend: 2^(r−1) + zeroPoint·2^r (r = rightShift).
    var fastOffset: Int32

    /// `accumulatorBound`: a bound on |acc| for every accumulator this channel will
    /// requantize (bias included); `fastOutput` needs |acc| < 2^29 (see there).
    @inline(__always)
    init(_ q: OutputQuantization, channel: Int, accumulatorBound: Int = Int.max) {
        let shift = q.shifts[channel]
        multiplier = q.multipliers[channel]
        leftShift = shift > 0 ? shift : 0
        rightShift = shift > 0 ? 0 : 0 &- shift
        mask = Int32(truncatingIfNeeded: (Int64(1) &<< Int64(rightShift)) &- 1)
        half = mask &>> 1
        zeroPoint = q.zeroPoint
        lower = q.activationMin
        upper = q.activationMax
        isFast = rightShift >= 1 && rightShift <= 21 && leftShift == 0 && accumulatorBound < 1 << 29
            && lower == -128 && upper == 127
        fastOffset = isFast ? Self.fastOffset(rightShift: rightShift, zeroPoint: zeroPoint) : 0
    }

    /// `output(acc)` in 6 instructions when `isFast` (right shift r in 1...21, no left
    /// shift, |acc| < 2^29, activation range the whole int8 range).
    ///
    /// With h = SRDHM(acc, M) = floor((acc·M + 2^30) / 2^31) (`output(_:)`), the
    /// rounding right shift (half away from zero) is floor((h + 2^(r−1) − [h < 0]) / 2^r);
    /// nested floors by powers of two merge, so the result is
    /// floor((acc·M + 2^30 + (2^(r−1) − [h < 0])·2^31) / 2^(31+r)). [h < 0] may be
    /// replaced by [acc < 0] (M ≥ 0): they differ only when acc < 0 and h = 0, and
    /// then both give 0. Doubled, that is floor(Y / 2^(32+r)) with
    /// Y = 2acc·M + 2^31 + (2^(r−1) − [acc < 0] + zeroPoint·2^r)·2^32 (the zero point
    /// folded in): the high word of one `smlal` (low word 2^31), shifted right by r.
    /// The bounds keep 2acc and that high word within 32 bits; the clamp to the
    /// int8 range is one `ssat`.
    @inline(__always)
    func fastOutput(_ acc: Int32) -> Int32 {
        fastOutput(acc, multiplier: multiplier)
    }

    /// `fastOutput(_:)` with the multiplier passed in.
    @inline(__always)
    func fastOutput(_ acc: Int32, multiplier: Int32) -> Int32 {
        Self.fastOutput(acc, multiplier: multiplier, rightShift: rightShift, offset: fastOffset)
    }

    /// `fastOffset` for right shift `r` (1...21) and output zero point `zeroPoint`.
    @inline(__always)
    static func fastOffset(rightShift r: Int32, zeroPoint: Int32) -> Int32 {
        (1 &<< (r &- 1)) &+ zeroPoint &* (1 &<< r)
    }

    /// `fastOffset(rightShift: −shift, zeroPoint:)` with `zeroPointTerm` =
    /// `fastZeroPointTerm(zeroPoint)`: (2·zeroPoint + 1)·2^(r−1), and r − 1 = ~shift.
    @inline(__always)
    static func fastOffset(shift: Int32, zeroPointTerm: Int32) -> Int32 {
        zeroPointTerm &<< ~shift
    }

    /// 2·zeroPoint + 1 (see `fastOffset(shift:zeroPointTerm:)`).
    @inline(__always)
    static func fastZeroPointTerm(_ zeroPoint: Int32) -> Int32 {
        zeroPoint &* 2 &+ 1
    }

    /// Whether every channel of a layer takes `fastOutput`: each accumulator is
    /// `bias[k]` plus `taps` int8 products (see `accumulatorBound`).
    static func allFast(_ q: OutputQuantization, channels: Int, bias: UnsafePointer<Int32>?, taps: Int) -> Bool {
        guard q.activationMin == -128 && q.activationMax == 127 else { return false }
        for k in 0..<channels {
            let s = q.shifts[k]
            if s > -1 || s < -21 || accumulatorBound(bias: bias?[k] ?? 0, taps: taps) >= 1 << 29 { return false }
        }
        return true
    }

    /// `fastOutput` from its parts (`rightShift` = −shift, `offset` = `fastOffset(...)`).
    @inline(__always)
    static func fastOutput(_ acc: Int32, multiplier: Int32, rightShift: Int32, offset fastOffset: Int32) -> Int32 {
        let (high, low) = (acc &<< 1).multipliedFullWidth(by: multiplier)
        // + 2^31 in the low word, its carry into the high word: with a constant LLVM
        // folds the carry to `low >> 31` (smull, add, add); with this value (2^31 as
        // M ≥ 0, but opaque to the optimizer) the whole sum becomes one `smlal`.
        let (_, carry) = low.addingReportingOverflow(0x8000_0000 | UInt32(bitPattern: multiplier &>> 31))
        let hi = high &+ fastOffset &+ (acc &>> 31) &+ (carry ? 1 : 0)
        return saturateInt8(hi &>> rightShift)
    }

    /// `fastOutput` or `output`, whichever applies.
    @inline(__always)
    func anyOutput(_ acc: Int32) -> Int32 {
        isFast ? fastOutput(acc) : output(acc)
    }

    /// The clamped int8 output value (as Int32) for accumulator `acc`.
    @inline(__always)
    func output(_ acc: Int32) -> Int32 {
        output(acc, multiplier: multiplier)
    }

    /// `output(_:)` with the multiplier passed in.
    @inline(__always)
    func output(_ acc: Int32, multiplier: Int32) -> Int32 {
        // 32-bit operations only: at -Osize Embedded Swift calls a function for
        // `Int64(_: Int32)` and ARM then multiplies 64 × 64 bits; multipliedFullWidth is one `smull`.
        let (high, low) = (acc &<< leftShift).multipliedFullWidth(by: multiplier)
        let (sum, carry) = low.addingReportingOverflow(1 << 30)
        let h = (high &+ (carry ? 1 : 0)) &<< 1 | Int32(bitPattern: sum >> 31)
        let remainder = h & mask
        let threshold = half &- (h &>> 31)
        let rounded = (h &>> rightShift) &+ Int32(bitPattern: UInt32(bitPattern: threshold &- remainder) >> 31)
        return clamp(rounded &+ zeroPoint, lower, upper)
    }
}

/// `x` clamped to −128...127: one `ssat` on ARM.
@inline(__always)
func saturateInt8(_ x: Int32) -> Int32 {
    x < -128 ? -128 : (x > 127 ? 127 : x)
}

/// A bound on |accumulator| of an int8 dot product of `taps` terms plus `bias`
/// (|input − zeroPoint| ≤ 255, |weight| ≤ 128), saturating at `Int.max`.
@inline(__always)
func accumulatorBound(bias: Int32, taps: Int) -> Int {
    // Both limits keep the sum below 2^31 (Int is 32 bits on Cortex-M); anything larger is "unbounded".
    guard bias.magnitude < 1 << 29, taps >= 0, taps < 1 << 14 else { return Int.max }
    return Int(bias.magnitude) + taps * 32_640
}

/// Scratch bytes the dual-multiply kernel of a layer needs (0 where none
/// applies). Platform-independent: the exporter plans
/// max(this, the portable kernels' needs), so one model file serves every target.
public func dualMultiplyKernelScratchBytes(opcode: Opcode, geometry: WindowGeometry,
                                          inputChannels: Int, inputElements: Int,
                                          outputWidth: Int, outputChannels: Int) -> Int {
    switch opcode {
    case .convolution:
        if usesSingleChannelKernel(inputChannels: inputChannels, strideWidth: geometry.strideWidth) {
            return singleChannelDualMultiplyScratchBytes(geometry: geometry, outputWidth: outputWidth,
                                                         outputChannels: outputChannels)
        }
        return convolutionDualMultiplyScratchBytes(kernelHeight: geometry.kernelHeight,
                                                   kernelWidth: geometry.kernelWidth, inputChannels: inputChannels)
    case .fullyConnected:
        return fullyConnectedDualMultiplyScratchBytes(inputCount: inputElements)
    default:
        return 0
    }
}
