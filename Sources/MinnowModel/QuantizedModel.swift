import MinnowCore

/// An int8 activation tensor of a quantized graph.
public struct QuantizedTensor: Equatable, Sendable {
    public var name: String
    public var shape: TensorShape
    public var scale: Float
    public var zeroPoint: Int32

    public init(name: String, shape: TensorShape, scale: Float, zeroPoint: Int32) {
        self.name = name
        self.shape = shape
        self.scale = scale
        self.zeroPoint = zeroPoint
    }
}

/// One layer of a quantized graph, ready to serialize.
public struct QuantizedLayer: Equatable, Sendable {
    public var name: String
    public var opcode: Opcode
    /// Tensor indices read, in order.
    public var inputs: [Int]
    /// Tensor index written.
    public var output: Int
    /// Window geometry (convolution and pooling).
    public var geometry: WindowGeometry
    public var padBottom: Int
    public var padRight: Int
    public var rounding: OutputRounding
    public var activationMin: Int32
    public var activationMax: Int32
    /// Convolution OHWI / fully connected [out][in], −127...127.
    public var weights: [Int8]
    /// int32 per output channel (convolution, fully connected).
    public var bias: [Int32]
    /// Per output channel requantization (convolution, fully connected).
    public var multipliers: [QuantizedMultiplier]
    /// Add layers only.
    public var add: AddQuantization?
    /// Softmax layers only.
    public var softmax: SoftmaxParameters?

    public init(name: String, opcode: Opcode, inputs: [Int], output: Int,
                geometry: WindowGeometry = WindowGeometry(kernelHeight: 1, kernelWidth: 1),
                padBottom: Int = 0, padRight: Int = 0, rounding: OutputRounding = .exact,
                activationMin: Int32 = -128, activationMax: Int32 = 127,
                weights: [Int8] = [], bias: [Int32] = [], multipliers: [QuantizedMultiplier] = [],
                add: AddQuantization? = nil, softmax: SoftmaxParameters? = nil) {
        self.name = name
        self.opcode = opcode
        self.inputs = inputs
        self.output = output
        self.geometry = geometry
        self.padBottom = padBottom
        self.padRight = padRight
        self.rounding = rounding
        self.activationMin = activationMin
        self.activationMax = activationMax
        self.weights = weights
        self.bias = bias
        self.multipliers = multipliers
        self.add = add
        self.softmax = softmax
    }

    /// The int32 params block of this layer as the model file stores it.
    var params: [Int32] {
        switch opcode {
        case .convolution, .fullyConnected:
            return bias + multipliers.map(\.multiplier) + multipliers.map(\.shift)
        case .add:
            guard let a = add else { return [] }
            return [a.leftShift, a.input1.multiplier, a.input1.shift, a.input2.multiplier, a.input2.shift,
                    a.output.multiplier, a.output.shift]
        case .softmax:
            guard let s = softmax else { return [] }
            return [s.inputMultiplier, s.inputLeftShift, s.diffMin]
        default:
            return []
        }
    }
}

/// A whole int8 graph: tensors, layers in execution order, input and output.
public struct QuantizedModel: Equatable, Sendable {
    public var name: String
    public var tensors: [QuantizedTensor]
    public var layers: [QuantizedLayer]
    public var inputTensor: Int
    public var outputTensor: Int

    public init(name: String, tensors: [QuantizedTensor], layers: [QuantizedLayer],
                inputTensor: Int, outputTensor: Int) {
        self.name = name
        self.tensors = tensors
        self.layers = layers
        self.inputTensor = inputTensor
        self.outputTensor = outputTensor
    }

    /// The arena plan of this graph (what the model file will hold), with
    /// branches written in place into their concatenation output.
    public var memoryPlan: MemoryPlan { plan(inPlace: true) }

    /// The arena plan, optionally without in-place concatenation and pooling.
    public func plan(inPlace: Bool) -> MemoryPlan {
        let graph = MemoryPlan.Graph(
            tensorNames: tensors.map(\.name), tensorBytes: tensors.map(\.shape.elementCount),
            tensorChannels: tensors.map(\.shape.channels), opcodes: layers.map(\.opcode),
            padTopLeft: layers.map { ($0.geometry.padTop, $0.geometry.padLeft) },
            layerInputs: layers.map(\.inputs), layerOutputs: layers.map(\.output),
            inputTensor: inputTensor, outputTensor: outputTensor,
            scratchBytes: layers.map { layer in
                let input = tensors[layer.inputs[0]].shape
                let output = tensors[layer.output].shape
                return kernelScratchBytes(opcode: layer.opcode, geometry: layer.geometry,
                                          inputChannels: input.channels, inputElements: input.elementCount,
                                          outputHeight: output.height, outputWidth: output.width,
                                          outputChannels: output.channels)
            })
        return MemoryPlan.best(graph, inPlace: inPlace)
    }
}
