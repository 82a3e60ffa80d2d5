/// The reduction of a global pooling layer.
public enum GlobalPoolingKind: UInt8, Sendable {
    case average = 0
    case max = 1
}

/// The reference int8 global pooling: one value per channel over all
/// height × width positions; scale and zero point are kept.
///
/// Average rounds half away from zero: (s ± n/2) / n with n = height · width,
/// as `poolReference` does. Output: `channels` contiguous int8 values.
public func globalPoolReference(
    kind: GlobalPoolingKind,
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout,
    output: UnsafeMutablePointer<Int8>
) {
    let pixels = inputLayout.height * inputLayout.width
    let count = Int32(truncatingIfNeeded: pixels)
    for c in 0..<inputLayout.channels {
        var acc: Int32 = kind == .max ? -128 : 0
        for p in 0..<pixels {
            let v = Int32(input[p * inputLayout.pixelStride + c])
            if kind == .max {
                acc = v > acc ? v : acc
            } else {
                acc = acc &+ v
            }
        }
        if kind == .average {
            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count
        }
        output[c] = Int8(truncatingIfNeeded: acc)
    }
}
