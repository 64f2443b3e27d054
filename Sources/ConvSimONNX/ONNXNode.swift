import ConvSimCore
import Foundation

/// One attribute value of a node, decoded at load time.
public enum ONNXAttribute: Sendable, Equatable {
    case int(Int), float(Double), string(String), tensor(Tensor)
    case ints([Int]), floats([Double]), strings([String])
}

/// One node of the graph: its operator, its inputs and outputs (value names; `""` is an
/// omitted optional input) and its attributes.
public struct ONNXNode: Sendable {
    /// The node's name in the file, or `#k` (its position) when the file gives none.
    public let name: String
    public let opType: String
    public let inputs: [String]
    public let outputs: [String]
    public let attributes: [String: ONNXAttribute]

    /// `'name' (OpType)`, the way messages name a node.
    public var label: String { "'\(name)' (\(opType))" }

    /// Decodes a node. Graph-valued attributes (subgraphs of If/Loop/Scan) are refused: the
    /// forward pass runs one flat graph.
    static func decode(_ n: Onnx_NodeProto, index: Int, path: String) throws -> ONNXNode {
        let name = n.name.isEmpty ? "#\(index)" : n.name
        var attrs: [String: ONNXAttribute] = [:]
        for a in n.attribute {
            let what = "attribute '\(a.name)' of node '\(name)' (\(n.opType))"
            func int(_ v: Int64) throws -> Int {
                guard let i = Int(exactly: v) else { throw ConvSimError.malformedFile(path: path, reason: "\(what): \(v) is not an integer") }
                return i
            }
            func text(_ d: Data) -> String { String(decoding: d, as: UTF8.self) }
            switch a.type {
            case .int: attrs[a.name] = .int(try int(a.i))
            case .float: attrs[a.name] = .float(Double(a.f))
            case .string: attrs[a.name] = .string(text(a.s))
            case .tensor: attrs[a.name] = .tensor(try TensorDecoding.decode(a.t, what: what, path: path))
            case .ints: attrs[a.name] = .ints(try a.ints.map(int))
            case .floats: attrs[a.name] = .floats(a.floats.map { Double($0) })
            case .strings: attrs[a.name] = .strings(a.strings.map(text))
            case .graph, .graphs:
                throw ConvSimError.malformedFile(path: path, reason: "\(what) is a subgraph; control flow (If, Loop, Scan) is not supported")
            default:
                // Older writers leave `type` unset: infer it from the one field present.
                if a.hasI { attrs[a.name] = .int(try int(a.i)) }
                else if a.hasF { attrs[a.name] = .float(Double(a.f)) }
                else if a.hasS { attrs[a.name] = .string(text(a.s)) }
                else if a.hasT { attrs[a.name] = .tensor(try TensorDecoding.decode(a.t, what: what, path: path)) }
                else if !a.ints.isEmpty { attrs[a.name] = .ints(try a.ints.map(int)) }
                else if !a.floats.isEmpty { attrs[a.name] = .floats(a.floats.map { Double($0) }) }
                else if a.hasG || !a.graphs.isEmpty {
                    throw ConvSimError.malformedFile(path: path, reason: "\(what) is a subgraph; control flow (If, Loop, Scan) is not supported")
                } else {
                    throw ConvSimError.malformedFile(path: path, reason: "\(what) has an unsupported type (\(a.type.rawValue))")
                }
            }
        }
        return ONNXNode(name: name, opType: n.opType, inputs: n.input, outputs: n.output, attributes: attrs)
    }

    // MARK: attribute access (errors name the attribute; the forward pass adds the node)

    func int(_ key: String, default d: Int) throws -> Int {
        switch attributes[key] {
        case nil: return d
        case .int(let v)?: return v
        default: throw ONNXOperatorError("attribute '\(key)' must be an integer")
        }
    }

    func float(_ key: String, default d: Double) throws -> Double {
        switch attributes[key] {
        case nil: return d
        case .float(let v)?: return v
        case .int(let v)?: return Double(v)
        default: throw ONNXOperatorError("attribute '\(key)' must be a float")
        }
    }

    func ints(_ key: String) throws -> [Int]? {
        switch attributes[key] {
        case nil: return nil
        case .ints(let v)?: return v
        case .int(let v)?: return [v]
        default: throw ONNXOperatorError("attribute '\(key)' must be a list of integers")
        }
    }

    func string(_ key: String, default d: String) throws -> String {
        switch attributes[key] {
        case nil: return d
        case .string(let v)?: return v
        default: throw ONNXOperatorError("attribute '\(key)' must be a string")
        }
    }
}
