/// Optimized int8 fully connected layer: the input is offset by its zero
/// point once into an int16 scratch vector, then every output is one
/// contiguous dot product (`dotProduct`). Bit-exact with `fullyConnectedReference`.
///
/// - scratch: `fullyConnectedScratchBytes(inputCount:)` bytes, 2-byte aligned.
func fullyConnectedOptimized(
    input: UnsafePointer<Int8>, inputCount: Int, inputZeroPoint: Int32,
    weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    output: UnsafeMutablePointer<Int8>, outputCount: Int,
    quantization q: OutputQuantization, scratch: UnsafeMutablePointer<Int16>
) {
    let zeroPoint = Int16(truncatingIfNeeded: inputZeroPoint)
    for i in 0..<inputCount { scratch[i] = Int16(input[i]) &- zeroPoint }
    var row = weights
    for o in 0..<outputCount {
        let acc = (bias?[o] ?? 0) &+ dotProduct(row, scratch, count: inputCount)
        output[o] = q.output(acc, channel: o)
        row += inputCount
    }
}

/// Scratch bytes of `fullyConnectedOptimized`: the input as int16.
public func fullyConnectedScratchBytes(inputCount: Int) -> Int {
    2 * inputCount
}
