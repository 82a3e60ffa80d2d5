/// The reference int8 fully connected layer.
///
/// - input: `inputCount` int8 values (a flattened NHWC tensor), zero point `inputZeroPoint`.
/// - weights: int8 `[outputCount][inputCount]`, −127...127, zero point 0.
/// - bias: int32 per output (scale input_scale · weight_scale[o]), or nil.
/// - output: `outputCount` int8 values, requantized per output by `quantization`
///   (per-channel multipliers; a per-tensor layer repeats one value).
///
/// acc = bias[o] + Σ w[o][i] · (x[i] − inputZeroPoint).
public func fullyConnectedReference(
    input: UnsafePointer<Int8>, inputCount: Int, inputZeroPoint: Int32,
    weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    output: UnsafeMutablePointer<Int8>, outputCount: Int,
    quantization q: OutputQuantization
) {
    for o in 0..<outputCount {
        var acc: Int32 = bias?[o] ?? 0
        let row = weights + o * inputCount
        for i in 0..<inputCount {
            acc = acc &+ Int32(row[i]) &* (Int32(input[i]) &- inputZeroPoint)
        }
        output[o] = q.output(acc, channel: o)
    }
}
