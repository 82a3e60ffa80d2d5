import Foundation

// MARK: - Exact Cortex-M4 instruction counts (`firmware-sim run MODEL.mnw --qemu`)

/// One layer of a QEMU profile: `minnow_invoke_layer(i)` on the Cortex-M4
/// firmware, callees included, averaged over the runs (docs/cortex-m.md §9).
public struct QEMULayerCount: Equatable, Sendable {
    public var index: Int
    public var name: String
    public var kind: String
    public var macs: Int
    public var outputBytes: Int
    public var instructions: Int
    /// instructions / MACs for conv and dense (nil for layers without MACs).
    public var instructionsPerMAC: Double?
    /// How many times the layer was run (test images).
    public var runs: Int

    public init(index: Int, name: String, kind: String, macs: Int, outputBytes: Int, instructions: Int,
                instructionsPerMAC: Double?, runs: Int) {
        self.index = index
        self.name = name
        self.kind = kind
        self.macs = macs
        self.outputBytes = outputBytes
        self.instructions = instructions
        self.instructionsPerMAC = instructionsPerMAC
        self.runs = runs
    }
}

/// What `firmware-sim/cortex-m/profile.sh MODEL.mnw` measured: the engine's
/// firmware with the model compiled in, run under `qemu-system-arm -M
/// mps2-an386` with the project's instruction-counting TCG plugin.
public struct QEMUProfile: Equatable, Sendable {
    /// The model's symbol name in the firmware ("lenet5_fashion").
    public var model: String
    public var layers: [QEMULayerCount]
    /// One `minnow_invoke` (exact; not the sum of the layers, which adds per-call overhead).
    public var instructionsPerInference: Int
    public var macs: Int
    public var instructionsPerMAC: Double?
    /// The firmware ELF: text + rodata (model and test vectors included).
    public var flashBytes: Int?
    /// Of `flashBytes`, the compiled-in test images and expected outputs.
    public var flashTestVectorBytes: Int?
    /// data + bss (arena included) + the measured stack high-water mark.
    public var ramBytes: Int?
    public var arenaBytes: Int?
    public var stackHighWaterBytes: Int?
    /// Test images run (1 = one fixed input: no C arrays with test images were found).
    public var images: Int?
    /// Whether every output equalled the Swift engine's bit for bit (nil: nothing to compare).
    public var bitExact: Bool?

    public init(model: String, layers: [QEMULayerCount], instructionsPerInference: Int, macs: Int,
                instructionsPerMAC: Double?, flashBytes: Int? = nil, flashTestVectorBytes: Int? = nil,
                ramBytes: Int? = nil, arenaBytes: Int? = nil, stackHighWaterBytes: Int? = nil,
                images: Int? = nil, bitExact: Bool? = nil) {
        self.model = model
        self.layers = layers
        self.instructionsPerInference = instructionsPerInference
        self.macs = macs
        self.instructionsPerMAC = instructionsPerMAC
        self.flashBytes = flashBytes
        self.flashTestVectorBytes = flashTestVectorBytes
        self.ramBytes = ramBytes
        self.arenaBytes = arenaBytes
        self.stackHighWaterBytes = stackHighWaterBytes
        self.images = images
        self.bitExact = bitExact
    }

    /// The firmware's flash without the compiled-in test vectors: engine + model + startup.
    public var deployedFlashBytes: Int? {
        guard let flashBytes else { return nil }
        return flashBytes - (flashTestVectorBytes ?? 0)
    }

