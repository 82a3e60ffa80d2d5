import Testing
import MallocCounter
@testable import MinnowCore
@testable import MinnowModel

@Suite struct EngineTests {
    /// The int8 engine against a float computation of the same quantized net
    /// (dequantized weights and biases, each layer's output rounded onto its
    /// int8 grid): every output within one quantization step. What remains is
    /// the fixed-point requantization's rounding.
    @Test(arguments: [smallNet, branchyNet])
    func agreesWithFloatWithinOneStep(_ architecture: Architecture) throws {
        let (bytes, quantized, original) = try buildModel(architecture)
        let parameters = dequantizedParameters(quantized, original)
        let session = try InferenceSession(modelBytes: bytes)
        let outTensor = quantized.tensors[quantized.outputTensor]
        var worst: Float = 0
        for image in randomImages(40, architecture.input, seed: 99) {
            // The float net sees the same quantized input the engine sees.
            let inT = quantized.tensors[0]
            let seen = image.map { dequantize(quantizeToInt8($0, scale: inT.scale, zeroPoint: inT.zeroPoint),
                                              scale: inT.scale, zeroPoint: inT.zeroPoint) }
            var grid = grids(quantized)
            grid[architecture.layers.last!.name] = nil  // compare the final output unrounded
            let reference = try floatForward(architecture, parameters: parameters, input: seen,
                                             grid: grid)[architecture.layers.last!.name]!
            _ = try session.predict(image)
            let got = session.outputValues
            // Values past the calibrated range saturate in int8: clamp the float result likewise.
            let low = Float(-128 - outTensor.zeroPoint) * outTensor.scale
            let high = Float(127 - outTensor.zeroPoint) * outTensor.scale
            for (a, b) in zip(got, reference) { worst = max(worst, abs(a - min(max(b, low), high)) / outTensor.scale) }
        }
        #expect(worst <= 1.0, "largest deviation \(worst) quantization steps")
    }

