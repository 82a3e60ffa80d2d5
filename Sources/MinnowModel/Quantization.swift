import MinnowCore

/// The TFLite int8 quantization rules, computed on the host (exporter, tests).
public enum Quantization {
    /// Scale and zero point for an activation range [min, max] (TFLite's
    /// ChooseQuantizationParams for int8): the range is widened to hold 0,
    /// scale = (max − min) / 255, the zero point is the rounded one with the
    /// smaller error, clamped to −128...127. A degenerate range gives scale 1/255.
    public static func activationParameters(min lower: Float, max upper: Float) -> (scale: Float, zeroPoint: Int32) {
        let rmin = Double(Swift.min(lower, 0)), rmax = Double(Swift.max(upper, 0))
        guard rmax > rmin, rmin.isFinite, rmax.isFinite else { return (1.0 / 255.0, -128) }
        let (qmin, qmax) = (-128.0, 127.0)
        let scale = (rmax - rmin) / (qmax - qmin)
        let fromMin = qmin - rmin / scale
        let fromMax = qmax - rmax / scale
        let errorMin = abs(qmin) + abs(rmin / scale)
        let errorMax = abs(qmax) + abs(rmax / scale)
        let zero = errorMin < errorMax ? fromMin : fromMax
        let nudged = Swift.min(Swift.max(zero.rounded(), qmin), qmax)
        return (Float(scale), Int32(nudged))
    }

    /// Symmetric per-output-channel weights: `weights` holds `channels` equal
    /// runs (OHWI or [out][in]); scale_c = max|w_c| / 127 (1 for an all-zero
    /// channel), q = round(w / scale_c) in −127...127.
    public static func weightsPerChannel(_ weights: [Float], channels: Int) -> (values: [Int8], scales: [Float]) {
        let per = weights.count / channels
        var values = [Int8](repeating: 0, count: weights.count)
        var scales = [Float](repeating: 1, count: channels)
        for c in 0..<channels {
            var maxAbs: Float = 0
            for i in 0..<per { maxAbs = Swift.max(maxAbs, abs(weights[c * per + i])) }
            let scale = maxAbs > 0 ? maxAbs / 127 : 1
            scales[c] = scale
            for i in 0..<per {
                let q = (weights[c * per + i] / scale).rounded(.toNearestOrAwayFromZero)
                values[c * per + i] = Int8(Swift.max(-127, Swift.min(127, q)))
            }
        }
        return (values, scales)
    }

    /// Biases at scale input_scale · weight_scale[c], rounded, saturated to int32.
    public static func bias(_ bias: [Float], inputScale: Float, weightScales: [Float]) -> [Int32] {
        zip(bias, weightScales).map { b, w in
            let q = (Double(b) / (Double(inputScale) * Double(w))).rounded()
            return Int32(Swift.max(Double(Int32.min), Swift.min(Double(Int32.max), q)))
        }
    }

    /// Per-channel requantization: input_scale · weight_scale[c] / output_scale, in double.
    public static func multipliers(inputScale: Float, weightScales: [Float], outputScale: Float) -> [QuantizedMultiplier] {
        weightScales.map { w in
            QuantizedMultiplier(real: Double(inputScale) * Double(w) / Double(outputScale))
                ?? QuantizedMultiplier(multiplier: 0, shift: 0)
        }
    }

    /// The output clamp: ReLU clamps at the zero point.
    public static func clamp(zeroPoint: Int32, relu: Bool) -> (min: Int32, max: Int32) {
        (relu ? Swift.max(-128, zeroPoint) : -128, 127)
    }

    /// TFLite's int8 ADD parameters for inputs at (s1, z1), (s2, z2) and output (s, z).
    public static func add(input1: (scale: Float, zeroPoint: Int32), input2: (scale: Float, zeroPoint: Int32),
                           output: (scale: Float, zeroPoint: Int32), relu: Bool) -> AddQuantization {
        let leftShift: Int32 = 20
        let twiceMax = 2 * Double(Swift.max(input1.scale, input2.scale))
        let m1 = QuantizedMultiplier(real: Double(input1.scale) / twiceMax)!
        let m2 = QuantizedMultiplier(real: Double(input2.scale) / twiceMax)!
        let mOut = QuantizedMultiplier(real: twiceMax / (Double(1 << leftShift) * Double(output.scale)))!
        let (lo, hi) = clamp(zeroPoint: output.zeroPoint, relu: relu)
        return AddQuantization(leftShift: leftShift, input1: m1, input2: m2, output: mOut,
                               input1ZeroPoint: input1.zeroPoint, input2ZeroPoint: input2.zeroPoint,
                               outputZeroPoint: output.zeroPoint, activationMin: lo, activationMax: hi)
    }

    /// TFLite's int8 softmax parameters for an input scale (β = 1): the
    /// multiplier of β · scale · 2^26 (≥ 1, split as multiplier and left
    /// shift) and diffMin, the most negative difference still counted.
    public static func softmax(inputScale: Float, beta: Double = 1) -> SoftmaxParameters {
        let scaledDiffIntegerBits = 5
        let real = Swift.min(beta * Double(inputScale) * Double(1 << (31 - scaledDiffIntegerBits)),
                             Double((1 << 31) - 1))
        let m = QuantizedMultiplier(real: real) ?? QuantizedMultiplier(multiplier: 0, shift: 0)
        let leftShift = Swift.max(m.shift, 0)
        let maxInputRescaled = Double((1 << scaledDiffIntegerBits) - 1)
            * Double(1 << (31 - scaledDiffIntegerBits)) / Double(1 << Int(leftShift))
        return SoftmaxParameters(inputMultiplier: m.multiplier, inputLeftShift: leftShift,
                                 diffMin: -Int32(maxInputRescaled.rounded(.down)))
    }
}
