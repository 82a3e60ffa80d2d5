import MinnowCore

/// Turns a float network (architecture + folded float parameters + calibrated
/// activation ranges) into the engine's int8 graph, following the TFLite int8
/// scheme:
///
/// - weights symmetric per output channel, biases int32 at input·weight scale;
/// - activations asymmetric per tensor from their calibrated [min, max];
/// - ReLU fused into the producer's clamp (a standalone ReLU layer is fused
///   into the convolution, dense or add before it);
/// - tensors that must share one scale and zero point — a pooling layer's
///   input and output, every input of a concatenation and its output — are
///   tied: the group gets the union of its members' ranges;
/// - softmax outputs use scale 1/256 and zero point −128.
///
/// Tensor 0 is the model input; layer i of the lowered graph writes tensor i + 1.
public enum Int8Converter {
    /// Float weights and bias of one convolution or dense layer, batch norm folded.
    /// Convolution weights OHWI `[filters][kh][kw][in]`; dense `[units][inputs]` (NHWC flatten order).
    public struct FloatParameters: Equatable, Sendable {
        public var weights: [Float]
        public var bias: [Float]

        public init(weights: [Float], bias: [Float]) {
            self.weights = weights
            self.bias = bias
        }
    }

    /// A layer the engine cannot run, or parameters or ranges that do not fit.
    public struct ConversionError: Error, CustomStringConvertible, Equatable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The architecture with standalone ReLUs fused into their producers.
    /// Returns the lowered architecture and, for each removed ReLU, the layer
    /// whose output replaces it.
    public static func fuseStandaloneReLUs(_ architecture: Architecture) throws -> Architecture {
        var layers: [Layer] = []
        var renamed: [String: String] = [:]
        func resolve(_ name: String) -> String { renamed[name] ?? name }
        for (index, layer) in architecture.layers.enumerated() {
            var layer = layer
            layer.inputs = architecture.resolvedInputs(of: index).map(resolve)
            guard case .relu = layer.operation else {
                layers.append(layer)
                continue
            }
            let source = layer.inputs[0]
            let readers = architecture.layers.indices.filter { architecture.resolvedInputs(of: $0).contains(source) }
            guard readers.count == 1, let p = layers.lastIndex(where: { $0.name == source }) else {
                throw ConversionError("layer '\(layer.name)': a standalone ReLU is fused into the layer before it, "
                    + "which must be a conv, dense or add read by nothing else")
            }
            switch layers[p].operation {
            case var .convolution(c):
                c.activation = .relu
                layers[p].operation = .convolution(c)
            case var .dense(d):
                d.activation = .relu
                layers[p].operation = .dense(d)
            case .add:
                layers[p].operation = .add(.relu)
            default:
                throw ConversionError("layer '\(layer.name)': a standalone ReLU after a \(layers[p].operation.kindName) "
                    + "cannot be fused (the engine fuses ReLU into conv, dense and add)")
            }
            renamed[layer.name] = source
        }
        var lowered = architecture
        lowered.layers = layers
        return lowered
    }

    /// Names of tensors that must share quantization, grouped: each tensor
    /// (by name; `Architecture.inputName` for the input) maps to a group representative.
    public static func quantizationGroups(_ analysis: ArchitectureAnalysis) -> [String: String] {
        var parent: [String: String] = [:]
        func find(_ x: String) -> String {
            var x = x
            while let p = parent[x], p != x { x = p }
            return x
        }
        func union(_ a: String, _ b: String) {
            let (ra, rb) = (find(a), find(b))
            if ra != rb { parent[ra] = rb }
        }
        let names = [Architecture.inputName] + analysis.layers.map(\.name)
        for n in names { parent[n] = n }
        for (i, layer) in analysis.architecture.layers.enumerated() {
            let inputs = analysis.architecture.resolvedInputs(of: i)
            switch layer.operation {
            case .pooling, .globalPooling, .concat:
                for input in inputs { union(input, layer.name) }
            default:
                break
            }
        }
        var groups: [String: String] = [:]
        for n in names { groups[n] = find(n) }
        return groups
    }

