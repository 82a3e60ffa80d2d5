import Foundation
import MinnowCore
import MinnowModel

/// Why a network cannot be built or run.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    case architecture(String)
    case shape(String)

    public var description: String {
        switch self {
        case let .architecture(s): return "invalid architecture: \(s)"
        case let .shape(s): return s
        }
    }
}

/// The per-layer plan: resolved inputs, shapes, geometry and where the
/// layer's parameters live in the flat parameter store.
struct LayerPlan {
    var name: String
    var operation: MinnowModel.Operation
    /// Producer indices; −1 is the model input.
    var inputs: [Int]
    var inShapes: [TensorShape]
    var outShape: TensorShape
    var window: WindowGeometry?
    var activation: Activation = .none
    var batchNorm = false
    var weightOffset = -1, weightCount = 0
    var biasOffset = -1, biasCount = 0
    var gammaOffset = -1, betaOffset = -1
    /// Elements per sample of the first input and of the output (cached:
    /// `TensorShape.elementCount` is a cross-module call in hot loops).
    var inUnits = 0
    var outUnits = 0
}

/// A float32 NHWC network: forward and backward passes over a batch for every
/// layer kind of `Operation`, with all trainable parameters in one flat store
/// (so the optimiser is one loop) and per-chunk gradient accumulators summed
/// in a fixed order (so two threads give reproducible bits).
///
/// Batch normalisation uses batch statistics when `training` is true and the
/// running statistics otherwise.
public final class Network {
    public let architecture: Architecture
    public let analysis: ArchitectureAnalysis
    let plans: [LayerPlan]

    /// Number of trainable floats (weights, biases, batch-norm gamma and beta).
    public let trainableCount: Int
    let params: FloatBuffer
    let grad: FloatBuffer
    let chunkGrads: [FloatBuffer]
    var runningMean: [FloatBuffer?]
    var runningVariance: [FloatBuffer?]
    var epsilon: [Float]
    /// Momentum of the running batch-norm statistics (PyTorch's convention).
    public var batchNormMomentum: Float = 0.1

    /// Whether `backward` also computes the gradient of the loss with respect
    /// to the model input (only the gradient checks need it).
    var computeInputGradient = false

    // Activations for a batch of up to `capacity` samples.
    private(set) var capacity = 0
    var input = FloatBuffer(count: 0)
    var inputGrad = FloatBuffer(count: 0)
    var outputs: [FloatBuffer] = []
    var grads: [FloatBuffer] = []
    /// Convolutions with batch norm: the normalised pre-activation x̂.
    var normalized: [FloatBuffer?] = []
    var invStd: [FloatBuffer?] = []
    var argIndex: [IndexBuffer?] = []
    /// Per-chunk scratch: im2col columns, transposed outputs, column gradients.
    var colScratch: [FloatBuffer] = []
    var outScratch: [FloatBuffer] = []
    var dcolScratch: [FloatBuffer] = []
    private(set) var batchCount = 0

    /// Index of the layer whose output is the logits the loss reads (the
    /// input of a final softmax layer, else the last layer).
    let logitsLayer: Int
    public var classCount: Int { plans[logitsLayer].outUnits }

    /// Builds a network with He-initialised weights (normal, σ = √(2 / fan-in)),
    /// zero biases, batch-norm gamma 1 and beta 0, from a seeded generator.
    public convenience init(architecture: Architecture, seed: UInt64) throws {
        try self.init(architecture: architecture)
        var rng = SeededGenerator(seed: seed)
        for plan in plans where plan.weightOffset >= 0 {
            let fanIn = plan.weightCount / max(plan.biasCount, 1)
            let sigma = (2.0 / Double(max(fanIn, 1))).squareRoot()
            for i in 0..<plan.weightCount {
                params.pointer[plan.weightOffset + i] = Float(rng.nextNormal() * sigma)
            }
            if plan.batchNorm {
                for c in 0..<plan.biasCount { params.pointer[plan.gammaOffset + c] = 1 }
            }
        }
    }

