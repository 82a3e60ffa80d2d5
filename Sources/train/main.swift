// swift run train ARCH --dataset fashion-mnist|mnist5k --epochs N --seed S -o OUT.ckpt
//                 [--json] [--batch B] [--lr X] [--optimizer adam|sgd] [--constant-lr]
//
// Trains a float model and writes a checkpoint (docs/checkpoint-format.md)
// plus a training-curve SVG beside it (OUT.svg). See docs/training.md.
import Foundation
import MinnowModel
import MinnowTraining

let usage = """
usage: train ARCH --dataset fashion-mnist|mnist5k --epochs N --seed S -o OUT.ckpt
             [--json] [--batch B] [--lr X] [--optimizer adam|sgd] [--constant-lr] [--shift P]
       train --evaluate CKPT --dataset fashion-mnist|mnist5k [--json]
  --shift P  augment: shift each training image by up to P pixels (default 0)
  ARCH  a built-in architecture (\(BuiltinArchitectures.names.joined(separator: ", "))) or an architecture JSON file
"""

struct UsageError: Error { var message: String }

func fail(_ message: String, usageHint: Bool = false) -> Never {
    FileHandle.standardError.write(Data(("train: error: " + message + "\n").utf8))
    FileHandle.standardError.write(Data("run 'train --help' for usage\n".utf8))
    exit(usageHint ? 64 : 1)
}

struct Arguments {
    var architecture = ""
    var dataset: DatasetName?
    var epochs: Int?
    var seed: UInt64?
    var output: String?
    var json = false
    var batch = 64
    var lr: Float?
    var optimizer = OptimizerKind.adam
    var constantLR = false
    var shift = 0
}

func parse(_ argv: [String]) throws(UsageError) -> Arguments {
    var a = Arguments()
    var i = 0
    func value(_ flag: String) throws(UsageError) -> String {
        i += 1
        guard i < argv.count else { throw UsageError(message: "\(flag) needs a value") }
        return argv[i]
    }
    var positional: [String] = []
    while i < argv.count {
        let arg = argv[i]
        switch arg {
        case "--dataset":
            let v = try value(arg)
            guard let d = DatasetName(rawValue: v) else { throw UsageError(message: "unknown data set '\(v)' (fashion-mnist or mnist5k)") }
            a.dataset = d
        case "--epochs":
            let v = try value(arg)
            guard let n = Int(v), n >= 1, n <= 10_000 else { throw UsageError(message: "--epochs must be a whole number 1...10000, got '\(v)'") }
            a.epochs = n
        case "--seed":
            let v = try value(arg)
            guard let n = UInt64(v) else { throw UsageError(message: "--seed must be a non-negative whole number, got '\(v)'") }
            a.seed = n
        case "-o", "--output":
            a.output = try value(arg)
        case "--json":
            a.json = true
        case "--batch":
            let v = try value(arg)
            guard let n = Int(v), n >= 1, n <= 4096 else { throw UsageError(message: "--batch must be 1...4096, got '\(v)'") }
            a.batch = n
        case "--lr":
            let v = try value(arg)
            guard let x = Float(v), x > 0, x.isFinite, x < 10 else { throw UsageError(message: "--lr must be a positive number below 10, got '\(v)'") }
            a.lr = x
        case "--optimizer":
            let v = try value(arg)
            guard let o = OptimizerKind(rawValue: v) else { throw UsageError(message: "--optimizer must be adam or sgd, got '\(v)'") }
            a.optimizer = o
        case "--shift":
            let v = try value(arg)
            guard let n = Int(v), n >= 0, n <= 8 else { throw UsageError(message: "--shift must be 0...8, got '\(v)'") }
            a.shift = n
        case "--constant-lr":
            a.constantLR = true
        default:
            if arg.hasPrefix("-") && arg != "-" { throw UsageError(message: "unknown option '\(arg)'") }
            positional.append(arg)
        }
        i += 1
    }
    guard positional.count == 1 else {
        throw UsageError(message: positional.isEmpty ? "missing ARCH" : "expected one ARCH, got \(positional.joined(separator: " "))")
    }
    a.architecture = positional[0]
    guard a.dataset != nil else { throw UsageError(message: "missing --dataset") }
    guard a.epochs != nil else { throw UsageError(message: "missing --epochs") }
    guard a.seed != nil else { throw UsageError(message: "missing --seed") }
    guard a.output != nil else { throw UsageError(message: "missing -o OUT.ckpt") }
    return a
}

