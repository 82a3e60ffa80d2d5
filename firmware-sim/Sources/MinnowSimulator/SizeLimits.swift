import Foundation
import MinnowCore
import MinnowModel

/// A guard run before `ArchitectureAnalysis`: it propagates generous upper
/// bounds of every tensor's size and every layer's multiply-adds in floating
/// point, and refuses a net whose counts could not be held exactly (above
/// 2^53), so that absurd hand-written sizes give an error, not an overflow trap.
enum SizeLimits {
    static let limit = 9_007_199_254_740_992.0  // 2^53

    static func check(_ architecture: Architecture) throws(SimulatorError) {
        typealias Dims = (h: Double, w: Double, c: Double)
        var shapes: [String: Dims] = [Architecture.inputName: (Double(architecture.input.height),
                                                                Double(architecture.input.width),
                                                                Double(architecture.input.channels))]
        var total = 0.0
        func refuse(_ layer: String, _ what: String, _ value: Double) -> SimulatorError {
            .invalidArchitecture(name: architecture.name,
                                 reason: "layer '\(layer)': \(what) of about \(String(format: "%.3g", value)) is too large to count")
        }
        for (index, layer) in architecture.layers.enumerated() {
            let inputs = architecture.resolvedInputs(of: index).compactMap { shapes[$0] }
            guard let first = inputs.first else { continue }  // the analysis names the missing input
            func padded(_ p: Padding) -> (Double, Double) {
                switch p {
                case .valid, .same: return (0, 0)
                case let .explicit(t, b, l, r): return (Double(t) + Double(b), Double(l) + Double(r))
                }
            }
            var out: Dims = first
            var macs = 0.0
            switch layer.operation {
            case let .convolution(c):
                let (ph, pw) = padded(c.padding)
                out = (first.h + ph + 1, first.w + pw + 1, Double(c.filters))
                macs = out.h * out.w * out.c * Double(c.kernel.height) * Double(c.kernel.width) * first.c
            case let .pooling(p):
                let (ph, pw) = padded(p.padding)
                out = (first.h + ph + 1, first.w + pw + 1, first.c)
                macs = out.h * out.w * out.c * Double(p.size.height) * Double(p.size.width)
            case .globalPooling:
                out = (1, 1, first.c)
                macs = first.h * first.w * first.c
            case let .dense(d):
                out = (1, 1, Double(d.units))
                macs = first.h * first.w * first.c * out.c
            case .concat:
                out = (first.h, first.w, inputs.reduce(0) { $0 + $1.c })
            case .add, .relu, .softmax:
                break
            }
            let elements = out.h * out.w * out.c
            guard elements < limit else { throw refuse(layer.name, "an output", elements) }
            guard macs < limit else { throw refuse(layer.name, "a work count", macs) }
            total += macs + elements
            guard total < limit else { throw refuse(layer.name, "a running total", total) }
            shapes[layer.name] = out
        }
    }
}
