/// Quantization of an element-wise add (TFLite's int8 ADD): both inputs are
/// brought to a common scale 2 · max(s1, s2) with 20 bits of headroom, summed,
/// and requantized to the output.
///
/// - `leftShift`: 20 (headroom bits), 0...30.
/// - `input1`/`input2`: s_i / (2 · max(s1, s2)), multipliers < 1 (shift ≤ 0).
/// - `output`: 2 · max(s1, s2) / (2^leftShift · s_out).
public struct AddQuantization: Equatable, Sendable {
    public var leftShift: Int32
    public var input1: QuantizedMultiplier
    public var input2: QuantizedMultiplier
    public var output: QuantizedMultiplier
    public var input1ZeroPoint: Int32
    public var input2ZeroPoint: Int32
    public var outputZeroPoint: Int32
    public var activationMin: Int32
    public var activationMax: Int32

    public init(leftShift: Int32, input1: QuantizedMultiplier, input2: QuantizedMultiplier,
                output: QuantizedMultiplier, input1ZeroPoint: Int32, input2ZeroPoint: Int32,
                outputZeroPoint: Int32, activationMin: Int32, activationMax: Int32) {
        self.leftShift = leftShift
        self.input1 = input1
        self.input2 = input2
        self.output = output
        self.input1ZeroPoint = input1ZeroPoint
        self.input2ZeroPoint = input2ZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.activationMin = activationMin
        self.activationMax = activationMax
    }

    /// One output value.
    @inlinable @inline(__always)
    public func add(_ a: Int8, _ b: Int8) -> Int8 {
        let shifted1 = (Int32(a) &- input1ZeroPoint) &<< leftShift
        let shifted2 = (Int32(b) &- input2ZeroPoint) &<< leftShift
        let sum = requantize(shifted1, input1) &+ requantize(shifted2, input2)
        let out = requantize(sum, output) &+ outputZeroPoint
        return Int8(truncatingIfNeeded: clamp(out, activationMin, activationMax))
    }
}

/// The reference int8 element-wise add (residual connection, H(x) = f(x) + x)
/// of two feature maps of the same height, width and channels.
public func addReference(
    _ a: UnsafePointer<Int8>, _ aLayout: FeatureMapLayout,
    _ b: UnsafePointer<Int8>, _ bLayout: FeatureMapLayout,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    quantization q: AddQuantization
) {
    for p in 0..<(outputLayout.height * outputLayout.width) {
        for c in 0..<outputLayout.channels {
            output[p * outputLayout.pixelStride + c] =
                q.add(a[p * aLayout.pixelStride + c], b[p * bLayout.pixelStride + c])
        }
    }
}
