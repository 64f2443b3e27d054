/// First-order optimizers with PyTorch's update rules (the authors train with PyTorch).
///
/// - `sgd`:      `p ← p − lr·g`
/// - `momentum`: `v ← μv + g`, `p ← p − lr·v` (`μ = 0.9`, PyTorch `SGD(momentum=0.9)`)
/// - `adam`:     `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`, `m̂ = m/(1−β1ᵗ)`,
///   `v̂ = v/(1−β2ᵗ)`, `p ← p − lr·m̂/(√v̂ + ε)` (`β1 = 0.9`, `β2 = 0.999`, `ε = 1e−8`)
public enum OptimizerKind: String, CaseIterable, Sendable, Codable {
    case sgd, momentum, adam
}

public struct Optimizer: Sendable {
    public let kind: OptimizerKind
    public let learningRate: Double
    public static let momentumCoefficient = 0.9
    public static let beta1 = 0.9
    public static let beta2 = 0.999
    public static let epsilon = 1e-8
    public private(set) var step = 0
    var m: [Double] = []
    var v: [Double] = []

    public init(kind: OptimizerKind, learningRate: Double) {
        self.kind = kind
        self.learningRate = learningRate
    }

    /// Applies one update to `params` given the gradient `g`.
    public mutating func apply(_ params: inout [Double], gradient g: [Double]) {
        precondition(params.count == g.count)
        if m.count != g.count { m = [Double](repeating: 0, count: g.count); v = m }
        step += 1
        let lr = learningRate
        switch kind {
        case .sgd:
            for t in 0..<g.count { params[t] -= lr * g[t] }
        case .momentum:
            let mu = Optimizer.momentumCoefficient
            for t in 0..<g.count {
                m[t] = step == 1 ? g[t] : mu * m[t] + g[t]      // PyTorch: buffer = g on the first step
                params[t] -= lr * m[t]
            }
        case .adam:
            let b1 = Optimizer.beta1, b2 = Optimizer.beta2
            let c1 = 1 - integerPower(b1, step), c2 = 1 - integerPower(b2, step)
            for t in 0..<g.count {
                m[t] = b1 * m[t] + (1 - b1) * g[t]
                v[t] = b2 * v[t] + (1 - b2) * g[t] * g[t]
                let mh = m[t] / c1, vh = v[t] / c2
                params[t] -= lr * mh / (vh.squareRoot() + Optimizer.epsilon)
            }
        }
    }
}

@inline(__always) func integerPower(_ x: Double, _ n: Int) -> Double {
    var r = 1.0
    for _ in 0..<n { r *= x }
    return r
}
