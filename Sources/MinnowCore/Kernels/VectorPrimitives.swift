// The vector primitives the host kernels are built on: the exact int16 pair
// multiply-add, and the lane conversions.
//
// With AVX2 (the package's x86_64 build defines MINNOW_AVX2 and passes
// -enable-builtin-module) `multiplyAddPairs` is one `vpmaddwd ymm`: 16 exact
// MACs per instruction, two per cycle. LLVM does not form `vpmaddwd` from the
// equivalent Swift arithmetic inside a loop with several accumulators (its
// reassociation splits the pair sum into the accumulator chain), so the
// instruction is named through its LLVM intrinsic. The conversions are the
// generic SIMD initializers' own LLVM operations, spelled out because the
// generic versions become out-of-line calls inside large kernels. Everywhere
// else the portable definitions give the same bits.
#if MINNOW_AVX2
import Builtin
#endif

/// r[i] = a[2i] · b[2i] + a[2i+1] · b[2i+1], exact in int32 for the operands
/// the kernels pass (|a| ≤ 255, |b| ≤ 127; `vpmaddwd` wraps only for
/// a = b = −32768 in both lanes of a pair).
@inline(__always)
func multiplyAddPairs(_ a: SIMD16<Int16>, _ b: SIMD16<Int16>) -> SIMD8<Int32> {
#if MINNOW_AVX2
    unsafeBitCast(Builtin.int_x86_avx2_pmadd_wd(a._storage._value, b._storage._value), to: SIMD8<Int32>.self)
#else
    multiplyAddPairsPortable(a, b)
#endif
}

/// `multiplyAddPairs` in plain lane arithmetic (any architecture).
@inline(__always)
func multiplyAddPairsPortable(_ a: SIMD16<Int16>, _ b: SIMD16<Int16>) -> SIMD8<Int32> {
    var r = SIMD8<Int32>()
    for i in 0..<8 {
        r[i] = Int32(a[2 * i]) &* Int32(b[2 * i]) &+ Int32(a[2 * i + 1]) &* Int32(b[2 * i + 1])
    }
    return r
}

/// The low byte of each lane (lanes already clamped to −128...127). The
/// generic `SIMD8<Int8>(truncatingIfNeeded:)` is an out-of-line call in large
/// functions; with the Builtin module it is one truncation LLVM lowers to a
/// couple of shuffles.
@inline(__always)
func narrowToInt8(_ r: SIMD8<Int32>) -> SIMD8<Int8> {
#if MINNOW_AVX2
    unsafeBitCast(Builtin.truncOrBitCast_Vec8xInt32_Vec8xInt8(r._storage._value), to: SIMD8<Int8>.self)
#else
    SIMD8<Int8>(truncatingIfNeeded: r)
#endif
}

/// Each lane sign-extended to int16 (`vpmovsxbw`), inline for the same reason.
@inline(__always)
func widenToInt16(_ v: SIMD8<Int8>) -> SIMD8<Int16> {
#if MINNOW_AVX2
    unsafeBitCast(Builtin.sextOrBitCast_Vec8xInt8_Vec8xInt16(v._storage._value), to: SIMD8<Int16>.self)
#else
    SIMD8<Int16>(truncatingIfNeeded: v)
#endif
}


/// `Int32(x)` for x already known to lie in −1000...1000: without the
/// range check (a trap branch) that keeps LLVM from vectorising the loop.
@inline(__always)
func truncateToInt32(_ x: Float) -> Int32 {
#if MINNOW_AVX2
    Int32(Builtin.fptosi_FPIEEE32_Int32(x._value))
#else
    Int32(x)
#endif
}

/// Each lane sign-extended to int32 (`vpmovsxbd`), inline.
@inline(__always)
func widenToInt32(_ v: SIMD8<Int8>) -> SIMD8<Int32> {
#if MINNOW_AVX2
    unsafeBitCast(Builtin.sextOrBitCast_Vec8xInt8_Vec8xInt32(v._storage._value), to: SIMD8<Int32>.self)
#else
    SIMD8<Int32>(truncatingIfNeeded: v)
#endif
}

/// Each int16 lane sign-extended to int32 (`vpmovsxwd`), inline.
@inline(__always)
func widenToInt32(_ v: SIMD8<Int16>) -> SIMD8<Int32> {
#if MINNOW_AVX2
    unsafeBitCast(Builtin.sextOrBitCast_Vec8xInt16_Vec8xInt32(v._storage._value), to: SIMD8<Int32>.self)
#else
    SIMD8<Int32>(truncatingIfNeeded: v)
#endif
}

/// The truncated quotient a / b lane by lane, through float (`vcvtdq2ps`,
/// `vdivps`, `vcvttps2dq`); exact where the caller's ranges make it so
/// (see `poolAverageOptimized`).
@inline(__always)
func truncatedFloatQuotient(_ a: SIMD8<Int32>, _ b: SIMD8<Float>) -> SIMD8<Int32> {
#if MINNOW_AVX2
    let quotient = unsafeBitCast(Builtin.sitofp_Vec8xInt32_Vec8xFPIEEE32(a._storage._value), to: SIMD8<Float>.self) / b
    return unsafeBitCast(Builtin.fptosi_Vec8xFPIEEE32_Vec8xInt32(quotient._storage._value), to: SIMD8<Int32>.self)
#else
    return SIMD8<Int32>(SIMD8<Float>(a) / b, rounding: .towardZero)
#endif
}