    /// Parses profile.sh's stdout: one JSON object per line, the layers, then
    /// one with `"total": true`. Blank lines and lines not starting with `{`
    /// are ignored. Throws `.qemuFailed` naming what is missing or malformed.
    public static func parse(jsonLines text: String) throws(SimulatorError) -> QEMUProfile {
        var layers: [QEMULayerCount] = []
        var total: [String: Any]?
        var model = ""
        for (n, raw) in text.split(whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("{") else { continue }
            let object: [String: Any]
            do {
                guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw SimulatorError.qemuFailed("profile line \(n + 1) is not a JSON object")
                }
                object = o
            } catch let error as SimulatorError {
                throw error
            } catch {
                throw .qemuFailed("profile line \(n + 1) is not JSON: \(line.prefix(80))")
            }
            if let m = object["model"] as? String { model = m }
            if object["total"] as? Bool == true {
                total = object
                continue
            }
            func int(_ key: String) throws(SimulatorError) -> Int {
                guard let v = integer(object[key]) else {
                    throw .qemuFailed("profile line \(n + 1): missing or non-integer \"\(key)\"")
                }
                return v
            }
            guard let name = object["name"] as? String, let kind = object["kind"] as? String else {
                throw .qemuFailed("profile line \(n + 1): missing \"name\" or \"kind\"")
            }
            let macs = try int("macs")
            let instructions = try int("instructions")
            // Recomputed from the integers (the script rounds it to 3 digits).
            let perMAC = macs > 0 ? Double(instructions) / Double(macs) : number(object["instructions_per_mac"])
            layers.append(QEMULayerCount(index: try int("layer"), name: name, kind: kind, macs: macs,
                                         outputBytes: integer(object["output_bytes"]) ?? 0,
                                         instructions: instructions, instructionsPerMAC: perMAC,
                                         runs: integer(object["runs"]) ?? 1))
        }
        guard let t = total else {
            throw .qemuFailed(layers.isEmpty ? "the profiler printed no JSON lines"
                                             : "the profiler printed no total line (\"total\": true)")
        }
        guard !layers.isEmpty else { throw .qemuFailed("the profiler printed no per-layer lines") }
        guard let perInference = integer(t["instructions_per_inference"]) else {
            throw .qemuFailed("the total line has no integer \"instructions_per_inference\"")
        }
        let macs = integer(t["macs"]) ?? layers.reduce(0) { $0 + $1.macs }
        let perMAC = macs > 0 ? Double(perInference) / Double(macs) : number(t["instructions_per_mac"])
        return QEMUProfile(model: model, layers: layers.sorted { $0.index < $1.index },
                           instructionsPerInference: perInference, macs: macs, instructionsPerMAC: perMAC,
                           flashBytes: integer(t["flash"]), flashTestVectorBytes: integer(t["flash_test_vectors"]),
                           ramBytes: integer(t["ram"]), arenaBytes: integer(t["arena"]),
                           stackHighWaterBytes: integer(t["stack_hwm"]), images: integer(t["images"]),
                           bitExact: t["bit_exact"] as? Bool)
    }

    private static func integer(_ value: Any?) -> Int? {
        if let i = value as? Int { return i }
        guard let d = value as? Double, d.isFinite, d == d.rounded(), abs(d) < 9e15 else { return nil }
        return Int(d)
    }

    private static func number(_ value: Any?) -> Double? {
        if let i = value as? Int { return Double(i) }
        guard let d = value as? Double, d.isFinite else { return nil }
        return d
    }
}

/// Runs `firmware-sim/cortex-m/profile.sh` (the default `SimulatorHooks.qemuProfiler`).
public enum QEMUProfiler {
    /// The script, relative to the repository root.
    public static let scriptPath = "firmware-sim/cortex-m/profile.sh"
    /// What the firmware build and run need on PATH.
    public static let requiredTools = ["qemu-system-arm", "arm-none-eabi-gcc"]
    /// The command that installs them (Debian packages).
    public static let installCommand = "tools/install-toolchain.sh"

