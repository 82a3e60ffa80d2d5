import MinnowCore
import MinnowModel

/// What the plan's in-place reuse is worth (DESIGN.md, "Memory"): the
/// exporter's plan lets concatenation branches write straight into their
/// channel slice of the output and lets eligible pooling layers overwrite
/// their input, keeping each only when the arena does not grow
/// (`MemoryPlan.best`). This compares that plan with the same net planned
/// with every tensor in a buffer of its own, and with the lower bound of
/// such plans.
public struct InPlaceSummary: Equatable, Sendable {
    /// The plan's arena (with in-place reuse, when the plan uses it).
    public var arenaBytes: Int
    /// The arena with every tensor in its own buffer (same scratch).
    public var arenaWithoutInPlaceBytes: Int
    /// The largest sum of simultaneously live tensors: no plan without reuse is smaller.
    public var lowerBoundBytes: Int
    /// Tensors written straight into a concatenation output's channel slice.
    public var slices: [String]
    /// Concatenations whose inputs are all slices (they move nothing).
    public var zeroCopyConcats: [String]
    /// Pooling layers that overwrite their input.
    public var inPlaceLayers: [String]

    public var savedBytes: Int { arenaWithoutInPlaceBytes - arenaBytes }

    public init(analysis: ArchitectureAnalysis, plan: MemoryPlan) {
        arenaBytes = plan.arenaBytes
        lowerBoundBytes = plan.lowerBoundBytes
        // The same scratch as the plan, every tensor on its own.
        var scratch = [Int](repeating: 0, count: analysis.layers.count)
        for entry in plan.scratch {
            if case let .scratch(layer) = entry.role, layer < scratch.count { scratch[layer] = entry.bytes }
        }
        arenaWithoutInPlaceBytes = plan.slices.isEmpty && plan.inPlacePools.isEmpty
            ? plan.arenaBytes
            : MemoryPlan(analysis, scratchBytes: { scratch[$0] }, inPlace: false).arenaBytes
        let names = plan.activations.map(\.name)
        slices = plan.slices.keys.sorted().compactMap { $0 < names.count ? names[$0] : nil }
        let sliced = Set(plan.slices.keys)
        var concats: [String] = []
        var pools: [String] = []
        for (i, layer) in analysis.layers.enumerated() {
            // Tensor of layer i's output: the activation whose role names it.
            guard let t = plan.activations.firstIndex(where: { $0.role == .output(layer: i) }) else { continue }
            if layer.kind == "concat" {
                let inputs = plan.activations.indices.filter { plan.slices[$0]?.parent == t }
                if !inputs.isEmpty && inputs.count == analysis.inputIndices[i].count { concats.append(layer.name) }
            }
            if plan.inPlacePools[t] != nil { pools.append(layer.name) }
        }
        _ = sliced
        zeroCopyConcats = concats
        inPlaceLayers = pools
    }
}
