import Foundation
import MinnowCore
import MinnowModel
import NaiveInt8

// `minnow-bench --serve`: a benchmark worker driven line by line on stdin by
// tools/bench/rounds.py, so that it can alternate with other processes (the
// C API bench, ONNX Runtime) in rounds. One JSON object per reply line.
//
//   load KEY MODEL.mnw          loads a model          → {"ok":true,"macs":…,"arena":…,"input":…,"output":…}
//   inputs FILE.f32 COUNT        COUNT float32 images, each the model input's size (NHWC)
//   check KEY                    naive C vs Minnow on every image → {"ok":true,"identical":…,"images":…}
//   outputs KEY FILE.i8          writes Minnow's int8 outputs of every image
//   time KEY CONTENDER RUNS      batch-1 latency samples in µs → {"ok":true,"us":[…]}
//   batch KEY CONTENDER N REPS   seconds per batch of N images (N sequential batch-1 runs) → {"ok":true,"s":[…]}
//   quit
//
// CONTENDER: minnow (optimized kernels), minnow-ref (reference kernels), naive (tools/bench/naive).
// Every timed run starts from the float image: quantize into the model input, then run
// every layer (for naive C: its own quantization and its own copy into its arena).

final class BenchModel {
    let session: InferenceSession
    var engine: Engine
    let naiveArena: UnsafeMutableRawPointer
    var naiveOut: [Int8]
    var quantized: [Int8] = []      // scratch for the naive baseline's input

    init(path: String) throws {
        session = try InferenceSession(contentsOf: URL(fileURLWithPath: path))
        engine = session.engine
        naiveArena = UnsafeMutableRawPointer.allocate(byteCount: session.model.arenaBytes + 16, alignment: 16)
        naiveOut = [Int8](repeating: 0, count: session.model.output.layout.elementCount)
        quantized = [Int8](repeating: 0, count: session.model.input.layout.elementCount)
    }

    var model: Model { session.model }
    var inputCount: Int { model.input.layout.elementCount }

    @inline(__always)
    func runMinnow(_ image: UnsafeBufferPointer<Float>) {
        try! engine.setInput(quantizing: image)
        engine.invoke()
    }

    /// Returns false if the baseline does not implement an op of this model.
    @inline(__always)
    @discardableResult
    func runNaive(_ image: UnsafeBufferPointer<Float>) -> Bool {
        let bytes = model.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let arena = naiveArena.assumingMemoryBound(to: UInt8.self)
        return quantized.withUnsafeMutableBufferPointer { q in
            naiveOut.withUnsafeMutableBufferPointer { o in
                _ = naive_int8_quantize_input(bytes, image.baseAddress!, q.baseAddress!, Int32(image.count))
                return naive_int8_run(bytes, arena, q.baseAddress!, o.baseAddress!) >= 0
            }
        }
    }
}

func serve() {
    var models: [String: BenchModel] = [:]
    var images: [Float] = []
    var imageCount = 0

    func reply(_ object: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
    func refuse(_ message: String) { reply(["ok": false, "error": message]) }

    func nanos() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }

    while let line = readLine() {
        let f = line.split(separator: " ").map(String.init)
        guard let command = f.first else { continue }
        switch command {
        case "quit":
            return
        case "load" where f.count == 3:
            do {
                let m = try BenchModel(path: f[2])
                models[f[1]] = m
                reply(["ok": true, "macs": m.model.totalMultiplyAdds, "arena": m.model.arenaBytes,
                       "layers": m.model.layerCount, "input": m.inputCount,
                       "output": m.model.output.layout.elementCount])
            } catch {
                refuse("cannot load \(f[2]): \(describe(error))")
            }
        case "inputs" where f.count == 3:
            guard let n = Int(f[2]), n >= 1, let data = FileManager.default.contents(atPath: f[1]),
                  data.count % (4 * n) == 0 else { refuse("bad inputs file or count"); continue }
            images = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            imageCount = n
            reply(["ok": true, "images": n])
        case "check" where f.count == 2, "outputs" where f.count == 3:
            guard let m = models[f[1]] else { refuse("no model \(f[1])"); continue }
            let size = m.inputCount
            guard imageCount > 0, images.count == imageCount * size else { refuse("inputs do not match the model"); continue }
            var identical = true, naiveOK = true
            var outputs: [Int8] = []
            images.withUnsafeBufferPointer { all in
                for i in 0..<imageCount {
                    let image = UnsafeBufferPointer(rebasing: all[(i * size)..<((i + 1) * size)])
                    m.engine.kernels = .optimized
                    m.runMinnow(image)
                    let out = Array(m.engine.outputBuffer)
                    outputs += out
                    if command == "check" {
                        if !m.runNaive(image) { naiveOK = false; break }
                        if m.naiveOut != out { identical = false }
                    }
                }
            }
            if command == "check" {
                reply(["ok": true, "naive_supported": naiveOK, "identical": identical && naiveOK, "images": imageCount])
            } else {
                let data = outputs.withUnsafeBufferPointer { Data(buffer: $0) }
                do { try data.write(to: URL(fileURLWithPath: f[2])); reply(["ok": true, "images": imageCount]) }
                catch { refuse("cannot write \(f[2]): \(describe(error))") }
            }
        case "time" where f.count == 4, "batch" where f.count == 5:
            guard let m = models[f[1]] else { refuse("no model \(f[1])"); continue }
            let contender = f[2]
            guard ["minnow", "minnow-ref", "naive"].contains(contender) else { refuse("unknown contender \(contender)"); continue }
            let size = m.inputCount
            guard imageCount > 0, images.count == imageCount * size else { refuse("inputs do not match the model"); continue }
            let isBatch = command == "batch"
            guard let runs = Int(f[3]), runs >= 1, !isBatch || Int(f[4]).map({ $0 >= 1 }) == true else {
                refuse("bad count"); continue
            }
            let reps = isBatch ? Int(f[4])! : 0
            m.engine.kernels = contender == "minnow-ref" ? .reference : .optimized
            var samples: [Double] = []
            images.withUnsafeBufferPointer { all in
                let image: (Int) -> UnsafeBufferPointer<Float> = { i in
                    let k = i % imageCount
                    return UnsafeBufferPointer(rebasing: all[(k * size)..<((k + 1) * size)])
                }
                // One untimed warm-up pass.
                for i in 0..<min(runs, 8) {
                    if contender == "naive" { m.runNaive(image(i)) } else { m.runMinnow(image(i)) }
                }
                if isBatch {
                    for _ in 0..<reps {
                        let t0 = nanos()
                        if contender == "naive" {
                            for i in 0..<runs { m.runNaive(image(i)) }
                        } else {
                            for i in 0..<runs { m.runMinnow(image(i)) }
                        }
                        samples.append(Double(nanos() - t0) / 1e9)
                    }
                } else {
                    samples.reserveCapacity(runs)
                    for i in 0..<runs {
                        let x = image(i)
                        let t0 = nanos()
                        if contender == "naive" { m.runNaive(x) } else { m.runMinnow(x) }
                        samples.append(Double(nanos() - t0) / 1000)
                    }
                }
            }
            m.engine.kernels = .optimized
            reply(["ok": true, isBatch ? "s" : "us": samples])
        default:
            refuse("unknown command: \(line)")
        }
    }
}