let argv = Array(CommandLine.arguments.dropFirst())
if argv.contains("--help") || argv.contains("-h") {
    print(usage)
    exit(0)
}

// train --evaluate CKPT --dataset NAME [--json]: float test accuracy of a checkpoint.
if argv.first == "--evaluate" {
    guard argv.count >= 4, argv[2] == "--dataset", let name = DatasetName(rawValue: argv[3]),
          argv.count == 4 || (argv.count == 5 && argv[4] == "--json") else {
        fail("usage: train --evaluate CKPT --dataset fashion-mnist|mnist5k [--json]", usageHint: true)
    }
    do {
        let checkpoint = try Checkpoint.read(from: URL(fileURLWithPath: argv[1]))
        let model = try FloatModel(checkpoint)
        let test = try Dataset.load(name, split: .test)
        guard model.inputSize == test.imageSize, model.outputSize == test.classCount else {
            fail("\(argv[1]) takes \(model.inputSize) inputs and gives \(model.outputSize) outputs; \(name.displayName) has \(test.imageSize) pixels and \(test.classCount) classes")
        }
        let accuracy = model.accuracy(on: test)
        let parameters = model.analysis.parameters
        if argv.count == 5 {
            print("{\"checkpoint\": \"\(argv[1])\", \"dataset\": \"\(name.rawValue)\", \"parameters\": \(parameters), \"test_images\": \(test.count), \"test_accuracy\": \(String(format: "%.6f", accuracy))}")
        } else {
            print("\(argv[1]): \(checkpoint.architecture.name), \(parameters) parameters, float test accuracy \(String(format: "%.2f", accuracy * 100))% on \(test.count) \(name.displayName) test images")
        }
        exit(0)
    } catch {
        fail("\(error)")
    }
}
let args: Arguments
do { args = try parse(argv) } catch { fail(error.message, usageHint: true) }

// Architecture: a built-in name or a JSON file.
let architecture: Architecture
if let builtin = BuiltinArchitectures.named(args.architecture) {
    architecture = builtin
} else if FileManager.default.fileExists(atPath: args.architecture) {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: args.architecture, isDirectory: &isDirectory), isDirectory.boolValue {
        fail("\(args.architecture) is a directory, not an architecture JSON file", usageHint: true)
    }
    do {
        architecture = try ArchitectureJSON.decode(Data(contentsOf: URL(fileURLWithPath: args.architecture)))
    } catch {
        fail("\(args.architecture): \(error)")
    }
} else {
    fail("'\(args.architecture)' is neither a built-in architecture (\(BuiltinArchitectures.names.joined(separator: ", "))) nor an existing JSON file", usageHint: true)
}
let analysis: ArchitectureAnalysis
do { analysis = try ArchitectureAnalysis(architecture) } catch { fail("\(args.architecture): \(error.description)") }

let outURL = URL(fileURLWithPath: args.output!)
let outDir = outURL.deletingLastPathComponent().path
var isDir: ObjCBool = false
guard FileManager.default.fileExists(atPath: outDir.isEmpty ? "." : outDir, isDirectory: &isDir), isDir.boolValue else {
    fail("the output directory '\(outDir)' does not exist")
}
let svgURL = outURL.deletingPathExtension().appendingPathExtension("svg")

// Human-readable output goes to stdout, or to stderr when --json owns stdout.
let human: FileHandle = args.json ? .standardError : .standardOutput
let isTerminal = isatty(args.json ? 2 : 1) != 0
func say(_ s: String) { human.write(Data((s + "\n").utf8)) }

let train: Dataset, test: Dataset
do {
    train = try Dataset.load(args.dataset!, split: .train)
    test = try Dataset.load(args.dataset!, split: .test)
} catch {
    fail("\(error)")
}

let options = TrainingOptions(epochs: args.epochs!, batchSize: args.batch, optimizer: args.optimizer,
                              learningRate: args.lr, seed: args.seed!, cosineDecay: !args.constantLR,
                              shift: args.shift)
let trainer: Trainer
do { trainer = try Trainer(architecture: architecture, options: options) } catch { fail("\(error)") }
do { try trainer.check(train) } catch { fail("\(error)") }

say("training \(architecture.name) (\(analysis.parameters) parameters, \(analysis.macs) multiply-adds per image) on \(args.dataset!.displayName): "
    + "\(train.count) train / \(test.count) test images, \(options.epochs) epochs, batch \(options.batchSize), "
    + "\(options.optimizer.rawValue) lr \(options.effectiveLearningRate)\(options.cosineDecay ? " (cosine decay)" : "")\(options.shift > 0 ? ", shift ±\(options.shift)" : ""), seed \(options.seed)")

