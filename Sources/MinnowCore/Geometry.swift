// Geometry of sliding-window layers (convolution and pooling).
//
// Along one axis an input of length W, a window of extent F, stride S and zero
// padding P_before + P_after gives
//
//     out = (W − F + P_before + P_after) / S + 1
//
// When the division is not exact the geometry is invalid unless the layer asks
// for `.floor` or `.ceil` rounding (as Caffe-style pooling does). Examples:
//
//     W=7,  F=3, P=0, S=1 → 5        W=7, F=3, P=0, S=2 → 3
//     W=10, F=3, P=0, S=2 → 4.5 (invalid; floor → 4, ceil → 5)
//     W=5,  F=3, P=1+1, S=2 → 3
//
// "same" padding follows TensorFlow: out = ceil(W / S), total padding
// max((out − 1)·S + F − W, 0), the smaller half before, the larger after.

/// How a fractional output length is handled.
public enum OutputRounding: UInt8, Sendable {
    /// A fractional output length is an error (the default).
    case exact = 0
    /// Round the output length down: trailing input that no full window covers is dropped.
    case floor = 1
    /// Round the output length up: the last window hangs over the padded input;
    /// its out-of-bounds taps are skipped like padding.
    case ceil = 2
}

/// Zero padding of a sliding-window layer.
public enum Padding: Equatable, Sendable {
    /// No padding.
    case valid
    /// TensorFlow "same": output length ceil(W / S).
    case same
    /// Explicit padding in elements on each side.
    case explicit(top: Int, bottom: Int, left: Int, right: Int)

    /// Symmetric explicit padding `p` on every side.
    public static func symmetric(_ p: Int) -> Padding {
        .explicit(top: p, bottom: p, left: p, right: p)
    }
}

/// Why a window geometry is invalid. Values are the numbers of the formula
/// `(input − filter + padding) / stride + 1`, so a message can show them.
public enum GeometryError: Error, Equatable, Sendable {
    /// The division is not exact: the output length would be
    /// `(input − filter + padding) / stride + 1`, a fraction.
    case fractionalOutput(input: Int, filter: Int, padding: Int, stride: Int)
    /// The window (plus padding) does not fit: output length below 1.
    case windowLargerThanInput(input: Int, filter: Int, padding: Int)
    /// A zero or negative extent, stride or padding, or a length too large for the model format.
    case nonPositive(input: Int, filter: Int, padding: Int, stride: Int)

    /// The output length as a decimal string with up to two fractional digits ("4.5").
    public var fractionalLengthText: String {
        switch self {
        case let .fractionalOutput(input, filter, padding, stride):
            let numerator = input - filter + padding
            let whole = numerator / stride + 1
            let hundredths = (numerator % stride) * 100 / stride
            var text = String(whole) + "."
            if hundredths % 10 == 0 {
                text += String(hundredths / 10)
            } else {
                if hundredths < 10 { text += "0" }
                text += String(hundredths)
            }
            return text
        default:
            return ""
        }
    }

    /// A one-line explanation with the numbers, e.g.
    /// "(10 − 3 + 0) / 2 + 1 = 4.5 is not a whole number".
    public var explanation: String {
        switch self {
        case let .fractionalOutput(input, filter, padding, stride):
            return "output size (" + String(input) + " - " + String(filter) + " + " + String(padding)
                + ") / " + String(stride) + " + 1 = " + fractionalLengthText
                + " is not a whole number (ask for floor or ceil rounding to allow it)"
        case let .windowLargerThanInput(input, filter, padding):
            return "window of " + String(filter) + " does not fit an input of " + String(input)
                + " with padding " + String(padding)
        case let .nonPositive(input, filter, padding, stride):
            return "invalid geometry: input " + String(input) + ", window " + String(filter)
                + ", padding " + String(padding) + ", stride " + String(stride)
        }
    }
}

/// The resolved geometry of one axis: output length and padding before/after.
public struct AxisGeometry: Equatable, Sendable {
    public var output: Int
    public var padBefore: Int
    public var padAfter: Int

    public init(output: Int, padBefore: Int, padAfter: Int) {
        self.output = output
        self.padBefore = padBefore
        self.padAfter = padAfter
    }
}

/// Largest length, extent, stride or padding the model format can hold on one axis.
public let maximumAxisLength = 65_535

/// Output length of one axis for explicit padding.
///
/// - Parameters: input length W ≥ 1, window extent F ≥ 1, stride S ≥ 1,
///   padding before/after ≥ 0, all ≤ `maximumAxisLength`.
/// - Returns: the output length; with `.ceil` the trailing padding actually
///   used can exceed `padAfter` (the overhanging taps are skipped).
/// - Throws: `GeometryError` when the numbers are out of range, the window does
///   not fit, or the division is fractional under `.exact`.
public func outputLength(
    input: Int, filter: Int, stride: Int, padBefore: Int, padAfter: Int,
    rounding: OutputRounding = .exact
) throws(GeometryError) -> Int {
    let padding = padBefore + padAfter
    guard input >= 1, filter >= 1, stride >= 1, padBefore >= 0, padAfter >= 0,
          input <= maximumAxisLength, filter <= maximumAxisLength, stride <= maximumAxisLength,
          padBefore <= maximumAxisLength, padAfter <= maximumAxisLength
    else {
        throw .nonPositive(input: input, filter: filter, padding: padding, stride: stride)
    }
    let span = input + padding - filter
    guard span >= 0 else {
        throw .windowLargerThanInput(input: input, filter: filter, padding: padding)
    }
    let remainder = span % stride
    switch rounding {
    case .exact:
        guard remainder == 0 else {
            throw .fractionalOutput(input: input, filter: filter, padding: padding, stride: stride)
        }
        return span / stride + 1
    case .floor:
        return span / stride + 1
    case .ceil:
        return (span + stride - 1) / stride + 1
    }
}

/// Resolves one axis of a window layer under a padding mode.
///
/// `which` selects the axis for explicit padding: `true` for height
/// (top/bottom), `false` for width (left/right).
public func resolveAxis(
    input: Int, filter: Int, stride: Int, padding: Padding, rounding: OutputRounding,
    height: Bool
) throws(GeometryError) -> AxisGeometry {
    switch padding {
    case .valid:
        let out = try outputLength(input: input, filter: filter, stride: stride,
                                   padBefore: 0, padAfter: 0, rounding: rounding)
        return AxisGeometry(output: out, padBefore: 0, padAfter: 0)
    case .same:
        guard input >= 1, filter >= 1, stride >= 1, input <= maximumAxisLength,
              filter <= maximumAxisLength, stride <= maximumAxisLength
        else { throw .nonPositive(input: input, filter: filter, padding: 0, stride: stride) }
        let out = (input + stride - 1) / stride
        let total = max((out - 1) * stride + filter - input, 0)
        return AxisGeometry(output: out, padBefore: total / 2, padAfter: total - total / 2)
    case let .explicit(top, bottom, left, right):
        let before = height ? top : left
        let after = height ? bottom : right
        let out = try outputLength(input: input, filter: filter, stride: stride,
                                   padBefore: before, padAfter: after, rounding: rounding)
        return AxisGeometry(output: out, padBefore: before, padAfter: after)
    }
}
