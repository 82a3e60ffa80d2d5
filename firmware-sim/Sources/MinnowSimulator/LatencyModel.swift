/// An estimate of inference time on a board from operation counts.
///
/// For each layer:
///
///     cycles = macs × cyclesPerMAC
///            + requantized outputs × cyclesPerRequantize   (conv, dense: one per output element)
///            + other element work × cyclesPerElement       (pool taps, concat/add/relu/softmax elements)
///            + cyclesPerLayer                              (dispatch, loop set-up)
///
/// time = cycles / clock. The figures are *assumptions* fitted to this
/// project's Cortex-M4 build (Embedded Swift, `-Osize`, the SMLAD
/// dual-multiply kernels): QEMU counts LeNet-5 at 1,006,778 instructions —
/// about 1.8 per MAC in the convolution and dense loops, 12–20 per
/// requantized convolution output (57 per dense output), 17–24 per pooling
/// tap (docs/cortex-m.md §10). As cycles on a Cortex-M4 (loads 2 cycles,
/// SMLAD/SMLAL 1, taken branch 2–3) that is ≈ 2 per MAC, ≈ 20 per
/// requantization and ≈ 20 per pooling tap; ≈ 1, 10 and 10 on the
/// dual-issue Cortex-M7; a Cortex-M0+ has no DSP instructions and runs the
/// scalar loops: ≈ 10 per MAC and ≈ 120 per requantization (no MLA, the
/// 64-bit multiply in software). Flash wait states are taken as hidden by the
/// ART accelerator / caches. `firmware-sim run --qemu` replaces the estimate
/// with the exact instruction count on an M4 board; replace a core's figures
/// with measured ones by passing a different `LatencyModel` (or
/// `--cycles-per-mac`).
public struct LatencyModel: Equatable, Sendable {
    public var cyclesPerMAC: Double
    public var cyclesPerRequantize: Double
    public var cyclesPerElement: Double
    public var cyclesPerLayer: Double
    /// Where the figures come from, printed with the estimate.
    public var basis: String

    public init(cyclesPerMAC: Double, cyclesPerRequantize: Double, cyclesPerElement: Double,
                cyclesPerLayer: Double, basis: String) {
        self.cyclesPerMAC = cyclesPerMAC
        self.cyclesPerRequantize = cyclesPerRequantize
        self.cyclesPerElement = cyclesPerElement
        self.cyclesPerLayer = cyclesPerLayer
        self.basis = basis
    }

    /// The assumed figures for a core class (documented in docs/firmware-sim.md).
    public static func assumed(for core: CoreClass) -> LatencyModel {
        switch core {
        case .cortexM0Plus:
            return LatencyModel(cyclesPerMAC: 10, cyclesPerRequantize: 120, cyclesPerElement: 6, cyclesPerLayer: 2000,
                                basis: "assumed: scalar int8 loop on Cortex-M0+ (no MLA, 64-bit multiply in software)")
        case .cortexM4F:
            return LatencyModel(cyclesPerMAC: 2, cyclesPerRequantize: 20, cyclesPerElement: 20, cyclesPerLayer: 1000,
                                basis: "fitted to QEMU counts of the M4 build (SMLAD kernels): 1.8 instructions/MAC, 12-57/requantize, 17-24/pool tap")
        case .cortexM7:
            return LatencyModel(cyclesPerMAC: 1, cyclesPerRequantize: 10, cyclesPerElement: 10, cyclesPerLayer: 1000,
                                basis: "assumed: the M4 instruction counts on a dual-issue Cortex-M7")
        }
    }

    /// Work of one layer in the model's terms.
    public struct Work: Equatable, Sendable {
        public var macs: Int
        public var requantized: Int
        public var elements: Int
    }

    /// The work of a layer: MACs, outputs requantized (conv, dense), and element work for the rest.
    public static func work(of layer: LayerAnalysisView) -> Work {
        switch layer.kind {
        case "conv", "dense":
            return Work(macs: layer.macs, requantized: layer.units, elements: 0)
        default:
            return Work(macs: 0, requantized: 0, elements: layer.connections)
        }
    }

    public func cycles(_ work: Work) -> Double {
        Double(work.macs) * cyclesPerMAC + Double(work.requantized) * cyclesPerRequantize
            + Double(work.elements) * cyclesPerElement + cyclesPerLayer
    }
}

/// The counts the latency model needs from a layer.
public struct LayerAnalysisView: Sendable {
    public var kind: String
    public var units: Int
    public var connections: Int
    public var macs: Int

    public init(kind: String, units: Int, connections: Int, macs: Int) {
        self.kind = kind
        self.units = units
        self.connections = connections
        self.macs = macs
    }
}
