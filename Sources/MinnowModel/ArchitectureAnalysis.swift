import MinnowCore

/// Why an architecture cannot be built. Every case names the layer.
public enum ArchitectureError: Error, Equatable, CustomStringConvertible {
    case invalidGeometry(layer: String, axis: String, GeometryError)
    case unknownInput(layer: String, input: String)
    case duplicateName(String)
    case wrongInputCount(layer: String, expected: String, got: Int)
    case shapeMismatch(layer: String, detail: String)
    case invalidParameter(layer: String, detail: String)
    case empty

    public var description: String {
        switch self {
        case let .invalidGeometry(layer, axis, error):
            return "layer '\(layer)': \(axis): \(error.explanation)"
        case let .unknownInput(layer, input):
            return "layer '\(layer)' reads '\(input)', which is not the input or an earlier layer"
        case let .duplicateName(name):
            return "two layers are named '\(name)'"
        case let .wrongInputCount(layer, expected, got):
            return "layer '\(layer)' needs \(expected) input(s), has \(got)"
        case let .shapeMismatch(layer, detail):
            return "layer '\(layer)': \(detail)"
        case let .invalidParameter(layer, detail):
            return "layer '\(layer)': \(detail)"
        case .empty:
            return "the architecture has no layers"
        }
    }
}

/// Shapes and counts of one layer, as in the classic LeNet-5 table.
///
/// - `units`: output elements.
/// - `connections`: multiply-adds for convolution and fully connected layers
///   (padding taps included, as the nominal count), inputs read for pooling
///   (window taps per output), inputs read for the other layers.
/// - `weights` exclude biases; `macs` counts only multiply-adds (0 for pooling).
public struct LayerAnalysis: Equatable, Sendable {
    public var name: String
    public var kind: String
    public var inputShapes: [TensorShape]
    public var outputShape: TensorShape
    public var units: Int
    public var connections: Int
    public var weights: Int
    public var biases: Int
    public var macs: Int
    /// Resolved padding (top, bottom, left, right) for window layers.
    public var padding: (top: Int, bottom: Int, left: Int, right: Int)

    public static func == (a: LayerAnalysis, b: LayerAnalysis) -> Bool {
        a.name == b.name && a.kind == b.kind && a.inputShapes == b.inputShapes
            && a.outputShape == b.outputShape && a.units == b.units
            && a.connections == b.connections && a.weights == b.weights
            && a.biases == b.biases && a.macs == b.macs
            && a.padding == b.padding
    }

    public var parameters: Int { weights + biases }
}

/// The whole net analysed: every layer's shapes and counts, plus totals.
public struct ArchitectureAnalysis: Sendable {
    public var architecture: Architecture
    public var layers: [LayerAnalysis]
    /// For each layer, the indices of its inputs: −1 is the model input.
    public var inputIndices: [[Int]]

    public var parameters: Int { layers.reduce(0) { $0 + $1.parameters } }
    public var macs: Int { layers.reduce(0) { $0 + $1.macs } }
    public var outputShape: TensorShape { layers.last?.outputShape ?? architecture.input }

    /// Analyses `architecture`, checking names, input references, shapes and geometry.
    public init(_ architecture: Architecture) throws(ArchitectureError) {
        self.architecture = architecture
        guard !architecture.layers.isEmpty else { throw .empty }
        var shapes: [String: TensorShape] = [Architecture.inputName: architecture.input]
        var indexOf: [String: Int] = [Architecture.inputName: -1]
        var layers: [LayerAnalysis] = []
        var inputIndices: [[Int]] = []
        var totalParameters = 0, totalMACs = 0
        for (index, layer) in architecture.layers.enumerated() {
            guard shapes[layer.name] == nil else { throw .duplicateName(layer.name) }
            let inputNames = architecture.resolvedInputs(of: index)
            var inputs: [TensorShape] = []
            var indices: [Int] = []
            for name in inputNames {
                guard let shape = shapes[name], let i = indexOf[name] else {
                    throw .unknownInput(layer: layer.name, input: name)
                }
                inputs.append(shape)
                indices.append(i)
            }
            let analysis = try Self.analyse(layer, inputs: inputs)
            // The totals (`parameters`, `macs`, `connections`) must stay countable too.
            let (parameters, o1) = analysis.weights.addingReportingOverflow(analysis.biases)
            let (runningParameters, o2) = totalParameters.addingReportingOverflow(parameters)
            let (runningMACs, o3) = totalMACs.addingReportingOverflow(analysis.macs)
            guard !(o1 || o2 || o3) else {
                throw .invalidParameter(layer: layer.name, detail: "the net is too large to count (its parameter or work total overflows)")
            }
            (totalParameters, totalMACs) = (runningParameters, runningMACs)
            shapes[layer.name] = analysis.outputShape
            indexOf[layer.name] = index
            layers.append(analysis)
            inputIndices.append(indices)
        }
        self.layers = layers
        self.inputIndices = inputIndices
    }

