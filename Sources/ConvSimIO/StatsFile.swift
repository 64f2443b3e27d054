import ConvSimCore
import Foundation

/// A dataset's patch statistics on disk (`convsim stats build|merge`, `gram|analyze|search --stats`):
/// the statistics of consecutive blocks of images, each block `(images, positions, 𝐆^P, its
/// bound, 𝐑, μ, |μ|)` for one kernel size and padding (Documentation/Theory.md#stats).
///
/// Layout: one line of JSON (the header: `format` `convsimkit-stats/2`, `channels`,
/// `kernel_height`, `kernel_width`, `padding`, `block_size`, `images`, `blocks`, `payload_bytes`,
/// `payload_hash` — FNV-1a of the payload, hex), a line feed, then the payload: per block three
/// little-endian Int64 (its images, its output positions, the summation depth of its first
/// moments — `PatchMoments.terms`) and `3·m² + 2·m` binary64 values
/// (`𝐆^P`, its bound, `𝐑`, row-major, then the first moments `μ = Σ_p patch(p)` and `Σ_p |patch(p)|`,
/// `m = C·kh·kw`). Every size is checked against the header and the file before anything is
/// allocated; a damaged or inconsistent file is refused with a message naming it.
public struct StatsFile: Sendable, Equatable {
    public static let format = "convsimkit-stats/2"
    /// Largest order `m = C·kh·kw` read (a block then holds 3·m² values, 400 MB at the limit).
    public static let maxOrder = 4096

    public var channels: Int, kernelHeight: Int, kernelWidth: Int
    public var padding: Padding
    public var blockSize: Int
    /// Per block: its image count, its output positions and `3·m² + 2·m` values.
    public var blocks: [Block]

    public struct Block: Sendable, Equatable {
        public var images: Int, positions: Int, terms: Int
        public var values: [Double]
        public init(images: Int, positions: Int, terms: Int, values: [Double]) {
            self.images = images; self.positions = positions; self.terms = terms; self.values = values
        }
    }

    /// Values per block: `𝐆^P`, its bound, `𝐑` (`m²` each), `μ`, `Σ|patch|` (`m` each).
    public static func valuesPerBlock(order m: Int) -> Int { 3 * m * m + 2 * m }

    public init(channels: Int, kernelHeight: Int, kernelWidth: Int, padding: Padding, blockSize: Int,
                blocks: [Block]) {
        self.channels = channels; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.padding = padding; self.blockSize = blockSize; self.blocks = blocks
    }

    public var order: Int { channels * kernelHeight * kernelWidth }
    public var images: Int { blocks.reduce(0) { $0 + $1.images } }

    public static func == (a: StatsFile, b: StatsFile) -> Bool {
        a.channels == b.channels && a.kernelHeight == b.kernelHeight && a.kernelWidth == b.kernelWidth &&
            a.padding == b.padding && a.blockSize == b.blockSize && a.blocks == b.blocks
    }

    /// Same channels, kernel size, padding and block size: files that can be merged.
    public func sameShape(as other: StatsFile) -> Bool {
        channels == other.channels && kernelHeight == other.kernelHeight && kernelWidth == other.kernelWidth &&
            padding == other.padding && blockSize == other.blockSize
    }

