/// Optimized fully connected layer over packed weights (the layout of
/// `packConvolutionWeights` with kh = 1 and rowTaps = the input count):
/// the input is offset by its zero point once into int16, then each pair
/// of inputs is broadcast to 8 outputs at a time and multiplied by their
/// weight pairs with `multiplyAddPairs` (`vpmaddwd`: 16 exact MACs); four
/// blocks of 8 outputs share each broadcast. No horizontal sums.
/// Bit-exact with `fullyConnectedReference`.
///
/// - packedWeights: `packedConvolutionWeightBytes(kernelHeight: 1, rowTaps: inputCount, ...)` bytes.
/// - band: `inputCount + 16` int16 values (an odd count's last pair reads one value more, weighted 0).
func fullyConnectedPacked(
    input: UnsafePointer<Int8>, inputCount: Int, inputZeroPoint: Int32,
    packedWeights: UnsafePointer<Int16>, bias: UnsafePointer<Int32>?,
    output: UnsafeMutablePointer<Int8>, outputCount: Int,
    quantization q: OutputQuantization, band: UnsafeMutablePointer<Int16>
) {
    let zeroPoint = Int16(truncatingIfNeeded: inputZeroPoint)
    var i = 0
    while i + 8 <= inputCount {
        storeWidened(input + i, minus: zeroPoint, to: band + i)
        i += 8
    }
    while i < inputCount {
        band[i] = Int16(input[i]) &- zeroPoint
        i += 1
    }
    band[inputCount] = 0
    let pairs = (inputCount + 1) / 2
    let blockValues = pairs * 16
    let blocks = (outputCount + 7) / 8
    let table = PackedBlockTable(channels: outputCount, bias: bias, quantization: q)
    var block = 0
    while block + 4 <= blocks {
        let p0 = table[block]
        let p1 = table[block + 1]
        let p2 = table[block + 2]
        let p3 = table[block + 3]
        var a0 = p0.bias, a1 = p1.bias, a2 = p2.bias, a3 = p3.bias
        let w = packedWeights + block * blockValues
        for j in 0..<pairs {
            let x = broadcastPair(band + 2 * j)
            let k = 16 * j
            a0 &+= multiplyAddPairs(x, loadWeights(w + k))
            a1 &+= multiplyAddPairs(x, loadWeights(w + (blockValues + k)))
            a2 &+= multiplyAddPairs(x, loadWeights(w + (2 * blockValues + k)))
            a3 &+= multiplyAddPairs(x, loadWeights(w + (3 * blockValues + k)))
        }
        p0.store(a0, quantization: q, to: output + 8 * block)
        p1.store(a1, quantization: q, to: output + 8 * block + 8)
        p2.store(a2, quantization: q, to: output + 8 * block + 16)
        p3.store(a3, quantization: q, to: output + 8 * block + 24)
        block += 4
    }
    while block < blocks {
        let p0 = table[block]
        var a0 = p0.bias
        let w = packedWeights + block * blockValues
        for j in 0..<pairs {
            a0 &+= multiplyAddPairs(broadcastPair(band + 2 * j), loadWeights(w + 16 * j))
        }
        p0.store(a0, quantization: q, to: output + 8 * block)
        block += 1
    }
}
