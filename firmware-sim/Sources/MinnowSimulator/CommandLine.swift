import Foundation
import MinnowModel

/// The parsed command line of `firmware-sim`.
public struct CommandOptions: Equatable, Sendable {
    public enum Command: Equatable, Sendable { case run, boards, help }
    public enum Format: String, Equatable, Sendable, CaseIterable { case table, json, markdown }

    public var command: Command = .run
    public var model: String?
    public var arch: String?
    public var board: String?
    public var flash: Int?
    public var ram: Int?
    public var core: CoreClass?
    public var clockMHz: Double?
    public var cyclesPerMAC: Double?
    public var ramReserve: Int?
    public var flashReserve: Int?
    public var format: Format = .table
    public var svg: String?
    public var images: Int?
    public var noRun = false
    /// `--test-set SPEC|none`; nil → chosen from the model's shape.
    public var testSet: String?
    public var check = false
    /// `--qemu`: exact Cortex-M4 instruction counts of the model file under QEMU.
    public var qemu = false
    /// `--cycles-per-instruction X` (with `--qemu`): turns instructions into cycles.
    public var cyclesPerInstruction: Double?

    public init() {}

    /// Parses the arguments after the program name.
    public static func parse(_ arguments: [String]) throws(SimulatorError) -> CommandOptions {
        var o = CommandOptions()
        var args = arguments[...]
        if let first = args.first {
            switch first {
            case "run": o.command = .run; args = args.dropFirst()
            case "boards": o.command = .boards; args = args.dropFirst()
            case "help", "-h", "--help": o.command = .help; return o
            default:
                if !first.hasPrefix("-") { throw .usage("unknown command '\(first)' (commands: run, boards, help)") }
                // Flags without a command mean `run`.
            }
        }
        while let raw = args.popFirst() {
            var flag = raw
            var inline: String?
            if raw.hasPrefix("--"), let eq = raw.firstIndex(of: "=") {
                flag = String(raw[..<eq])
                inline = String(raw[raw.index(after: eq)...])
            }
            func value() throws(SimulatorError) -> String {
                if let inline { return inline }
                guard let v = args.popFirst(), !(v.hasPrefix("--") && v.count > 2) else {
                    throw .usage("\(flag) needs a value")
                }
                return v
            }
            func bytes() throws(SimulatorError) -> Int {
                let v = try value()
                guard let n = ByteSize.parse(v) else {
                    throw .usage("\(flag) takes a byte count like 262144, 256K or 1M, not '\(v)'")
                }
                return n
            }
            func positive() throws(SimulatorError) -> Double {
                let v = try value()
                guard let d = Double(v), d.isFinite, d > 0 else { throw .usage("\(flag) takes a positive number, not '\(v)'") }
                return d
            }
            switch flag {
            case "-h", "--help": o.command = .help; return o
            case "--arch", "-a": o.arch = try value()
            case "--board", "-b": o.board = try value()
            case "--flash": o.flash = try bytes()
            case "--ram": o.ram = try bytes()
            case "--ram-reserve": o.ramReserve = try bytes()
            case "--flash-reserve": o.flashReserve = try bytes()
            case "--core":
                let v = try value()
                guard let c = CoreClass.parse(v) else { throw .usage("--core takes m0+, m4f or m7, not '\(v)'") }
                o.core = c
            case "--clock": o.clockMHz = try positive()
            case "--cycles-per-mac": o.cyclesPerMAC = try positive()
            case "--format", "-f":
                let v = try value()
                guard let f = Format(rawValue: v.lowercased()) else {
                    throw .usage("--format takes table, json or markdown, not '\(v)'")
                }
                o.format = f
            case "--json": o.format = .json
            case "--markdown": o.format = .markdown
            case "--svg": o.svg = try value()
            case "--images":
                let v = try value()
                guard let n = Int(v), n > 0 else { throw .usage("--images takes a positive whole number, not '\(v)'") }
                o.images = n
            case "--no-run": o.noRun = true
            case "--test-set": o.testSet = try value()
            case "--check": o.check = true
            case "--qemu": o.qemu = true
            case "--cycles-per-instruction", "--cpi": o.cyclesPerInstruction = try positive()
            default:
                if flag.hasPrefix("-") && flag.count > 1 { throw .usage("unknown option '\(flag)'") }
                guard o.command == .run else { throw .usage("'boards' takes no argument '\(raw)'") }
                guard o.model == nil else { throw .usage("more than one model given ('\(o.model!)' and '\(raw)')") }
                o.model = raw
            }
        }
        if o.model != nil && o.arch != nil {
            throw .usage("give either a model file or --arch, not both")
        }
        if o.qemu && o.arch != nil {
            throw .usage("--qemu runs a model file's weights on the Cortex-M4 firmware: give MODEL.mnw, not --arch")
        }
        if o.cyclesPerInstruction != nil && !o.qemu {
            throw .usage("--cycles-per-instruction applies only with --qemu")
        }
        return o
    }