    public func encode() -> Data {
        var payload = Data(capacity: blocks.count * (24 + 8 * Self.valuesPerBlock(order: order)))
        for b in blocks {
            withUnsafeBytes(of: Int64(b.images).littleEndian) { payload.append(contentsOf: $0) }
            withUnsafeBytes(of: Int64(b.positions).littleEndian) { payload.append(contentsOf: $0) }
            withUnsafeBytes(of: Int64(b.terms).littleEndian) { payload.append(contentsOf: $0) }
            for v in b.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload.append(contentsOf: $0) } }
        }
        let header = JSON.object([
            ("format", .string(Self.format)), ("channels", .int(channels)), ("kernel_height", .int(kernelHeight)),
            ("kernel_width", .int(kernelWidth)), ("padding", .string(padding.rawValue)), ("block_size", .int(blockSize)),
            ("images", .int(images)), ("blocks", .int(blocks.count)), ("payload_bytes", .int(payload.count)),
            ("payload_hash", .string(String(FNV.hash(payload), radix: 16))),
        ]).render(pretty: false)
        return Data((header + "\n").utf8) + payload
    }

    /// Reads and decodes the statistics file at `path` (at most 64 GiB).
    /// - Throws: `fileNotFound`, or `malformedFile` naming `path` and what is wrong.
    public static func read(path: String) throws -> StatsFile {
        try IOFiles.decodeFile(path: path, limit: 1 << 36) { try decode($0, path: path) }
    }

    /// - Throws: `malformedFile` naming `path` and what is wrong.
    public static func decode(_ data: Data, path: String) throws -> StatsFile {
        func bad(_ why: String) -> ConvSimError { .malformedFile(path: path, reason: "not a convsim statistics file: \(why)") }
        let bytes = [UInt8](data)
        guard let nl = bytes.prefix(1 << 16).firstIndex(of: UInt8(ascii: "\n")) else { throw bad("no header line in the first 64 KiB") }
        let header: JSONValue
        do { header = try StrictJSON.parse(Data(bytes[..<nl])) } catch { throw bad("header: \(error)") }
        guard case .object(let members) = header else { throw bad("the header is not a JSON object") }
        func field(_ k: String) throws -> JSONValue {
            guard let v = members.first(where: { $0.key == k })?.value else { throw bad("header field '\(k)' missing") }
            return v
        }
        func int(_ k: String, _ range: ClosedRange<Int>) throws -> Int {
            guard case .number(let text) = try field(k), let v = Int(text), range.contains(v) else {
                throw bad("header field '\(k)' must be an integer in \(range.lowerBound)…\(range.upperBound)")
            }
            return v
        }
        func string(_ k: String) throws -> String {
            guard case .string(let s) = try field(k) else { throw bad("header field '\(k)' must be a string") }
            return s
        }
        let stated = try string("format")
        if stated == "convsimkit-stats/1" {
            throw bad("format convsimkit-stats/1 holds no first moments (needed for layers with a bias); rebuild it with convsim stats build")
        }
        guard stated == format else { throw bad("format '\(stated.prefix(40))', expected '\(format)'") }
        let c = try int("channels", 1...maxOrder), kh = try int("kernel_height", 1...maxOrder), kw = try int("kernel_width", 1...maxOrder)
        guard let padding = Padding(rawValue: try string("padding")) else { throw bad("unknown padding '\((try? string("padding")) ?? "?")'") }
        let blockSize = try int("block_size", 1...1 << 20), nBlocks = try int("blocks", 0...1 << 40)
        let images = try int("images", 0...Int(Int64.max)), payloadBytes = try int("payload_bytes", 0...Int.max)
        let (ck, o1) = c.multipliedReportingOverflow(by: kh)
        let (m, o2) = ck.multipliedReportingOverflow(by: kw)
        guard !o1, !o2, m <= maxOrder else { throw bad("order C·kh·kw above \(maxOrder)") }
        let perBlock = 24 + 8 * valuesPerBlock(order: m)
        let (expected, o3) = nBlocks.multipliedReportingOverflow(by: perBlock)
        guard !o3, expected == payloadBytes else { throw bad("payload_bytes \(payloadBytes) does not match \(nBlocks) block(s) of order \(m)") }
        guard bytes.count - (nl + 1) == payloadBytes else {
            throw bad("the payload has \(bytes.count - nl - 1) bytes, the header says \(payloadBytes) (truncated or extended file?)")
        }
        let payload = Data(bytes[(nl + 1)...])
        guard String(FNV.hash(payload), radix: 16) == (try string("payload_hash")) else { throw bad("the payload is damaged (its hash does not match)") }
        var blocks: [Block] = []
        var p = nl + 1
        func u64() -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[p + i]) << (8 * UInt64(i)) }
            p += 8
            return v
        }
        var total = 0
        for k in 0..<nBlocks {
            let n = Int(truncatingIfNeeded: Int64(bitPattern: u64()))
            guard (1...blockSize).contains(n) else { throw bad("block \(k) holds \(n) images, outside 1…\(blockSize)") }
            let positions = Int(truncatingIfNeeded: Int64(bitPattern: u64()))
            let terms = Int(truncatingIfNeeded: Int64(bitPattern: u64()))
            guard positions >= 0, terms >= 0 else { throw bad("block \(k) has a negative count of positions or terms") }
            total += n
            var values = [Double]()
            let count = valuesPerBlock(order: m)
            values.reserveCapacity(count)
            for t in 0..<count {
                let v = Double(bitPattern: u64())
                guard v.isFinite else { throw bad("a non-finite value in block \(k)") }
                if t >= m * m && t < 2 * m * m && v < 0 { throw bad("a negative bound in block \(k)") }
                if t >= 3 * m * m + m && v < 0 { throw bad("a negative sum of |patch| in block \(k)") }
                values.append(v)
            }
            blocks.append(Block(images: n, positions: positions, terms: terms, values: values))
        }
        guard total == images else { throw bad("the blocks hold \(total) images, the header says \(images)") }
        return StatsFile(channels: c, kernelHeight: kh, kernelWidth: kw, padding: padding, blockSize: blockSize, blocks: blocks)
    }
}
