// Validation of every record of a model file, run by `Model.init(bytes:)`
// before anything else reads the bytes. Raw fields are range-checked as
// UInt32/UInt64 before they become `Int`, so a hostile value cannot overflow
// even where `Int` is 32 bits wide (Cortex-M).

extension Model {
    func validate() throws(ModelError) {
        for t in 0..<tensorCount {
            try validateTensor(t)
        }
        for (t, _) in [(inputTensor, 0), (outputTensor, 1)] where !tensor(t).layout.isContiguous {
            throw .invalidTensor(index: t, .notContiguousOrUnused)
        }
        for i in 0..<layerCount {
            do throws(LayerProblem) {
                try validateLayer(i)
            } catch {
                throw .invalidLayer(index: i, error)
            }
        }
        guard producer(of: outputTensor) != nil else {
            throw .invalidTensor(index: outputTensor, .notContiguousOrUnused)
        }
        try validatePlan()
    }

    private func validateTensor(_ t: Int) throws(ModelError) {
        let r = tensorTable + t * ModelFormat.tensorRecordBytes
        let offset = readU32(bytes, r)
        let h = UInt64(readU16(bytes, r + 4)), w = UInt64(readU16(bytes, r + 6))
        let c = UInt64(readU16(bytes, r + 8)), stride = UInt64(readU16(bytes, r + 10))
        guard h >= 1, w >= 1, c >= 1, stride >= c else { throw .invalidTensor(index: t, .invalidShape) }
        let extent = (h * w - 1) * stride + c
        guard UInt64(offset) + extent <= UInt64(arenaBytes) else { throw .invalidTensor(index: t, .outsideArena) }
        let zeroPoint = Int32(bitPattern: readU32(bytes, r + 12))
        let scale = Float(bitPattern: readU32(bytes, r + 16))
        guard zeroPoint >= -128, zeroPoint <= 127, scale.isFinite, scale > 0 else {
            throw .invalidTensor(index: t, .invalidQuantization)
        }
        for b in 20..<ModelFormat.tensorRecordBytes where bytes[r + b] != 0 {
            throw .invalidTensor(index: t, .malformedRecord)
        }
    }

    /// The index of the layer writing tensor `t`, if any.
    func producer(of t: Int) -> Int? {
        for i in 0..<layerCount where Int(readU16(bytes, layerTable + i * ModelFormat.layerRecordBytes + 2)) == t {
            return i
        }
        return nil
    }

    private func checkData(_ offset: UInt32, _ length: UInt32) throws(LayerProblem) {
        guard length > 0 else { return }
        guard offset % UInt32(ModelFormat.alignment) == 0,
              UInt64(offset) >= UInt64(dataStart),
              UInt64(offset) + UInt64(length) <= UInt64(dataEnd)
        else { throw .dataOutOfBounds }
    }

    private func checkWindow(_ l: LayerInfo, input: FeatureMapLayout, output: FeatureMapLayout,
                             pooling: Bool) throws(LayerProblem) {
        let g = l.geometry
        let h: Int, w: Int
        do throws(GeometryError) {
            h = try outputLength(input: input.height, filter: g.kernelHeight, stride: g.strideHeight,
                                 padBefore: g.padTop, padAfter: l.padBottom, rounding: l.rounding)
            w = try outputLength(input: input.width, filter: g.kernelWidth, stride: g.strideWidth,
                                 padBefore: g.padLeft, padAfter: l.padRight, rounding: l.rounding)
        } catch {
            throw .geometry(error)
        }
        guard h == output.height, w == output.width else { throw .shapeMismatch }
        if pooling {
            // Every window must hold one real tap: the first starts at −pad,
            // the last at (out − 1) · stride − pad.
            // (65,535² overflows a 32-bit Int (Cortex-M): an overflowing start is past the input.)
            let lastTop = (output.height - 1).multipliedReportingOverflow(by: g.strideHeight)
            let lastLeft = (output.width - 1).multipliedReportingOverflow(by: g.strideWidth)
            guard g.padTop < g.kernelHeight, g.padLeft < g.kernelWidth,
                  !lastTop.overflow, lastTop.partialValue - g.padTop < input.height,
                  !lastLeft.overflow, lastLeft.partialValue - g.padLeft < input.width
            else { throw .emptyWindow }
        }
    }

