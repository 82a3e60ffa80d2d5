/// Which kernels the engine runs. Both give bit-identical outputs.
public enum KernelSet: Sendable {
    /// The plain reference loops (the oracle).
    case reference
    /// The fastest kernel for each layer's shape (falls back to the reference).
    case optimized
}

/// Runs a validated `Model` inside one caller-owned arena.
///
///     let model = try Model(bytes: modelBytes)            // validates everything
///     // model.arenaBytes: the exact arena size, known before any arena exists
///     let engine = try Engine(model: model, arena: arena)  // arena: 16-aligned, ≥ arenaBytes
///     try engine.setInput(quantizing: pixels)              // or setInput(_: [Int8]) / inputBuffer
///     engine.invoke()
///     let best = engine.argmax()
///
/// Layout of the arena: every activation tensor and scratch buffer at the
/// offset the model's plan gives (planned before inference by the exporter,
/// checked by `Model.init`):
///
///     arena ┌──────────────┬──────────────┬─────────┬────┐
///           │ tensor A     │ tensor B     │ scratch │    │  offsets from the model's plan;
///           │ (steps 0..1) │ (steps 1..2) │ (step 1)│ …  │  buffers whose lifetimes do not
///           └──────────────┴──────────────┴─────────┴────┘  overlap share bytes
///
/// `invoke()` allocates nothing, throws nothing and touches no byte outside
/// the arena and the model bytes. The plan may reuse the input tensor's bytes
/// once its last reader has run: set the input before every `invoke()`. The engine does not own the arena or the
/// model bytes: both must outlive it.
public struct Engine {
    public let model: Model
    public let arena: UnsafeMutableRawBufferPointer
    public var kernels: KernelSet
    /// The packed weights (see `PackedWeights`), or nil: weights are read in place.
    let packedWeights: UnsafeMutableRawPointer?

    /// Checks that `arena` can hold the model's plan.
    ///
    /// - packedWeights: optional memory of `PackedWeights.bytes(for: model)`
    ///   bytes, 16-byte aligned, that the engine fills now with re-arranged
    ///   weights for faster host kernels (same outputs). It must outlive the
    ///   engine; nil (the default, and the choice on a microcontroller) reads
    ///   the weights in place.
    /// - Throws: `EngineError.arenaTooSmall(required:provided:)` with the exact
    ///   bytes needed, or `.misalignedArena` when it does not start on 16 bytes;
    ///   `.packedWeightsTooSmall(required:provided:)` / `.misalignedPackedWeights` for the packed weights.
    public init(model: Model, arena: UnsafeMutableRawBufferPointer, kernels: KernelSet = .optimized,
                packedWeights: UnsafeMutableRawBufferPointer? = nil) throws(EngineError) {
        guard arena.count >= model.arenaBytes, let base = arena.baseAddress else {
            throw .arenaTooSmall(required: model.arenaBytes, provided: arena.count)
        }
        guard UInt(bitPattern: base) % UInt(ModelFormat.alignment) == 0 else { throw .misalignedArena }
        var packed: UnsafeMutableRawPointer? = nil
        #if !arch(arm)  // Cortex-M: no packed kernels are compiled in (their flash is saved); nothing to pack
        if let packedWeights {
            let required = PackedWeights.bytes(for: model)
            if required > 0 {
                guard packedWeights.count >= required, let start = packedWeights.baseAddress else {
                    throw .packedWeightsTooSmall(required: required, provided: packedWeights.count)
                }
                guard UInt(bitPattern: start) % UInt(ModelFormat.alignment) == 0 else { throw .misalignedPackedWeights }
                PackedWeights.pack(model, into: start)
                packed = start
            }
        }
        #endif
        self.model = model
        self.arena = arena
        self.kernels = kernels
        self.packedWeights = packed
    }

    // MARK: Input and output

    /// The model input tensor's bytes in the arena (NHWC, contiguous).
    public var inputBuffer: UnsafeMutableBufferPointer<Int8> {
        let info = model.input
        return UnsafeMutableBufferPointer(start: pointer(info.arenaOffset), count: info.layout.elementCount)
    }

