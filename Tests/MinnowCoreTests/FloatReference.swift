import MinnowCore
import MinnowModel

/// A plain float forward pass of an architecture (test oracle, NHWC, batch 1).
/// Returns every layer's output by name (after its activation).
///
/// With `grid`, each layer's output is rounded onto its int8 grid (scale,
/// zero point) as the quantized net stores it: the "fake quantization" float
/// model whose only difference from the int8 engine is fixed-point rounding.
func floatForward(_ architecture: Architecture, parameters: [String: Int8Converter.FloatParameters],
                  input: [Float], grid: [String: (scale: Float, zeroPoint: Int32)]? = nil) throws -> [String: [Float]] {
    let analysis = try ArchitectureAnalysis(architecture)
    var values: [String: [Float]] = [Architecture.inputName: input]
    var shapes: [String: TensorShape] = [Architecture.inputName: architecture.input]
    for (i, layer) in architecture.layers.enumerated() {
        let info = analysis.layers[i]
        let names = architecture.resolvedInputs(of: i)
        let x = values[names[0]]!, s = shapes[names[0]]!
        let o = info.outputShape
        var y = [Float](repeating: 0, count: o.elementCount)
        func relu(_ on: Bool) { if on { y = y.map { max($0, 0) } } }
        switch layer.operation {
        case let .convolution(c):
            let p = parameters[layer.name]!
            for oy in 0..<o.height { for ox in 0..<o.width { for k in 0..<c.filters {
                var acc = p.bias[k]
                for ky in 0..<c.kernel.height { for kx in 0..<c.kernel.width {
                    let iy = oy * c.stride.height - info.padding.top + ky
                    let ix = ox * c.stride.width - info.padding.left + kx
                    guard iy >= 0, iy < s.height, ix >= 0, ix < s.width else { continue }
                    for ch in 0..<s.channels {
                        acc += p.weights[((k * c.kernel.height + ky) * c.kernel.width + kx) * s.channels + ch]
                            * x[(iy * s.width + ix) * s.channels + ch]
                    }
                } }
                y[(oy * o.width + ox) * o.channels + k] = acc
            } } }
            relu(c.activation == .relu)
        case let .pooling(p):
            for oy in 0..<o.height { for ox in 0..<o.width { for ch in 0..<o.channels {
                var taps: [Float] = []
                for ky in 0..<p.size.height { for kx in 0..<p.size.width {
                    let iy = oy * p.stride.height - info.padding.top + ky
                    let ix = ox * p.stride.width - info.padding.left + kx
                    guard iy >= 0, iy < s.height, ix >= 0, ix < s.width else { continue }
                    taps.append(x[(iy * s.width + ix) * s.channels + ch])
                } }
                let v: Float
                switch p.kind {
                case .max: v = taps.max()!
                case .min: v = taps.min()!
                case .average: v = taps.reduce(0, +) / Float(taps.count)
                }
                y[(oy * o.width + ox) * o.channels + ch] = v
            } } }
        case let .globalPooling(kind):
            for ch in 0..<s.channels {
                let column = stride(from: ch, to: x.count, by: s.channels).map { x[$0] }
                y[ch] = kind == .max ? column.max()! : column.reduce(0, +) / Float(column.count)
            }
        case let .dense(d):
            let p = parameters[layer.name]!
            for u in 0..<d.units {
                var acc = p.bias[u]
                for j in 0..<x.count { acc += p.weights[u * x.count + j] * x[j] }
                y[u] = acc
            }
            relu(d.activation == .relu)
        case .concat:
            let parts = names.map { (values[$0]!, shapes[$0]!.channels) }
            for pixel in 0..<(o.height * o.width) {
                var c0 = 0
                for (v, c) in parts {
                    for ch in 0..<c { y[pixel * o.channels + c0 + ch] = v[pixel * c + ch] }
                    c0 += c
                }
            }
        case let .add(a):
            let other = values[names[1]]!
            y = zip(x, other).map(+)
            relu(a == .relu)
        case .relu:
            y = x.map { max($0, 0) }
        case .softmax:
            for pixel in 0..<(o.height * o.width) {
                let row = Array(x[(pixel * o.channels)..<((pixel + 1) * o.channels)])
                let m = row.max()!
                let e = row.map { expf($0 - m) }
                let sum = e.reduce(0, +)
                for ch in 0..<o.channels { y[pixel * o.channels + ch] = e[ch] / sum }
            }
        }
        if let g = grid?[layer.name] {
            y = y.map { dequantize(quantizeToInt8($0, scale: g.scale, zeroPoint: g.zeroPoint), scale: g.scale, zeroPoint: g.zeroPoint) }
        }
        values[layer.name] = y
        shapes[layer.name] = o
    }
    return values
}

@_silgen_name("expf") func expf(_ x: Float) -> Float

/// Random float parameters (He-like scale) for every conv and dense layer.
func randomParameters(_ architecture: Architecture, seed: UInt64) throws -> [String: Int8Converter.FloatParameters] {
    var rng = SeededGenerator(seed: seed)
    let analysis = try ArchitectureAnalysis(architecture)
    var out: [String: Int8Converter.FloatParameters] = [:]
    for layer in analysis.layers where layer.weights > 0 {
        let fanIn = layer.weights / layer.biases
        let bound = Float(2.0 / Double(fanIn)).squareRoot() * 1.7
        out[layer.name] = Int8Converter.FloatParameters(
            weights: (0..<layer.weights).map { _ in Float.random(in: -bound...bound, using: &rng) },
            bias: (0..<layer.biases).map { _ in Float.random(in: -0.1...0.1, using: &rng) })
    }
    return out
}