    private func checkRequantization(_ l: LayerInfo, channels: Int) throws(LayerProblem) {
        let multipliers = data(l.paramsOffset + 4 * channels, as: Int32.self)
        let shifts = data(l.paramsOffset + 8 * channels, as: Int32.self)
        for c in 0..<channels where !QuantizedMultiplier(multiplier: multipliers[c], shift: shifts[c]).isValid {
            throw .invalidRequantization(channel: c)
        }
    }

    private func validateLayer(_ i: Int) throws(LayerProblem) {
        let r = layerTable + i * ModelFormat.layerRecordBytes
        guard let opcode = Opcode(rawValue: bytes[r]) else { throw .unknownOpcode(bytes[r]) }
        guard bytes[r + 20 + ModelFormat.nameBytes - 1] == 0, bytes[r + 54] <= 2, bytes[r + 55] == 0 else {
            throw .malformedRecord
        }
        for b in 80..<ModelFormat.layerRecordBytes where bytes[r + b] != 0 { throw .malformedRecord }
        let inputCount = Int(bytes[r + 1])
        switch opcode {
        case .add:
            guard inputCount == 2 else { throw .wrongInputCount(inputCount) }
        case .concatenation:
            guard inputCount >= 2, inputCount <= ModelFormat.maximumInputs else { throw .wrongInputCount(inputCount) }
        default:
            guard inputCount == 1 else { throw .wrongInputCount(inputCount) }
        }
        // Data and scratch fields, raw, before any conversion to Int.
        let weightsOffset = readU32(bytes, r + 56), weightsBytes = readU32(bytes, r + 60)
        let paramsOffset = readU32(bytes, r + 64), paramsBytes = readU32(bytes, r + 68)
        let scratchOffset = readU32(bytes, r + 72), scratchBytes = readU32(bytes, r + 76)
        try checkData(weightsOffset, weightsBytes)
        try checkData(paramsOffset, paramsBytes)
        guard UInt64(scratchOffset) + UInt64(scratchBytes) <= UInt64(arenaBytes) else {
            throw .scratchInvalid(needed: 0)
        }
        let l = layer(i)
        guard l.activationMin <= l.activationMax else { throw .invalidActivationRange }
        // Tensor references: inputs computed earlier, output written once.
        guard l.output < tensorCount else { throw .tensorIndexOutOfRange(l.output) }
        guard l.output != inputTensor else { throw .outputWrittenTwice(tensor: l.output) }
        for j in 0..<i where layer(j).output == l.output { throw .outputWrittenTwice(tensor: l.output) }
        for k in 0..<inputCount {
            let t = l.input(k)
            guard t < tensorCount else { throw .tensorIndexOutOfRange(t) }
            guard t == inputTensor || (0..<i).contains(where: { layer($0).output == t }) else {
                throw .inputNotYetComputed(tensor: t)
            }
        }
        let input = tensor(l.input(0)), output = tensor(l.output)
        let (inL, outL) = (input.layout, output.layout)
        /// `n` nil: the size overflows `Int` (no file can hold it).
        func expectWeights(_ n: Int?) throws(LayerProblem) {
            guard let n, l.weightsBytes == n else {
                throw .weightsSizeMismatch(expected: n ?? Int.max, actual: l.weightsBytes)
            }
        }
        func expectParams(_ n: Int) throws(LayerProblem) {
            guard l.paramsBytes == 4 * n else { throw .paramsSizeMismatch(expected: 4 * n, actual: l.paramsBytes) }
        }
        func expectSameQuantization(_ a: TensorInfo, _ b: TensorInfo) throws(LayerProblem) {
            guard a.zeroPoint == b.zeroPoint, a.scale.bitPattern == b.scale.bitPattern else {
                throw .quantizationMismatch
            }
        }
        switch opcode {
        case .convolution:
            try checkWindow(l, input: inL, output: outL, pooling: false)
            // Four 16-bit factors: the product can overflow even a 64-bit Int (fuzzing, issue 8).
            try expectWeights(checkedProduct(outL.channels, l.geometry.kernelHeight, l.geometry.kernelWidth, inL.channels))
            try expectParams(3 * outL.channels)
            try checkRequantization(l, channels: outL.channels)
        case .maxPool, .averagePool, .minPool:
            guard inL.channels == outL.channels else { throw .shapeMismatch }
            try checkWindow(l, input: inL, output: outL, pooling: true)
            try expectWeights(0)
            try expectParams(0)
            try expectSameQuantization(input, output)
        case .globalAveragePool, .globalMaxPool:
            guard outL.height == 1, outL.width == 1, outL.channels == inL.channels, outL.isContiguous else {
                throw .shapeMismatch
            }
            try expectWeights(0)
            try expectParams(0)
            try expectSameQuantization(input, output)
        case .fullyConnected:
            guard inL.isContiguous, outL.height == 1, outL.width == 1, outL.isContiguous else { throw .shapeMismatch }
            try expectWeights(checkedProduct(inL.elementCount, outL.channels, 1, 1))
            try expectParams(3 * outL.channels)
            try checkRequantization(l, channels: outL.channels)
        case .softmax:
            guard inL.height == outL.height, inL.width == outL.width, inL.channels == outL.channels else {
                throw .shapeMismatch
            }
            guard output.zeroPoint == -128, output.scale == 1.0 / 256.0 else { throw .quantizationMismatch }
            try expectWeights(0)
            try expectParams(ModelFormat.softmaxParamCount)
            let p = data(l.paramsOffset, as: Int32.self)
            guard p[0] >= 0, p[1] >= 0, p[1] <= 31, p[2] <= 0 else { throw .invalidRequantization(channel: 0) }
        case .add:
            let other = tensor(l.input(1)).layout
            guard inL.height == outL.height, inL.width == outL.width, inL.channels == outL.channels,
                  other.height == outL.height, other.width == outL.width, other.channels == outL.channels
            else { throw .shapeMismatch }
            try expectWeights(0)
            try expectParams(ModelFormat.addParamCount)
            let p = data(l.paramsOffset, as: Int32.self)
            guard p[0] >= 0, p[0] <= 30,
                  QuantizedMultiplier(multiplier: p[1], shift: p[2]).isValid,
                  QuantizedMultiplier(multiplier: p[3], shift: p[4]).isValid,
                  QuantizedMultiplier(multiplier: p[5], shift: p[6]).isValid
            else { throw .invalidRequantization(channel: 0) }
        case .concatenation:
            var channels = 0
            for k in 0..<l.inputCount {
                let part = tensor(l.input(k))
                guard part.layout.height == outL.height, part.layout.width == outL.width else { throw .shapeMismatch }
                try expectSameQuantization(part, output)
                channels += part.layout.channels
            }
            guard channels == outL.channels else { throw .shapeMismatch }
            try expectWeights(0)
            try expectParams(0)
        }
        let needed = scratchBytesNeeded(i)
        guard l.scratchBytes >= needed else { throw .scratchInvalid(needed: needed) }
    }