    /// The model output tensor's bytes in the arena (contiguous), valid after `invoke()`.
    public var outputBuffer: UnsafeBufferPointer<Int8> {
        let info = model.output
        return UnsafeBufferPointer(start: pointer(info.arenaOffset), count: info.layout.elementCount)
    }

    /// Copies an int8 input (already quantized with the input's scale and zero point).
    public func setInput(_ values: UnsafeBufferPointer<Int8>) throws(EngineError) {
        let destination = inputBuffer
        guard values.count == destination.count else {
            throw .inputSizeMismatch(expected: destination.count, provided: values.count)
        }
        for i in 0..<values.count { destination[i] = values[i] }
    }

    /// Quantizes real input values with the input tensor's scale and zero point
    /// (round half away from zero, saturated to int8) into the arena.
    public func setInput(quantizing values: UnsafeBufferPointer<Float>) throws(EngineError) {
        let destination = inputBuffer
        guard values.count == destination.count else {
            throw .inputSizeMismatch(expected: destination.count, provided: values.count)
        }
        let info = model.input
        quantizeToInt8(values.baseAddress!, count: values.count, scale: info.scale, zeroPoint: info.zeroPoint,
                       into: destination.baseAddress!)
    }

    /// The real value of output element `index`: (q − zero point) · scale.
    public func outputValue(_ index: Int) -> Float {
        let info = model.output
        return dequantize(outputBuffer[index], scale: info.scale, zeroPoint: info.zeroPoint)
    }

    /// The index of the largest output value (the first on ties).
    public func argmax() -> Int {
        let out = outputBuffer
        var best = 0
        for i in 1..<out.count where out[i] > out[best] { best = i }
        return best
    }

    // MARK: Inference

    /// Runs every layer in order.
    public func invoke() {
        for i in 0..<model.layerCount {
            invokeLayer(i)
        }
    }

    @inline(__always)
    func pointer(_ arenaOffset: Int) -> UnsafeMutablePointer<Int8> {
        (arena.baseAddress! + arenaOffset).assumingMemoryBound(to: Int8.self)
    }

