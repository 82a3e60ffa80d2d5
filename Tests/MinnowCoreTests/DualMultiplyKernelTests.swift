import Testing
@testable import MinnowCore

/// The ARM dual-multiply (SMLAD) kernels, run here with their plain-Swift
/// stand-ins for the DSP instructions, agree bit for bit with the reference
/// kernels on random shapes, strides, paddings, pixel strides, zero points and
/// requantization; the stand-ins agree with the instructions' definitions.
/// (On Cortex-M4 the firmware tests check the real instructions end to end.)
@Suite struct DualMultiplyKernelTests {
    static func randomMultipliers(_ n: Int, _ rng: inout SeededGenerator) -> ([Int32], [Int32]) {
        ((0..<n).map { _ in Int32.random(in: (1 << 30)...Int32.max, using: &rng) },
         (0..<n).map { _ in Int32.random(in: -14...3, using: &rng) })
    }

    /// One convolution case through the dual-multiply kernel, with guard
    /// bytes around the scratch (checked untouched).
    static func convolveDual(_ t: ConvolutionCase, singleChannel: Bool) -> [Int8] {
        let g = t.geometry, inLayout = t.inLayout, outLayout = t.outLayout
        var out = [Int8](repeating: 0, count: outLayout.extentBytes)
        let bytes = singleChannel
            ? singleChannelDualMultiplyScratchBytes(geometry: g, outputWidth: outLayout.width,
                                                    outputChannels: outLayout.channels)
            : convolutionDualMultiplyScratchBytes(kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth,
                                                  inputChannels: inLayout.channels)
        #expect(bytes <= kernelScratchBytes(opcode: .convolution, geometry: g, inputChannels: inLayout.channels,
                                            inputElements: inLayout.elementCount, outputHeight: outLayout.height,
                                            outputWidth: outLayout.width, outputChannels: outLayout.channels))
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes + 32, alignment: 16)
        defer { scratch.deallocate() }
        scratch.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes + 32)
        t.withQuantization { q, bias in
            t.input.withUnsafeBufferPointer { i in
                t.weights.withUnsafeBufferPointer { w in
                    out.withUnsafeMutableBufferPointer { o in
                        if singleChannel {
                            convolveSingleChannelDualMultiply(
                                input: i.baseAddress!, inputLayout: inLayout, inputZeroPoint: t.inputZeroPoint,
                                weights: w.baseAddress!, bias: bias, geometry: g, output: o.baseAddress!,
                                outputLayout: outLayout, quantization: q, scratch: scratch + 16)
                        } else {
                            convolveDualMultiply(
                                input: i.baseAddress!, inputLayout: inLayout, inputZeroPoint: t.inputZeroPoint,
                                weights: w.baseAddress!, bias: bias, geometry: g, output: o.baseAddress!,
                                outputLayout: outLayout, quantization: q, scratch: scratch + 16)
                        }
                    }
                }
            }
        }
        let guardBytes = (0..<16).map { scratch.load(fromByteOffset: $0, as: UInt8.self) }
            + (0..<16).map { scratch.load(fromByteOffset: 16 + bytes + $0, as: UInt8.self) }
        #expect(guardBytes.allSatisfy { $0 == 0xA5 }, "scratch overrun")
        return out
    }

    static func checkConvolutions(seed: UInt64, trials: Int, singleChannel: Bool, kernel: (Int, Int)? = nil) {
        var rng = SeededGenerator(seed: seed)
        for trial in 0..<trials {
            let c = singleChannel ? 1 : Int.random(in: 1...19, using: &rng)
            // Every other trial the whole int8 range (the requantization's fast path).
            let fullRange = trial % 2 == 1
            let lo = fullRange ? -128 : Int32.random(in: -128...0, using: &rng)
            let hi = fullRange ? 127 : Int32.random(in: lo...127, using: &rng)
            var t = ConvolutionCase(using: &rng, kernel: kernel, kernelSizes: 1...6, strideWidth: singleChannel ? 1 : nil,
                                    inputChannels: c, outputChannels: Int.random(in: 1...9, using: &rng), maxExtent: 13,
                                    inputPixelGap: trial % 3 == 0, outputPixelGap: trial % 4 == 0,
                                    withBias: trial % 5 != 0, activation: (lo, hi))
            (t.multipliers, t.shifts) = Self.randomMultipliers(t.outLayout.channels, &rng)
            if trial % 4 == 1 { t.shifts = t.shifts.map { min($0, -1) } }   // every channel right-shifting: the layer-wide fast path
            let dual = convolveDual(t, singleChannel: singleChannel)
            if let problem = t.mismatch(t.reference(), dual) {
                Issue.record("trial \(trial): \(problem)")
                return
            }
        }
    }

    @Test func convolutionMatchesReference() {
        Self.checkConvolutions(seed: 4242, trials: 400, singleChannel: false)
    }

    @Test func singleChannelConvolutionMatchesReference() {
        Self.checkConvolutions(seed: 1717, trials: 400, singleChannel: true)
    }

    /// 3×3 (`convolveCrossedPairs`) and 5×5 single-channel kernels, many shapes.
    @Test func singleChannel3x3And5x5MatchReference() {
        Self.checkConvolutions(seed: 3333, trials: 200, singleChannel: true, kernel: (3, 3))
        Self.checkConvolutions(seed: 5555, trials: 100, singleChannel: true, kernel: (5, 5))
    }

    @Test func fullyConnectedMatchesReference() {
        var rng = SeededGenerator(seed: 3131)
        for trial in 0..<300 {
            let n = Int.random(in: 1...300, using: &rng), units = Int.random(in: 1...25, using: &rng)
            let input = (0..<n).map { _ in Int8.random(in: -128...127, using: &rng) }
            let weights = (0..<(n * units)).map { _ in Int8.random(in: -127...127, using: &rng) }
            let bias: [Int32]? = trial % 4 == 0 ? nil : (0..<units).map { _ in Int32.random(in: -50_000...50_000, using: &rng) }
            var (m, s) = Self.randomMultipliers(units, &rng)
            if trial % 4 == 1 { s = s.map { min($0, -1) } }   // every channel right-shifting: the layer-wide fast path
            if trial % 8 == 1 { m[0] = 0 }
            let zpIn = Int32.random(in: -128...127, using: &rng), zpOut = Int32.random(in: -128...127, using: &rng)
            // Every other trial the whole int8 range (the requantization's fast path).
            let lo: Int32 = trial % 2 == 1 ? -128 : -100, hi: Int32 = trial % 2 == 1 ? 127 : 120
            let r = fullyConnected(input, inputZeroPoint: zpIn, weights: weights, bias: bias, units: units,
                                   multipliers: m, shifts: s, outputZeroPoint: zpOut, min: lo, max: hi, kernels: .reference)
            var o = [Int8](repeating: 0, count: units)
            let bytes = fullyConnectedDualMultiplyScratchBytes(inputCount: n)
            #expect(bytes <= kernelScratchBytes(opcode: .fullyConnected, geometry: WindowGeometry(kernelHeight: 1, kernelWidth: 1),
                                                inputChannels: n, inputElements: n, outputHeight: 1, outputWidth: 1,
                                                outputChannels: units))
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
            defer { scratch.deallocate() }
            input.withUnsafeBufferPointer { i in
                weights.withUnsafeBufferPointer { w in
                    m.withUnsafeBufferPointer { mp in
                        s.withUnsafeBufferPointer { sp in
                            o.withUnsafeMutableBufferPointer { buffer in
                                let op = buffer
                                let q = OutputQuantization(multipliers: mp.baseAddress!, shifts: sp.baseAddress!,
                                                           zeroPoint: zpOut, activationMin: lo, activationMax: hi)
                                let run = { (b: UnsafePointer<Int32>?) in
                                    fullyConnectedDualMultiply(input: i.baseAddress!, inputCount: n, inputZeroPoint: zpIn,
                                                               weights: w.baseAddress!, bias: b, output: op.baseAddress!,
                                                               outputCount: units, quantization: q, scratch: scratch)
                                }
                                if let bias { bias.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                            }
                        }
                    }
                }
            }
            #expect(r == o, "trial \(trial): n=\(n) units=\(units)")
        }
    }

    @Test func channelRequantizationMatchesScalar() {
        var rng = SeededGenerator(seed: 99)
        let edges: [Int32] = [0, 1, -1, 2, -2, 3, -3, 1 << 30, -(1 << 30), Int32.max, Int32.min, Int32.min + 1, Int32.max - 1]
        for trial in 0..<20_000 {
            let m: Int32 = trial % 97 == 0 ? 0 : Int32.random(in: (1 << 30)...Int32.max, using: &rng)
            let s = Int32.random(in: -31...30, using: &rng)
            let zp = Int32.random(in: -128...127, using: &rng)
            let lo = Int32.random(in: -128...0, using: &rng)
            let acc = trial < edges.count * 20 ? edges[trial % edges.count] : Int32.random(in: Int32.min...Int32.max, using: &rng)
            let multipliers = [m], shifts = [s]
            multipliers.withUnsafeBufferPointer { mp in
                shifts.withUnsafeBufferPointer { sp in
                    let q = OutputQuantization(multipliers: mp.baseAddress!, shifts: sp.baseAddress!,
                                               zeroPoint: zp, activationMin: lo, activationMax: 127)
                    let expected = Int32(q.output(acc, channel: 0))
                    let got = ChannelRequantization(q, channel: 0).output(acc)
                    #expect(expected == got, "acc \(acc) m \(m) s \(s)")
                }
            }
        }
    }

    /// `ChannelRequantization.fastOutput`: taken exactly where documented, and then
    /// bit-exact with the scalar requantization, on edge and random accumulators
    /// within the bound.
    @Test func fastRequantizationMatchesScalar() {
        var rng = SeededGenerator(seed: 2024)
        let limit: Int32 = (1 << 29) - 1
        let edges: [Int32] = [0, 1, -1, 2, -2, 3, -3, 127, -128, 1 << 20, -(1 << 20), limit, -limit, limit - 1, -limit + 1]
        var fastCases = 0
        for trial in 0..<40_000 {
            let m: Int32 = trial % 101 == 0 ? 0 : (trial % 7 == 0 ? Int32.random(in: 0...Int32.max, using: &rng)
                                                                  : Int32.random(in: (1 << 30)...Int32.max, using: &rng))
            let s = trial % 13 == 0 ? Int32.random(in: -31...30, using: &rng) : Int32.random(in: -22...0, using: &rng)
            let zp = Int32.random(in: -128...127, using: &rng)
            let full = trial % 11 != 0
            let lo: Int32 = full ? -128 : Int32.random(in: -128...0, using: &rng), hiLimit: Int32 = full ? 127 : 120
            var acc = trial < edges.count * 30 ? edges[trial % edges.count] : Int32.random(in: -limit...limit, using: &rng)
            // Exact ties of the rounding shift (acc·M a multiple of 2^(31+r−1) ± small) now and then.
            if trial % 5 == 0 && s < 0 && m > 0 { acc = Int32(truncatingIfNeeded: (Int64(acc) >> 12) << 12) }
            let bound = Int(acc.magnitude) + (trial % 17 == 0 ? 1 << 29 : 0)
            let multipliers = [m], shifts = [s]
            multipliers.withUnsafeBufferPointer { mp in
                shifts.withUnsafeBufferPointer { sp in
                    let q = OutputQuantization(multipliers: mp.baseAddress!, shifts: sp.baseAddress!,
                                               zeroPoint: zp, activationMin: lo, activationMax: hiLimit)
                    let r = ChannelRequantization(q, channel: 0, accumulatorBound: bound)
                    #expect(r.isFast == (s <= -1 && s >= -21 && full && bound < 1 << 29), "s \(s) bound \(bound)")
                    if r.isFast { fastCases += 1 }
                    let expected = Int32(q.output(acc, channel: 0))
                    #expect(r.anyOutput(acc) == expected, "acc \(acc) m \(m) s \(s) zp \(zp)")
                }
            }
        }
        #expect(fastCases > 20_000)
    }

    @Test func accumulatorBoundIsABound() {
        #expect(accumulatorBound(bias: 0, taps: 25) == 25 * 32_640)
        #expect(accumulatorBound(bias: -5, taps: 1) == 32_645)
        #expect(accumulatorBound(bias: Int32.min, taps: 1) == Int.max)
        #expect(accumulatorBound(bias: 0, taps: 1 << 14) == Int.max)
        #expect(accumulatorBound(bias: 0, taps: -1) == Int.max)
    }

    @Test func dspStandInsMatchTheirDefinitions() {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<5_000 {
            let a = UInt32.random(in: 0...UInt32.max, using: &rng), b = UInt32.random(in: 0...UInt32.max, using: &rng)
            let acc = Int32.random(in: Int32.min...Int32.max, using: &rng)
            let bytes = (0..<4).map { Int32(Int8(truncatingIfNeeded: a >> UInt32(8 * $0))) }
            let half = { (x: UInt32, i: Int) in Int32(Int16(truncatingIfNeeded: x >> UInt32(16 * i))) }
            #expect(dualMultiplyAdd(a, b, acc) == acc &+ half(a, 0) &* half(b, 0) &+ half(a, 1) &* half(b, 1))
            #expect(half(signExtendBytesLow(a), 0) == bytes[0] && half(signExtendBytesLow(a), 1) == bytes[2])
            #expect(half(signExtendBytesHigh(a), 0) == bytes[1] && half(signExtendBytesHigh(a), 1) == bytes[3])
            #expect(multiplyAddLowHigh(a, b, acc) == acc &+ half(a, 0) &* half(b, 1))
            #expect(multiplyAddHighLow(a, b, acc) == acc &+ half(a, 1) &* half(b, 0))
            let lowSum = addSignExtendedBytesLow(b, a), highSum = addSignExtendedBytesHigh(b, a)
            #expect(Int16(truncatingIfNeeded: lowSum) == Int16(truncatingIfNeeded: half(b, 0) &+ bytes[0]))
            #expect(Int16(truncatingIfNeeded: lowSum >> 16) == Int16(truncatingIfNeeded: half(b, 1) &+ bytes[2]))
            #expect(Int16(truncatingIfNeeded: highSum) == Int16(truncatingIfNeeded: half(b, 0) &+ bytes[1]))
            #expect(Int16(truncatingIfNeeded: highSum >> 16) == Int16(truncatingIfNeeded: half(b, 1) &+ bytes[3]))
        }
    }
}
