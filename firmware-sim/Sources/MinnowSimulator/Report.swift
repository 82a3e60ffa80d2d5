import Foundation
import MinnowCore
import MinnowModel

// MARK: - Extension points: model files and real runs

/// Where the network to report comes from.
public enum ModelSource: Equatable, Sendable {
    /// A built-in architecture by name (`BuiltinArchitectures.names`).
    case builtin(String)
    /// An architecture JSON file (docs/architecture-format.md).
    case architectureFile(String)
    /// A Minnow model file (`.mnw`): read through `SimulatorHooks.modelFileReader`.
    case modelFile(String)

    /// The bundled LeNet-5 int8 model reported when no model is named.
    public static let bundledModelPath = "models/lenet5-fashion.mnw"
}

/// A network ready to report: its architecture and, for a model file, what the file fixes.
public struct LoadedModel: Sendable {
    public var architecture: Architecture
    /// The arena plan stored in the model file; nil → planned here with `MemoryPlan`.
    public var plan: MemoryPlan?
    /// The model file's size in bytes: the flash it takes. nil → estimated.
    public var fileBytes: Int?
    /// The model file, if any (the real run needs it).
    public var path: String?
    /// One line saying what was loaded ("built-in architecture lenet5").
    public var origin: String

    public init(architecture: Architecture, plan: MemoryPlan? = nil, fileBytes: Int? = nil,
                path: String? = nil, origin: String) {
        self.architecture = architecture
        self.plan = plan
        self.fileBytes = fileBytes
        self.path = path
        self.origin = origin
    }
}

/// What a real int8 run of a model file measured on this host.
public struct MeasuredRun: Equatable, Sendable {
    /// Where it ran ("x86_64 host, 1 thread").
    public var host: String
    /// Test images run.
    public var images: Int
    /// Top-1 accuracy in 0...1, when labels were available.
    public var accuracy: Double?
    /// The arena the engine used: must equal the plan's `arenaBytes`.
    public var arenaBytesUsed: Int
    /// Mean time per image of each layer, in microseconds, indexed like the layers.
    public var perLayerMicroseconds: [Double]
    /// Mean time per image of the whole inference, in microseconds.
    public var totalMicroseconds: Double

    public init(host: String, images: Int, accuracy: Double?, arenaBytesUsed: Int,
                perLayerMicroseconds: [Double], totalMicroseconds: Double) {
        self.host = host
        self.images = images
        self.accuracy = accuracy
        self.arenaBytesUsed = arenaBytesUsed
        self.perLayerMicroseconds = perLayerMicroseconds
        self.totalMicroseconds = totalMicroseconds
    }
}

/// What the runner is asked to do: run `model` in an arena of at most `arenaBudgetBytes`.
public struct RunRequest: Sendable {
    public var model: LoadedModel
    public var board: Board
    /// The board's RAM minus the runtime reserve: the largest arena allowed.
    public var arenaBudgetBytes: Int
    /// Test images to run (nil: the runner's default).
    public var images: Int?
    /// The labelled test set (`TestSet.load` spec: "fashion-mnist", "mnist5k", a
    /// directory or CSV file); nil → synthetic inputs, no accuracy.
    public var testSet: String?

    public init(model: LoadedModel, board: Board, arenaBudgetBytes: Int, images: Int? = nil, testSet: String? = nil) {
        self.model = model
        self.board = board
        self.arenaBudgetBytes = arenaBudgetBytes
        self.images = images
        self.testSet = testSet
    }
}