    /// Builds a network holding a checkpoint's parameters.
    public convenience init(checkpoint: Checkpoint) throws {
        try self.init(architecture: checkpoint.architecture)
        for (index, plan) in plans.enumerated() where plan.weightOffset >= 0 {
            guard let p = checkpoint.parameters[plan.name] else {
                throw NetworkError.shape("checkpoint has no parameters for layer '\(plan.name)'")
            }
            guard p.weights.count == plan.weightCount, p.bias.count == plan.biasCount,
                  (p.batchNorm != nil) == plan.batchNorm else {
                throw NetworkError.shape("checkpoint parameters of layer '\(plan.name)' do not match the architecture")
            }
            (params.pointer + plan.weightOffset).update(from: p.weights, count: p.weights.count)
            (params.pointer + plan.biasOffset).update(from: p.bias, count: p.bias.count)
            if let bn = p.batchNorm {
                (params.pointer + plan.gammaOffset).update(from: bn.gamma, count: bn.gamma.count)
                (params.pointer + plan.betaOffset).update(from: bn.beta, count: bn.beta.count)
                runningMean[index]!.copy(from: bn.runningMean)
                runningVariance[index]!.copy(from: bn.runningVariance)
                epsilon[index] = bn.epsilon
            }
        }
    }

    init(architecture: Architecture) throws {
        self.architecture = architecture
        let analysis: ArchitectureAnalysis
        do {
            analysis = try ArchitectureAnalysis(architecture)
        } catch {
            throw NetworkError.architecture(error.description)
        }
        self.analysis = analysis
        var plans: [LayerPlan] = []
        var offset = 0
        var runningMean: [FloatBuffer?] = []
        var runningVariance: [FloatBuffer?] = []
        for (index, layer) in analysis.layers.enumerated() {
            let op = architecture.layers[index].operation
            var plan = LayerPlan(name: layer.name, operation: op, inputs: analysis.inputIndices[index],
                                 inShapes: layer.inputShapes, outShape: layer.outputShape)
            plan.inUnits = layer.inputShapes[0].elementCount
            plan.outUnits = layer.outputShape.elementCount
            var mean: FloatBuffer? = nil
            var variance: FloatBuffer? = nil
            switch op {
            case let .convolution(c):
                let s = layer.inputShapes[0]
                plan.window = WindowGeometry(inHeight: s.height, inWidth: s.width, channels: s.channels,
                                             outHeight: layer.outputShape.height, outWidth: layer.outputShape.width,
                                             kernelHeight: c.kernel.height, kernelWidth: c.kernel.width,
                                             strideHeight: c.stride.height, strideWidth: c.stride.width,
                                             padTop: layer.padding.top, padLeft: layer.padding.left)
                plan.activation = c.activation
                plan.batchNorm = c.batchNorm
            case let .pooling(p):
                let s = layer.inputShapes[0]
                plan.window = WindowGeometry(inHeight: s.height, inWidth: s.width, channels: s.channels,
                                             outHeight: layer.outputShape.height, outWidth: layer.outputShape.width,
                                             kernelHeight: p.size.height, kernelWidth: p.size.width,
                                             strideHeight: p.stride.height, strideWidth: p.stride.width,
                                             padTop: layer.padding.top, padLeft: layer.padding.left)
            case let .dense(d):
                plan.activation = d.activation
            case let .add(a):
                plan.activation = a
            case .relu:
                plan.activation = .relu
            default:
                break
            }
            if let shape = analysis.parameterShape(of: index) {
                plan.weightOffset = offset; plan.weightCount = shape.weights; offset += shape.weights
                plan.biasOffset = offset; plan.biasCount = shape.bias; offset += shape.bias
                if shape.batchNorm {
                    plan.gammaOffset = offset; offset += shape.bias
                    plan.betaOffset = offset; offset += shape.bias
                    mean = FloatBuffer(count: shape.bias)
                    variance = FloatBuffer(count: shape.bias)
                    for c in 0..<shape.bias { variance!.pointer[c] = 1 }
                }
            }
            runningMean.append(mean)
            runningVariance.append(variance)
            plans.append(plan)
        }
        self.plans = plans
        self.runningMean = runningMean
        self.runningVariance = runningVariance
        epsilon = Array(repeating: 1e-5, count: plans.count)
        trainableCount = offset
        params = FloatBuffer(count: offset)
        grad = FloatBuffer(count: offset)
        chunkGrads = (0..<chunkCount).map { _ in FloatBuffer(count: offset) }
        if case .softmax = plans[plans.count - 1].operation, plans.count >= 2 {
            logitsLayer = plans[plans.count - 1].inputs[0] >= 0 ? plans[plans.count - 1].inputs[0] : plans.count - 1
        } else {
            logitsLayer = plans.count - 1
        }
    }