    @Test func requiredArenaIsExactAndSmallerIsRefused() throws {
        let (bytes, quantized, _) = try buildModel(smallNet)
        try bytes.withUnsafeBytes { raw in
            let model = try Model(bytes: raw)
            #expect(model.arenaBytes == quantized.memoryPlan.arenaBytes)
            #expect(model.arenaBytes == MemoryPlan(try ArchitectureAnalysis(smallNet)).arenaBytes)
            let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: model.arenaBytes, alignment: 16)
            defer { arena.deallocate() }
            #expect(throws: EngineError.arenaTooSmall(required: model.arenaBytes, provided: model.arenaBytes - 1)) {
                _ = try Engine(model: model, arena: UnsafeMutableRawBufferPointer(rebasing: arena[0..<(model.arenaBytes - 1)]))
            }
            _ = try Engine(model: model, arena: arena)
            let misaligned = UnsafeMutableRawBufferPointer(rebasing: arena[1...])
            #expect(throws: EngineError.self) { _ = try Engine(model: model, arena: misaligned) }
        }
        #expect(throws: EngineError.arenaTooSmall(required: quantized.memoryPlan.arenaBytes, provided: 10)) {
            _ = try InferenceSession(modelBytes: bytes, arenaBytes: 10)
        }
    }

    @Test func invokeAllocatesNothing() throws {
        for architecture in [smallNet, branchyNet] {
            let (bytes, _, _) = try buildModel(architecture)
            let session = try InferenceSession(modelBytes: bytes)
            let image = randomImages(1, architecture.input, seed: 5)[0]
            for kernels in [KernelSet.reference, .optimized] {
                session.kernels = kernels
                let engine = session.engine
                try image.withUnsafeBufferPointer { try engine.setInput(quantizing: $0) }
                minnow_allocation_count_begin()
                for _ in 0..<20 { engine.invoke() }
                _ = engine.argmax()
                let count = minnow_allocation_count_end()
                #expect(count == 0, "\(architecture.name) \(kernels): \(count) heap allocations during invoke")
            }
        }
        // The counter does count: an array allocation is seen.
        minnow_allocation_count_begin()
        let a = [Int](repeating: 1, count: Int.random(in: 100...200))
        let seen = minnow_allocation_count_end()
        #expect(seen >= 1 && a.count >= 100)
    }

    @Test func bytesAroundTheArenaStayUntouched() throws {
        for architecture in [smallNet, branchyNet] {
            let (bytes, _, _) = try buildModel(architecture)
            try bytes.withUnsafeBytes { raw in
                let model = try Model(bytes: raw)
                let guardBytes = 64
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: model.arenaBytes + 2 * guardBytes, alignment: 16)
                defer { buffer.deallocate() }
                buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
                let arena = UnsafeMutableRawBufferPointer(rebasing: buffer[guardBytes..<(guardBytes + model.arenaBytes)])
                for kernels in [KernelSet.reference, .optimized] {
                    let engine = try Engine(model: model, arena: arena, kernels: kernels)
                    for image in randomImages(10, architecture.input, seed: 11) {
                        try image.withUnsafeBufferPointer { try engine.setInput(quantizing: $0) }
                        engine.invoke()
                    }
                }
                for i in 0..<guardBytes {
                    #expect(buffer[i] == 0xA5)
                    #expect(buffer[guardBytes + model.arenaBytes + i] == 0xA5)
                }
            }
        }
    }

    @Test func optimizedAndReferenceModelsAgreeBitForBit() throws {
        for architecture in [smallNet, branchyNet] {
            let (bytes, _, _) = try buildModel(architecture, seed: 21)
            let reference = try InferenceSession(modelBytes: bytes, kernels: .reference)
            let optimized = try InferenceSession(modelBytes: bytes, kernels: .optimized)
            let inPlace = try InferenceSession(modelBytes: bytes, kernels: .optimized, packWeights: false)
            for image in randomImages(20, architecture.input, seed: 12) {
                let q = image.map { quantizeToInt8($0, scale: reference.model.input.scale, zeroPoint: reference.model.input.zeroPoint) }
                let expected = try reference.run(q)
                #expect(try optimized.run(q) == expected)  // packed weights
                #expect(try inPlace.run(q) == expected)    // weights read in place, as on a microcontroller
            }
        }
    }

    @Test func inputSizeIsChecked() throws {
        let (bytes, _, _) = try buildModel(smallNet)
        let session = try InferenceSession(modelBytes: bytes)
        #expect(throws: EngineError.inputSizeMismatch(expected: 100, provided: 3)) { _ = try session.predict([0, 0, 0]) }
    }

    @Test func softmaxMatchesFloatWithinOneStep() throws {
        // Softmax outputs (scale 1/256) against exp/sum over a range of input scales.
        var rng = SeededGenerator(seed: 31)
        for _ in 0..<200 {
            let scale = Float.random(in: 0.01...0.5, using: &rng)
            let zero = Int32.random(in: -20...20, using: &rng)
            let depth = Int.random(in: 2...20, using: &rng)
            let input = (0..<depth).map { _ in Int8.random(in: -128...127, using: &rng) }
            let p = Quantization.softmax(inputScale: scale)
            var out = [Int8](repeating: 0, count: depth)
            input.withUnsafeBufferPointer { i in
                out.withUnsafeMutableBufferPointer { o in
                    softmaxReference(input: i.baseAddress!, inputLayout: FeatureMapLayout(height: 1, width: 1, channels: depth),
                                     output: o.baseAddress!, outputLayout: FeatureMapLayout(height: 1, width: 1, channels: depth),
                                     parameters: p)
                }
            }
            let real = input.map { Double(Int32($0) - zero) * Double(scale) }
            let m = real.max()!
            let e = real.map { Foundation_exp2(($0 - m) / 0.6931471805599453) }
            let sum = e.reduce(0, +)
            for c in 0..<depth {
                let expected = e[c] / sum * 256 - 128
                #expect(abs(Double(out[c]) - min(expected, 127)) <= 1.01, "depth \(depth) scale \(scale)")
            }
        }
    }
}

@Suite struct InPlaceConcatTests {
    /// Inception-lite's branches write straight into their concatenation
    /// output: the arena drops below the lifetime planner's lower bound, and
    /// the outputs stay bit-identical to the reference kernels and to a plan
    /// without the trick.
    @Test func inceptionLiteArenaBelowTheLowerBound() throws {
        let architecture = BuiltinArchitectures.inceptionLite
        let (bytes, quantized, _) = try buildModel(architecture, calibrationImages: 2)
        let plan = quantized.memoryPlan
        #expect(!plan.slices.isEmpty && !plan.inPlacePools.isEmpty)
        #expect(plan.arenaBytes < plan.lowerBoundBytes, "arena \(plan.arenaBytes) vs bound \(plan.lowerBoundBytes)")
        #expect(plan.arenaBytes < quantized.plan(inPlace: false).arenaBytes)
        // The simulator's plan of the bare architecture is the same plan.
        #expect(MemoryPlan(try ArchitectureAnalysis(architecture)).arenaBytes == plan.arenaBytes)
        let optimized = try InferenceSession(modelBytes: bytes, kernels: .optimized)
        let reference = try InferenceSession(modelBytes: bytes, kernels: .reference)
        #expect(optimized.model.arenaBytes == plan.arenaBytes)
        for image in randomImages(3, architecture.input, seed: 3) {
            let q = image.map { quantizeToInt8($0, scale: optimized.model.input.scale, zeroPoint: optimized.model.input.zeroPoint) }
            #expect(try optimized.run(q) == reference.run(q))
        }
    }
}
