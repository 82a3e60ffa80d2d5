/// Σ w[i] · x[i] for i < count: int8 weights, int16 activations (already
/// offset by the zero point, so −255...255), int32 result.
///
/// The 16-wide body widens both to int32, multiplies and accumulates in one
/// serial chain; LLVM turns that into `vpmovsxbw` + `vpmaddwd` on AVX2
/// (16 exact MACs per instruction). |w · x| ≤ 127 · 255, so the sum of up to
/// 66,000 products cannot overflow.
@inline(__always)
func dotProduct(_ w: UnsafePointer<Int8>, _ x: UnsafePointer<Int16>, count: Int) -> Int32 {
    var vector = SIMD16<Int32>()
    var i = 0
    while i + 16 <= count {
        let wv = UnsafeRawPointer(w + i).loadUnaligned(as: SIMD16<Int8>.self)
        let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Int16>.self)
        vector &+= SIMD16<Int32>(truncatingIfNeeded: wv) &* SIMD16<Int32>(truncatingIfNeeded: xv)
        i += 16
    }
    var sum = vector.wrappedSum()
    while i < count {
        sum = sum &+ Int32(w[i]) &* Int32(x[i])
        i += 1
    }
    return sum
}

/// `dotProduct` for the hot loops: a plain scalar loop that LLVM
/// vectorises by itself (`vpmovsxbw` + `vpmaddwd` with AVX2). Explicit SIMD
/// widening (`SIMD16<Int32>(truncatingIfNeeded:)`) compiles to an
/// out-of-line call per step on this toolchain, so it is avoided here.
/// The 16 int16 values before `x` are zero (kept for kernels that read a
/// ragged head as one full step).
@inline(__always)
func dotProductZeroGuarded(_ w: UnsafePointer<Int8>, _ x: UnsafePointer<Int16>, count: Int) -> Int32 {
    var sum: Int32 = 0
    for i in 0..<count {
        sum = sum &+ Int32(w[i]) &* Int32(x[i])
    }
    return sum
}

/// Int16 zeros kept before an int16 scratch vector for `dotProductZeroGuarded`.
let dotProductGuardElements = 16
