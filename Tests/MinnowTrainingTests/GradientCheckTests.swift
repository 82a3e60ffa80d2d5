import Testing
import Foundation
import MinnowCore
import MinnowModel
@testable import MinnowTraining

/// Finite-difference checks of every layer kind's backward pass: the loss is
/// the network's own softmax cross-entropy over a final dense layer, and both
/// the parameter gradients and the input gradient are compared with central
/// differences of that loss (accumulated in Double).
struct GradientHarness {
    let network: Network
    var input: [Float]
    let labels: [Int32]
    let count: Int

    init(_ arch: Architecture, batch: Int = 3, seed: UInt64 = 7) throws {
        network = try Network(architecture: arch, seed: seed)
        network.computeInputGradient = true
        count = batch
        var rng = SeededGenerator(seed: seed &+ 100)
        input = (0..<(batch * arch.input.elementCount)).map { _ in Float(rng.nextUnit() * 2 - 1) }
        let classes = network.classCount
        labels = (0..<batch).map { _ in Int32(rng.nextInt(below: classes)) }
        // Non-trivial batch-norm affine parameters and biases.
        for plan in network.plans where plan.weightOffset >= 0 {
            for c in 0..<plan.biasCount {
                network.params.pointer[plan.biasOffset + c] = Float(rng.nextUnit() * 0.2 - 0.1)
                if plan.batchNorm {
                    network.params.pointer[plan.gammaOffset + c] = Float(0.5 + rng.nextUnit())
                    network.params.pointer[plan.betaOffset + c] = Float(rng.nextUnit() * 0.4 - 0.2)
                }
            }
        }
    }

    func loss() -> Double {
        input.withUnsafeBufferPointer { network.setInput($0.baseAddress!, count: count) }
        network.forward(training: true)
        return labels.withUnsafeBufferPointer { network.softmaxCrossEntropy(labels: $0.baseAddress!).lossSum } / Double(count)
    }

    /// Analytic gradients: (parameters, input).
    func analytic() -> ([Float], [Float]) {
        _ = loss()
        network.backward()
        return (network.grad.array(count: network.trainableCount),
                network.inputGrad.array(count: input.count))
    }

    /// Compares analytic and numeric gradients; returns the failures as text.
    mutating func check(eps: Float = 2e-3, maxChecks: Int = 120) -> [String] {
        let (gp, gx) = analytic()
        var failures: [String] = []
        var rng = SeededGenerator(seed: 99)
        func pick(_ n: Int) -> [Int] {
            n <= maxChecks ? Array(0..<n) : Array(rng.permutation(n).prefix(maxChecks))
        }
        var kinks = 0, checked = 0
        func close(_ x: Double, _ y: Double) -> Bool { abs(x - y) <= 1e-3 + 2e-2 * max(abs(x), abs(y)) }
        /// Central differences at eps and eps/2: when they disagree the loss is
        /// not smooth there (a ReLU or max/min switch inside the step), so the
        /// point is skipped; the number of skipped points is bounded below.
        func compare(_ what: String, _ i: Int, _ a: Float, _ numeric: (Float) -> Double) {
            checked += 1
            let n1 = numeric(eps), n2 = numeric(eps / 2)
            if !close(n1, n2) { kinks += 1; return }
            if !close(Double(a), n2) {
                failures.append("\(what)[\(i)]: analytic \(a), numeric \(n2)")
            }
        }
        for i in pick(network.trainableCount) {
            let p = network.params.pointer
            compare("param", i, gp[i]) { e in
                let saved = p[i]
                p[i] = saved + e; let up = loss()
                p[i] = saved - e; let down = loss()
                p[i] = saved
                return (up - down) / Double(2 * e)
            }
        }
        for i in pick(input.count) {
            compare("input", i, gx[i]) { e in
                let saved = input[i]
                input[i] = saved + e; let up = loss()
                input[i] = saved - e; let down = loss()
                input[i] = saved
                return (up - down) / Double(2 * e)
            }
        }
        if kinks * 10 > checked { failures.append("\(kinks) of \(checked) points were not smooth") }
        return failures
    }
}

private func arch(_ input: (Int, Int, Int), _ layers: [Layer]) -> Architecture {
    Architecture(name: "check", input: TensorShape(height: input.0, width: input.1, channels: input.2), layers: layers)
}

private func conv(_ name: String, _ f: Int, _ k: Extent2, stride: Extent2 = .square(1), padding: Padding = .valid,
                  rounding: OutputRounding = .exact, relu: Bool = false, bn: Bool = false,
                  inputs: [String] = []) -> Layer {
    Layer(name, .convolution(Convolution(filters: f, kernel: k, stride: stride, padding: padding, rounding: rounding,
                                         activation: relu ? .relu : .none, batchNorm: bn)), inputs: inputs)
}

private func out(_ units: Int = 3, inputs: [String] = []) -> Layer {
    Layer("out", .dense(Dense(units: units)), inputs: inputs)
}

