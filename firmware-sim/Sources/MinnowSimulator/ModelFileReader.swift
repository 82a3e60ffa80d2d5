import Foundation
import MinnowCore
import MinnowModel

/// Reads a Minnow model file (`.mnw`, docs/model-format.md) for the report:
/// the architecture rebuilt from the layer records, the arena plan as stored
/// in the file (tensor offsets, scratch offsets, arena size), and the file
/// size as the flash the model takes. The engine's own validation
/// (`MinnowCore.Model`) runs first, so a corrupt file is refused with its reason.
public enum ModelFileReader {
    public static func load(_ path: String) throws(SimulatorError) -> LoadedModel {
        let data = try ModelLoader.read(path)
        // The engine needs 4-byte aligned bytes: copy into an aligned buffer.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
        defer { buffer.deallocate() }
        data.withUnsafeBytes { raw in
            if let base = raw.baseAddress, raw.count > 0 { buffer.baseAddress!.copyMemory(from: base, byteCount: raw.count) }
        }
        let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<data.count])
        let model: Model
        do {
            model = try Model(bytes: bytes)
        } catch {
            throw .malformedModel(path: path, reason: error.description)
        }
        return try describe(model, path: path, fileBytes: data.count)
    }

    /// The architecture, plan and size of a validated model.
    static func describe(_ model: Model, path: String, fileBytes: Int) throws(SimulatorError) -> LoadedModel {
        func shape(_ t: Int) -> TensorShape {
            let l = model.tensor(t).layout
            return TensorShape(height: l.height, width: l.width, channels: l.channels)
        }
        var tensorNames = [String](repeating: "", count: model.tensorCount)
        tensorNames[model.inputTensor] = Architecture.inputName
        var used: Set<String> = [Architecture.inputName]
        var layers: [Layer] = []
        var layerInputs: [[Int]] = []
        var layerOutputs: [Int] = []
        var scratch: [Int] = []
        for i in 0..<model.layerCount {
            let info = model.layer(i)
            var name = model.layerName(i)
            if name.isEmpty || used.contains(name) { name += "#\(i)" }
            used.insert(name)
            let inputs = (0..<info.inputCount).map { info.input($0) }
            let inputNames = inputs.map { tensorNames[$0].isEmpty ? "tensor#\($0)" : tensorNames[$0] }
            let out = shape(info.output)
            let g = info.geometry
            let padding = Padding.explicit(top: g.padTop, bottom: info.padBottom, left: g.padLeft, right: info.padRight)
            let relu: Activation = info.activationMin > Int32(Int8.min) ? .relu : .none
            let operation: MinnowModel.Operation
            switch info.opcode {
            case .convolution:
                operation = .convolution(Convolution(
                    filters: out.channels, kernel: Extent2(g.kernelHeight, g.kernelWidth),
                    stride: Extent2(g.strideHeight, g.strideWidth), padding: padding, rounding: info.rounding,
                    activation: relu))
            case .maxPool, .averagePool, .minPool:
                let kind: PoolKind = info.opcode == .maxPool ? .max : (info.opcode == .averagePool ? .average : .min)
                operation = .pooling(Pooling(kind: kind, size: Extent2(g.kernelHeight, g.kernelWidth),
                                             stride: Extent2(g.strideHeight, g.strideWidth),
                                             padding: padding, rounding: info.rounding))
            case .globalAveragePool: operation = .globalPooling(.average)
            case .globalMaxPool: operation = .globalPooling(.max)
            case .fullyConnected: operation = .dense(Dense(units: out.elementCount, activation: relu))
            case .softmax: operation = .softmax
            case .concatenation: operation = .concat
            case .add: operation = .add(relu)
            }
            layers.append(Layer(name, operation, inputs: inputNames))
            tensorNames[info.output] = name
            layerInputs.append(inputs)
            layerOutputs.append(info.output)
            scratch.append(info.scratchBytes)
        }
        let architecture = Architecture(name: model.name.isEmpty ? "model" : model.name,
                                        input: shape(model.inputTensor), layers: layers)
        // The analysis must agree with the file's tensor shapes.
        try SizeLimits.check(architecture)
        let analysis: ArchitectureAnalysis
        do {
            analysis = try ArchitectureAnalysis(architecture)
        } catch {
            throw .malformedModel(path: path, reason: error.description)
        }
        for (i, layer) in analysis.layers.enumerated() where layer.outputShape != shape(layerOutputs[i]) {
            throw .malformedModel(path: path, reason: "layer '\(layer.name)': the file says \(shape(layerOutputs[i])), its geometry gives \(layer.outputShape)")
        }
        // The file's plan: lifetimes from the graph, offsets and arena size as
        // stored. In-place reuse is read back from the offsets: a tensor with a
        // pixel stride wider than its channels inside the concatenation output
        // that reads it is a slice; a pooling output at its input's offset
        // overwrites that input.
        for t in tensorNames.indices where tensorNames[t].isEmpty { tensorNames[t] = "tensor#\(t)" }
        var slices: [Int: MemoryPlan.Slice] = [:]
        var pools: [Int: Int] = [:]
        for i in 0..<model.layerCount {
            let info = model.layer(i)
            let out = model.tensor(info.output)
            switch info.opcode {
            case .concatenation:
                for k in 0..<info.inputCount {
                    let t = info.input(k)
                    let tensor = model.tensor(t)
                    let delta = tensor.arenaOffset - out.arenaOffset
                    if tensor.layout.pixelStride == out.layout.channels, tensor.layout.pixelStride > tensor.layout.channels
                        || info.inputCount == 1, delta >= 0, delta < out.layout.channels {
                        slices[t] = MemoryPlan.Slice(parent: info.output, channelOffset: delta)
                    }
                }
            case .maxPool, .averagePool, .minPool:
                let input = info.input(0)
                if input != model.inputTensor, model.tensor(input).arenaOffset == out.arenaOffset {
                    pools[info.output] = input
                }
            default:
                break
            }
        }
        var plan = MemoryPlan(tensorNames: tensorNames,
                              tensorBytes: (0..<model.tensorCount).map { model.tensor($0).layout.elementCount },
                              layerInputs: layerInputs, layerOutputs: layerOutputs,
                              inputTensor: model.inputTensor, outputTensor: model.outputTensor,
                              scratchBytes: scratch, slices: slices, inPlacePools: pools)
        for t in plan.activations.indices where t < model.tensorCount {
            plan.activations[t].offset = model.tensor(t).arenaOffset
        }
        for s in plan.scratch.indices {
            if case let .scratch(layer) = plan.scratch[s].role { plan.scratch[s].offset = model.layer(layer).scratchOffset }
        }
        plan.arenaBytes = model.arenaBytes
        return LoadedModel(architecture: architecture, plan: plan, fileBytes: fileBytes, path: path,
                           origin: "model file \(path) (\(ByteSize.grouped(fileBytes)) bytes)")
    }
}
