import ConvSimCore

/// What one strategy returned at the end of a run: its findings (shrunk, certified) and what it
/// measured, typed. No report text: `ConvSimReport.SearchReportRenderer` renders it.
public struct StrategyResult: Sendable, Equatable {
    public var strategy: String
    public var findings: [Finding]
    public var measured: Measurements
    public init(strategy: String, findings: [Finding], measured: Measurements) {
        self.strategy = strategy; self.findings = findings; self.measured = measured
    }
}

/// What each strategy measured, one typed struct per strategy.
public enum Measurements: Sendable, Equatable {
    case adversarial(AdversarialResult)
    case random(RandomResult)
    case gradient(GradientResult)
    case paper41(Paper41Result)
    case channel(ChannelResult)
    case symmetric(SymmetricResult)
}

/// The distribution of a series: n, mean, median, central 95% (type-7 quantiles) and maximum.
public struct SeriesSummary: Sendable, Equatable {
    public var n: Int
    public var mean: Double, median: Double, q025: Double, q975: Double, max: Double
    public init(_ v: [Double]) {
        let s = v.sorted()
        n = v.count
        mean = Stats.mean(v)
        median = Stats.quantile(s, 0.5); q025 = Stats.quantile(s, 0.025); q975 = Stats.quantile(s, 0.975)
        max = s.last ?? .nan
    }
}

/// The run's settings a result is rendered with.
public struct ResultSettings: Sendable, Equatable {
    public var kernelSize: Int
    public var padding: Padding
    /// The redundancy threshold (the double nearest to the exact one).
    public var threshold: Double
    public init(_ config: SearchConfig) {
        kernelSize = config.kernelSize; padding = config.padding; threshold = config.threshold
    }
}

/// `adversarial`: per input, the spectrum of the patch Gram, the T4 bound and the Wielandt pair.
public struct AdversarialResult: Sendable, Equatable {
    public struct Input: Sendable, Equatable {
        public var name: String
        public var channels: Int
        /// Eigenvalues of the patch Gram, ascending.
        public var eigenvalues: [Double]
        /// `(λmax−λmin)/(λmax+λmin)` and the feature-map cosine the Wielandt pair attains (NaN if none).
        public var bound: Double, attainedCosine: Double
        /// The pair's kernel dot product (float, eigenvector rounding).
        public var kernelDot: Double
        /// Whether an exact integer pair at the threshold was found (and certified).
        public var exactPairFound: Bool
        public var lambdaMin: Double { eigenvalues.first ?? .nan }
        public var lambdaMax: Double { eigenvalues.last ?? .nan }
        public init(name: String, channels: Int, eigenvalues: [Double], bound: Double, attainedCosine: Double,
                    kernelDot: Double, exactPairFound: Bool) {
            self.name = name; self.channels = channels; self.eigenvalues = eigenvalues; self.bound = bound
            self.attainedCosine = attainedCosine; self.kernelDot = kernelDot; self.exactPairFound = exactPairFound
        }
    }
    public var settings: ResultSettings
    public var inputs: [Input] = []
    public init(settings: ResultSettings, inputs: [Input] = []) { self.settings = settings; self.inputs = inputs }
}

/// `random`: per input, the feature-map |cos| of every Haar-orthogonal and Gaussian pair.
public struct RandomResult: Sendable, Equatable {
    public struct Input: Sendable, Equatable {
        /// Position of the input in the run (names the figure).
        public var index: Int
        public var name: String
        public var orthogonal: [Double], gaussian: [Double], gaussianKernel: [Double]
        /// Orthogonal pairs with feature-map |cos| at least the threshold.
        public var atLeastThreshold: Int
        public var wielandtBound: Double
        public var fractionAtLeastThreshold: Double { Double(atLeastThreshold) / Double(Swift.max(orthogonal.count, 1)) }
        public init(index: Int, name: String, orthogonal: [Double], gaussian: [Double], gaussianKernel: [Double],
                    atLeastThreshold: Int, wielandtBound: Double) {
            self.index = index; self.name = name; self.orthogonal = orthogonal; self.gaussian = gaussian
            self.gaussianKernel = gaussianKernel; self.atLeastThreshold = atLeastThreshold; self.wielandtBound = wielandtBound
        }
    }
    public var settings: ResultSettings
    public var inputs: [Input] = []
    public init(settings: ResultSettings, inputs: [Input] = []) { self.settings = settings; self.inputs = inputs }
}