@Suite struct GradientCheckTests {
    func expectGradients(_ a: Architecture, batch: Int = 3, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var h = try GradientHarness(a, batch: batch)
        let failures = h.check()
        let ok = failures.isEmpty
        #expect(ok, "\(failures.count) mismatches, first: \(failures.prefix(5).joined(separator: "; "))",
                sourceLocation: sourceLocation)
    }

    @Test func convolutionValidWithFusedReLU() throws {
        try expectGradients(arch((6, 6, 2), [conv("c", 3, .square(3), relu: true), out()]))
    }

    @Test func convolutionStrideAndAsymmetricExplicitPadding() throws {
        try expectGradients(arch((8, 6, 2), [
            conv("c", 3, Extent2(3, 2), stride: Extent2(2, 1), padding: .explicit(top: 1, bottom: 0, left: 2, right: 1)),
            out(),
        ]))
    }

    @Test func convolutionSamePaddingStrideTwoAndCeilRounding() throws {
        try expectGradients(arch((7, 7, 1), [
            conv("same", 2, .square(3), stride: .square(2), padding: .same, relu: true),
            conv("ceil", 2, .square(2), stride: .square(2), rounding: .ceil),
            out(),
        ]))
    }

    @Test func oneByOneConvolution() throws {
        try expectGradients(arch((4, 4, 3), [conv("c", 4, .square(1)), out()]))
    }

    @Test func batchNormInTrainingMode() throws {
        try expectGradients(arch((5, 5, 2), [conv("c", 3, .square(3), padding: .same, relu: true, bn: true), out()]), batch: 4)
    }

    @Test func maxPoolingWithPaddingAndRounding() throws {
        try expectGradients(arch((6, 6, 2), [
            conv("c", 2, .square(1)),
            Layer("p1", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2)))),
            out(),
        ]))
        try expectGradients(arch((7, 7, 1), [
            conv("c", 2, .square(1)),
            Layer("p", .pooling(Pooling(kind: .max, size: .square(3), stride: .square(2), padding: .same))),
            Layer("q", .pooling(Pooling(kind: .max, size: .square(2), stride: .square(2), rounding: .ceil))),
            out(),
        ]))
    }

    @Test func averagePoolingCountsOnlyInBoundsTaps() throws {
        try expectGradients(arch((5, 5, 2), [
            conv("c", 2, .square(1)),
            Layer("p", .pooling(Pooling(kind: .average, size: .square(3), stride: .square(1), padding: .same))),
            Layer("q", .pooling(Pooling(kind: .average, size: .square(2), stride: .square(2), rounding: .ceil))),
            out(),
        ]))
    }

    @Test func minPooling() throws {
        try expectGradients(arch((5, 5, 2), [
            conv("c", 2, .square(1)),
            Layer("p", .pooling(Pooling(kind: .min, size: .square(2), stride: .square(1),
                                        padding: .explicit(top: 1, bottom: 0, left: 0, right: 1)))),
            out(),
        ]))
    }

    @Test func globalAverageAndMaxPooling() throws {
        try expectGradients(arch((4, 4, 2), [conv("c", 3, .square(3), padding: .same), Layer("g", .globalPooling(.average)), out()]))
        try expectGradients(arch((4, 4, 2), [conv("c", 3, .square(3), padding: .same), Layer("g", .globalPooling(.max)), out()]))
    }

    @Test func denseWithReLUOverNHWCFlatten() throws {
        try expectGradients(arch((3, 3, 2), [Layer("f", .dense(Dense(units: 5, activation: .relu))), out()]))
    }

    @Test func concatOfBranches() throws {
        try expectGradients(arch((4, 4, 2), [
            conv("a", 2, .square(1), relu: true, inputs: ["input"]),
            conv("b", 3, .square(3), padding: .same, inputs: ["input"]),
            Layer("pool", .pooling(Pooling(kind: .max, size: .square(3), stride: .square(1), padding: .same)), inputs: ["input"]),
            Layer("cat", .concat, inputs: ["a", "b", "pool"]),
            out(),
        ]))
    }

    @Test func residualAddWithReLU() throws {
        try expectGradients(arch((4, 4, 2), [
            conv("a", 2, .square(3), padding: .same, relu: true),
            conv("b", 2, .square(3), padding: .same),
            Layer("sum", .add(.relu), inputs: ["b", "input"]),
            out(),
        ]))
    }

    @Test func standaloneReLU() throws {
        try expectGradients(arch((4, 4, 2), [conv("c", 3, .square(3), padding: .same), Layer("r", .relu), out()]))
    }

    @Test func softmaxLayerAndSoftmaxCrossEntropy() throws {
        // A softmax in the middle (its own backward), and a final softmax (the loss reads its input).
        try expectGradients(arch((3, 3, 2), [
            conv("c", 4, .square(1)),
            Layer("sm", .softmax),
            Layer("f", .dense(Dense(units: 3))),
            Layer("prob", .softmax),
        ]))
    }

    @Test func builtinInceptionModuleShape() throws {
        // One inception module with batch norm on a small input: every branch kind at once.
        var layers: [Layer] = [conv("stem", 4, .square(3), padding: .same, relu: true, bn: true)]
        layers += BuiltinArchitectures.inceptionModuleForTests("m", input: "stem")
        layers.append(Layer("gap", .globalPooling(.average)))
        layers.append(out())
        try expectGradients(arch((6, 6, 1), layers), batch: 4)
    }
}

extension BuiltinArchitectures {
    /// A tiny module with the same structure as the built-in ones.
    static func inceptionModuleForTests(_ prefix: String, input: String) -> [Layer] {
        func c(_ name: String, _ f: Int, _ k: Int, _ from: String) -> Layer {
            Layer(prefix + name, .convolution(Convolution(filters: f, kernel: .square(k), padding: .same,
                                                          activation: .relu, batchNorm: true)), inputs: [from])
        }
        return [
            c("_1x1", 2, 1, input), c("_3r", 2, 1, input), c("_3x3", 2, 3, prefix + "_3r"),
            Layer(prefix + "_pool", .pooling(Pooling(kind: .max, size: .square(3), stride: .square(1), padding: .same)),
                  inputs: [input]),
            c("_pp", 2, 1, prefix + "_pool"),
            Layer(prefix, .concat, inputs: [prefix + "_1x1", prefix + "_3x3", prefix + "_pp"]),
        ]
    }
}
