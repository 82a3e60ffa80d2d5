/// The shape and memory layout of one int8 NHWC feature map (batch 1).
///
/// Element (y, x, c) lives at `(y · width + x) · pixelStride + c`. A
/// `pixelStride` larger than `channels` describes a channel slice of a wider
/// tensor (an Inception branch writing straight into its part of the concat
/// output).
public struct FeatureMapLayout: Equatable, Sendable {
    /// Rows, 1...65,535.
    public var height: Int
    /// Columns, 1...65,535.
    public var width: Int
    /// Channels, 1...65,535.
    public var channels: Int
    /// Elements from one pixel to the next, ≥ `channels`.
    public var pixelStride: Int

    @inlinable
    public init(height: Int, width: Int, channels: Int, pixelStride: Int? = nil) {
        self.height = height
        self.width = width
        self.channels = channels
        self.pixelStride = pixelStride ?? channels
    }

    /// Number of elements (height · width · channels).
    @inlinable public var elementCount: Int { height * width * channels }

    /// Bytes from the first element to one past the last.
    @inlinable public var extentBytes: Int { (height * width - 1) * pixelStride + channels }

    /// Whether the elements are contiguous (no gaps between pixels).
    @inlinable public var isContiguous: Bool { pixelStride == channels }
}

/// Output requantization of one layer: per-channel multipliers and shifts
/// (TFLite form, see `requantize(_:multiplier:shift:)`), the output zero point
/// and the clamp (ReLU is fused here: a ReLU output clamps at the zero point).
public struct OutputQuantization {
    /// Per output channel, each in [2^30, 2^31) or 0.
    public var multipliers: UnsafePointer<Int32>
    /// Per output channel, each in −31...30.
    public var shifts: UnsafePointer<Int32>
    /// −128...127.
    public var zeroPoint: Int32
    /// Lower clamp, −128...127.
    public var activationMin: Int32
    /// Upper clamp, activationMin...127.
    public var activationMax: Int32

    @inlinable
    public init(multipliers: UnsafePointer<Int32>, shifts: UnsafePointer<Int32>,
                zeroPoint: Int32, activationMin: Int32, activationMax: Int32) {
        self.multipliers = multipliers
        self.shifts = shifts
        self.zeroPoint = zeroPoint
        self.activationMin = activationMin
        self.activationMax = activationMax
    }

    /// The int8 output for accumulator `acc` of channel `channel`.
    @inlinable @inline(__always)
    public func output(_ acc: Int32, channel: Int) -> Int8 {
        let scaled = requantize(acc, multiplier: multipliers[channel], shift: shifts[channel]) &+ zeroPoint
        return Int8(truncatingIfNeeded: clamp(scaled, activationMin, activationMax))
    }
}

/// Window geometry of a convolution or pooling layer (resolved padding).
public struct WindowGeometry: Equatable, Sendable {
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideHeight: Int
    public var strideWidth: Int
    /// Zero rows above the input: taps there are skipped.
    public var padTop: Int
    /// Zero columns left of the input: taps there are skipped.
    public var padLeft: Int

    @inlinable
    public init(kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
                padTop: Int = 0, padLeft: Int = 0) {
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.padTop = padTop
        self.padLeft = padLeft
    }
}
