import Testing
@testable import MinnowCore

/// Oracles written from the mathematical definitions with 64-bit integers,
/// independent of the engine's formulation.
enum Oracle {
    /// round(a · b / 2^31), ties toward +∞, saturating the single overflow.
    static func srdhm(_ a: Int32, _ b: Int32) -> Int32 {
        let p = Int64(a) * Int64(b)
        let r = (p + (1 << 30)) >> 31  // floor division by 2^31 after adding a half
        return r > Int64(Int32.max) ? Int32.max : Int32(r)
    }

    /// x / 2^e rounded to nearest, ties away from zero.
    static func rdbpot(_ x: Int32, _ e: Int32) -> Int32 {
        if e == 0 { return x }
        let half = Int64(1) << (e - 1)
        let magnitude = (abs(Int64(x)) + half) >> e
        return Int32(x < 0 ? -magnitude : magnitude)
    }

    static func requantize(_ x: Int32, _ m: Int32, _ shift: Int32) -> Int32 {
        let left = max(shift, 0), right = max(-shift, 0)
        let shifted = Int32(truncatingIfNeeded: Int64(x) << Int64(left))
        return rdbpot(srdhm(shifted, m), right)
    }
}

struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct FixedPointTests {
    static let edges: [Int32] = [Int32.min, Int32.min + 1, -(1 << 30) - 1, -(1 << 30), -(1 << 30) + 1,
                                 -65_536, -255, -128, -3, -2, -1, 0, 1, 2, 3, 127, 255, 65_536,
                                 (1 << 30) - 1, 1 << 30, (1 << 30) + 1, Int32.max - 1, Int32.max]

    @Test func srdhmMatchesOracleOnEdgesAndRandom() {
        for a in Self.edges {
            for b in Self.edges {
                #expect(saturatingRoundingDoublingHighMul(a, b) == Oracle.srdhm(a, b), "a=\(a) b=\(b)")
            }
        }
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<100_000 {
            let a = Int32.random(in: .min ... .max, using: &rng), b = Int32.random(in: .min ... .max, using: &rng)
            #expect(saturatingRoundingDoublingHighMul(a, b) == Oracle.srdhm(a, b))
        }
        #expect(saturatingRoundingDoublingHighMul(.min, .min) == .max)
    }

    @Test func rdbpotMatchesOracleForEveryExponent() {
        var rng = SeededGenerator(seed: 2)
        for e in Int32(0)...31 {
            for x in Self.edges {
                #expect(roundingDivideByPowerOfTwo(x, e) == Oracle.rdbpot(x, e), "x=\(x) e=\(e)")
            }
            for _ in 0..<3000 {
                let x = Int32.random(in: .min ... .max, using: &rng)
                #expect(roundingDivideByPowerOfTwo(x, e) == Oracle.rdbpot(x, e))
            }
        }
        #expect(roundingDivideByPowerOfTwo(5, 1) == 3)
        #expect(roundingDivideByPowerOfTwo(-5, 1) == -3)
        #expect(roundingDivideByPowerOfTwo(-7, 2) == -2)
    }

    @Test func requantizeMatchesOracleForEveryShift() {
        var rng = SeededGenerator(seed: 3)
        for shift in Int32(-31)...30 {
            for m: Int32 in [0, 1 << 30, (1 << 30) + 12345, Int32.max] {
                for x in Self.edges {
                    #expect(requantize(x, multiplier: m, shift: shift) == Oracle.requantize(x, m, shift),
                            "x=\(x) m=\(m) shift=\(shift)")
                }
            }
            for _ in 0..<2000 {
                let x = Int32.random(in: .min ... .max, using: &rng)
                let m = Int32.random(in: (1 << 30)...Int32.max, using: &rng)
                #expect(requantize(x, multiplier: m, shift: shift) == Oracle.requantize(x, m, shift))
            }
        }
    }

    @Test func documentedExamples() {
        #expect(requantize(3, multiplier: 1 << 30, shift: 0) == 2)
        #expect(requantize(-3, multiplier: 1 << 30, shift: 0) == -1)
        #expect(requantize(5, multiplier: 1 << 30, shift: -1) == 2)
    }

    @Test func quantizedMultiplierRoundTrips() throws {
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<10_000 {
            let exponent = Double.random(in: -30...20, using: &rng)
            let real = Double.pow2(exponent)
            let q = try #require(QuantizedMultiplier(real: real))
            #expect(q.isValid)
            #expect(q.multiplier >= 1 << 30)
            #expect(abs(q.realValue - real) <= real * 1e-9)
        }
        #expect(QuantizedMultiplier(real: 0) == QuantizedMultiplier(multiplier: 0, shift: 0))
        #expect(QuantizedMultiplier(real: 0.5) == QuantizedMultiplier(multiplier: 1 << 30, shift: 0))
        #expect(QuantizedMultiplier(real: 1) == QuantizedMultiplier(multiplier: 1 << 30, shift: 1))
        // A fraction that rounds up to 2^31 becomes 2^30 with the shift one higher.
        #expect(QuantizedMultiplier(real: 1 - 1e-12) == QuantizedMultiplier(multiplier: 1 << 30, shift: 1))
        #expect(QuantizedMultiplier(real: 1e-12) == QuantizedMultiplier(multiplier: 0, shift: 0))
        #expect(QuantizedMultiplier(real: -1) == nil)
        #expect(QuantizedMultiplier(real: .nan) == nil)
    }

    @Test func requantizeApproximatesRealMultiplication() throws {
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<20_000 {
            let real = Double.random(in: 1e-6...4, using: &rng)
            let q = try #require(QuantizedMultiplier(real: real))
            let x = Int32.random(in: -1_000_000...1_000_000, using: &rng)
            let exact = Double(x) * q.realValue
            // Two roundings: at most one step away from the exact product.
            #expect(abs(Double(requantize(x, q)) - exact) <= 1.0)
        }
    }

    @Test func saturatingCastsAndQuantize() {
        #expect(saturatingInt8(1000) == 127)
        #expect(saturatingInt8(-1000) == -128)
        #expect(saturatingInt8(-5) == -5)
        #expect(quantizeToInt8(0.25, scale: 0.5, zeroPoint: 3) == 4)   // 0.5 rounds away from zero
        #expect(quantizeToInt8(-0.25, scale: 0.5, zeroPoint: 3) == 2)
        #expect(quantizeToInt8(1, scale: 1.0 / 255.0, zeroPoint: -128) == 127)
        // The 8-wide version used by Engine.setInput(quantizing:) equals the scalar one,
        // on halves, near-halves, saturation, infinities, NaN and random values.
        var rng = SeededGenerator(seed: 17)
        let special: [Float] = [0.5, -0.5, 1.5, -1.5, 0.49999997, -0.49999997, 0.50000006, 127.5, -128.5, 1e9, -1e9,
                                .infinity, -.infinity, .nan, 0, -0.0, 2.5, -2.5, 1000.5, -1000.5, .leastNonzeroMagnitude]
        for scale: Float in [1, 0.5, 1.0 / 255.0, 0.013, 3.7] {
            for zeroPoint: Int32 in [-128, -5, 0, 17, 127] {
                var values = special.map { $0 * scale }
                values += (0..<203).map { _ in Float.random(in: -300...300, using: &rng) * scale }
                values += (0..<64).map { _ in Float(Int.random(in: -400...400, using: &rng)) * 0.5 * scale }
                var vector = [Int8](repeating: 0, count: values.count)
                values.withUnsafeBufferPointer { v in
                    vector.withUnsafeMutableBufferPointer { d in
                        quantizeToInt8(v.baseAddress!, count: v.count, scale: scale, zeroPoint: zeroPoint, into: d.baseAddress!)
                    }
                }
                for (i, x) in values.enumerated() where vector[i] != quantizeToInt8(x, scale: scale, zeroPoint: zeroPoint) {
                    Issue.record("x=\(x) scale=\(scale) zp=\(zeroPoint): \(vector[i]) vs \(quantizeToInt8(x, scale: scale, zeroPoint: zeroPoint))")
                    return
                }
            }
        }
        #expect(quantizeToInt8(-3, scale: 1, zeroPoint: 0) == -3)
        #expect(quantizeToInt8(.nan, scale: 1, zeroPoint: 7) == 7)
        #expect(quantizeToInt8(.infinity, scale: 1, zeroPoint: 0) == 127)
    }

    @Test func crc32CheckValue() {
        var crc = CRC32()
        Array("123456789".utf8).withUnsafeBytes { crc.update($0) }
        #expect(crc.value == 0xCBF4_3926)
    }
}

