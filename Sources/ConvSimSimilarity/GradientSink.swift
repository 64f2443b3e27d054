import Foundation

/// Where a gradient goes while it is being computed: `ConvolutionalSimilarity.evaluate(…,
/// gradientTo:)` hands it consecutive pieces of `∂CS/∂K` in the bank's OIHW order (the first
/// piece starts at entry 0, the last ends at the last entry), so that writing a large gradient
/// to a file overlaps its computation instead of following it.
///
/// `write` is called on one thread at a time, in order; it must not keep the pointer past its
/// return. A thrown error stops the calls that follow and is rethrown by `evaluate`.
public protocol GradientSink: AnyObject, Sendable {
    func write(_ values: UnsafeBufferPointer<Double>) throws
}