    /// Converts. `ranges` maps each layer name (and `Architecture.inputName`)
    /// to the calibrated [min, max] of its float output, after its activation.
    public static func convert(
        _ architecture: Architecture,
        parameters: [String: FloatParameters],
        ranges: [String: (min: Float, max: Float)]
    ) throws -> QuantizedModel {
        let lowered = try fuseStandaloneReLUs(architecture)
        let analysis: ArchitectureAnalysis
        do {
            analysis = try ArchitectureAnalysis(lowered)
        } catch {
            throw ConversionError(error.description)
        }
        // Tie ranges within each group.
        let groups = quantizationGroups(analysis)
        var groupRange: [String: (min: Float, max: Float)] = [:]
        for (name, group) in groups {
            guard let r = ranges[name] else {
                if name == Architecture.inputName { continue }
                if case .softmax = lowered.layers.first(where: { $0.name == name })?.operation { continue }
                throw ConversionError("no calibrated range for layer '\(name)'")
            }
            let old = groupRange[group] ?? (r.min, r.max)
            groupRange[group] = (Swift.min(old.min, r.min), Swift.max(old.max, r.max))
        }
        guard groupRange[groups[Architecture.inputName]!] != nil else {
            throw ConversionError("no calibrated range for the model input")
        }
        var tensors: [QuantizedTensor] = []
        func addTensor(_ name: String, _ shape: TensorShape) {
            let r = groupRange[groups[name]!]!
            let (scale, zero) = Quantization.activationParameters(min: r.min, max: r.max)
            tensors.append(QuantizedTensor(name: name, shape: shape, scale: scale, zeroPoint: zero))
        }
        addTensor(Architecture.inputName, lowered.input)
        var tensorOf: [String: Int] = [Architecture.inputName: 0]
        var layers: [QuantizedLayer] = []
        for (i, layer) in lowered.layers.enumerated() {
            let info = analysis.layers[i]
            let inputs = analysis.inputIndices[i].map { $0 + 1 }
            let output = i + 1
            if case .softmax = layer.operation {
                tensors.append(QuantizedTensor(name: layer.name, shape: info.outputShape, scale: 1.0 / 256.0, zeroPoint: -128))
            } else {
                addTensor(layer.name, info.outputShape)
            }
            tensorOf[layer.name] = output
            let inTensor = tensors[inputs[0]], outTensor = tensors[output]
            let pad = info.padding
            var q = QuantizedLayer(name: layer.name, opcode: .concatenation, inputs: inputs, output: output,
                                   padBottom: pad.bottom, padRight: pad.right)
            func window(_ kernel: Extent2, _ stride: Extent2, _ rounding: OutputRounding) {
                q.geometry = WindowGeometry(kernelHeight: kernel.height, kernelWidth: kernel.width,
                                            strideHeight: stride.height, strideWidth: stride.width,
                                            padTop: pad.top, padLeft: pad.left)
                q.rounding = rounding
            }
            func weighted(_ channels: Int, relu: Bool) throws {
                guard let p = parameters[layer.name] else {
                    throw ConversionError("no parameters for layer '\(layer.name)'")
                }
                guard p.weights.count == info.weights, p.bias.count == channels else {
                    throw ConversionError("layer '\(layer.name)': parameters have \(p.weights.count) weights and "
                        + "\(p.bias.count) biases, the architecture needs \(info.weights) and \(channels)")
                }
                guard p.weights.allSatisfy(\.isFinite), p.bias.allSatisfy(\.isFinite) else {
                    throw ConversionError("layer '\(layer.name)': parameters hold NaN or infinity")
                }
                let (values, scales) = Quantization.weightsPerChannel(p.weights, channels: channels)
                q.weights = values
                q.bias = Quantization.bias(p.bias, inputScale: inTensor.scale, weightScales: scales)
                q.multipliers = Quantization.multipliers(inputScale: inTensor.scale, weightScales: scales,
                                                         outputScale: outTensor.scale)
                (q.activationMin, q.activationMax) = Quantization.clamp(zeroPoint: outTensor.zeroPoint, relu: relu)
            }
            switch layer.operation {
            case let .convolution(c):
                q.opcode = .convolution
                window(c.kernel, c.stride, c.rounding)
                try weighted(c.filters, relu: c.activation == .relu)
            case let .dense(d):
                q.opcode = .fullyConnected
                try weighted(d.units, relu: d.activation == .relu)
            case let .pooling(p):
                q.opcode = p.kind == .max ? .maxPool : (p.kind == .average ? .averagePool : .minPool)
                window(p.size, p.stride, p.rounding)
            case let .globalPooling(kind):
                q.opcode = kind == .average ? .globalAveragePool : .globalMaxPool
            case .concat:
                q.opcode = .concatenation
            case let .add(activation):
                q.opcode = .add
                let other = tensors[inputs[1]]
                let a = Quantization.add(input1: (inTensor.scale, inTensor.zeroPoint),
                                         input2: (other.scale, other.zeroPoint),
                                         output: (outTensor.scale, outTensor.zeroPoint),
                                         relu: activation == .relu)
                q.add = a
                (q.activationMin, q.activationMax) = (a.activationMin, a.activationMax)
            case .softmax:
                q.opcode = .softmax
                q.softmax = Quantization.softmax(inputScale: inTensor.scale)
            case .relu:
                throw ConversionError("layer '\(layer.name)': unfused ReLU")
            }
            layers.append(q)
        }
        return QuantizedModel(name: architecture.name, tensors: tensors, layers: layers,
                              inputTensor: 0, outputTensor: lowered.layers.count)
    }
}