    /// Allocates activation buffers for batches of up to `batch` samples.
    func reserve(batch: Int) {
        guard batch > capacity else { return }
        capacity = batch
        input = FloatBuffer(count: batch * architecture.input.elementCount)
        inputGrad = FloatBuffer(count: batch * architecture.input.elementCount)
        outputs = plans.map { FloatBuffer(count: batch * $0.outUnits) }
        grads = plans.map { FloatBuffer(count: batch * $0.outUnits) }
        normalized = plans.map { $0.batchNorm ? FloatBuffer(count: batch * $0.outUnits) : nil }
        invStd = plans.map { $0.batchNorm ? FloatBuffer(count: $0.outShape.channels) : nil }
        argIndex = plans.map { plan in
            switch plan.operation {
            case let .pooling(p) where p.kind != .average: return IndexBuffer(count: batch * plan.outUnits)
            case .globalPooling(.max): return IndexBuffer(count: batch * plan.outUnits)
            default: return nil
            }
        }
        var col = 1, out = 1
        for plan in plans {
            if case .convolution = plan.operation, let g = plan.window {
                col = max(col, g.patch * g.positions)
                out = max(out, plan.outShape.channels * g.positions)
            }
        }
        colScratch = (0..<chunkCount).map { _ in FloatBuffer(count: col) }
        dcolScratch = (0..<chunkCount).map { _ in FloatBuffer(count: col) }
        outScratch = (0..<chunkCount).map { _ in FloatBuffer(count: out) }
    }

    @inline(__always)
    func source(_ producer: Int) -> UnsafeMutablePointer<Float> {
        producer < 0 ? input.pointer : outputs[producer].pointer
    }

    @inline(__always)
    func sourceGrad(_ producer: Int) -> UnsafeMutablePointer<Float>? {
        if producer < 0 { return computeInputGradient ? inputGrad.pointer : nil }
        return grads[producer].pointer
    }

    // MARK: Forward

    /// Loads `count` samples (NHWC floats) into the input buffer.
    func setInput(_ images: UnsafePointer<Float>, count: Int) {
        reserve(batch: count)
        input.pointer.update(from: images, count: count * architecture.input.elementCount)
        batchCount = count
    }

    /// Runs every layer on the loaded batch. `observe` sees each layer's output.
    func forward(training: Bool, observe: ((Int, UnsafeBufferPointer<Float>) -> Void)? = nil) {
        let n = batchCount
        for (index, plan) in plans.enumerated() {
            switch plan.operation {
            case .convolution: convolutionForward(index, plan, n, training: training)
            case let .pooling(p): poolingForward(index, plan, p.kind, n)
            case let .globalPooling(kind): globalPoolingForward(index, plan, kind, n)
            case .dense: denseForward(index, plan, n)
            case .concat: concatForward(index, plan, n)
            case .add: addForward(index, plan, n)
            case .relu: reluForward(index, plan, n)
            case .softmax: softmaxForward(index, plan, n)
            }
            if let observe {
                observe(index, UnsafeBufferPointer(start: outputs[index].pointer, count: n * plan.outUnits))
            }
        }
    }

    func convolutionForward(_ index: Int, _ plan: LayerPlan, _ n: Int, training: Bool) {
        let g = plan.window!
        let F = plan.outShape.channels, P = g.positions, K = g.patch
        let x = source(plan.inputs[0])
        let out = outputs[index].pointer
        let dst = plan.batchNorm ? normalized[index]!.pointer : out
        let w = params.pointer + plan.weightOffset
        let b = params.pointer + plan.biasOffset
        let relu = plan.activation == .relu && !plan.batchNorm
        forEachChunk(n) { chunk, range in
            let col = colScratch[chunk].pointer, outT = outScratch[chunk].pointer
            for s in range {
                im2col(x + s * plan.inUnits, g, col)
                gemm(m: F, n: P, k: K, a: w, aRow: K, aCol: 1, b: col, c: outT, accumulate: false)
                let d = dst + s * P * F
                for p in 0..<P {
                    for f in 0..<F {
                        let v = outT[f * P + p] + b[f]
                        d[p * F + f] = relu ? max(v, 0) : v
                    }
                }
            }
        }
        if plan.batchNorm {
            batchNormForward(index, plan, n, training: training)
        }
    }

