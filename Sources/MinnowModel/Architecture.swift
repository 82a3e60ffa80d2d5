import MinnowCore

// The one architecture description shared by the trainer, the exporter and the
// firmware simulator. A net is an input shape and an ordered list of layers;
// each layer names its inputs (default: the layer before it, or the model input
// for the first layer), so Inception branches and residual adds are plain
// layers with several inputs. Layouts are NHWC throughout.

/// Height × width × channels of one image-like tensor (batch excluded).
public struct TensorShape: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var height: Int
    public var width: Int
    public var channels: Int

    public init(height: Int, width: Int, channels: Int) {
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// A flat vector of `count` values, as a 1×1×count tensor.
    public static func vector(_ count: Int) -> TensorShape {
        TensorShape(height: 1, width: 1, channels: count)
    }

    public var elementCount: Int { height * width * channels }

    public var description: String { "\(height)x\(width)x\(channels)" }
}

/// Two extents of a window or stride: along height and along width.
public struct Extent2: Equatable, Hashable, Sendable {
    public var height: Int
    public var width: Int

    public init(_ height: Int, _ width: Int) {
        self.height = height
        self.width = width
    }

    /// The same extent on both axes.
    public static func square(_ n: Int) -> Extent2 { Extent2(n, n) }
}

/// The activation fused into a layer's output.
public enum Activation: String, Equatable, Sendable {
    case none
    case relu
}

/// The reduction of a (non-global) pooling window.
public enum PoolKind: String, Equatable, Sendable {
    case max
    case average
    case min
}

/// The reduction of a global pooling layer.
public enum GlobalPoolKind: String, Equatable, Sendable {
    case average
    case max
}

/// A 2-D convolution: `filters` kernels of `kernel` extent over all input channels.
public struct Convolution: Equatable, Sendable {
    public var filters: Int
    public var kernel: Extent2
    public var stride: Extent2
    public var padding: Padding
    public var rounding: OutputRounding
    public var activation: Activation
    /// Batch normalisation after the convolution, before the activation
    /// (training only: the exporter folds it into the weights and biases).
    public var batchNorm: Bool

    public init(filters: Int, kernel: Extent2, stride: Extent2 = .square(1),
                padding: Padding = .valid, rounding: OutputRounding = .exact,
                activation: Activation = .none, batchNorm: Bool = false) {
        self.filters = filters
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.rounding = rounding
        self.activation = activation
        self.batchNorm = batchNorm
    }
}

/// A pooling window sliding over each channel.
public struct Pooling: Equatable, Sendable {
    public var kind: PoolKind
    public var size: Extent2
    public var stride: Extent2
    public var padding: Padding
    public var rounding: OutputRounding

    public init(kind: PoolKind, size: Extent2, stride: Extent2,
                padding: Padding = .valid, rounding: OutputRounding = .exact) {
        self.kind = kind
        self.size = size
        self.stride = stride
        self.padding = padding
        self.rounding = rounding
    }
}

/// A fully connected layer over the flattened (NHWC order) input.
public struct Dense: Equatable, Sendable {
    public var units: Int
    public var activation: Activation

    public init(units: Int, activation: Activation = .none) {
        self.units = units
        self.activation = activation
    }
}

/// What one layer computes.
public enum Operation: Equatable, Sendable {
    case convolution(Convolution)
    case pooling(Pooling)
    case globalPooling(GlobalPoolKind)
    case dense(Dense)
    /// Channel concatenation of all inputs (same height and width), in input order.
    case concat
    /// Element-wise sum of two inputs of the same shape, then the activation.
    case add(Activation)
    /// A standalone ReLU (the exporter fuses it into the producer when it can).
    case relu
    /// Softmax over channels (the classifier output).
    case softmax

    /// The short kind name used in reports and in the JSON format.
    public var kindName: String {
        switch self {
        case .convolution: return "conv"
        case let .pooling(p):
            switch p.kind {
            case .max: return "maxpool"
            case .average: return "avgpool"
            case .min: return "minpool"
            }
        case let .globalPooling(kind):
            return kind == .average ? "global_avgpool" : "global_maxpool"
        case .dense: return "dense"
        case .concat: return "concat"
        case .add: return "add"
        case .relu: return "relu"
        case .softmax: return "softmax"
        }
    }
}

/// One named layer and the names of the tensors it reads.
public struct Layer: Equatable, Sendable {
    /// Unique within the architecture; at most 15 UTF-8 bytes are kept in model files.
    public var name: String
    /// Names of earlier layers, or `Architecture.inputName`. Empty means
    /// "the previous layer" (the model input for the first layer).
    public var inputs: [String]
    public var operation: Operation

    public init(_ name: String, _ operation: Operation, inputs: [String] = []) {
        self.name = name
        self.operation = operation
        self.inputs = inputs
    }
}

/// A whole network: input shape and layers in execution order. The output
/// of the last layer is the model output.
public struct Architecture: Equatable, Sendable {
    /// The name by which layers refer to the model input.
    public static let inputName = "input"

    public var name: String
    public var input: TensorShape
    public var layers: [Layer]

    public init(name: String, input: TensorShape, layers: [Layer]) {
        self.name = name
        self.input = input
        self.layers = layers
    }

    /// The input names of layer `index`, with the "previous layer" default made explicit.
    public func resolvedInputs(of index: Int) -> [String] {
        let layer = layers[index]
        if !layer.inputs.isEmpty { return layer.inputs }
        return [index == 0 ? Architecture.inputName : layers[index - 1].name]
    }
}
