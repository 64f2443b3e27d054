import ConvSimCore

/// Minimization of the Convolutional Similarity by a first-order optimizer — the
/// paper's "iterative initialization" (Adam, lr 0.002, Documentation/Theory.md#training) — with the
/// fast value and exact gradient (`FastSimilarity`, planned once for the run).
public struct MinimizeResult: Sendable {
    /// The final bank: the last bank whose loss was finite.
    public var bank: KernelBank
    /// `losses[t]` is the loss of the bank before step `t`; the last entry is the loss of `bank`.
    public var losses: [Double]
    /// Optimizer steps applied to reach `bank`.
    public var stepsTaken: Int
    /// True when the loss (or gradient) became non-finite and the run stopped early.
    public var stoppedNonFinite: Bool
    /// A sentence for the user when the run stopped early.
    public var message: String?

    public init(bank: KernelBank, losses: [Double], stepsTaken: Int, stoppedNonFinite: Bool, message: String?) {
        self.bank = bank; self.losses = losses; self.stepsTaken = stepsTaken
        self.stoppedNonFinite = stoppedNonFinite; self.message = message
    }
}

public enum Minimizer {
    /// Runs `steps` optimizer steps on `variant`. If a loss or gradient becomes NaN/±∞,
    /// stops, keeps the last bank with a finite loss and says so in the result.
    /// - Throws: `invalidArgument` when the initial bank's loss or gradient is not finite
    ///   (entries so large that the quartic loss overflows).
    public static func minimize(_ bank: KernelBank, variant: CSVariant, optimizer kind: OptimizerKind = .adam,
                                learningRate: Double = 0.002, steps: Int,
                                onStep: ((Int, Double) -> Void)? = nil) throws -> MinimizeResult {
        let fast = try FastSimilarity(shapeOf: bank)
        var opt = Optimizer(kind: kind, learningRate: learningRate)
        var current = bank
        var losses: [Double] = []
        var lastFinite = bank.values
        for t in 0...steps {
            let finite = current.values.allSatisfy { $0.isFinite }
            let r = finite ? fast.evaluate(current, variant: variant, gradient: t < steps) : nil
            let ok = r.map { $0.value.isFinite && ($0.gradient?.allSatisfy { $0.isFinite } ?? true) } ?? false
            if !ok {
                if t == 0 {
                    let largest = bank.values.map(abs).max() ?? 0
                    throw ConvSimError.invalidArgument("the \(variant.rawValue) CS of the initial bank is not finite in binary64 (largest |entry| \(largest)); the loss is quartic in the kernels: rescale them (e.g. divide by a power of two) and retry")
                }
                let what = r.map { $0.value.isFinite ? "gradient" : "loss" } ?? "bank"
                var previous = current
                previous.values = lastFinite
                return MinimizeResult(bank: previous, losses: losses, stepsTaken: t - 1, stoppedNonFinite: true,
                                      message: "the \(what) became non-finite at step \(t) (learning rate \(learningRate) too large?); stopped and kept the bank after step \(t - 1), whose loss \(losses.last ?? .nan) is finite")
            }
            losses.append(r!.value)
            onStep?(t, r!.value)
            if t == steps { break }
            lastFinite = current.values
            opt.apply(&current.values, gradient: r!.gradient!)
        }
        return MinimizeResult(bank: current, losses: losses, stepsTaken: steps, stoppedNonFinite: false, message: nil)
    }
}

extension Minimizer {
    /// Minimizes the CS of a grouped layer (Documentation/Theory.md#groups): the sum over the
    /// `G` groups of each group's CS. The groups share no parameter, and the optimizers update
    /// each parameter from its own gradient, so this is each group minimized on its own;
    /// `losses[t]` is the sum of the groups' losses (over the steps every group reached).
    /// - Throws: `invalidArgument` unless `G ≥ 1` divides `M`; the errors of `minimize`.
    public static func minimize(_ bank: KernelBank, groups g: Int, variant: CSVariant, optimizer kind: OptimizerKind = .adam,
                                learningRate: Double = 0.002, steps: Int,
                                onStep: ((Int, Double) -> Void)? = nil) throws -> MinimizeResult {
        guard g >= 1, bank.count % g == 0 else {
            throw ConvSimError.invalidArgument("--groups \(g) must divide the \(bank.count) kernels")
        }
        if g == 1 {
            return try minimize(bank, variant: variant, optimizer: kind, learningRate: learningRate, steps: steps, onStep: onStep)
        }
        let per = bank.count / g, len = bank.kernelLength
        var out = bank
        var losses: [Double]? = nil
        var stepsTaken = steps, stopped = false
        var messages: [String] = []
        for grp in 0..<g {
            let idx = Array((grp * per)..<((grp + 1) * per))
            let r = try minimize(bank.selecting(idx), variant: variant, optimizer: kind, learningRate: learningRate, steps: steps)
            for t in 0..<(per * len) { out.values[grp * per * len + t] = r.bank.values[t] }
            losses = losses.map { zip($0, r.losses).map(+) } ?? r.losses
            stepsTaken = min(stepsTaken, r.stepsTaken)
            if r.stoppedNonFinite { stopped = true }
            if let m = r.message { messages.append("group \(grp): " + m) }
        }
        let all = losses ?? []
        if let onStep { for (t, l) in all.enumerated() { onStep(t, l) } }
        return MinimizeResult(bank: out, losses: all, stepsTaken: stepsTaken, stoppedNonFinite: stopped,
                              message: messages.isEmpty ? nil : messages.joined(separator: "; "))
    }
}