    /// Batch norm over the `normalized` buffer (holding z on entry, x̂ on exit
    /// in training), writing gamma·x̂ + beta (then ReLU) into the output.
    func batchNormForward(_ index: Int, _ plan: LayerPlan, _ n: Int, training: Bool) {
        let C = plan.outShape.channels
        let M = n * plan.outShape.height * plan.outShape.width
        let z = normalized[index]!.pointer
        let out = outputs[index].pointer
        let gamma = params.pointer + plan.gammaOffset, beta = params.pointer + plan.betaOffset
        let rm = runningMean[index]!.pointer, rv = runningVariance[index]!.pointer
        let inv = invStd[index]!.pointer
        let eps = epsilon[index]
        let relu = plan.activation == .relu
        let scale = UnsafeMutablePointer<Float>.allocate(capacity: C)
        let shift = UnsafeMutablePointer<Float>.allocate(capacity: C)
        defer { scale.deallocate(); shift.deallocate() }
        if training {
            // Per-channel sums in blocks of up to 64 rows in float, then in
            // double. The two threads take halves of the channels, so each
            // channel's order of additions does not depend on the threads.
            let mean = UnsafeMutablePointer<Float>.allocate(capacity: C)
            defer { mean.deallocate() }
            forEachChunk(C) { _, channels in
                guard !channels.isEmpty else { return }
                let c0 = channels.lowerBound, width = channels.count
                var block = [Float](repeating: 0, count: width)
                var sum = [Double](repeating: 0, count: width)
                var r = 0
                while r < M {
                    let end = min(r + 64, M)
                    for j in 0..<width { block[j] = 0 }
                    for i in r..<end { for j in 0..<width { block[j] += z[i * C + c0 + j] } }
                    for j in 0..<width { sum[j] += Double(block[j]) }
                    r = end
                }
                for j in 0..<width { mean[c0 + j] = Float(sum[j] / Double(M)) }
                var sq = [Double](repeating: 0, count: width)
                r = 0
                while r < M {
                    let end = min(r + 64, M)
                    for j in 0..<width { block[j] = 0 }
                    for i in r..<end {
                        for j in 0..<width {
                            let d = z[i * C + c0 + j] - mean[c0 + j]
                            block[j] += d * d
                        }
                    }
                    for j in 0..<width { sq[j] += Double(block[j]) }
                    r = end
                }
                for j in 0..<width {
                    let c = c0 + j
                    let variance = sq[j] / Double(M)
                    inv[c] = Float(1 / (variance + Double(eps)).squareRoot())
                    let m = batchNormMomentum
                    rm[c] = (1 - m) * rm[c] + m * mean[c]
                    let unbiased = M > 1 ? variance * Double(M) / Double(M - 1) : variance
                    rv[c] = (1 - m) * rv[c] + m * Float(unbiased)
                }
            }
            forEachChunk(M) { _, rows in
                for i in rows {
                    for c in 0..<C {
                        let xh = (z[i * C + c] - mean[c]) * inv[c]
                        z[i * C + c] = xh
                        let y = gamma[c] * xh + beta[c]
                        out[i * C + c] = relu ? max(y, 0) : y
                    }
                }
            }
        } else {
            for c in 0..<C {
                scale[c] = gamma[c] / (rv[c] + eps).squareRoot()
                shift[c] = beta[c] - rm[c] * scale[c]
            }
            forEachChunk(M) { _, rows in
                for i in rows {
                    for c in 0..<C {
                        let y = z[i * C + c] * scale[c] + shift[c]
                        out[i * C + c] = relu ? max(y, 0) : y
                    }
                }
            }
        }
    }