/// Calibrates ranges by running the float net on `inputs`.
func calibrate(_ architecture: Architecture, _ parameters: [String: Int8Converter.FloatParameters],
               inputs: [[Float]]) throws -> [String: (min: Float, max: Float)] {
    var ranges: [String: (min: Float, max: Float)] = [:]
    for input in inputs {
        for (name, v) in try floatForward(architecture, parameters: parameters, input: input) {
            let old = ranges[name] ?? (Float.infinity, -Float.infinity)
            ranges[name] = (min(old.min, v.min()!), max(old.max, v.max()!))
        }
    }
    return ranges
}

func randomImages(_ count: Int, _ shape: TensorShape, seed: UInt64) -> [[Float]] {
    var rng = SeededGenerator(seed: seed)
    return (0..<count).map { _ in (0..<shape.elementCount).map { _ in Float.random(in: 0...1, using: &rng) } }
}

/// Builds a quantized model of `architecture` with random weights, calibrated on random images.
func buildModel(_ architecture: Architecture, seed: UInt64 = 7, calibrationImages: Int = 24) throws
    -> (bytes: [UInt8], quantized: QuantizedModel, parameters: [String: Int8Converter.FloatParameters]) {
    let parameters = try randomParameters(architecture, seed: seed)
    var ranges = try calibrate(architecture, parameters, inputs: randomImages(calibrationImages, architecture.input, seed: seed + 1))
    ranges[Architecture.inputName] = (0, 1)
    let q = try Int8Converter.convert(architecture, parameters: parameters, ranges: ranges)
    return (try ModelWriter.serialize(q), q, parameters)
}

/// conv 3×3 same (4, ReLU) → maxpool 2×2 → conv 3×3 valid (6, ReLU) → avgpool 2×2/1 → dense 10.
let smallNet = Architecture(name: "small", input: TensorShape(height: 10, width: 10, channels: 1), layers: [
    Layer("c1", .convolution(Convolution(filters: 4, kernel: .square(3), padding: .same, activation: .relu))),
    Layer("p1", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2)))),
    Layer("c2", .convolution(Convolution(filters: 6, kernel: .square(3), activation: .relu))),
    Layer("p2", .pooling(Pooling(kind: .average, size: .square(2), stride: .square(1)))),
    Layer("fc", .dense(Dense(units: 10))),
])

/// A branchy net: stem, two branches concatenated, a residual add, global pooling, dense, softmax.
let branchyNet = Architecture(name: "branchy", input: TensorShape(height: 9, width: 9, channels: 2), layers: [
    Layer("stem", .convolution(Convolution(filters: 6, kernel: .square(3), stride: .square(2), padding: .same, activation: .relu))),
    Layer("b1", .convolution(Convolution(filters: 3, kernel: .square(1), activation: .relu)), inputs: ["stem"]),
    Layer("b2r", .convolution(Convolution(filters: 2, kernel: .square(1), activation: .relu)), inputs: ["stem"]),
    Layer("b2", .convolution(Convolution(filters: 3, kernel: Extent2(3, 1), padding: .same, activation: .relu))),
    Layer("pool", .pooling(Pooling(kind: .min, size: .square(3), stride: .square(1), padding: .same)), inputs: ["stem"]),
    Layer("cat", .concat, inputs: ["b1", "b2"]),
    Layer("res", .add(.relu), inputs: ["cat", "pool"]),
    Layer("gmax", .globalPooling(.max)),
    Layer("gap", .globalPooling(.average), inputs: ["res"]),
    Layer("both", .concat, inputs: ["gmax", "gap"]),
    Layer("fc", .dense(Dense(units: 5))),
    Layer("prob", .softmax),
])

/// The float parameters the int8 model really holds: weights and biases
/// dequantized from their int8 / int32 values.
func dequantizedParameters(_ quantized: QuantizedModel, _ parameters: [String: Int8Converter.FloatParameters])
    -> [String: Int8Converter.FloatParameters] {
    var out: [String: Int8Converter.FloatParameters] = [:]
    for layer in quantized.layers where !layer.weights.isEmpty {
        let p = parameters[layer.name]!
        let (_, scales) = Quantization.weightsPerChannel(p.weights, channels: p.bias.count)
        let per = layer.weights.count / p.bias.count
        let inScale = quantized.tensors[layer.inputs[0]].scale
        out[layer.name] = Int8Converter.FloatParameters(
            weights: layer.weights.indices.map { Float(layer.weights[$0]) * scales[$0 / per] },
            bias: layer.bias.indices.map { Float(Double(layer.bias[$0]) * Double(inScale) * Double(scales[$0])) })
    }
    return out
}

/// Each tensor's grid, by layer name.
func grids(_ quantized: QuantizedModel) -> [String: (scale: Float, zeroPoint: Int32)] {
    var g: [String: (scale: Float, zeroPoint: Int32)] = [:]
    for t in quantized.tensors { g[t.name] = (t.scale, t.zeroPoint) }
    return g
}