    private static func window(
        _ layer: Layer, input: TensorShape, extent: Extent2, stride: Extent2,
        padding: Padding, rounding: OutputRounding
    ) throws(ArchitectureError) -> (AxisGeometry, AxisGeometry) {
        do {
            let h = try resolveAxis(input: input.height, filter: extent.height, stride: stride.height,
                                    padding: padding, rounding: rounding, height: true)
            do {
                let w = try resolveAxis(input: input.width, filter: extent.width, stride: stride.width,
                                        padding: padding, rounding: rounding, height: false)
                return (h, w)
            } catch {
                throw ArchitectureError.invalidGeometry(layer: layer.name, axis: "width", error)
            }
        } catch let error as ArchitectureError {
            throw error
        } catch {
            throw ArchitectureError.invalidGeometry(layer: layer.name, axis: "height", error as! GeometryError)
        }
    }

    private static func analyse(_ layer: Layer, inputs: [TensorShape]) throws(ArchitectureError) -> LayerAnalysis {
        func single() throws(ArchitectureError) -> TensorShape {
            guard inputs.count == 1 else {
                throw .wrongInputCount(layer: layer.name, expected: "1", got: inputs.count)
            }
            return inputs[0]
        }
        func result(_ out: TensorShape, connections: Int, weights: Int = 0, biases: Int = 0,
                    macs: Int = 0, padding: (Int, Int, Int, Int) = (0, 0, 0, 0)) -> LayerAnalysis {
            LayerAnalysis(name: layer.name, kind: layer.operation.kindName, inputShapes: inputs,
                          outputShape: out, units: out.elementCount, connections: connections,
                          weights: weights, biases: biases, macs: macs, padding: padding)
        }
        /// The product, or an error when it overflows `Int` (a hostile JSON file
        /// can ask for 60,000³ inputs and 60,000 filters: issue 8).
        func product(_ factors: Int...) throws(ArchitectureError) -> Int {
            var p = 1
            for f in factors {
                let (r, overflow) = p.multipliedReportingOverflow(by: f)
                guard !overflow else {
                    throw .invalidParameter(layer: layer.name, detail: "the layer is too large to count (a size or work count overflows)")
                }
                p = r
            }
            return p
        }
        switch layer.operation {
        case let .convolution(c):
            let input = try single()
            guard c.filters >= 1, c.filters <= maximumAxisLength else {
                throw .invalidParameter(layer: layer.name, detail: "filters must be 1...\(maximumAxisLength), got \(c.filters)")
            }
            let (h, w) = try window(layer, input: input, extent: c.kernel, stride: c.stride,
                                    padding: c.padding, rounding: c.rounding)
            let out = TensorShape(height: h.output, width: w.output, channels: c.filters)
            let weights = try product(c.filters, c.kernel.height, c.kernel.width, input.channels)
            let macs = try product(out.elementCount, c.kernel.height, c.kernel.width, input.channels)
            return result(out, connections: macs, weights: weights, biases: c.filters, macs: macs,
                          padding: (h.padBefore, h.padAfter, w.padBefore, w.padAfter))
        case let .pooling(p):
            let input = try single()
            let (h, w) = try window(layer, input: input, extent: p.size, stride: p.stride,
                                    padding: p.padding, rounding: p.rounding)
            let out = TensorShape(height: h.output, width: w.output, channels: input.channels)
            return result(out, connections: try product(out.elementCount, p.size.height, p.size.width),
                          padding: (h.padBefore, h.padAfter, w.padBefore, w.padAfter))
        case .globalPooling:
            let input = try single()
            return result(.vector(input.channels), connections: input.elementCount)
        case let .dense(d):
            let input = try single()
            guard d.units >= 1, d.units <= maximumAxisLength else {
                throw .invalidParameter(layer: layer.name, detail: "units must be 1...\(maximumAxisLength), got \(d.units)")
            }
            let n = try product(input.elementCount, d.units)
            return result(.vector(d.units), connections: n, weights: n, biases: d.units, macs: n)
        case .concat:
            guard inputs.count >= 2 else {
                throw .wrongInputCount(layer: layer.name, expected: "2 or more", got: inputs.count)
            }
            let first = inputs[0]
            for shape in inputs where shape.height != first.height || shape.width != first.width {
                throw .shapeMismatch(layer: layer.name, detail: "concat inputs differ in height × width: \(first) and \(shape)")
            }
            let channels = inputs.reduce(0) { $0 + $1.channels }
            let out = TensorShape(height: first.height, width: first.width, channels: channels)
            return result(out, connections: out.elementCount)
        case .add:
            guard inputs.count == 2 else {
                throw .wrongInputCount(layer: layer.name, expected: "2", got: inputs.count)
            }
            guard inputs[0] == inputs[1] else {
                throw .shapeMismatch(layer: layer.name, detail: "add inputs differ: \(inputs[0]) and \(inputs[1])")
            }
            return result(inputs[0], connections: 2 * inputs[0].elementCount)
        case .relu, .softmax:
            let input = try single()
            return result(input, connections: input.elementCount)
        }
    }
}