    func poolingForward(_ index: Int, _ plan: LayerPlan, _ kind: PoolKind, _ n: Int) {
        let g = plan.window!
        let C = g.channels
        let x = source(plan.inputs[0])
        let out = outputs[index].pointer
        let arg = argIndex[index]?.pointer
        let inUnits = plan.inUnits, outUnits = plan.outUnits
        forEachChunk(n) { _, range in
            for s in range {
                let xs = x + s * inUnits
                let os = out + s * outUnits
                let args = arg.map { $0 + s * outUnits }
                for oy in 0..<g.outHeight {
                    let y0 = oy * g.strideHeight - g.padTop
                    let ya = max(y0, 0), yb = min(y0 + g.kernelHeight, g.inHeight)
                    for ox in 0..<g.outWidth {
                        let x0 = ox * g.strideWidth - g.padLeft
                        let xa = max(x0, 0), xb = min(x0 + g.kernelWidth, g.inWidth)
                        let o = os + (oy * g.outWidth + ox) * C
                        let taps = max(yb - ya, 0) * max(xb - xa, 0)
                        if taps == 0 {
                            o.update(repeating: 0, count: C)
                            if let args { (args + (oy * g.outWidth + ox) * C).update(repeating: -1, count: C) }
                            continue
                        }
                        // Taps outer, channels inner (contiguous in NHWC).
                        let first = (ya * g.inWidth + xa) * C
                        o.update(from: xs + first, count: C)
                        switch kind {
                        case .average:
                            for iy in ya..<yb {
                                for ix in xa..<xb where iy != ya || ix != xa {
                                    let t = xs + (iy * g.inWidth + ix) * C
                                    for c in 0..<C { o[c] += t[c] }
                                }
                            }
                            let inv = 1 / Float(taps)
                            for c in 0..<C { o[c] *= inv }
                        case .max, .min:
                            let a = args! + (oy * g.outWidth + ox) * C
                            for c in 0..<C { a[c] = Int32(first + c) }
                            for iy in ya..<yb {
                                for ix in xa..<xb where iy != ya || ix != xa {
                                    let base = (iy * g.inWidth + ix) * C
                                    if kind == .max {
                                        selectExtreme(o, a, xs + base, Int32(base), C, max: true)
                                    } else {
                                        selectExtreme(o, a, xs + base, Int32(base), C, max: false)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    func globalPoolingForward(_ index: Int, _ plan: LayerPlan, _ kind: GlobalPoolKind, _ n: Int) {
        let C = plan.inShapes[0].channels
        let P = plan.inShapes[0].height * plan.inShapes[0].width
        let x = source(plan.inputs[0])
        let out = outputs[index].pointer
        for s in 0..<n {
            let xs = x + s * plan.inUnits
            let os = out + s * C
            switch kind {
            case .average:
                for c in 0..<C { os[c] = 0 }
                for p in 0..<P { for c in 0..<C { os[c] += xs[p * C + c] } }
                let inv = 1 / Float(P)
                for c in 0..<C { os[c] *= inv }
            case .max:
                let arg = argIndex[index]!.pointer + s * C
                for c in 0..<C { os[c] = xs[c]; arg[c] = Int32(c) }
                for p in 1..<max(P, 1) {
                    for c in 0..<C where xs[p * C + c] > os[c] {
                        os[c] = xs[p * C + c]
                        arg[c] = Int32(p * C + c)
                    }
                }
            }
        }
    }

    func denseForward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        let I = plan.inUnits, U = plan.outUnits
        let x = source(plan.inputs[0])
        let out = outputs[index].pointer
        let w = params.pointer + plan.weightOffset
        let b = params.pointer + plan.biasOffset
        let relu = plan.activation == .relu
        forEachChunk(n) { _, range in
            for s in range {
                let xs = x + s * I
                let os = out + s * U
                for u in 0..<U {
                    let v = dot(w + u * I, xs, I) + b[u]
                    os[u] = relu ? max(v, 0) : v
                }
            }
        }
    }

    func concatForward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        let C = plan.outShape.channels
        let P = plan.outShape.height * plan.outShape.width
        let out = outputs[index].pointer
        var offset = 0
        for (k, producer) in plan.inputs.enumerated() {
            let Ck = plan.inShapes[k].channels
            let x = source(producer)
            let o = offset
            forEachChunk(n) { _, range in
                for s in range {
                    for p in 0..<P {
                        (out + (s * P + p) * C + o).update(from: x + (s * P + p) * Ck, count: Ck)
                    }
                }
            }
            offset += Ck
        }
    }

    func addForward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        let a = source(plan.inputs[0]), b = source(plan.inputs[1])
        let out = outputs[index].pointer
        let relu = plan.activation == .relu
        for i in 0..<(n * plan.outUnits) {
            let v = a[i] + b[i]
            out[i] = relu ? max(v, 0) : v
        }
    }

    func reluForward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        let x = source(plan.inputs[0])
        let out = outputs[index].pointer
        for i in 0..<(n * plan.outUnits) { out[i] = max(x[i], 0) }
    }

    func softmaxForward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        let C = plan.outShape.channels
        let rows = n * plan.outShape.height * plan.outShape.width
        let x = source(plan.inputs[0])
        let out = outputs[index].pointer
        for r in 0..<rows {
            softmax(x + r * C, out + r * C, C)
        }
    }

    // MARK: Loss

    /// Softmax cross-entropy of the logits against `labels`, averaged over the
    /// batch; writes d(loss)/d(logits) into the logits layer's gradient.
    /// Returns the summed (not averaged) loss and the number of correct argmaxes.
    func softmaxCrossEntropy(labels: UnsafePointer<Int32>) -> (lossSum: Double, correct: Int) {
        let n = batchCount
        let C = classCount
        let logits = outputs[logitsLayer].pointer
        let g = grads[logitsLayer].pointer
        var loss = 0.0
        var correct = 0
        for s in 0..<n {
            let label = Int(labels[s])
            let l = logits + s * C
            softmax(l, g + s * C, C)
            var best = 0
            for c in 1..<C where l[c] > l[best] { best = c }
            if best == label { correct += 1 }
            loss -= Double(log(max(g[s * C + label], 1e-30)))
            g[s * C + label] -= 1
            for c in 0..<C { g[s * C + c] /= Float(n) }
        }
        return (loss, correct)
    }

    // MARK: Backward

    /// Backpropagates from the logits gradient (set by `softmaxCrossEntropy`)
    /// into `grad`, the flat gradient of all trainable parameters.
    func backward() {
        let n = batchCount
        for (i, plan) in plans.enumerated() where i != logitsLayer {
            grads[i].pointer.update(repeating: 0, count: n * plan.outUnits)
        }
        if computeInputGradient { inputGrad.pointer.update(repeating: 0, count: n * architecture.input.elementCount) }
        for buffer in chunkGrads { buffer.zero() }
        grad.zero()
        for index in stride(from: logitsLayer, through: 0, by: -1) {
            let plan = plans[index]
            switch plan.operation {
            case .convolution: convolutionBackward(index, plan, n)
            case let .pooling(p): poolingBackward(index, plan, p.kind, n)
            case let .globalPooling(kind): globalPoolingBackward(index, plan, kind, n)
            case .dense: denseBackward(index, plan, n)
            case .concat: concatBackward(index, plan, n)
            case .add: addBackward(index, plan, n)
            case .relu: reluBackward(index, plan, n)
            case .softmax: softmaxBackward(index, plan, n)
            }
        }
        // Fixed-order reduction of the per-chunk gradients.
        let g = grad.pointer
        for buffer in chunkGrads {
            let c = buffer.pointer
            for i in 0..<trainableCount { g[i] += c[i] }
        }
    }

    /// Multiplies the layer's output gradient by the ReLU mask (output > 0).
    func applyReluMask(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        guard plan.activation == .relu else { return }
        let g = grads[index].pointer, y = outputs[index].pointer
        forEachChunk(n * plan.outUnits) { _, range in
            for i in range { g[i] = y[i] > 0 ? g[i] : 0 }
        }
    }

    func convolutionBackward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        applyReluMask(index, plan, n)
        if plan.batchNorm { batchNormBackward(index, plan, n) }
        let g = plan.window!
        let F = plan.outShape.channels, P = g.positions, K = g.patch
        let x = source(plan.inputs[0])
        let dx = sourceGrad(plan.inputs[0])
        let dz = grads[index].pointer
        let w = params.pointer + plan.weightOffset
        forEachChunk(n) { chunk, range in
            let col = colScratch[chunk].pointer, gT = outScratch[chunk].pointer, dcol = dcolScratch[chunk].pointer
            let dw = chunkGrads[chunk].pointer + plan.weightOffset
            let db = chunkGrads[chunk].pointer + plan.biasOffset
            for s in range {
                transpose(dz + s * P * F, rows: P, cols: F, gT)
                for f in 0..<F {
                    var sum: Float = 0
                    for p in 0..<P { sum += gT[f * P + p] }
                    db[f] += sum
                }
                im2col(x + s * plan.inUnits, g, col)
                for f in 0..<F {
                    for k in 0..<K { dw[f * K + k] += dot(gT + f * P, col + k * P, P) }
                }
                if let dx {
                    // dcol[K][P] = Wᵀ[K][F] · gT[F][P]
                    gemm(m: K, n: P, k: F, a: w, aRow: 1, aCol: K, b: gT, c: dcol, accumulate: false)
                    col2imAccumulate(dcol, g, dx + s * plan.inUnits)
                }
            }
        }
    }

    /// Turns the gradient w.r.t. the batch-norm output (in `grads[index]`)
    /// into the gradient w.r.t. its input z, in place; adds dgamma, dbeta.
    func batchNormBackward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        let C = plan.outShape.channels
        let M = n * plan.outShape.height * plan.outShape.width
        let g = grads[index].pointer
        let xh = normalized[index]!.pointer
        let inv = invStd[index]!.pointer
        let gamma = params.pointer + plan.gammaOffset
        let dgamma = UnsafeMutablePointer<Float>.allocate(capacity: C)
        let dbeta = UnsafeMutablePointer<Float>.allocate(capacity: C)
        let k = UnsafeMutablePointer<Float>.allocate(capacity: C)
        defer { dgamma.deallocate(); dbeta.deallocate(); k.deallocate() }
        // Channel halves per thread (fixed per-channel summation order).
        forEachChunk(C) { _, channels in
            guard !channels.isEmpty else { return }
            let c0 = channels.lowerBound, width = channels.count
            var bg = [Float](repeating: 0, count: width), bb = [Float](repeating: 0, count: width)
            var sg = [Double](repeating: 0, count: width), sb = [Double](repeating: 0, count: width)
            var r = 0
            while r < M {
                let end = min(r + 64, M)
                for j in 0..<width { bg[j] = 0; bb[j] = 0 }
                for i in r..<end {
                    for j in 0..<width {
                        bg[j] += g[i * C + c0 + j] * xh[i * C + c0 + j]
                        bb[j] += g[i * C + c0 + j]
                    }
                }
                for j in 0..<width { sg[j] += Double(bg[j]); sb[j] += Double(bb[j]) }
                r = end
            }
            for j in 0..<width {
                dgamma[c0 + j] = Float(sg[j])
                dbeta[c0 + j] = Float(sb[j])
            }
        }
        for c in 0..<C {
            grad.pointer[plan.gammaOffset + c] += dgamma[c]
            grad.pointer[plan.betaOffset + c] += dbeta[c]
            k[c] = gamma[c] * inv[c] / Float(M)
        }
        let mF = Float(M)
        forEachChunk(M) { _, rows in
            for i in rows {
                for c in 0..<C {
                    let j = i * C + c
                    g[j] = k[c] * (mF * g[j] - dbeta[c] - xh[j] * dgamma[c])
                }
            }
        }
    }

    func poolingBackward(_ index: Int, _ plan: LayerPlan, _ kind: PoolKind, _ n: Int) {
        guard let dx = sourceGrad(plan.inputs[0]) else { return }
        let g = plan.window!
        let C = g.channels
        let dy = grads[index].pointer
        if kind != .average {
            let arg = argIndex[index]!.pointer
            let inUnits = plan.inUnits, outUnits = plan.outUnits
            forEachChunk(n) { _, range in
                for s in range {
                    let dxs = dx + s * inUnits
                    for o in 0..<outUnits {
                        let i = arg[s * outUnits + o]
                        if i >= 0 { dxs[Int(i)] += dy[s * outUnits + o] }
                    }
                }
            }
            return
        }
        forEachChunk(n) { _, range in
            for s in range {
                let dxs = dx + s * plan.inUnits
                let dys = dy + s * plan.outUnits
                for oy in 0..<g.outHeight {
                    let y0 = oy * g.strideHeight - g.padTop
                    let ya = max(y0, 0), yb = min(y0 + g.kernelHeight, g.inHeight)
                    for ox in 0..<g.outWidth {
                        let x0 = ox * g.strideWidth - g.padLeft
                        let xa = max(x0, 0), xb = min(x0 + g.kernelWidth, g.inWidth)
                        let taps = max(yb - ya, 0) * max(xb - xa, 0)
                        if taps == 0 { continue }
                        let o = (oy * g.outWidth + ox) * C
                        for c in 0..<C {
                            let v = dys[o + c] / Float(taps)
                            for iy in ya..<yb { for ix in xa..<xb { dxs[(iy * g.inWidth + ix) * C + c] += v } }
                        }
                    }
                }
            }
        }
    }

    func globalPoolingBackward(_ index: Int, _ plan: LayerPlan, _ kind: GlobalPoolKind, _ n: Int) {
        guard let dx = sourceGrad(plan.inputs[0]) else { return }
        let C = plan.inShapes[0].channels
        let P = plan.inShapes[0].height * plan.inShapes[0].width
        let dy = grads[index].pointer
        for s in 0..<n {
            let dxs = dx + s * plan.inUnits
            switch kind {
            case .average:
                let inv = 1 / Float(P)
                for p in 0..<P { for c in 0..<C { dxs[p * C + c] += dy[s * C + c] * inv } }
            case .max:
                let arg = argIndex[index]!.pointer + s * C
                for c in 0..<C { dxs[Int(arg[c])] += dy[s * C + c] }
            }
        }
    }

    func denseBackward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        applyReluMask(index, plan, n)
        let I = plan.inUnits, U = plan.outUnits
        let x = source(plan.inputs[0])
        let dx = sourceGrad(plan.inputs[0])
        let dy = grads[index].pointer
        let w = params.pointer + plan.weightOffset
        forEachChunk(n) { chunk, range in
            let dw = chunkGrads[chunk].pointer + plan.weightOffset
            let db = chunkGrads[chunk].pointer + plan.biasOffset
            for s in range {
                let xs = x + s * I
                for u in 0..<U {
                    let gv = dy[s * U + u]
                    if gv == 0 { continue }
                    db[u] += gv
                    axpy(dw + u * I, gv, xs, I)
                    if let dx { axpy(dx + s * I, gv, w + u * I, I) }
                }
            }
        }
    }

    func concatBackward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        let C = plan.outShape.channels
        let P = plan.outShape.height * plan.outShape.width
        let dy = grads[index].pointer
        var offset = 0
        for (k, producer) in plan.inputs.enumerated() {
            let Ck = plan.inShapes[k].channels
            if let dx = sourceGrad(producer) {
                let o = offset
                forEachChunk(n * P) { _, rows in
                    for r in rows {
                        let d = dx + r * Ck, src = dy + r * C + o
                        for c in 0..<Ck { d[c] += src[c] }
                    }
                }
            }
            offset += Ck
        }
    }