    /// a · b · c · d, or nil when it overflows `Int` (32 bits wide on Cortex-M).
    /// No variadic arguments: Embedded builds must not allocate.
    private func checkedProduct(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Int? {
        let (ab, o1) = a.multipliedReportingOverflow(by: b)
        let (abc, o2) = ab.multipliedReportingOverflow(by: c)
        let (abcd, o3) = abc.multipliedReportingOverflow(by: d)
        return o1 || o2 || o3 ? nil : abcd
    }

    /// Bytes of scratch the kernels need for layer `index` (see `kernelScratchBytes`).
    public func scratchBytesNeeded(_ index: Int) -> Int {
        let l = layer(index)
        let input = tensor(l.input(0)).layout
        let output = tensor(l.output).layout
        return kernelScratchBytes(opcode: l.opcode, geometry: l.geometry, inputChannels: input.channels,
                                  inputElements: input.elementCount, outputHeight: output.height,
                                  outputWidth: output.width, outputChannels: output.channels)
    }

    // MARK: The arena plan

    /// First and last layer step during which tensor `t` holds a live value
    /// (the model input is live from −1; the model output to `layerCount`).
    /// nil for a tensor no layer reads or writes.
    func lifetime(of t: Int) -> (first: Int, last: Int)? {
        var first: Int? = t == inputTensor ? -1 : nil
        var last = t == outputTensor ? layerCount : -2
        for i in 0..<layerCount {
            let l = layer(i)
            if l.output == t && first == nil { first = i }
            for k in 0..<l.inputCount where l.input(k) == t { last = max(last, i) }
        }
        guard let start = first else { return nil }
        return (start, max(last, start))
    }

    /// Whether the bytes of `a` and `b` can coincide. Two channel slices of
    /// one wider tensor (same pixel stride and pixel count, disjoint channel
    /// ranges) interleave without sharing a byte.
    func bytesOverlap(_ a: TensorInfo, _ b: TensorInfo) -> Bool {
        let aEnd = a.arenaOffset + a.extentBytes, bEnd = b.arenaOffset + b.extentBytes
        guard a.arenaOffset < bEnd && b.arenaOffset < aEnd else { return false }
        let pixelsA = a.layout.height * a.layout.width, pixelsB = b.layout.height * b.layout.width
        if a.layout.pixelStride == b.layout.pixelStride && pixelsA == pixelsB {
            let stride = a.layout.pixelStride
            let d = b.arenaOffset - a.arenaOffset
            if d >= 0 && d >= a.layout.channels && d + b.layout.channels <= stride { return false }
            if d < 0 && -d >= b.layout.channels && -d + a.layout.channels <= stride { return false }
        }
        return true
    }

    /// Whether `part` is exactly its channel slice of concatenation output `whole`.
    func isConcatSlice(_ part: Int, of whole: Int) -> Bool {
        for i in 0..<layerCount {
            let l = layer(i)
            guard l.opcode == .concatenation, l.output == whole else { continue }
            var channelStart = 0
            for k in 0..<l.inputCount {
                let t = l.input(k)
                let p = tensor(t), w = tensor(whole)
                if t == part {
                    return p.arenaOffset == w.arenaOffset + channelStart
                        && p.layout.pixelStride == w.layout.pixelStride
                }
                channelStart += p.layout.channels
            }
        }
        return false
    }

    /// Whether pooling output `output` may overwrite its input `input`: one
    /// max/average/min pooling layer reads `input` (and it is the last reader),
    /// writes `output` at the same arena offset, both contiguous, with no top
    /// or left padding. Then output pixel q = y·Wo + x lands on input pixel q,
    /// which is never a tap of a later window (their taps start at
    /// y·Sh·W + x·Sw ≥ q + 1), and within its own window only when it is the
    /// window's first tap — read before anything is written. Both the
    /// reference and the optimized pooling kernels are safe this way.
    func isInPlacePool(input: Int, output: Int) -> Bool {
        guard let p = producer(of: output), let life = lifetime(of: input), life.last == p else { return false }
        let l = layer(p)
        guard [.maxPool, .averagePool, .minPool].contains(l.opcode), l.input(0) == input,
              l.geometry.padTop == 0, l.geometry.padLeft == 0 else { return false }
        let a = tensor(input), b = tensor(output)
        return a.arenaOffset == b.arenaOffset && a.layout.isContiguous && b.layout.isContiguous
    }

    private func validatePlan() throws(ModelError) {
        for a in 0..<tensorCount {
            guard let lifeA = lifetime(of: a) else { continue }
            let ta = tensor(a)
            for b in (a + 1)..<max(a + 1, tensorCount) {
                guard let lifeB = lifetime(of: b), lifeA.first <= lifeB.last, lifeB.first <= lifeA.last else { continue }
                let tb = tensor(b)
                if bytesOverlap(ta, tb) && !isConcatSlice(a, of: b) && !isConcatSlice(b, of: a)
                    && !isInPlacePool(input: a, output: b) && !isInPlacePool(input: b, output: a) {
                    throw .invalidTensor(index: b, .overlapsLiveTensor(other: a))
                }
            }
        }
        for i in 0..<layerCount {
            let l = layer(i)
            guard l.scratchBytes > 0 else { continue }
            for t in 0..<tensorCount {
                guard let life = lifetime(of: t), life.first <= i, i <= life.last else { continue }
                let info = tensor(t)
                if l.scratchOffset < info.arenaOffset + info.extentBytes && info.arenaOffset < l.scratchOffset + l.scratchBytes {
                    throw .invalidLayer(index: i, .scratchOverlapsTensor(t))
                }
            }
        }
    }
}