    /// Where profile.sh is: searched upward from the current directory, from
    /// the executable's directory and from this source file's (a development
    /// build). `MINNOW_ROOT` in the environment, when set, is tried first.
    public static func locateScript(environment: [String: String] = ProcessInfo.processInfo.environment,
                                    currentDirectory: String = FileManager.default.currentDirectoryPath,
                                    executable: String? = Bundle.main.executablePath ?? CommandLine.arguments.first,
                                    sourceFile: String = #filePath) -> String? {
        var starts: [URL] = []
        if let root = environment["MINNOW_ROOT"], !root.isEmpty { starts.append(URL(fileURLWithPath: root)) }
        starts.append(URL(fileURLWithPath: currentDirectory))
        if let executable {
            let url = URL(fileURLWithPath: executable, relativeTo: URL(fileURLWithPath: currentDirectory))
            starts.append(url.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        starts.append(URL(fileURLWithPath: sourceFile).deletingLastPathComponent())
        for start in starts {
            var dir = start.standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent(scriptPath).path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        return nil
    }

    /// The required tools that are not on PATH.
    public static func missingTools(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        let path = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        return requiredTools.filter { tool in
            !path.contains { FileManager.default.isExecutableFile(atPath: $0 + "/" + tool) }
        }
    }

    /// Runs profile.sh on `modelPath` and returns its stdout (JSON lines).
    /// Throws `.qemuUnavailable` when the tools or the script are missing and
    /// `.qemuFailed` (with the last line of its log) when it fails.
    public static func run(modelPath: String,
                           environment: [String: String] = ProcessInfo.processInfo.environment) throws(SimulatorError) -> String {
        let missing = missingTools(environment: environment)
        guard missing.isEmpty else {
            throw .qemuUnavailable("\(missing.joined(separator: " and ")) not found on PATH; install the Cortex-M toolchain and QEMU with \(installCommand)")
        }
        guard let script = locateScript(environment: environment) else {
            throw .qemuUnavailable("cannot find \(scriptPath) above the current directory or the executable; run firmware-sim from the Minnow checkout or set MINNOW_ROOT")
        }
        let model = URL(fileURLWithPath: modelPath).standardizedFileURL.path
        let temp = FileManager.default.temporaryDirectory
            .appendingPathComponent("firmware-sim-qemu-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        } catch {
            throw .qemuFailed("cannot create a temporary directory: \((error as NSError).localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: temp) }
        // Files, not pipes: the firmware's log on stderr is long, and nothing is
        // read until the script ends.
        let outURL = temp.appendingPathComponent("stdout"), errURL = temp.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = [model]
        process.environment = environment
        do {
            let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
            defer { try? out.close(); try? err.close() }
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
        } catch {
            throw .qemuFailed("cannot start \(script): \((error as NSError).localizedDescription)")
        }
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let log = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            let why = process.terminationReason == .exit ? "exit status \(process.terminationStatus)"
                                                          : "killed by signal \(process.terminationStatus)"
            throw .qemuFailed("\(scriptPath) failed (\(why)): \(lastLine(of: log) ?? "no message"); see the full log with \(scriptPath) \(modelPath)")
        }
        return stdout
    }

    /// The last line of a log that says something (ERROR lines first).
    static func lastLine(of log: String) -> String? {
        let lines = log.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let line = lines.last { $0.hasPrefix("ERROR") || $0.contains("error:") || $0.contains("FAIL") } ?? lines.last
        return line.map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
    }
}

extension SimulationReport {
    /// Adds exact Cortex-M4 instruction counts: per layer (matched by name,
    /// else index) and per inference. On a Cortex-M4-class board the latency
    /// estimate becomes instructions × `cyclesPerInstruction` (stated in the report).
    public mutating func attach(_ profile: QEMUProfile, cyclesPerInstruction: Double = QEMUProfile.defaultCyclesPerInstruction) {
        qemu = profile
        var unmatched: [String] = []
        var used = Set<Int>()
        for i in layers.indices {
            let match = profile.layers.indices.first { !used.contains($0) && profile.layers[$0].name == layers[i].name }
                ?? profile.layers.indices.first { !used.contains($0) && profile.layers[$0].index == layers[i].index
                                               && profile.layers[$0].kind == layers[i].kind }
            guard let m = match else { unmatched.append(layers[i].name); continue }
            used.insert(m)
            let count = profile.layers[m]
            layers[i].instructions = count.instructions
            layers[i].instructionsPerMAC = layers[i].macs > 0 ? Double(count.instructions) / Double(layers[i].macs) : nil
        }
        if !unmatched.isEmpty {
            notes.append("the firmware reported no instruction count for \(unmatched.joined(separator: ", "))")
        }
        if profile.macs != totals.macs {
            notes.append("the firmware counts \(ByteSize.grouped(profile.macs)) MACs, this report \(ByteSize.grouped(totals.macs))")
        }
        if profile.bitExact == false {
            notes.append("the Cortex-M4 outputs differ from the Swift engine's (bit_exact false)")
        }
        let board = verdict.board
        guard board.core == .cortexM4F else {
            notes.append("instruction counts are of the Cortex-M4 build under QEMU; the latency on this \(board.core.rawValue) board stays the model's estimate")
            return
        }
        let clockHz = board.clockMHz * 1_000_000
        self.cyclesPerInstruction = cyclesPerInstruction
        for i in layers.indices {
            guard let n = layers[i].instructions else { continue }
            layers[i].estimatedCycles = Double(n) * cyclesPerInstruction
            layers[i].estimatedMicroseconds = layers[i].estimatedCycles / clockHz * 1e6
        }
        totals.estimatedCycles = Double(profile.instructionsPerInference) * cyclesPerInstruction
        totals.estimatedMilliseconds = totals.estimatedCycles / clockHz * 1000
    }
}

extension QEMUProfile {
    /// The cycles per instruction assumed when turning instruction counts into time.
    public static let defaultCyclesPerInstruction = 1.0

    /// The assumption printed with a latency computed from instruction counts.
    public static func latencyBasis(cyclesPerInstruction cpi: Double) -> String {
        "QEMU instruction count × \(fixed(cpi, 2)) cycle/instruction (assumes zero-wait-state flash and single-cycle instructions; on a real Cortex-M4 loads take 2 cycles unless pipelined and taken branches 2–4, so this is a lower bound)"
    }
}