    func addBackward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        applyReluMask(index, plan, n)
        let dy = grads[index].pointer
        for producer in plan.inputs {
            guard let dx = sourceGrad(producer) else { continue }
            for i in 0..<(n * plan.outUnits) { dx[i] += dy[i] }
        }
    }

    func reluBackward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        applyReluMask(index, plan, n)
        guard let dx = sourceGrad(plan.inputs[0]) else { return }
        let dy = grads[index].pointer
        for i in 0..<(n * plan.outUnits) { dx[i] += dy[i] }
    }

    func softmaxBackward(_ index: Int, _ plan: LayerPlan, _ n: Int) {
        guard let dx = sourceGrad(plan.inputs[0]) else { return }
        let C = plan.outShape.channels
        let rows = n * plan.outShape.height * plan.outShape.width
        let y = outputs[index].pointer, dy = grads[index].pointer
        for r in 0..<rows {
            var s: Float = 0
            for c in 0..<C { s += dy[r * C + c] * y[r * C + c] }
            for c in 0..<C { dx[r * C + c] += y[r * C + c] * (dy[r * C + c] - s) }
        }
    }

    // MARK: Parameters

    /// The current parameters as a checkpoint.
    public func checkpoint(metadata: [String: String] = [:]) throws -> Checkpoint {
        var parameters: [String: LayerParameters] = [:]
        for (index, plan) in plans.enumerated() where plan.weightOffset >= 0 {
            var bn: BatchNormParameters? = nil
            if plan.batchNorm {
                bn = BatchNormParameters(gamma: params.array(offset: plan.gammaOffset, count: plan.biasCount),
                                         beta: params.array(offset: plan.betaOffset, count: plan.biasCount),
                                         runningMean: runningMean[index]!.array(count: plan.biasCount),
                                         runningVariance: runningVariance[index]!.array(count: plan.biasCount),
                                         epsilon: epsilon[index])
            }
            parameters[plan.name] = LayerParameters(weights: params.array(offset: plan.weightOffset, count: plan.weightCount),
                                                    bias: params.array(offset: plan.biasOffset, count: plan.biasCount),
                                                    batchNorm: bn)
        }
        return try Checkpoint(architecture: architecture, parameters: parameters, metadata: metadata)
    }
}