    /// The board: `--board` (or the default), with `--flash`, `--ram`, `--core`, `--clock` applied.
    public func resolvedBoard() throws(SimulatorError) -> Board {
        var board: Board
        if let name = self.board {
            guard let b = BoardCatalogue.named(name) else { throw .unknownBoard(name) }
            board = b
        } else {
            board = BoardCatalogue.defaultBoard
        }
        let custom = flash != nil || ram != nil || core != nil || clockMHz != nil
        if custom {
            if let flash { board.flashBytes = flash }
            if let ram { board.ramBytes = ram }
            if let core { board.core = core }
            if let clockMHz { board.clockMHz = clockMHz }
            if self.board == nil {
                board.id = "custom"
                board.displayName = "custom board"
                board.mcu = "custom"
                board.memoryNote = "figures from the command line"
            } else {
                board.id += "+custom"
                board.displayName += " (custom figures)"
                board.memoryNote = "overridden on the command line; catalogue: " + board.memoryNote
            }
        }
        return board
    }

}

/// The result of one invocation: what to print and the exit status.
public struct CommandResult: Equatable, Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// `firmware-sim`: the command-line front end, as a function so tests can run it.
public enum FirmwareSim {
    public static let usage = """
    usage: firmware-sim run [MODEL.mnw | ARCH.json] [--arch NAME|FILE.json] [--board NAME]
                            [--flash BYTES] [--ram BYTES] [--core m0+|m4f|m7] [--clock MHZ]
                            [--format table|json|markdown] [--svg FILE] [--check]
                            [--qemu [--cycles-per-instruction X]]
           firmware-sim boards [--format table|json|markdown]
           firmware-sim --help
    """

    public static let help = """
    firmware-sim — will this int8 net fit my board, where do the bytes and the
    multiply-adds go, and how long will it take?

    \(usage)

    run                  report a model per layer and on a board (default command)
      MODEL              a Minnow model file (.mnw), or an architecture .json;
                         default: \(ModelSource.bundledModelPath), else the built-in lenet5
      --arch NAME|FILE   analyse an architecture without weights: a built-in
                         (\(BuiltinArchitectures.names.joined(separator: ", "))) or a JSON file (docs/architecture-format.md)
      --board NAME       a board from `firmware-sim boards` (default: \(BoardCatalogue.defaultBoardID))
      --flash BYTES      override the board's flash (262144, 256K, 1M)
      --ram BYTES        override the board's RAM
      --core m0+|m4f|m7  override the core class (picks the cycles-per-MAC model)
      --clock MHZ        override the clock
      --cycles-per-mac X replace the assumed cycles per multiply-add
      --ram-reserve BYTES    RAM kept besides the arena (default 8K: stack, state, I/O)
      --flash-reserve BYTES  flash kept besides the model (default 32K: engine code)
      --format FMT       table (default), json or markdown; --json, --markdown
      --svg FILE         also draw per-layer MACs and the arena over time as SVG
      --images N         test images for the real run of a model file (default 1000)
      --test-set SPEC    fashion-mnist, mnist5k, an IDX directory, a CSV file, or none
                         (default: by the model's name, "fashion" or "mnist", for 28x28x1 → 10 models)
      --no-run           do not run a model file, only analyse it
      --check            exit with status 3 when the model does not fit
      --qemu             also run the model file on the Cortex-M4 firmware under QEMU
                         (firmware-sim/cortex-m/profile.sh; needs tools/install-toolchain.sh):
                         exact instructions per layer and per inference, instructions per MAC;
                         on an M4 board the latency becomes instructions × cycles/instruction
      --cycles-per-instruction X  with --qemu: cycles per instruction (default 1: zero-wait-state flash)
    boards               list the known boards

    Exit status: 0 ok, 1 error (files, geometry, run), 2 bad usage, 3 does not fit (--check).
    Docs: docs/firmware-sim.md
    """

