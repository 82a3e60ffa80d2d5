import Foundation

/// The update rule applied to the flat parameter store after each batch.
public enum OptimizerKind: String, Sendable, CaseIterable {
    /// Adam (β₁ 0.9, β₂ 0.999, ε 1e-8, bias-corrected).
    case adam
    /// Stochastic gradient descent with momentum 0.9: v ← μv + g, θ ← θ − lr·v.
    case sgd

    /// The default learning rate of each rule.
    public var defaultLearningRate: Float { self == .adam ? 0.001 : 0.02 }
}

/// Optimiser state (moments) for `count` parameters.
final class Optimizer {
    let kind: OptimizerKind
    let first: FloatBuffer
    let second: FloatBuffer
    var step = 0
    var beta1: Float = 0.9, beta2: Float = 0.999, adamEpsilon: Float = 1e-8, momentum: Float = 0.9

    init(kind: OptimizerKind, count: Int) {
        self.kind = kind
        first = FloatBuffer(count: count)
        second = FloatBuffer(count: kind == .adam ? count : 0)
    }

    /// One update of `params` by `grad` with learning rate `lr`.
    func update(params: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, count: Int, lr: Float) {
        step += 1
        let m = first.pointer
        switch kind {
        case .sgd:
            let mu = momentum
            for i in 0..<count {
                m[i] = mu * m[i] + grad[i]
                params[i] -= lr * m[i]
            }
        case .adam:
            let v = second.pointer
            let b1 = beta1, b2 = beta2
            let c1 = 1 - Float(pow(Double(b1), Double(step)))
            let c2 = 1 - Float(pow(Double(b2), Double(step)))
            let stepSize = lr / c1
            let invC2 = 1 / c2
            let eps = adamEpsilon
            for i in 0..<count {
                let g = grad[i]
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                params[i] -= stepSize * m[i] / ((v[i] * invC2).squareRoot() + eps)
            }
        }
    }
}
