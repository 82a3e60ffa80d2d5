/// Optimized int8 fully connected layer: the input is offset by its zero
/// point once into an int16 scratch vector, then every output is one
/// contiguous dot product (`dotProduct`). Bit-exact with `fullyConnectedReference`.
///
/// - scratch: `fullyConnectedScratchBytes(inputCount:)` bytes, 2-byte aligned
///   (16 zero int16 guard values, then the input).
func fullyConnectedOptimized(
    input: UnsafePointer<Int8>, inputCount: Int, inputZeroPoint: Int32,
    weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    output: UnsafeMutablePointer<Int8>, outputCount: Int,
    quantization q: OutputQuantization, scratch: UnsafeMutablePointer<Int16>
) {
    let zeroPoint = Int16(truncatingIfNeeded: inputZeroPoint)
    for i in 0..<dotProductGuardElements { scratch[i] = 0 }
    let x = scratch + dotProductGuardElements
    for i in 0..<inputCount { x[i] = Int16(input[i]) &- zeroPoint }
    var row = weights
    for o in 0..<outputCount {
        let acc = (bias?[o] ?? 0) &+ dotProductZeroGuarded(row, x, count: inputCount)
        output[o] = q.output(acc, channel: o)
        row += inputCount
    }
}

/// Scratch bytes of `fullyConnectedOptimized`: 16 zero int16s, then the input as int16.
public func fullyConnectedScratchBytes(inputCount: Int) -> Int {
    saturatingProduct(2, saturatingSum(dotProductGuardElements, inputCount), 1)
}
