/// A floating-point value with a certified radius: the exact quantity it stands for lies in
/// `[value − radius, value + radius]` (Documentation/Theory.md#bounds). The one type for
/// "a number and its a-priori error bound", instead of an optional bound beside a value.
public struct Certified: Sendable, Equatable, CustomStringConvertible {
    public var value: Double
    public var radius: Double
    public init(_ value: Double, radius: Double) { self.value = value; self.radius = radius }

    /// The smallest `|x|` over the interval (0 when it contains 0).
    public var magnitudeLowerBound: Double { max(0, abs(value) - radius) }
    /// Whether `x` lies in the interval.
    public func contains(_ x: Double) -> Bool { abs(x - value) <= radius }

    public var description: String { "\(value) ± \(radius)" }
}