    /// Runs layer `index` alone (for per-layer timing); its inputs must be computed.
    public func invokeLayer(_ index: Int) {
        let l = model.layer(index)
        let inInfo = model.tensor(l.input(0))
        let outInfo = model.tensor(l.output)
        let input = UnsafePointer(pointer(inInfo.arenaOffset))
        let output = pointer(outInfo.arenaOffset)
        switch l.opcode {
        case .convolution:
            let channels = outInfo.layout.channels
            let q = OutputQuantization(
                multipliers: model.data(l.paramsOffset + 4 * channels, as: Int32.self),
                shifts: model.data(l.paramsOffset + 8 * channels, as: Int32.self),
                zeroPoint: outInfo.zeroPoint, activationMin: l.activationMin, activationMax: l.activationMax)
            #if !arch(arm)
            if kernels == .optimized, let packed = packedWeights {
                let header = packed.assumingMemoryBound(to: UInt32.self)
                let offset = Int(header[index])
                if offset != 0 {
                    convolvePacked(input: input, inputLayout: inInfo.layout, inputZeroPoint: inInfo.zeroPoint,
                                   packedWeights: UnsafePointer((packed + offset).assumingMemoryBound(to: Int16.self)),
                                   bias: model.data(l.paramsOffset, as: Int32.self),
                                   geometry: l.geometry, output: output, outputLayout: outInfo.layout, quantization: q,
                                   band: (packed + Int(header[model.layerCount])).assumingMemoryBound(to: Int16.self))
                    return
                }
            }
            #endif
            convolve(input: input, inputLayout: inInfo.layout, inputZeroPoint: inInfo.zeroPoint,
                     weights: model.data(l.weightsOffset, as: Int8.self),
                     bias: model.data(l.paramsOffset, as: Int32.self),
                     geometry: l.geometry, output: output, outputLayout: outInfo.layout,
                     quantization: q, scratch: arena.baseAddress! + l.scratchOffset, kernels: kernels)
        case .fullyConnected:
            let units = outInfo.layout.channels
            let q = OutputQuantization(
                multipliers: model.data(l.paramsOffset + 4 * units, as: Int32.self),
                shifts: model.data(l.paramsOffset + 8 * units, as: Int32.self),
                zeroPoint: outInfo.zeroPoint, activationMin: l.activationMin, activationMax: l.activationMax)
            #if !arch(arm)
            if kernels == .optimized, let packed = packedWeights {
                let header = packed.assumingMemoryBound(to: UInt32.self)
                let offset = Int(header[index])
                if offset != 0 {
                    fullyConnectedPacked(input: input, inputCount: inInfo.layout.elementCount,
                                         inputZeroPoint: inInfo.zeroPoint,
                                         packedWeights: UnsafePointer((packed + offset).assumingMemoryBound(to: Int16.self)),
                                         bias: model.data(l.paramsOffset, as: Int32.self),
                                         output: output, outputCount: units, quantization: q,
                                         band: (packed + Int(header[model.layerCount])).assumingMemoryBound(to: Int16.self))
                    return
                }
            }
            #endif
            fullyConnected(input: input, inputCount: inInfo.layout.elementCount, inputZeroPoint: inInfo.zeroPoint,
                           weights: model.data(l.weightsOffset, as: Int8.self),
                           bias: model.data(l.paramsOffset, as: Int32.self),
                           output: output, outputCount: units, quantization: q,
                           scratch: arena.baseAddress! + l.scratchOffset, kernels: kernels)
        case .maxPool, .averagePool, .minPool:
            let kind: PoolingKind = l.opcode == .maxPool ? .max : (l.opcode == .averagePool ? .average : .min)
            #if !arch(arm)
            if kernels == .optimized, kind != .average, inInfo.layout.isContiguous, let packed = packedWeights {
                let header = packed.assumingMemoryBound(to: UInt32.self)
                poolMaxMinRows(isMax: kind == .max, input: input, inputLayout: inInfo.layout, geometry: l.geometry,
                               output: output, outputLayout: outInfo.layout,
                               activationMin: Int8(truncatingIfNeeded: l.activationMin),
                               activationMax: Int8(truncatingIfNeeded: l.activationMax),
                               temp: (packed + Int(header[model.layerCount])).assumingMemoryBound(to: Int8.self))
                return
            }
            #endif
            pool(kind: kind, input: input, inputLayout: inInfo.layout, geometry: l.geometry,
                 output: output, outputLayout: outInfo.layout,
                 activationMin: l.activationMin, activationMax: l.activationMax, kernels: kernels)
        case .globalAveragePool, .globalMaxPool:
            globalPool(kind: l.opcode == .globalAveragePool ? .average : .max,
                       input: input, inputLayout: inInfo.layout, output: output, kernels: kernels)
        case .softmax:
            let p = model.data(l.paramsOffset, as: Int32.self)
            softmaxReference(input: input, inputLayout: inInfo.layout, output: output,
                             outputLayout: outInfo.layout,
                             parameters: SoftmaxParameters(inputMultiplier: p[0], inputLeftShift: p[1], diffMin: p[2]))
        case .concatenation:
            var channelStart = 0
            for k in 0..<l.inputCount {
                let part = model.tensor(l.input(k))
                concatenateChannels(input: UnsafePointer(pointer(part.arenaOffset)), inputLayout: part.layout,
                                    output: output, outputLayout: outInfo.layout, channelOffset: channelStart)
                channelStart += part.layout.channels
            }
        case .add:
            let other = model.tensor(l.input(1))
            let p = model.data(l.paramsOffset, as: Int32.self)
            let q = AddQuantization(
                leftShift: p[0],
                input1: QuantizedMultiplier(multiplier: p[1], shift: p[2]),
                input2: QuantizedMultiplier(multiplier: p[3], shift: p[4]),
                output: QuantizedMultiplier(multiplier: p[5], shift: p[6]),
                input1ZeroPoint: inInfo.zeroPoint, input2ZeroPoint: other.zeroPoint,
                outputZeroPoint: outInfo.zeroPoint, activationMin: l.activationMin, activationMax: l.activationMax)
            addReference(input, inInfo.layout, UnsafePointer(pointer(other.arenaOffset)), other.layout,
                         output: output, outputLayout: outInfo.layout, quantization: q)
        }
    }
}
