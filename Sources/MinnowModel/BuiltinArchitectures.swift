import MinnowCore

/// The architectures Minnow ships, by name.
public enum BuiltinArchitectures {
    /// Names accepted by `named(_:)`.
    public static let names = ["lenet5", "inception-lite"]

    /// The built-in architecture called `name`, or nil.
    public static func named(_ name: String) -> Architecture? {
        switch name.lowercased() {
        case "lenet5", "lenet-5": return lenet5
        case "inception-lite", "inceptionlite", "inception_lite": return inceptionLite
        default: return nil
        }
    }

    /// LeNet-5 on 28×28×1 (C1 with "same" padding), ReLU and max pooling:
    /// 416,520 multiply-adds and 61,706 parameters.
    public static let lenet5 = Architecture(
        name: "lenet5",
        input: TensorShape(height: 28, width: 28, channels: 1),
        layers: [
            Layer("C1", .convolution(Convolution(filters: 6, kernel: .square(5), padding: .same, activation: .relu))),
            Layer("S2", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2)))),
            Layer("C3", .convolution(Convolution(filters: 16, kernel: .square(5), activation: .relu))),
            Layer("S4", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2)))),
            Layer("F5", .dense(Dense(units: 120, activation: .relu))),
            Layer("F6", .dense(Dense(units: 84, activation: .relu))),
            Layer("output", .dense(Dense(units: 10))),
        ]
    )

    /// One inception module: 1×1 | 1×1→3×3 | 1×1→3×3→3×3 | maxpool 3×3/1→1×1,
    /// concatenated. Every convolution has batch normalisation and ReLU.
    static func inceptionModule(
        _ prefix: String, input: String,
        b1: Int, b2: (Int, Int), b3: (Int, Int, Int), b4: Int
    ) -> [Layer] {
        func conv(_ name: String, _ filters: Int, _ k: Int, _ from: String) -> Layer {
            Layer(prefix + name, .convolution(Convolution(
                filters: filters, kernel: .square(k), padding: .same,
                activation: .relu, batchNorm: true)), inputs: [from])
        }
        return [
            conv("_1x1", b1, 1, input),
            conv("_3r", b2.0, 1, input),
            conv("_3x3", b2.1, 3, prefix + "_3r"),
            conv("_5r", b3.0, 1, input),
            conv("_5a", b3.1, 3, prefix + "_5r"),
            conv("_5b", b3.2, 3, prefix + "_5a"),
            Layer(prefix + "_pool", .pooling(Pooling(kind: .max, size: .square(3), stride: .square(1), padding: .same)),
                  inputs: [input]),
            conv("_pp", b4, 1, prefix + "_pool"),
            Layer(prefix, .concat, inputs: [prefix + "_1x1", prefix + "_3x3", prefix + "_5b", prefix + "_pp"]),
        ]
    }

    /// Inception-lite on 28×28×1: a 3×3 stem, max pooling, one inception
    /// module at 14×14 and two at 7×7, global average pooling, a 64→10
    /// classifier. No large fully connected layer; under a third of LeNet-5's
    /// parameters.
    public static let inceptionLite: Architecture = {
        var layers: [Layer] = [
            Layer("stem", .convolution(Convolution(filters: 16, kernel: .square(3), padding: .same,
                                                   activation: .relu, batchNorm: true))),
            Layer("pool1", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2)))),
        ]
        layers += inceptionModule("inc1", input: "pool1", b1: 8, b2: (8, 16), b3: (4, 8, 8), b4: 8)
        layers.append(Layer("pool2", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2)))))
        layers += inceptionModule("inc2", input: "pool2", b1: 16, b2: (16, 24), b3: (8, 12, 12), b4: 12)
        layers += inceptionModule("inc3", input: "inc2", b1: 16, b2: (16, 24), b3: (8, 12, 12), b4: 12)
        layers.append(Layer("gap", .globalPooling(.average)))
        layers.append(Layer("output", .dense(Dense(units: 10))))
        return Architecture(name: "inception-lite", input: TensorShape(height: 28, width: 28, channels: 1),
                            layers: layers)
    }()

    /// A small net with every opcode of the model format once: strided and 1×1
    /// convolutions, min/average/max pooling, concatenation, add, both global
    /// poolings, dense and softmax (12×12×2 → 10). For fixtures and tests.
    public static let everyOpcode = Architecture(name: "allops", input: TensorShape(height: 12, width: 12, channels: 2), layers: [
        Layer("stem", .convolution(Convolution(filters: 8, kernel: .square(3), stride: .square(2), padding: .same, activation: .relu))),
        Layer("b1", .convolution(Convolution(filters: 4, kernel: .square(1), activation: .relu)), inputs: ["stem"]),
        Layer("b2", .convolution(Convolution(filters: 4, kernel: .square(3), padding: .same, activation: .relu)), inputs: ["stem"]),
        Layer("cat", .concat, inputs: ["b1", "b2"]),
        Layer("pmin", .pooling(Pooling(kind: .min, size: .square(3), stride: .square(1), padding: .same)), inputs: ["stem"]),
        Layer("res", .add(.relu), inputs: ["cat", "pmin"]),
        Layer("pavg", .pooling(Pooling(kind: .average, size: .square(3), stride: .square(1), padding: .same))),
        Layer("pmax", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2)))),
        Layer("gmax", .globalPooling(.max)),
        Layer("gap", .globalPooling(.average), inputs: ["pmax"]),
        Layer("both", .concat, inputs: ["gmax", "gap"]),
        Layer("fc", .dense(Dense(units: 10))),
        Layer("prob", .softmax),
    ])
}
