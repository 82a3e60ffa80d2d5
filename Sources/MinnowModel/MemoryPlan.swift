import MinnowCore

/// Where every byte of the arena goes for one analysed network: one buffer
/// per activation tensor (the model input, then each layer's output) and one
/// per layer with kernel scratch, placed by `ArenaPlanner`.
///
/// Lifetimes are in layer steps: the model input is alive from step −1 to its
/// last reader; layer i's output from step i to its last reader (the model
/// output to the end, step `layers.count`); layer i's scratch on step i only.
/// This is exactly the plan the exporter writes into a model file, so the
/// arena size reported here is the arena the engine uses.
public struct MemoryPlan: Sendable {
    public enum Role: Equatable, Sendable {
        case input
        case output(layer: Int)
        case scratch(layer: Int)
    }

    public struct Entry: Equatable, Sendable {
        public var name: String
        public var role: Role
        public var bytes: Int
        public var offset: Int
        public var firstStep: Int
        public var lastStep: Int
    }

    /// Byte alignment of every buffer in the arena.
    public static let alignment = 16

    /// Activation buffers: index 0 is the model input, index i + 1 layer i's output.
    public var activations: [Entry]
    /// Scratch buffers, for the layers that need one.
    public var scratch: [Entry]
    /// Bytes of arena the plan needs.
    public var arenaBytes: Int
    /// Largest sum of simultaneously live buffers: the bound for a plan without in-place reuse.
    public var lowerBoundBytes: Int

    /// All buffers, activations first.
    public var entries: [Entry] { activations + scratch }

    /// Plans `analysis`, with `scratchBytes(layerIndex)` giving each layer's kernel scratch.
    /// Tensor 0 is the model input, tensor i + 1 layer i's output.
    /// The default scratch is what the engine's optimized kernels need (`kernelScratchBytes`),
    /// so this plan equals the one the exporter writes for the same net.
    public init(_ analysis: ArchitectureAnalysis, scratchBytes: ((Int) -> Int)? = nil) {
        let scratchBytes = scratchBytes ?? { MemoryPlan.kernelScratch(analysis, layer: $0) }
        self.init(
            tensorNames: [Architecture.inputName] + analysis.layers.map(\.name),
            tensorBytes: [analysis.architecture.input.elementCount] + analysis.layers.map(\.outputShape.elementCount),
            layerInputs: analysis.inputIndices.map { $0.map { $0 + 1 } },
            layerOutputs: Array(1...analysis.layers.count),
            inputTensor: 0,
            outputTensor: analysis.layers.count,
            scratchBytes: (0..<analysis.layers.count).map(scratchBytes))
    }

    /// The engine's scratch for layer `index` of an analysed architecture.
    public static func kernelScratch(_ analysis: ArchitectureAnalysis, layer index: Int) -> Int {
        let layer = analysis.layers[index]
        let input = layer.inputShapes[0]
        let opcode: Opcode
        switch analysis.architecture.layers[index].operation {
        case .convolution: opcode = .convolution
        case .dense: opcode = .fullyConnected
        default: return 0
        }
        var geometry = WindowGeometry(kernelHeight: 1, kernelWidth: 1)
        if case let .convolution(c) = analysis.architecture.layers[index].operation {
            geometry = WindowGeometry(kernelHeight: c.kernel.height, kernelWidth: c.kernel.width,
                                      strideHeight: c.stride.height, strideWidth: c.stride.width,
                                      padTop: layer.padding.top, padLeft: layer.padding.left)
        }
        let out = layer.outputShape
        return kernelScratchBytes(opcode: opcode, geometry: geometry, inputChannels: input.channels,
                                  inputElements: input.elementCount, outputHeight: out.height,
                                  outputWidth: out.width, outputChannels: out.channels)
    }

    /// Plans a graph given by tensor sizes and, per layer in execution order,
    /// the tensors it reads and the one it writes. Used by the model writer,
    /// so a model file's arena equals the plan of its graph.
    public init(tensorNames: [String], tensorBytes: [Int], layerInputs: [[Int]], layerOutputs: [Int],
                inputTensor: Int, outputTensor: Int, scratchBytes: [Int]) {
        let layerCount = layerOutputs.count
        var first = [Int](repeating: Int.max, count: tensorBytes.count)
        var last = [Int](repeating: -1, count: tensorBytes.count)
        var producer = [Int](repeating: -1, count: tensorBytes.count)
        first[inputTensor] = -1
        for (layer, output) in layerOutputs.enumerated() {
            first[output] = min(first[output], layer)
            producer[output] = layer
            for input in layerInputs[layer] { last[input] = max(last[input], layer) }
        }
        last[outputTensor] = layerCount
        var entries: [Entry] = []
        for t in tensorBytes.indices {
            let start = first[t] == Int.max ? -1 : first[t]
            entries.append(Entry(
                name: tensorNames[t], role: t == inputTensor ? .input : .output(layer: producer[t]),
                bytes: tensorBytes[t], offset: 0, firstStep: start, lastStep: max(last[t], start)))
        }
        for (i, bytes) in scratchBytes.enumerated() where bytes > 0 {
            entries.append(Entry(name: tensorNames[layerOutputs[i]] + ".scratch", role: .scratch(layer: i),
                                 bytes: bytes, offset: 0, firstStep: i, lastStep: i))
        }
        let buffers = entries.map { ArenaPlanner.Buffer(size: $0.bytes, firstStep: $0.firstStep, lastStep: $0.lastStep) }
        let plan = ArenaPlanner.plan(buffers, alignment: Self.alignment)
        for i in entries.indices { entries[i].offset = plan.offsets[i] }
        activations = Array(entries[0..<tensorBytes.count])
        scratch = Array(entries[tensorBytes.count...])
        arenaBytes = plan.totalBytes
        lowerBoundBytes = ArenaPlanner.lowerBound(buffers, alignment: Self.alignment)
    }
}