    /// Runs one invocation. Never traps on user input.
    public static func execute(_ arguments: [String], hooks: SimulatorHooks = .installed) -> CommandResult {
        do {
            let options = try CommandOptions.parse(arguments)
            switch options.command {
            case .help:
                return CommandResult(status: 0, stdout: help + "\n", stderr: "")
            case .boards:
                return CommandResult(status: 0, stdout: BoardsReport.render(format: options.format), stderr: "")
            case .run:
                return try run(options, hooks: hooks)
            }
        } catch {
            var text = "firmware-sim: error: \(error.description)\n"
            text += error.exitStatus == 2 ? usage + "\n(firmware-sim --help for details)\n" : "(firmware-sim --help for usage)\n"
            return CommandResult(status: error.exitStatus, stdout: "", stderr: text)
        }
    }

    /// Loads the model the options name (with the bundled-model fallback) and the notes it brings.
    public static func source(for options: CommandOptions, hooks: SimulatorHooks = .installed) -> (ModelSource, [String]) {
        if let arch = options.arch { return (ModelLoader.architectureSource(arch), []) }
        if let model = options.model {
            return (model.lowercased().hasSuffix(".json") ? .architectureFile(model) : .modelFile(model), [])
        }
        let bundled = ModelSource.bundledModelPath
        if FileManager.default.fileExists(atPath: bundled) && hooks.modelFileReader != nil {
            return (.modelFile(bundled), [])
        }
        let why = FileManager.default.fileExists(atPath: bundled) ? "this build has no model-file reader yet" : "not found"
        return (.builtin("lenet5"), ["\(bundled): \(why); reporting the built-in lenet5 architecture instead (no weights, no measured run)"])
    }

    /// Builds the report for `options` (and runs the model file when a runner is available).
    public static func report(_ options: CommandOptions, hooks: SimulatorHooks = .installed) throws(SimulatorError) -> SimulationReport {
        let board = try options.resolvedBoard()
        let (source, notes) = source(for: options, hooks: hooks)
        if options.qemu {
            guard case .modelFile = source else {
                throw .usage("--qemu needs a model file (.mnw): the firmware runs its weights; an architecture has none")
            }
            guard hooks.qemuProfiler != nil else {
                throw .qemuUnavailable("this build has no QEMU profiler")
            }
        }
        let model = try ModelLoader.load(source, hooks: hooks)
        var latency = LatencyModel.assumed(for: board.core)
        if let cpm = options.cyclesPerMAC {
            latency.cyclesPerMAC = cpm
            latency.basis = "--cycles-per-mac \(fixed(cpm, 2)) given; other figures " + latency.basis
        }
        var reserves = Reserves.standard
        if let r = options.ramReserve { reserves.ramBytes = r }
        if let f = options.flashReserve { reserves.flashBytes = f }
        try SizeLimits.check(model.architecture)
        var report: SimulationReport
        do {
            report = try SimulationReport(model: model, board: board, latency: latency, reserves: reserves, notes: notes,
                                          scratchBytes: hooks.scratchBytes)
        } catch {
            throw .invalidArchitecture(name: model.architecture.name, reason: error.description)
        }
        if model.path != nil, !options.noRun, let runner = hooks.modelRunner {
            guard report.totals.arenaBytes <= report.arenaBudgetBytes else {
                // The report stands; the run is refused with the numbers.
                let refusal = SimulatorError.arenaTooLarge(needed: report.totals.arenaBytes,
                                                           budget: report.arenaBudgetBytes, board: board.id)
                report.runRefusal = refusal
                report.notes.append(refusal.description)
                if options.qemu { report.notes.append("--qemu skipped: the run was refused") }
                return report
            }
            let measured: MeasuredRun
            do {
                measured = try runner(RunRequest(model: model, board: board, arenaBudgetBytes: report.arenaBudgetBytes,
                                                 images: options.images,
                                                 testSet: testSet(for: options, model: model,
                                                                  output: report.layers.last?.outputShape)))
            } catch let error as SimulatorError {
                throw error
            } catch {
                throw .runFailed("\(error)")
            }
            report.attach(measured)
        }
        if options.qemu, let profiler = hooks.qemuProfiler, let path = model.path {
            let lines: String
            do {
                lines = try profiler(path)
            } catch let error as SimulatorError {
                throw error
            } catch {
                throw .qemuFailed("\(error)")
            }
            report.attach(try QEMUProfile.parse(jsonLines: lines),
                          cyclesPerInstruction: options.cyclesPerInstruction ?? QEMUProfile.defaultCyclesPerInstruction)
        }
        return report
    }

