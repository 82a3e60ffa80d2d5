/// Σ w[i] · x[i] for i < count: int8 weights, int16 activations (already
/// offset by the zero point, so −255...255), int32 result (|w · x| ≤ 127 · 255,
/// so up to 66,000 products cannot overflow). A plain scalar loop that LLVM
/// vectorises by itself (`vpmovsxbw` + `vpmaddwd` with AVX2); explicit SIMD
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