/// The places where the model-file reader and the int8 engine plug in. The
/// `firmware-sim` executable installs them at start-up
/// (`SimulatorHooks.installed.modelFileReader = …`), or the library fills the
/// defaults once the model format lives in a module this one can depend on.
/// Tests pass their own value to `FirmwareSim.execute(_:hooks:)`.
public struct SimulatorHooks: Sendable {
    /// Reads a `.mnw` model file: architecture, stored arena plan, file size.
    /// nil → model files are refused with a clear error (analyse with `--arch`).
    public var modelFileReader: (@Sendable (String) throws -> LoadedModel)?
    /// Runs a loaded model file on test images in an arena of at most the given budget.
    /// nil → no measured run; the report has estimates only.
    public var modelRunner: (@Sendable (RunRequest) throws -> MeasuredRun)?
    /// The kernel scratch a layer needs, when the plan is made here (no model
    /// file). nil → the engine's own query (`MemoryPlan.kernelScratch`).
    public var scratchBytes: (@Sendable (LayerAnalysis) -> Int)?
    /// `--qemu`: profiles a model file on the Cortex-M4 firmware under QEMU and
    /// returns the JSON lines of `firmware-sim/cortex-m/profile.sh` (parsed by
    /// `QEMUProfile.parse`). nil → `--qemu` is refused.
    public var qemuProfiler: (@Sendable (String) throws -> String)?

    public init(modelFileReader: (@Sendable (String) throws -> LoadedModel)? = nil,
                modelRunner: (@Sendable (RunRequest) throws -> MeasuredRun)? = nil,
                scratchBytes: (@Sendable (LayerAnalysis) -> Int)? = nil,
                qemuProfiler: (@Sendable (String) throws -> String)? = nil) {
        self.modelFileReader = modelFileReader
        self.modelRunner = modelRunner
        self.scratchBytes = scratchBytes
        self.qemuProfiler = qemuProfiler
    }

    /// The hooks `FirmwareSim.execute` uses by default (set once at start-up):
    /// model files are read by `ModelFileReader` and run by `HostRunner`, and
    /// `--qemu` runs `QEMUProfiler` (firmware-sim/cortex-m/profile.sh).
    nonisolated(unsafe) public static var installed = SimulatorHooks(
        modelFileReader: { path in try ModelFileReader.load(path) },
        modelRunner: { request in try HostRunner.run(request) },
        qemuProfiler: { path in try QEMUProfiler.run(modelPath: path) })
}

// MARK: - Estimates used when there is no model file

/// The flash a model file would take, computed from the layer list with the
/// layout of model file version 1 (MinnowCore/Model/ModelFormat.swift), used
/// only when there is no model file to measure:
///
///     64 B header + 32 B per tensor record + 96 B per layer record
///     + per conv / dense: int8 weights, then int32 bias, multiplier and shift
///       per output channel (12 B each), each block padded to 16 B
///     + add: 7 int32 params (32 B), softmax: 3 int32 params (16 B)
///
/// It matches the exporter's file exactly when every layer becomes one record
/// (standalone ReLUs are fused away by the exporter, which makes the file a
/// little smaller than this estimate).
public enum FlashEstimate {
    public static let headerBytes = 64
    public static let tensorRecordBytes = 32
    public static let layerRecordBytes = 96
    public static let alignment = 16

    /// The parameter bytes of one layer, unpadded: weights + 4 × biases + 8 × output channels.
    public static func weightBytes(_ layer: LayerAnalysis) -> Int {
        guard layer.kind == "conv" || layer.kind == "dense" else { return layer.weights + 4 * layer.biases }
        return layer.weights + 4 * layer.biases + 8 * layer.outputShape.channels
    }

    /// The padded data bytes of one layer as stored in the file.
    public static func storedBytes(_ layer: LayerAnalysis) -> Int {
        switch layer.kind {
        case "conv", "dense":
            return ArenaPlanner.alignUp(layer.weights, alignment)
                + ArenaPlanner.alignUp(12 * layer.outputShape.channels, alignment)
        case "add": return ArenaPlanner.alignUp(7 * 4, alignment)
        case "softmax": return ArenaPlanner.alignUp(3 * 4, alignment)
        default: return 0
        }
    }

    /// The whole file.
    public static func fileBytes(_ analysis: ArchitectureAnalysis, plan: MemoryPlan) -> Int {
        let tables = ArenaPlanner.alignUp(headerBytes, alignment)
            + ArenaPlanner.alignUp(tensorRecordBytes * plan.activations.count, alignment)
            + ArenaPlanner.alignUp(layerRecordBytes * analysis.layers.count, alignment)
        return tables + analysis.layers.reduce(0) { $0 + storedBytes($1) }
    }
}