/// Numerically stable softmax of `n` values.
@inline(__always)
func softmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var m = x[0]
    for i in 1..<max(n, 1) where x[i] > m { m = x[i] }
    var sum: Float = 0
    for i in 0..<n {
        y[i] = exp(x[i] - m)
        sum += y[i]
    }
    let inv = 1 / sum
    for i in 0..<n { y[i] *= inv }
}

/// For c in 0..<n: if t[c] beats best[c] (strictly greater for max, smaller
/// for min), best[c] = t[c] and index[c] = base + c. Ties keep the earlier tap.
@inline(__always)
func selectExtreme(_ best: UnsafeMutablePointer<Float>, _ index: UnsafeMutablePointer<Int32>,
                   _ t: UnsafePointer<Float>, _ base: Int32, _ n: Int, max isMax: Bool) {
    var c = 0
    let lanes = SIMD8<Int32>(0, 1, 2, 3, 4, 5, 6, 7)
    while c + 8 <= n {
        let v = UnsafeRawPointer(t + c).loadUnaligned(as: SIMD8<Float>.self)
        let b = UnsafeRawPointer(best + c).loadUnaligned(as: SIMD8<Float>.self)
        let i = UnsafeRawPointer(index + c).loadUnaligned(as: SIMD8<Int32>.self)
        let mask = isMax ? v .> b : v .< b
        UnsafeMutableRawPointer(best + c).storeBytes(of: b.replacing(with: v, where: mask), as: SIMD8<Float>.self)
        let candidate = SIMD8<Int32>(repeating: base + Int32(c)) &+ lanes
        UnsafeMutableRawPointer(index + c).storeBytes(of: i.replacing(with: candidate, where: mask),
                                                      as: SIMD8<Int32>.self)
        c += 8
    }
    while c < n {
        let v = t[c]
        if isMax ? v > best[c] : v < best[c] {
            best[c] = v
            index[c] = base + Int32(c)
        }
        c += 1
    }
}