/// `gradient`: per input large enough for a bank, each start's final mean pairwise |cos|, the
/// first starts' ascent curves and the best bank's mean |cos|.
public struct GradientResult: Sendable, Equatable {
    public struct Input: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var finalMeanCosine: [Double]
        public var curves: [[Double]]
        public var bestMeanCosine: Double?
        public var wielandtBound: Double
        public init(index: Int, name: String, finalMeanCosine: [Double], curves: [[Double]], bestMeanCosine: Double?, wielandtBound: Double) {
            self.index = index; self.name = name; self.finalMeanCosine = finalMeanCosine; self.curves = curves
            self.bestMeanCosine = bestMeanCosine; self.wielandtBound = wielandtBound
        }
    }
    public var settings: ResultSettings
    /// Kernels per bank, random starts, ascent steps per start.
    public var bankSize: Int, starts: Int, steps: Int
    public var inputs: [Input] = []
    public init(settings: ResultSettings, bankSize: Int, starts: Int, steps: Int, inputs: [Input] = []) {
        self.settings = settings; self.bankSize = bankSize; self.starts = starts; self.steps = steps; self.inputs = inputs
    }
}

/// `paper-4.1`: per run the kernel and feature-map cosines before and after, the change of the
/// feature-map |cos|, and the curves of the first runs.
public struct Paper41Result: Sendable, Equatable {
    public var settings: ResultSettings
    public var runs: Int
    public var kernelBefore: [Double] = [], kernelAfter: [Double] = [], featureBefore: [Double] = [], featureAfter: [Double] = []
    /// `|after| − |before|` of the feature-map cosine, per run.
    public var featureChange: [Double] = []
    public var curves: [[Double]] = []
    public init(settings: ResultSettings, runs: Int) { self.settings = settings; self.runs = runs }

    /// Runs in which the feature-map |cos| rose.
    public var rose: Int { featureChange.filter { $0 > 0 }.count }
    public var fractionRose: Double { Double(rose) / Double(max(runs, 1)) }
    /// Mean of `|kernel cos before| − |kernel cos after|`.
    public var meanKernelReduction: Double { Stats.mean(zip(kernelBefore, kernelAfter).map { abs($0) - abs($1) }) }
    public var medianFeatureChange: Double { Stats.quantile(featureChange.sorted(), 0.5) }
    public var medianAbsFeatureAfter: Double { Stats.quantile(featureAfter.map(abs).sorted(), 0.5) }
    public var minAbsFeatureAfter: Double { featureAfter.map(abs).min() ?? .nan }
    public var medianAbsFeatureBefore: Double { Stats.quantile(featureBefore.map(abs).sorted(), 0.5) }
}

/// `channel`: per input with two channels or more, the feature-map |cos| of every pair of
/// kernels on two different channels (paper CS exactly 0).
public struct ChannelResult: Sendable, Equatable {
    public struct Input: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var cosines: [Double]
        public var atLeastThreshold: Int
        public var fractionAtLeastThreshold: Double { Double(atLeastThreshold) / Double(max(cosines.count, 1)) }
        public init(index: Int, name: String, cosines: [Double], atLeastThreshold: Int) {
            self.index = index; self.name = name; self.cosines = cosines; self.atLeastThreshold = atLeastThreshold
        }
    }
    public var settings: ResultSettings
    /// Empty when no input has two channels or more.
    public var inputs: [Input] = []
    public init(settings: ResultSettings, inputs: [Input] = []) { self.settings = settings; self.inputs = inputs }
}

/// `symmetric`: the normalized paper CS of every pair with `S ≡ 0`, how many were checked
/// exactly, and the most penalized pair with its feature-map cosines under every padding.
public struct SymmetricResult: Sendable, Equatable {
    public struct PaddingCosine: Sendable, Equatable {
        public var padding: Padding
        public var cosine: Double
        /// Certified bound on the error of `<F_a, F_b>`.
        public var bound: Double
        public init(padding: Padding, cosine: Double, bound: Double) { self.padding = padding; self.cosine = cosine; self.bound = bound }
    }
    public struct Best: Sendable, Equatable {
        /// The input the cosines are measured on.
        public var inputName: String
        public var channels: Int
        /// Kernel side (`k + 2`).
        public var size: Int
        public var a: [Double], b: [Double]
        public var normalizedPaperCS: Double
        public var paddings: [PaddingCosine]
        public init(inputName: String, channels: Int, size: Int, a: [Double], b: [Double], normalizedPaperCS: Double, paddings: [PaddingCosine]) {
            self.inputName = inputName; self.channels = channels; self.size = size; self.a = a; self.b = b
            self.normalizedPaperCS = normalizedPaperCS; self.paddings = paddings
        }
    }
    public var settings: ResultSettings
    public var paperCSNormalized: [Double] = []
    public var symmetricPartZero = 0
    public var best: Best?
    public init(settings: ResultSettings) { self.settings = settings }
}