/// Memory the firmware needs besides the model: documented assumptions, overridable.
public struct Reserves: Equatable, Sendable {
    /// RAM besides the arena: stack (the engine recurses nowhere; 4 KiB), the
    /// engine's state and the I/O of the application: 8 KiB in all.
    public var ramBytes: Int
    /// Flash besides the model: the engine's code, startup and vector table: 32 KiB.
    public var flashBytes: Int

    public static let standard = Reserves(ramBytes: 8 * 1024, flashBytes: 32 * 1024)

    public init(ramBytes: Int, flashBytes: Int) {
        self.ramBytes = ramBytes
        self.flashBytes = flashBytes
    }
}

// MARK: - The report

public struct LayerReport: Equatable, Sendable {
    public var index: Int
    public var name: String
    public var kind: String
    public var inputs: [String]
    public var outputShape: TensorShape
    public var units: Int
    public var connections: Int
    public var weights: Int
    public var biases: Int
    public var macs: Int
    /// Flash for this layer's parameters (int8 weights, int32 biases, 8 B per output channel).
    public var weightBytes: Int
    /// The int8 output tensor.
    public var activationBytes: Int
    public var scratchBytes: Int
    public var arenaOffset: Int
    public var scratchOffset: Int?
    /// The output's lifetime in steps (layer indices; the model output lives to `layers.count`).
    public var firstStep: Int
    public var lastStep: Int
    public var estimatedCycles: Double
    public var estimatedMicroseconds: Double
    public var measuredMicroseconds: Double?
    /// Exact Cortex-M4 instructions of this layer under QEMU (`--qemu`), callees included.
    public var instructions: Int? = nil
    /// `instructions / macs` for layers with multiply-adds (conv, dense).
    public var instructionsPerMAC: Double? = nil

    public var parameters: Int { weights + biases }
}

/// One buffer of the arena plan (the input, an output, or a scratch buffer).
public struct BufferReport: Equatable, Sendable {
    public enum Role: String, Sendable { case input, activation, scratch }
    public var name: String
    public var role: Role
    /// The layer that writes it (−1 for the model input).
    public var layer: Int
    public var bytes: Int
    public var offset: Int
    public var firstStep: Int
    public var lastStep: Int
    /// A tensor written straight into its channel slice of this concatenation
    /// output (it has no bytes of its own; `offset` is inside the parent's).
    public var sliceOf: String? = nil
    /// A pooling output written over this input tensor's bytes.
    public var overwrites: String? = nil
}

public struct Totals: Equatable, Sendable {
    public var parameters: Int
    public var macs: Int
    public var weightBytes: Int
    public var flashBytes: Int
    /// True when `flashBytes` is a model file's size, false when estimated.
    public var flashBytesMeasured: Bool
    public var arenaBytes: Int
    public var arenaLowerBoundBytes: Int
    /// The step at which the lower bound occurs (most bytes live without in-place reuse).
    public var peakStep: Int
    public var estimatedCycles: Double
    public var estimatedMilliseconds: Double
}

public struct Verdict: Equatable, Sendable {
    public var board: Board
    /// The model plus the flash reserve.
    public var flashRequiredBytes: Int
    /// The arena plus the RAM reserve.
    public var ramRequiredBytes: Int
    public var flashMarginBytes: Int { board.flashBytes - flashRequiredBytes }
    public var ramMarginBytes: Int { board.ramBytes - ramRequiredBytes }
    public var fitsFlash: Bool { flashMarginBytes >= 0 }
    public var fitsRAM: Bool { ramMarginBytes >= 0 }
    public var fits: Bool { fitsFlash && fitsRAM }
}

