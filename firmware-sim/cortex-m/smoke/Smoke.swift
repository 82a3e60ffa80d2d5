// Smoke test of the Embedded-Swift → C → Cortex-M4 chain, independent of the engine:
// an int8 fully connected layer with TFLite-style requantization (double rounding),
// exported to C with @_cdecl. Compiled with exactly the flags of tools/build-embedded.sh.
// The C side (smoke_main.c) recomputes everything in C and compares bit for bit.

/// SaturatingRoundingDoublingHighMul: high 32 bits of 2·a·b, rounded to nearest.
@inline(__always)
func srdhm(_ a: Int32, _ b: Int32) -> Int32 {
    if a == Int32.min && b == Int32.min { return Int32.max }
    let p = Int64(a) &* Int64(b)
    let nudge: Int64 = p >= 0 ? (1 << 30) : (1 &- (1 << 30))
    return Int32(truncatingIfNeeded: (p &+ nudge) / (1 << 31))
}

/// RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero.
@inline(__always)
func rdbpot(_ x: Int32, _ e: Int32) -> Int32 {
    let mask: Int32 = (1 << e) &- 1
    let remainder = x & mask
    let threshold = (mask >> 1) &+ (x < 0 ? 1 : 0)
    return (x >> e) &+ (remainder > threshold ? 1 : 0)
}

/// Requantizes an int32 accumulator with multiplier M ∈ [2^30, 2^31) and a shift.
@_cdecl("smoke_requantize")
public func smokeRequantize(_ acc: Int32, _ multiplier: Int32, _ shift: Int32) -> Int32 {
    let left = shift > 0 ? shift : 0
    let right = shift > 0 ? 0 : -shift
    return rdbpot(srdhm(acc &<< left, multiplier), right)
}

/// Σ (a[i] − aZeroPoint) · b[i] over `count` int8 pairs.
@_cdecl("smoke_dot_i8")
public func smokeDotI8(_ a: UnsafePointer<Int8>, _ b: UnsafePointer<Int8>,
                       _ count: Int32, _ aZeroPoint: Int32) -> Int32 {
    var acc: Int32 = 0
    var i = 0
    let n = Int(count)
    while i < n {
        acc &+= (Int32(a[i]) &- aZeroPoint) &* Int32(b[i])
        i &+= 1
    }
    return acc
}

/// int8 fully connected: out[o] = clamp(requantize(Σ w[o][i]·(x[i] − xZeroPoint) + bias[o]) + outZeroPoint).
/// Weights row-major [outputs][inputs]. ReLU is the clamp at `activationMin`.
@_cdecl("smoke_fully_connected_i8")
public func smokeFullyConnectedI8(
    _ x: UnsafePointer<Int8>, _ inputs: Int32, _ xZeroPoint: Int32,
    _ w: UnsafePointer<Int8>, _ bias: UnsafePointer<Int32>, _ outputs: Int32,
    _ multiplier: Int32, _ shift: Int32, _ outZeroPoint: Int32, _ activationMin: Int32,
    _ out: UnsafeMutablePointer<Int8>
) {
    let n = Int(inputs)
    var o = 0
    while o < Int(outputs) {
        var acc = bias[o]
        let row = w + (o &* n)
        var i = 0
        while i < n {
            acc &+= Int32(row[i]) &* (Int32(x[i]) &- xZeroPoint)
            i &+= 1
        }
        var v = smokeRequantize(acc, multiplier, shift) &+ outZeroPoint
        if v < activationMin { v = activationMin }
        if v > 127 { v = 127 }
        out[o] = Int8(truncatingIfNeeded: v)
        o &+= 1
    }
}
