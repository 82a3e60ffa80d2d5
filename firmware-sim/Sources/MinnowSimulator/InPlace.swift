import MinnowModel

/// How far below the plan in-place work could take the arena (DESIGN.md,
/// "Memory"): the same planner run over a buffer list in which
///
/// - every `concat` is zero-copy: its inputs are written straight into their
///   channel slices of the output, so inputs and output share one buffer
///   (live from the first branch's write to the last read of any of them);
/// - a pooling layer with non-overlapping windows (stride ≥ window, no
///   padding), a standalone `relu`, and an `add` overwrite an input that no
///   later layer reads: during that layer's step the output lives inside the
///   input's bytes, so it needs its own bytes only from the next step on.
///
/// Tensors that are concat slices are not also overwritten in place. This is
/// an estimate of what such kernels would save, not the engine's plan (the
/// planner may put an in-place output at another offset than its input).
public struct InPlaceEstimate: Equatable, Sendable {
    /// The planner's arena over the shared buffers.
    public var arenaBytes: Int
    /// The largest sum of simultaneously live shared buffers.
    public var lowerBoundBytes: Int
    /// Concat layers made zero-copy.
    public var zeroCopyConcats: [String]
    /// Layers that overwrite their input.
    public var inPlaceLayers: [String]

    /// `analysis` and the buffers of its plan (`SimulationReport.buffers`).
    public init(analysis: ArchitectureAnalysis, buffers: [BufferReport]) {
        // Activation buffer of each tensor: key −1 is the model input, i layer i's output.
        var bufferOf: [Int: Int] = [:]
        for (index, b) in buffers.enumerated() where b.role != .scratch { bufferOf[b.layer] = index }
        var parent = Array(buffers.indices)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        func union(_ a: Int, _ b: Int) { parent[find(a)] = find(b) }
        var sliced = Set<Int>()  // buffers that are concat inputs or outputs
        var concats: [String] = []
        var inPlace: [String] = []
        var lateStart = Set<Int>()  // in-place outputs: own bytes from the step after their layer
        for (i, layer) in analysis.layers.enumerated() where layer.kind == "concat" {
            guard let out = bufferOf[i] else { continue }
            let inputs = analysis.inputIndices[i].compactMap { $0 >= 0 ? bufferOf[$0] : nil }
            guard inputs.count == analysis.inputIndices[i].count else { continue }  // the model input is not moved
            for b in inputs { union(b, out); sliced.insert(b) }
            sliced.insert(out)
            concats.append(layer.name)
        }
        for (i, layer) in analysis.layers.enumerated() {
            guard let out = bufferOf[i], !sliced.contains(out) else { continue }
            var candidates: [Int] = []
            switch analysis.architecture.layers[i].operation {
            case let .pooling(p) where p.stride.height >= p.size.height && p.stride.width >= p.size.width
                && layer.padding == (0, 0, 0, 0):
                candidates = [analysis.inputIndices[i][0]]
            case .relu, .add:
                candidates = analysis.inputIndices[i]
            default:
                continue
            }
            for input in candidates where input >= 0 {
                guard let b = bufferOf[input], !sliced.contains(b), buffers[b].lastStep == i,
                      buffers[b].bytes >= buffers[out].bytes else { continue }
                lateStart.insert(out)
                inPlace.append(layer.name)
                break
            }
        }
        // One buffer per group: the largest member, alive over all members' lifetimes.
        var groups: [Int: ArenaPlanner.Buffer] = [:]
        var order: [Int] = []
        for (index, original) in buffers.enumerated() {
            var b = original
            if lateStart.contains(index) {
                guard b.lastStep > b.firstStep else { continue }
                b.firstStep += 1
            }
            let root = find(index)
            if var g = groups[root] {
                g.size = max(g.size, b.bytes)
                g.firstStep = min(g.firstStep, b.firstStep)
                g.lastStep = max(g.lastStep, b.lastStep)
                groups[root] = g
            } else {
                groups[root] = ArenaPlanner.Buffer(size: b.bytes, firstStep: b.firstStep, lastStep: b.lastStep)
                order.append(root)
            }
        }
        let merged = order.map { groups[$0]! }
        arenaBytes = ArenaPlanner.plan(merged, alignment: MemoryPlan.alignment).totalBytes
        lowerBoundBytes = ArenaPlanner.lowerBound(merged, alignment: MemoryPlan.alignment)
        zeroCopyConcats = concats
        inPlaceLayers = inPlace
    }
}
