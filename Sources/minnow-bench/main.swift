import Foundation
import MinnowCore
import MinnowModel
import NaiveInt8

// minnow-bench: times batch-1 int8 inference of model files — Minnow's
// optimized kernels, its reference kernels, and a straightforward C
// implementation of the same int8 network at -O3 (tools/bench/naive) —
// interleaved in one run; per layer and whole model.
// Prints medians and 10th percentiles (this machine is shared and noisy).
//
//   swift run -c release minnow-bench [MODEL.mnw ...] [--runs N]
//   minnow-bench --serve     a worker for the rounds of tools/bench-engine.sh (Serve.swift)

let usage = "usage: minnow-bench [MODEL.mnw ...] [--runs N]   (N ≥ 1, default 2000)\n       minnow-bench --serve   (commands on stdin: see Sources/minnow-bench/Serve.swift)"

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("minnow-bench: error: \(message)\n\(usage)\n".utf8))
    exit(1)
}

/// A one-line reason: the POSIX error under a Foundation file error, else the error itself.
func describe(_ error: Error) -> String {
    let ns = error as NSError
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if ns.domain == NSCocoaErrorDomain { return ns.localizedDescription }
    return "\(error)"
}

var paths: [String] = []
var runs = 2000
var argv = Array(CommandLine.arguments.dropFirst())
if argv == ["--serve"] {
    serve()
    exit(0)
}
while !argv.isEmpty {
    let a = argv.removeFirst()
    switch a {
    case "-h", "--help":
        print(usage)
        exit(0)
    case "--runs":
        guard let text = argv.first else { fail("--runs needs a value") }
        guard let n = Int(text), n >= 1, n <= 100_000_000 else { fail("--runs takes a whole number ≥ 1, got '\(text)'") }
        runs = n
        argv.removeFirst()
    default:
        if a.hasPrefix("-") { fail("unknown option '\(a)'") }
        paths.append(a)
    }
}
if paths.isEmpty { paths = ["models/lenet5-fashion.mnw", "models/inception-lite-fashion.mnw"] }
// Every model loads before any timing starts: a bad path is an error, not a skipped line.
var sessions: [(String, InferenceSession)] = []
for path in paths {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        fail("\(path) is a directory, not a model file")
    }
    do {
        sessions.append((path, try InferenceSession(contentsOf: URL(fileURLWithPath: path))))
    } catch {
        fail("cannot load \(path): \(describe(error))")
    }
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    return s[min(s.count - 1, Int(Double(s.count) * p))]
}

for (path, session) in sessions {
    let model = session.model
    var engine = session.engine
    // A deterministic pseudo-random input.
    var state: UInt32 = 12345
    let input: [Int8] = (0..<model.input.layout.elementCount).map { _ in
        state = state &* 1_664_525 &+ 1_013_904_223
        return Int8(truncatingIfNeeded: state >> 24)
    }
    input.withUnsafeBufferPointer { try! engine.setInput($0) }
    var samples: [KernelSet: [Double]] = [.reference: [], .optimized: []]
    var layerSamples: [KernelSet: [[Double]]] = [.reference: Array(repeating: [], count: model.layerCount),
                                                  .optimized: Array(repeating: [], count: model.layerCount)]
    let referenceRuns = max(20, runs / 20)
    for r in 0..<runs {
        for kernels in [KernelSet.optimized, .reference] where kernels == .optimized || r < referenceRuns {
            engine.kernels = kernels
            let t0 = now()
            engine.invoke()
            samples[kernels]!.append(Double(now() - t0) / 1000)
            for l in 0..<model.layerCount {
                let t = now()
                engine.invokeLayer(l)
                layerSamples[kernels]![l].append(Double(now() - t) / 1000)
            }
        }
    }
    print("\(path): \(model.totalMultiplyAdds) multiply-adds, arena \(model.arenaBytes) B, packed weights \(PackedWeights.bytes(for: model)) B (host only), \(runs) runs")
    print("  layer              MACs   reference µs (p50/p10)   optimized µs (p50/p10)   speed-up")
    for l in 0..<model.layerCount {
        let r = layerSamples[.reference]![l], o = layerSamples[.optimized]![l]
        let name = model.layerName(l).padding(toLength: 14, withPad: " ", startingAt: 0)
        print(name + String(format: " %9d   %10.2f / %-8.2f       %10.2f / %-8.2f    %6.1fx", model.multiplyAdds(l),
                     percentile(r, 0.5), percentile(r, 0.1), percentile(o, 0.5), percentile(o, 0.1),
                     percentile(r, 0.5) / max(percentile(o, 0.5), 0.001)))
    }
    let r = samples[.reference]!, o = samples[.optimized]!
    print(String(format: "  whole model        reference %.1f µs (p10 %.1f)   optimized %.1f µs (p10 %.1f)   %.1fx",
                 percentile(r, 0.5), percentile(r, 0.1), percentile(o, 0.5), percentile(o, 0.1),
                 percentile(r, 0.5) / percentile(o, 0.5)))

    // The naive C baseline on the same bytes, interleaved with the optimized engine.
    let naiveArena = UnsafeMutableRawPointer.allocate(byteCount: model.arenaBytes + 16, alignment: 16)
    defer { naiveArena.deallocate() }
    var naiveOut = [Int8](repeating: 0, count: model.output.layout.elementCount)
    let runNaive: () -> Int32 = {
        input.withUnsafeBufferPointer { i in
            naiveOut.withUnsafeMutableBufferPointer { o in
                naive_int8_run(model.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                               naiveArena.assumingMemoryBound(to: UInt8.self), i.baseAddress!, o.baseAddress!)
            }
        }
    }
    guard runNaive() >= 0 else {
        print("  naive C          (skipped: the model has an op the baseline does not implement)")
        continue
    }
    engine.kernels = .optimized
    input.withUnsafeBufferPointer { try! engine.setInput($0) }
    engine.invoke()
    let exact = Array(engine.outputBuffer) == naiveOut
    var naive: [Double] = [], minnow: [Double] = []
    for _ in 0..<max(50, runs / 4) {
        var t0 = now()
        _ = runNaive()
        naive.append(Double(now() - t0) / 1000)
        input.withUnsafeBufferPointer { try! engine.setInput($0) }
        t0 = now()
        engine.invoke()
        minnow.append(Double(now() - t0) / 1000)
    }
    print(String(format: "  naive C -O3        %.1f µs (p10 %.1f)   Minnow optimized %.1f µs (p10 %.1f)   Minnow is %.1fx faster; outputs %@",
                 percentile(naive, 0.5), percentile(naive, 0.1), percentile(minnow, 0.5), percentile(minnow, 0.1),
                 percentile(naive, 0.5) / percentile(minnow, 0.5), exact ? "bit-identical" : "DIFFER" as NSString))
    print(String(format: "  arithmetic bound   %.1f µs (%d MACs at 32 exact int8 MACs per cycle, 3.1 GHz)",
                 Double(model.totalMultiplyAdds) / 32 / 3100, model.totalMultiplyAdds))
}
