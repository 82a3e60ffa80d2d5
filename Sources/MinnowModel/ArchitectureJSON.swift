import Foundation
import MinnowCore

/// Reading and writing architectures as JSON (format: docs/architecture-format.md).
///
/// ```json
/// {"name": "tiny", "input": [28, 28, 1], "layers": [
///   {"name": "c1", "type": "conv", "filters": 4, "kernel": 3, "padding": "same", "activation": "relu"},
///   {"name": "p1", "type": "maxpool", "size": 2},
///   {"name": "out", "type": "dense", "units": 10}]}
/// ```
public enum ArchitectureJSON {
    /// A malformed architecture file: the message names the layer and field.
    public struct FormatError: Error, CustomStringConvertible, Equatable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    // MARK: Decoding

    public static func decode(_ data: Data) throws -> Architecture {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw FormatError("not valid JSON: \(error.localizedDescription)")
        }
        guard let object = root as? [String: Any] else {
            throw FormatError("the top level must be an object with \"input\" and \"layers\"")
        }
        let name = (object["name"] as? String) ?? "custom"
        guard let inputArray = object["input"] else { throw FormatError("missing \"input\": [height, width, channels]") }
        let dims = try integers(inputArray, field: "input", context: "architecture")
        guard dims.count == 3, dims.allSatisfy({ $0 >= 1 && $0 <= maximumAxisLength }) else {
            throw FormatError("\"input\" must be [height, width, channels], each 1...\(maximumAxisLength)")
        }
        guard let layerList = object["layers"] as? [Any], !layerList.isEmpty else {
            throw FormatError("missing or empty \"layers\" array")
        }
        var layers: [Layer] = []
        for (i, entry) in layerList.enumerated() {
            guard let dict = entry as? [String: Any] else { throw FormatError("layer #\(i + 1) is not an object") }
            layers.append(try layer(dict, index: i))
        }
        return Architecture(name: name, input: TensorShape(height: dims[0], width: dims[1], channels: dims[2]),
                            layers: layers)
    }

    private static func integers(_ value: Any, field: String, context: String) throws -> [Int] {
        if let n = value as? NSNumber, type(of: value) != Bool.self {
            guard let i = exactInt(n) else { throw FormatError("\(context): \"\(field)\" must be a whole number") }
            return [i]
        }
        guard let list = value as? [Any] else { throw FormatError("\(context): \"\(field)\" must be a number or an array of numbers") }
        return try list.map { item in
            guard let n = item as? NSNumber, type(of: item) != Bool.self, let i = exactInt(n) else {
                throw FormatError("\(context): \"\(field)\" must hold whole numbers")
            }
            return i
        }
    }

    private static func exactInt(_ n: NSNumber) -> Int? {
        let d = n.doubleValue
        guard d.isFinite, d == d.rounded(), abs(d) < 1e9 else { return nil }
        return Int(d)
    }

    private static func extent(_ dict: [String: Any], _ field: String, context: String, default value: Extent2?) throws -> Extent2 {
        guard let raw = dict[field] else {
            if let value { return value }
            throw FormatError("\(context): missing \"\(field)\"")
        }
        let n = try integers(raw, field: field, context: context)
        switch n.count {
        case 1: return .square(n[0])
        case 2: return Extent2(n[0], n[1])
        default: throw FormatError("\(context): \"\(field)\" must be n or [height, width]")
        }
    }

    private static func padding(_ dict: [String: Any], context: String) throws -> Padding {
        guard let raw = dict["padding"] else { return .valid }
        if let s = raw as? String {
            switch s {
            case "valid": return .valid
            case "same": return .same
            default: throw FormatError("\(context): \"padding\" must be \"valid\", \"same\", n or [top, bottom, left, right]")
            }
        }
        let n = try integers(raw, field: "padding", context: context)
        switch n.count {
        case 1: return .symmetric(n[0])
        case 2: return .explicit(top: n[0], bottom: n[0], left: n[1], right: n[1])
        case 4: return .explicit(top: n[0], bottom: n[1], left: n[2], right: n[3])
        default: throw FormatError("\(context): \"padding\" must be \"valid\", \"same\", n, [h, w] or [top, bottom, left, right]")
        }
    }

    private static func rounding(_ dict: [String: Any], context: String) throws -> OutputRounding {
        guard let raw = dict["rounding"] else { return .exact }
        switch raw as? String {
        case "exact"?: return .exact
        case "floor"?: return .floor
        case "ceil"?: return .ceil
        default: throw FormatError("\(context): \"rounding\" must be \"exact\", \"floor\" or \"ceil\"")
        }
    }

    private static func activation(_ dict: [String: Any], context: String) throws -> Activation {
        guard let raw = dict["activation"] else { return .none }
        guard let s = raw as? String, let a = Activation(rawValue: s) else {
            throw FormatError("\(context): \"activation\" must be \"relu\" or \"none\"")
        }
        return a
    }

    private static func count(_ dict: [String: Any], _ field: String, context: String) throws -> Int {
        guard let raw = dict[field] else { throw FormatError("\(context): missing \"\(field)\"") }
        let n = try integers(raw, field: field, context: context)
        guard n.count == 1 else { throw FormatError("\(context): \"\(field)\" must be one number") }
        return n[0]
    }

    private static func layer(_ dict: [String: Any], index: Int) throws -> Layer {
        guard let name = dict["name"] as? String, !name.isEmpty else {
            throw FormatError("layer #\(index + 1) has no \"name\"")
        }
        let context = "layer '\(name)'"
        guard let type = dict["type"] as? String else { throw FormatError("\(context): missing \"type\"") }
        var inputs: [String] = []
        if let raw = dict["inputs"] {
            guard let list = raw as? [String] else { throw FormatError("\(context): \"inputs\" must be an array of layer names") }
            inputs = list
        }
        let operation: Operation
        switch type {
        case "conv":
            let kernel = try extent(dict, "kernel", context: context, default: nil)
            operation = .convolution(Convolution(
                filters: try count(dict, "filters", context: context),
                kernel: kernel,
                stride: try extent(dict, "stride", context: context, default: .square(1)),
                padding: try padding(dict, context: context),
                rounding: try rounding(dict, context: context),
                activation: try activation(dict, context: context),
                batchNorm: (dict["batch_norm"] as? Bool) ?? false))
        case "maxpool", "avgpool", "minpool":
            let size = try extent(dict, "size", context: context, default: nil)
            let kind: PoolKind = type == "maxpool" ? .max : (type == "avgpool" ? .average : .min)
            operation = .pooling(Pooling(
                kind: kind, size: size,
                stride: try extent(dict, "stride", context: context, default: size),
                padding: try padding(dict, context: context),
                rounding: try rounding(dict, context: context)))
        case "global_avgpool": operation = .globalPooling(.average)
        case "global_maxpool": operation = .globalPooling(.max)
        case "dense":
            operation = .dense(Dense(units: try count(dict, "units", context: context),
                                     activation: try activation(dict, context: context)))
        case "concat": operation = .concat
        case "add": operation = .add(try activation(dict, context: context))
        case "relu": operation = .relu
        case "softmax": operation = .softmax
        default:
            throw FormatError("\(context): unknown type \"\(type)\" (conv, maxpool, avgpool, minpool, global_avgpool, global_maxpool, dense, concat, add, relu, softmax)")
        }
        return Layer(name, operation, inputs: inputs)
    }

    // MARK: Encoding

    /// Encodes `architecture` as JSON that `decode` reads back to an equal value.
    public static func encode(_ architecture: Architecture) -> Data {
        var layers: [[String: Any]] = []
        for layer in architecture.layers {
            var d: [String: Any] = ["name": layer.name, "type": layer.operation.kindName]
            if !layer.inputs.isEmpty { d["inputs"] = layer.inputs }
            func putPadding(_ p: Padding) {
                switch p {
                case .valid: d["padding"] = "valid"
                case .same: d["padding"] = "same"
                case let .explicit(t, b, l, r): d["padding"] = [t, b, l, r]
                }
            }
            func putRounding(_ r: OutputRounding) {
                if r == .floor { d["rounding"] = "floor" } else if r == .ceil { d["rounding"] = "ceil" }
            }
            switch layer.operation {
            case let .convolution(c):
                d["filters"] = c.filters
                d["kernel"] = [c.kernel.height, c.kernel.width]
                d["stride"] = [c.stride.height, c.stride.width]
                putPadding(c.padding)
                putRounding(c.rounding)
                d["activation"] = c.activation.rawValue
                if c.batchNorm { d["batch_norm"] = true }
            case let .pooling(p):
                d["size"] = [p.size.height, p.size.width]
                d["stride"] = [p.stride.height, p.stride.width]
                putPadding(p.padding)
                putRounding(p.rounding)
            case let .dense(dense):
                d["units"] = dense.units
                d["activation"] = dense.activation.rawValue
            case let .add(a):
                d["activation"] = a.rawValue
            case .globalPooling, .concat, .relu, .softmax:
                break
            }
            layers.append(d)
        }
        let object: [String: Any] = [
            "name": architecture.name,
            "input": [architecture.input.height, architecture.input.width, architecture.input.channels],
            "layers": layers,
        ]
        // Sorted keys: the same architecture always gives the same bytes.
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }
}

/// `s` as a JSON string literal: quotes, backslashes and control characters
/// escaped (RFC 8259), everything else verbatim. Shared by the checkpoint
/// metadata writer and firmware-sim's JSON report.
public func jsonQuoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
