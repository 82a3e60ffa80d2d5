/// The reduction of a pooling window.
public enum PoolingKind: UInt8, Sendable {
    case max = 0
    case average = 1
    case min = 2
}

/// The reference int8 pooling over each channel: max, average or min over
/// the in-bounds taps of each window (padding taps are skipped, never
/// counted). Input and output share scale and zero point.
///
/// Average: sum s of the n in-bounds taps, output (s ± n/2) / n with
/// truncating division — half rounds away from zero (9.5 → 10, −9.5 → −10).
/// The result is clamped to [activationMin, activationMax].
///
/// Every window must hold at least one in-bounds tap (the model loader checks
/// this); an empty window would output `activationMin`.
public func poolReference(
    kind: PoolingKind,
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    activationMin: Int32 = -128, activationMax: Int32 = 127
) {
    for outY in 0..<outputLayout.height {
        for outX in 0..<outputLayout.width {
            let originY = outY * g.strideHeight - g.padTop
            let originX = outX * g.strideWidth - g.padLeft
            let yStart = max(originY, 0), yEnd = min(originY + g.kernelHeight, inputLayout.height)
            let xStart = max(originX, 0), xEnd = min(originX + g.kernelWidth, inputLayout.width)
            let outBase = (outY * outputLayout.width + outX) * outputLayout.pixelStride
            for c in 0..<outputLayout.channels {
                var acc: Int32
                switch kind {
                case .max: acc = -128
                case .min: acc = 127
                case .average: acc = 0
                }
                var count: Int32 = 0
                if yStart < yEnd && xStart < xEnd {
                    for y in yStart..<yEnd {
                        for x in xStart..<xEnd {
                            let v = Int32(input[(y * inputLayout.width + x) * inputLayout.pixelStride + c])
                            switch kind {
                            case .max: acc = v > acc ? v : acc
                            case .min: acc = v < acc ? v : acc
                            case .average: acc = acc &+ v
                            }
                            count = count &+ 1
                        }
                    }
                }
                if kind == .average {
                    if count == 0 {
                        acc = activationMin
                    } else {
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count
                    }
                }
                output[outBase + c] = Int8(truncatingIfNeeded: clamp(acc, activationMin, activationMax))
            }
        }
    }
}
