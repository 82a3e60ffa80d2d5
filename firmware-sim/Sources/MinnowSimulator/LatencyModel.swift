/// An estimate of inference time on a board from operation counts.
///
/// For each layer:
///
///     cycles = macs × cyclesPerMAC
///            + requantized outputs × cyclesPerRequantize   (conv, dense: one per output element)
///            + other element work × cyclesPerElement       (pool taps, concat/add/relu/softmax elements)
///            + cyclesPerLayer                              (dispatch, loop set-up)
///
/// time = cycles / clock. The figures are *assumptions* for a scalar int8
/// engine compiled with Embedded Swift (`-Osize`). QEMU instruction counts of
/// the Cortex-M4 build (docs/cortex-m.md) give 6.32 instructions per MAC
/// (ldrsb, ldrsb, sub, mla, subs, bne) and 51.5 per requantization; as
/// cycles that is ≈ 7 per MAC on a Cortex-M4 (loads 2 cycles, taken branch
/// 2–3) and ≈ 55 per requantization, ≈ 3 and ≈ 30 on the dual-issue
/// Cortex-M7, ≈ 10 and ≈ 120 on a Cortex-M0+ (no MLA, only register-offset
/// LDRSB, the 64-bit multiply of requantization in software). Flash wait states
/// are taken as hidden by the ART accelerator / caches. Hand-tuned SIMD
/// kernels (CMSIS-NN, SMLAD) reach ≈ 1–2 cycles per MAC on an M4: these
/// estimates are an upper bound for them. Replace a core's figures with
/// measured ones by passing a different `LatencyModel` (or `--cycles-per-mac`).
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
            return LatencyModel(cyclesPerMAC: 7, cyclesPerRequantize: 55, cyclesPerElement: 4, cyclesPerLayer: 1000,
                                basis: "assumed from QEMU counts of the M4 build: 6.32 instructions/MAC, 51.5/requantize; no SIMD")
        case .cortexM7:
            return LatencyModel(cyclesPerMAC: 3, cyclesPerRequantize: 30, cyclesPerElement: 2, cyclesPerLayer: 1000,
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