func duration(_ s: Double) -> String {
    let t = Int(s.rounded())
    return t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
}

let start = Date()
var lastLineLength = 0
let reports: [EpochReport]
do {
    reports = try trainer.train(train, test: test, progress: { p in
        guard isTerminal else { return }
        let fraction = Double(p.imagesDone) / Double(max(p.imagesTotal, 1))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let remainingThis = Double(p.imagesTotal - p.imagesDone) / max(p.imagesPerSecond, 1)
        let remainingAll = remainingThis + Double(p.epochs - p.epoch) * Double(p.imagesTotal) / max(p.imagesPerSecond, 1)
        let line = "epoch \(p.epoch)/\(p.epochs) [\(bar)] \(p.imagesDone)/\(p.imagesTotal) loss \(String(format: "%.4f", p.runningLoss)) "
            + "\(Int(p.imagesPerSecond)) img/s ETA \(duration(remainingAll))"
        human.write(Data(("\r" + line + String(repeating: " ", count: max(0, lastLineLength - line.count))).utf8))
        lastLineLength = line.count
    }, epochEnd: { r in
        if isTerminal { human.write(Data(("\r" + String(repeating: " ", count: lastLineLength) + "\r").utf8)) }
        say("epoch \(r.epoch)/\(options.epochs): loss \(String(format: "%.4f", r.loss)), train accuracy \(String(format: "%.2f", r.trainAccuracy * 100))%, "
            + "test accuracy \(String(format: "%.2f", r.testAccuracy * 100))%, \(String(format: "%.1f", r.seconds)) s (\(Int(r.imagesPerSecond)) img/s)")
    })
} catch {
    fail("\(error)")
}
let seconds = Date().timeIntervalSince(start)
let final = reports.last!

// The checkpoint's metadata holds no timings, so the same seed gives the same bytes.
let metadata: [String: String] = [
    "dataset": args.dataset!.rawValue,
    "epochs": String(options.epochs),
    "seed": String(options.seed),
    "batch": String(options.batchSize),
    "optimizer": options.optimizer.rawValue,
    "learning_rate": String(options.effectiveLearningRate),
    "lr_schedule": options.cosineDecay ? "cosine" : "constant",
    "shift_augmentation": String(options.shift),
    "test_accuracy": String(format: "%.4f", final.testAccuracy),
    "train_accuracy": String(format: "%.4f", final.trainAccuracy),
    "command": "swift run train " + argv.joined(separator: " "),
]
do {
    let checkpoint = try trainer.network.checkpoint(metadata: metadata)
    try checkpoint.write(to: outURL)
} catch {
    fail("\(error)")
}
do {
    let title = "\(architecture.name) on \(args.dataset!.displayName): test accuracy \(String(format: "%.2f", final.testAccuracy * 100))%"
    try trainingCurveSVG(reports, title: title).write(to: svgURL, atomically: true, encoding: .utf8)
} catch {
    fail("cannot write \(svgURL.path): \(error.localizedDescription)")
}
say("wrote \(outURL.path) and \(svgURL.path); test accuracy \(String(format: "%.2f", final.testAccuracy * 100))% after \(duration(seconds))")

if args.json {
    let epochs = reports.map { r in
        "{\"epoch\": \(r.epoch), \"loss\": \(String(format: "%.6f", r.loss)), \"train_accuracy\": \(String(format: "%.6f", r.trainAccuracy)), "
            + "\"test_accuracy\": \(String(format: "%.6f", r.testAccuracy)), \"seconds\": \(String(format: "%.3f", r.seconds))}"
    }
    let imagesPerSecond = Double(train.count * reports.count) / max(reports.reduce(0) { $0 + $1.seconds }, 1e-9)
    print("""
    {"architecture": "\(architecture.name)", "dataset": "\(args.dataset!.rawValue)", "parameters": \(analysis.parameters), \
    "epochs": \(options.epochs), "seed": \(options.seed), "test_accuracy": \(String(format: "%.6f", final.testAccuracy)), \
    "train_accuracy": \(String(format: "%.6f", final.trainAccuracy)), "final_loss": \(String(format: "%.6f", final.loss)), \
    "seconds": \(String(format: "%.3f", seconds)), "images_per_second": \(String(format: "%.1f", imagesPerSecond)), \
    "checkpoint": "\(outURL.path)", "curve": "\(svgURL.path)", "history": [\(epochs.joined(separator: ", "))]}
    """)
}
