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
        /// For a tensor written straight into its channel slice of a
        /// concatenation output: that output's tensor index (nil otherwise).
        public var sliceOf: Int? = nil
    }

    /// A tensor stored as channels `channelOffset...` of a wider concatenation output.
    public struct Slice: Equatable, Sendable {
        public var parent: Int
        public var channelOffset: Int

        public init(parent: Int, channelOffset: Int) {
            self.parent = parent
            self.channelOffset = channelOffset
        }
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
    ///
    /// With `inPlace`, concatenation inputs are written into their slice of the
    /// output and eligible pooling layers overwrite their input (what the
    /// exporter does); without, every tensor has a buffer of its own.
    public init(_ analysis: ArchitectureAnalysis, scratchBytes: ((Int) -> Int)? = nil, inPlace: Bool = true) {
        let scratchBytes = scratchBytes ?? { MemoryPlan.kernelScratch(analysis, layer: $0) }
        let opcodes: [Opcode?] = analysis.architecture.layers.map { layer in
            switch layer.operation {
            case .convolution: return .convolution
            case let .pooling(p): return p.kind == .max ? .maxPool : (p.kind == .average ? .averagePool : .minPool)
            case let .globalPooling(k): return k == .average ? .globalAveragePool : .globalMaxPool
            case .dense: return .fullyConnected
            case .concat: return .concatenation
            case .add: return .add
            case .softmax: return .softmax
            case .relu: return nil
            }
        }
        let layerInputs = analysis.inputIndices.map { $0.map { $0 + 1 } }
        let layerOutputs = Array(1...analysis.layers.count)
        let channels = [analysis.architecture.input.channels] + analysis.layers.map(\.outputShape.channels)
        let graph = Graph(tensorNames: [Architecture.inputName] + analysis.layers.map(\.name),
                          tensorBytes: [analysis.architecture.input.elementCount] + analysis.layers.map(\.outputShape.elementCount),
                          tensorChannels: channels, opcodes: opcodes,
                          padTopLeft: analysis.layers.map { ($0.padding.top, $0.padding.left) },
                          layerInputs: layerInputs, layerOutputs: layerOutputs, inputTensor: 0,
                          outputTensor: analysis.layers.count,
                          scratchBytes: (0..<analysis.layers.count).map(scratchBytes))
        self = MemoryPlan.best(graph, inPlace: inPlace)
    }

    /// A layer graph as the planner sees it.
    public struct Graph {
        public var tensorNames: [String]
        public var tensorBytes: [Int]
        public var tensorChannels: [Int]
        public var opcodes: [Opcode?]
        public var padTopLeft: [(Int, Int)]
        public var layerInputs: [[Int]]
        public var layerOutputs: [Int]
        public var inputTensor: Int
        public var outputTensor: Int
        public var scratchBytes: [Int]

        public init(tensorNames: [String], tensorBytes: [Int], tensorChannels: [Int], opcodes: [Opcode?],
                    padTopLeft: [(Int, Int)], layerInputs: [[Int]], layerOutputs: [Int],
                    inputTensor: Int, outputTensor: Int, scratchBytes: [Int]) {
            self.tensorNames = tensorNames
            self.tensorBytes = tensorBytes
            self.tensorChannels = tensorChannels
            self.opcodes = opcodes
            self.padTopLeft = padTopLeft
            self.layerInputs = layerInputs
            self.layerOutputs = layerOutputs
            self.inputTensor = inputTensor
            self.outputTensor = outputTensor
            self.scratchBytes = scratchBytes
        }
    }

    /// The plan the exporter writes. With `inPlace`, each eligible
    /// concatenation slice (`concatSlices`) and in-place pooling
    /// (`inPlacePooling`) is tried in turn and kept when the arena does not
    /// grow (a slice also saves the concatenation's copy) — reuse can lengthen
    /// a big buffer's life, so it is not always a gain.
    public static func best(_ g: Graph, inPlace: Bool) -> MemoryPlan {
        func plan(_ slices: [Int: Slice], _ pools: [Int: Int]) -> MemoryPlan {
            MemoryPlan(tensorNames: g.tensorNames, tensorBytes: g.tensorBytes, layerInputs: g.layerInputs,
                       layerOutputs: g.layerOutputs, inputTensor: g.inputTensor, outputTensor: g.outputTensor,
                       scratchBytes: g.scratchBytes, slices: slices, inPlacePools: pools)
        }
        var current = plan([:], [:])
        guard inPlace else { return current }
        let candidateSlices = concatSlices(opcodes: g.opcodes, layerInputs: g.layerInputs, layerOutputs: g.layerOutputs,
                                           tensorChannels: g.tensorChannels, inputTensor: g.inputTensor,
                                           outputTensor: g.outputTensor)
        let candidatePools = inPlacePooling(opcodes: g.opcodes, padTopLeft: g.padTopLeft, layerInputs: g.layerInputs,
                                            layerOutputs: g.layerOutputs, inputTensor: g.inputTensor,
                                            outputTensor: g.outputTensor, slices: candidateSlices)
        var slices: [Int: Slice] = [:]
        var pools: [Int: Int] = [:]
        // Greedy passes over all candidates (pools first: they free the most),
        // keeping each change that does not grow the arena, until nothing changes.
        var changed = true
        var passes = 0
        while changed && passes < 4 {
            changed = false
            passes += 1
            for t in candidatePools.keys.sorted() where pools[t] == nil && pools[candidatePools[t]!] == nil {
                var trial = pools
                trial[t] = candidatePools[t]
                let p = plan(slices, trial)
                if p.arenaBytes <= current.arenaBytes {
                    pools = trial
                    current = p
                    changed = true
                }
            }
            // A concatenation's slices pay off together (its buffer then
            // starts at the first branch anyway): try each group whole, then singly.
            let parents = Set(candidateSlices.values.map(\.parent)).sorted()
            let groups = parents.map { parent in candidateSlices.keys.filter { candidateSlices[$0]!.parent == parent }.sorted() }
                + candidateSlices.keys.sorted().map { [$0] }
            for group in groups where group.contains(where: { slices[$0] == nil }) {
                var trial = slices
                for t in group { trial[t] = candidateSlices[t] }
                let p = plan(trial, pools)
                if p.arenaBytes <= current.arenaBytes {
                    slices = trial
                    current = p
                    changed = true
                }
            }
        }
        return current
    }

    /// Which tensors can be written straight into their channel slice of a
    /// concatenation output, so the concatenation moves nothing and the
    /// branches never need buffers of their own. A tensor qualifies when it is
    /// read by exactly one concatenation (once), is written by a convolution,
    /// a (non-global) pooling or an add — kernels that write any pixel stride —
    /// is not read by a fully connected layer (which needs contiguous input),
    /// and is neither the model input nor the model output nor itself a
    /// concatenation output.
    public static func concatSlices(opcodes: [Opcode?], layerInputs: [[Int]], layerOutputs: [Int],
                                    tensorChannels: [Int], inputTensor: Int, outputTensor: Int) -> [Int: Slice] {
        var producer: [Int: Int] = [:]
        for (layer, output) in layerOutputs.enumerated() { producer[output] = layer }
        var slices: [Int: Slice] = [:]
        for (layer, op) in opcodes.enumerated() where op == .concatenation {
            let parent = layerOutputs[layer]
            var offset = 0
            for t in layerInputs[layer] {
                defer { offset += tensorChannels[t] }
                guard t != inputTensor, t != outputTensor, let p = producer[t],
                      let kind = opcodes[p], [.convolution, .maxPool, .averagePool, .minPool, .add].contains(kind),
                      layerInputs[layer].filter({ $0 == t }).count == 1
                else { continue }
                let readers = layerInputs.indices.filter { layerInputs[$0].contains(t) }
                guard readers.allSatisfy({ opcodes[$0] != .fullyConnected }),
                      readers.filter({ opcodes[$0] == .concatenation }).count == 1
                else { continue }
                slices[t] = Slice(parent: parent, channelOffset: offset)
            }
        }
        // A concatenation output that is itself a slice would nest: keep it simple.
        for (t, slice) in slices where slices[slice.parent] != nil { slices[t] = nil }
        return slices
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
    ///
    /// `slices` (see `concatSlices`) are placed inside their concatenation
    /// output, whose buffer then lives from the first slice's producer on.
    /// `lowerBoundBytes` stays the bound of a plan without that reuse.
    public init(tensorNames: [String], tensorBytes: [Int], layerInputs: [[Int]], layerOutputs: [Int],
                inputTensor: Int, outputTensor: Int, scratchBytes: [Int], slices: [Int: Slice] = [:],
                inPlacePools: [Int: Int] = [:]) {
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
        let plain = entries.map { ArenaPlanner.Buffer(size: $0.bytes, firstStep: $0.firstStep, lastStep: $0.lastStep) }
        // With slices: a slice needs no buffer; its parent lives from the earliest slice on.
        var buffers = plain
        for (t, slice) in slices {
            buffers[slice.parent].firstStep = min(buffers[slice.parent].firstStep, entries[t].firstStep)
            buffers[t].size = 0
        }
        // An in-place pooling output reuses its input's bytes: one buffer for both.
        func root(_ t: Int) -> Int { inPlacePools[t].map(root) ?? t }
        for output in inPlacePools.keys.sorted() {
            let r = root(output)
            // The input's bytes until the pooling step, then only the output's.
            buffers[r].shrunkSize = buffers[output].size
            buffers[r].shrinkAfterStep = buffers[output].firstStep
            buffers[r].lastStep = max(buffers[r].lastStep, buffers[output].lastStep)
            buffers[r].size = max(buffers[r].size, buffers[output].size)
            buffers[output].size = 0
        }
        let plan = ArenaPlanner.plan(buffers, alignment: Self.alignment)
        for i in entries.indices { entries[i].offset = plan.offsets[i] }
        for output in inPlacePools.keys { entries[output].offset = plan.offsets[root(output)] }
        activations = Array(entries[0..<tensorBytes.count])
        for (t, slice) in slices {
            activations[t].sliceOf = slice.parent
            activations[t].offset = activations[slice.parent].offset + slice.channelOffset
        }
        self.slices = slices
        self.inPlacePools = inPlacePools
        scratch = Array(entries[tensorBytes.count...])
        arenaBytes = plan.totalBytes
        lowerBoundBytes = ArenaPlanner.lowerBound(plain, alignment: Self.alignment)
    }

    /// Tensors stored inside a concatenation output (empty when in-place concatenation is off).
    public var slices: [Int: Slice] = [:]
    /// Pooling outputs written over their own input (output tensor → input tensor).
    public var inPlacePools: [Int: Int] = [:]

    /// Which pooling layers can overwrite their input: a max, average or min
    /// pooling with no top or left padding (each output pixel then lands on
    /// input bytes that no later window reads — see `Model.isInPlacePool`),
    /// whose input is read by nothing else, is neither the model input nor a
    /// concatenation slice, and whose output is not a slice or the model output.
    public static func inPlacePooling(opcodes: [Opcode?], padTopLeft: [(Int, Int)], layerInputs: [[Int]],
                                      layerOutputs: [Int], inputTensor: Int, outputTensor: Int,
                                      slices: [Int: Slice]) -> [Int: Int] {
        var result: [Int: Int] = [:]
        for (layer, op) in opcodes.enumerated() {
            guard let op, [.maxPool, .averagePool, .minPool].contains(op), padTopLeft[layer] == (0, 0),
                  let input = layerInputs[layer].first else { continue }
            let output = layerOutputs[layer]
            let readers = layerInputs.indices.filter { layerInputs[$0].contains(input) }
            guard readers == [layer], input != inputTensor, output != outputTensor,
                  slices[input] == nil, slices[output] == nil,
                  !slices.values.contains(where: { $0.parent == output })
            else { continue }
            result[output] = input
        }
        return result
    }
}