/// Everything `firmware-sim run` says about one network on one board.
public struct SimulationReport: Sendable {
    public var modelName: String
    public var origin: String
    public var inputShape: TensorShape
    public var input: BufferReport
    public var layers: [LayerReport]
    public var buffers: [BufferReport]
    /// Bytes in use (aligned) at each step from −1 to `layers.count`, with
    /// in-place reuse (slices inside their concatenation output, pooling over
    /// its input) taken into account.
    public var liveBytesPerStep: [Int]
    public var totals: Totals
    public var verdict: Verdict
    public var latency: LatencyModel
    public var reserves: Reserves
    public var measured: MeasuredRun?
    /// What the plan's in-place reuse saves.
    public var inPlace: InPlaceSummary
    /// Remarks printed with every format (fallbacks, estimates).
    public var notes: [String]
    /// Why the real run of a model file was refused (its arena exceeds the board's budget).
    public var runRefusal: SimulatorError? = nil
    /// Exact Cortex-M4 instruction counts of the model's firmware under QEMU (`--qemu`).
    public var qemu: QEMUProfile? = nil
    /// Set when the latency estimate was computed from `qemu`'s instruction
    /// counts: the cycles per instruction assumed (nil: the latency model's estimate).
    public var cyclesPerInstruction: Double? = nil

    /// Builds the report of `model` on `board`.
    public init(model: LoadedModel, board: Board, latency: LatencyModel? = nil,
                reserves: Reserves = .standard, measured: MeasuredRun? = nil,
                notes: [String] = [], scratchBytes: ((LayerAnalysis) -> Int)? = nil) throws(ArchitectureError) {
        let analysis = try ArchitectureAnalysis(model.architecture)
        // Without a file: the engine's own scratch query (MemoryPlan's default),
        // so the plan equals the one the exporter writes for this net.
        let plan = model.plan ?? (scratchBytes.map { query in
            MemoryPlan(analysis, scratchBytes: { query(analysis.layers[$0]) })
        } ?? MemoryPlan(analysis))
        self.init(analysis: analysis, plan: plan, model: model, board: board,
                  latency: latency ?? .assumed(for: board.core), reserves: reserves,
                  measured: measured, notes: notes)
    }

