import MinnowModel

/// Batch normalisation of one convolution's output channels (training only;
/// `Checkpoint.foldedParameters()` folds it into the convolution).
///
/// Inference: y = gamma · (x − runningMean) / √(runningVariance + epsilon) + beta.
public struct BatchNormParameters: Equatable, Sendable {
    public var gamma: [Float]
    public var beta: [Float]
    public var runningMean: [Float]
    /// Running variance (unbiased batch variances, averaged with momentum 0.1).
    public var runningVariance: [Float]
    public var epsilon: Float

    public init(gamma: [Float], beta: [Float], runningMean: [Float], runningVariance: [Float], epsilon: Float) {
        self.gamma = gamma
        self.beta = beta
        self.runningMean = runningMean
        self.runningVariance = runningVariance
        self.epsilon = epsilon
    }

    /// Identity statistics for `channels` channels (gamma 1, beta 0, mean 0, variance 1).
    public static func identity(channels: Int, epsilon: Float = 1e-5) -> BatchNormParameters {
        BatchNormParameters(gamma: Array(repeating: 1, count: channels), beta: Array(repeating: 0, count: channels),
                            runningMean: Array(repeating: 0, count: channels),
                            runningVariance: Array(repeating: 1, count: channels), epsilon: epsilon)
    }
}

/// The float parameters of one convolution or dense layer.
///
/// - Convolution: `weights` in OHWI order, `[filters][kernelHeight][kernelWidth][inChannels]`,
///   `bias` `[filters]`, and `batchNorm` when the layer has `batchNorm: true`
///   (applied after the bias, before the activation).
/// - Dense: `weights` `[units][inputs]`, where the inputs are the producer's
///   output flattened in NHWC order (index `(y·W + x)·C + c`); `bias` `[units]`.
public struct LayerParameters: Equatable, Sendable {
    public var weights: [Float]
    public var bias: [Float]
    public var batchNorm: BatchNormParameters?

    public init(weights: [Float], bias: [Float], batchNorm: BatchNormParameters? = nil) {
        self.weights = weights
        self.bias = bias
        self.batchNorm = batchNorm
    }
}

/// Weights and bias of a convolution or dense layer with batch normalisation
/// folded in (same layouts as `LayerParameters`).
public struct FoldedParameters: Equatable, Sendable {
    public var weights: [Float]
    public var bias: [Float]

    public init(weights: [Float], bias: [Float]) {
        self.weights = weights
        self.bias = bias
    }
}

/// Which layers carry parameters, and how many.
struct ParameterShape: Equatable {
    var weights: Int
    var bias: Int
    var batchNorm: Bool
}

extension ArchitectureAnalysis {
    /// The parameter shape of layer `index`, or nil for layers without parameters.
    func parameterShape(of index: Int) -> ParameterShape? {
        let layer = layers[index]
        switch architecture.layers[index].operation {
        case let .convolution(c):
            return ParameterShape(weights: layer.weights, bias: layer.biases, batchNorm: c.batchNorm)
        case .dense:
            return ParameterShape(weights: layer.weights, bias: layer.biases, batchNorm: false)
        default:
            return nil
        }
    }
}
