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
    public init(_ analysis: ArchitectureAnalysis, scratchBytes: (Int) -> Int = { _ in 0 }) {
        let layerCount = analysis.layers.count
        var lastUse = [Int](repeating: -1, count: layerCount + 1)  // index 0: model input
        for (layer, inputs) in analysis.inputIndices.enumerated() {
            for input in inputs { lastUse[input + 1] = max(lastUse[input + 1], layer) }
        }
        lastUse[layerCount] = layerCount  // the model output outlives every layer
        var entries: [Entry] = [Entry(
            name: Architecture.inputName, role: .input,
            bytes: analysis.architecture.input.elementCount, offset: 0,
            firstStep: -1, lastStep: max(lastUse[0], -1))]
        for (i, layer) in analysis.layers.enumerated() {
            entries.append(Entry(name: layer.name, role: .output(layer: i), bytes: layer.outputShape.elementCount,
                                 offset: 0, firstStep: i, lastStep: max(lastUse[i + 1], i)))
        }
        for i in 0..<layerCount {
            let bytes = scratchBytes(i)
            if bytes > 0 {
                entries.append(Entry(name: analysis.layers[i].name + ".scratch", role: .scratch(layer: i),
                                     bytes: bytes, offset: 0, firstStep: i, lastStep: i))
            }
        }
        let buffers = entries.map { ArenaPlanner.Buffer(size: $0.bytes, firstStep: $0.firstStep, lastStep: $0.lastStep) }
        let plan = ArenaPlanner.plan(buffers, alignment: Self.alignment)
        for i in entries.indices { entries[i].offset = plan.offsets[i] }
        activations = Array(entries[0...layerCount])
        scratch = Array(entries[(layerCount + 1)...])
        arenaBytes = plan.totalBytes
        lowerBoundBytes = ArenaPlanner.lowerBound(buffers, alignment: Self.alignment)
    }
}