    /// `--test-set`, or a test set named by the model (file) name for a
    /// 28×28×1 → 10 model: "fashion" → Fashion-MNIST, else "mnist" → MNIST-5k,
    /// when installed. nil → synthetic inputs.
    static func testSet(for options: CommandOptions, model: LoadedModel, output: TensorShape?) -> String? {
        if let spec = options.testSet { return spec.lowercased() == "none" ? nil : spec }
        guard model.architecture.input == TensorShape(height: 28, width: 28, channels: 1), output?.elementCount == 10 else {
            return nil
        }
        let name = ((model.path ?? "") + " " + model.architecture.name).lowercased()
        if name.contains("fashion"),
           FileManager.default.fileExists(atPath: TestSet.fashionMNISTDirectory + "/t10k-images-idx3-ubyte.gz") {
            return "fashion-mnist"
        }
        if name.contains("mnist"), !name.contains("fashion"), FileManager.default.fileExists(atPath: TestSet.mnist5kPath) {
            return "mnist5k"
        }
        return nil
    }

    static func run(_ options: CommandOptions, hooks: SimulatorHooks) throws(SimulatorError) -> CommandResult {
        let report = try report(options, hooks: hooks)
        let text: String
        switch options.format {
        case .table: text = TextReport.table(report)
        case .markdown: text = TextReport.markdown(report)
        case .json: text = JSONReport.render(report)
        }
        var stderr = ""
        if let path = options.svg {
            try writeAtomically(SVGReport.render(report), to: path)
            if options.format != .json { stderr += "wrote \(path)\n" }
        }
        var status: Int32 = options.check && !report.verdict.fits ? 3 : 0
        if let refusal = report.runRefusal {
            stderr += "firmware-sim: error: \(refusal.description)\n"
            if status == 0 { status = refusal.exitStatus }
        }
        return CommandResult(status: status, stdout: text, stderr: stderr)
    }

    /// Writes `text` to a temporary file next to `path`, then renames it over `path`.
    public static func writeAtomically(_ text: String, to path: String) throws(SimulatorError) {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let temp = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(text.utf8).write(to: temp)
        } catch {
            throw .writeFailed(path: path, reason: (error as NSError).localizedDescription)
        }
        if rename(temp.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw .writeFailed(path: path, reason: reason)
        }
    }
}

extension SimulationReport {
    /// Adds a real run's measurements to the report.
    public mutating func attach(_ run: MeasuredRun) {
        measured = run
        for i in layers.indices where i < run.perLayerMicroseconds.count {
            layers[i].measuredMicroseconds = run.perLayerMicroseconds[i]
        }
        if run.arenaBytesUsed != totals.arenaBytes {
            notes.append("the engine used \(ByteSize.grouped(run.arenaBytesUsed)) arena bytes, the plan says \(ByteSize.grouped(totals.arenaBytes))")
        }
    }
}