    public init(analysis: ArchitectureAnalysis, plan: MemoryPlan, model: LoadedModel, board: Board,
                latency: LatencyModel, reserves: Reserves, measured: MeasuredRun?, notes: [String]) {
        let arch = analysis.architecture
        modelName = arch.name
        origin = model.origin
        inputShape = arch.input
        self.latency = latency
        self.reserves = reserves
        self.measured = measured
        var notes = notes

        var buffers: [BufferReport] = []
        for entry in plan.entries {
            switch entry.role {
            case .input:
                buffers.append(BufferReport(name: entry.name, role: .input, layer: -1, bytes: entry.bytes,
                                            offset: entry.offset, firstStep: entry.firstStep, lastStep: entry.lastStep))
            case let .output(layer):
                buffers.append(BufferReport(name: entry.name, role: .activation, layer: layer, bytes: entry.bytes,
                                            offset: entry.offset, firstStep: entry.firstStep, lastStep: entry.lastStep))
            case let .scratch(layer):
                buffers.append(BufferReport(name: entry.name, role: .scratch, layer: layer, bytes: entry.bytes,
                                            offset: entry.offset, firstStep: entry.firstStep, lastStep: entry.lastStep))
            }
        }
        // In-place reuse (activation t is buffers[t]): slices live inside their
        // concatenation output, which is reserved from the first slice's write on;
        // an in-place pooling output sits on its input's bytes.
        for (t, slice) in plan.slices where t < plan.activations.count && slice.parent < plan.activations.count {
            buffers[t].sliceOf = buffers[slice.parent].name
            buffers[slice.parent].firstStep = min(buffers[slice.parent].firstStep, buffers[t].firstStep)
        }
        for (t, input) in plan.inPlacePools where t < plan.activations.count && input < plan.activations.count {
            buffers[t].overwrites = buffers[input].name
        }
        self.buffers = buffers
        inPlace = InPlaceSummary(analysis: analysis, plan: plan)
        input = buffers.first { $0.role == .input }
            ?? BufferReport(name: Architecture.inputName, role: .input, layer: -1, bytes: arch.input.elementCount,
                            offset: 0, firstStep: -1, lastStep: 0)

        let clockHz = board.clockMHz * 1_000_000
        var layers: [LayerReport] = []
        for (i, a) in analysis.layers.enumerated() {
            // A model file's plan may number its layers differently (fused
            // activations): match the output by name first, then by index.
            let output = buffers.first { $0.role == .activation && $0.name == a.name }
                ?? buffers.first { $0.role == .activation && $0.layer == i }
            let scratch = buffers.first { $0.role == .scratch && $0.layer == i }
            let work = LatencyModel.work(of: LayerAnalysisView(kind: a.kind, units: a.units,
                                                               connections: a.connections, macs: a.macs))
            let cycles = latency.cycles(work)
            var measuredTime: Double?
            if let m = measured, i < m.perLayerMicroseconds.count { measuredTime = m.perLayerMicroseconds[i] }
            layers.append(LayerReport(
                index: i, name: a.name, kind: a.kind, inputs: arch.resolvedInputs(of: i),
                outputShape: a.outputShape, units: a.units, connections: a.connections,
                weights: a.weights, biases: a.biases, macs: a.macs,
                weightBytes: FlashEstimate.weightBytes(a), activationBytes: a.outputShape.elementCount,
                scratchBytes: scratch?.bytes ?? 0, arenaOffset: output?.offset ?? 0, scratchOffset: scratch?.offset,
                firstStep: output?.firstStep ?? i, lastStep: output?.lastStep ?? i,
                estimatedCycles: cycles, estimatedMicroseconds: cycles / clockHz * 1e6,
                measuredMicroseconds: measuredTime))
        }
        self.layers = layers

        // Bytes in use per step (slices count inside their parent; an in-place
        // output shares its input's bytes on its own step), and the plain sum
        // of live tensors, whose maximum is the lower bound.
        let first = -1, last = analysis.layers.count
        var live = [Int](repeating: 0, count: last - first + 1)
        var plain = live
        let entries = plan.entries  // buffers[k] was made from entries[k]
        for (k, b) in buffers.enumerated() where b.bytes > 0 {
            let aligned = ArenaPlanner.alignUp(b.bytes, MemoryPlan.alignment)
            let (p0, p1) = (max(entries[k].firstStep, first), min(entries[k].lastStep, last))
            if p0 <= p1 { for step in p0...p1 { plain[step - first] += aligned } }
            guard b.sliceOf == nil else { continue }
            let start = max(b.overwrites == nil ? b.firstStep : b.firstStep + 1, first)
            let end = min(b.lastStep, last)
            if start <= end { for step in start...end { live[step - first] += aligned } }
        }
        liveBytesPerStep = live
        let peakIndex = plain.indices.max { plain[$0] < plain[$1] } ?? 0

        let flashMeasured = model.fileBytes != nil
        let flash = model.fileBytes ?? FlashEstimate.fileBytes(analysis, plan: plan)
        if !flashMeasured {
            notes.append("flash bytes are an estimate (no model file): parameters plus file overhead, see docs/firmware-sim.md")
        }
        let cycles = layers.reduce(0) { $0 + $1.estimatedCycles }
        totals = Totals(parameters: analysis.parameters, macs: analysis.macs,
                        weightBytes: layers.reduce(0) { $0 + $1.weightBytes },
                        flashBytes: flash, flashBytesMeasured: flashMeasured,
                        arenaBytes: plan.arenaBytes, arenaLowerBoundBytes: plan.lowerBoundBytes,
                        peakStep: peakIndex + first,
                        estimatedCycles: cycles, estimatedMilliseconds: cycles / clockHz * 1000)
        verdict = Verdict(board: board, flashRequiredBytes: flash + reserves.flashBytes,
                          ramRequiredBytes: plan.arenaBytes + reserves.ramBytes)
        self.notes = notes
    }

    /// The largest arena a real run may use on this board: RAM minus the reserve.
    public var arenaBudgetBytes: Int { max(verdict.board.ramBytes - reserves.ramBytes, 0) }
}