extension Double {
    static func pow2(_ e: Double) -> Double { Foundation_exp2(e) }
}

@inline(__always) func Foundation_exp2(_ e: Double) -> Double {
    // exp2 without Foundation: 2^e = 2^floor(e) · 2^frac, 2^frac by its series.
    let whole = e.rounded(.down)
    let frac = e - whole
    var term = 1.0, sum = 1.0
    let ln2 = 0.6931471805599453
    for k in 1...30 {
        term *= frac * ln2 / Double(k)
        sum += term
    }
    return sum * Double(sign: .plus, exponent: Int(whole), significand: 1)
}

extension FixedPointTests {
    /// The 8-lane requantization the optimized kernels use equals the scalar
    /// `requantize` lane by lane: random and extreme accumulators, every shift
    /// the loader allows, multipliers across [2^30, 2^31) and 0.
    @Test func vectorRequantizationMatchesScalar() {
        var rng = SeededGenerator(seed: 2718)
        let extremes: [Int32] = [.min, .max, 0, 1, -1, 1 << 30, -(1 << 30), 12345, -12345, .min + 1]
        for trial in 0..<20_000 {
            var acc = SIMD8<Int32>(), m = SIMD8<Int32>(), s = SIMD8<Int32>()
            for i in 0..<8 {
                switch (trial + i) % 4 {
                case 0: acc[i] = extremes[Int.random(in: 0..<extremes.count, using: &rng)]
                case 1: acc[i] = Int32.random(in: .min ... .max, using: &rng)
                default: acc[i] = Int32.random(in: -200_000...200_000, using: &rng)
                }
                m[i] = trial % 97 == 0 ? 0 : Int32.random(in: (1 << 30)...Int32.max, using: &rng)
                s[i] = Int32.random(in: -31...30, using: &rng)
            }
            let v = requantize8(acc, multiplier: m, shift: s)
            for i in 0..<8 where v[i] != requantize(acc[i], multiplier: m[i], shift: s[i]) {
                Issue.record("acc \(acc[i]) m \(m[i]) s \(s[i]): \(v[i]) vs \(requantize(acc[i], multiplier: m[i], shift: s[i]))")
                return
            }
        }
    }
}
