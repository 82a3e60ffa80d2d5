import Foundation
import MinnowCore
import MinnowModel

/// Why a checkpoint could not be read or written. `description` is one line
/// naming the file and what is wrong with it.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    /// The first 8 bytes are not the Minnow checkpoint magic.
    case notACheckpoint(path: String)
    case unsupportedVersion(path: String, found: UInt32, supported: UInt32)
    /// The file ends before the data its header announces.
    case truncated(path: String, detail: String)
    case checksumMismatch(path: String, stored: UInt32, computed: UInt32)
    case malformed(path: String, detail: String)
    /// The architecture is invalid or the weights do not match it.
    case mismatch(path: String, detail: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "cannot read checkpoint \(path): \(reason)"
        case let .cannotWrite(path, reason): return "cannot write checkpoint \(path): \(reason)"
        case let .notACheckpoint(path): return "\(path) is not a Minnow checkpoint (bad magic)"
        case let .unsupportedVersion(path, found, supported):
            return "checkpoint \(path) has format version \(found); this build reads version \(supported)"
        case let .truncated(path, detail): return "checkpoint \(path) is truncated: \(detail)"
        case let .checksumMismatch(path, stored, computed):
            return "checkpoint \(path) is corrupt: CRC-32 is " + hex(computed) + ", the file says " + hex(stored)
        case let .malformed(path, detail): return "checkpoint \(path) is malformed: \(detail)"
        case let .mismatch(path, detail): return "checkpoint \(path) does not match its architecture: \(detail)"
        }
    }
}

private func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

/// A trained float model: the architecture and every layer's parameters.
///
/// The binary format is documented in docs/checkpoint-format.md: magic
/// "MINNOWCK", version, the architecture as `ArchitectureJSON.encode` text,
/// training metadata, one named float32 tensor per parameter array, and a
/// CRC-32 over everything before it.
public struct Checkpoint: Equatable, Sendable {
    /// The format version this build writes and reads.
    public static let version: UInt32 = 1
    static let magic: [UInt8] = Array("MINNOWCK".utf8)

    public var architecture: Architecture
    /// Parameters of every convolution and dense layer, keyed by layer name.
    public var parameters: [String: LayerParameters]
    /// Free-form training facts (data set, epochs, seed, accuracies...), sorted by key on disk.
    public var metadata: [String: String]

    /// Validates that `parameters` has exactly the layers and sizes `architecture` needs.
    public init(architecture: Architecture, parameters: [String: LayerParameters],
                metadata: [String: String] = [:]) throws(CheckpointError) {
        self.architecture = architecture
        self.parameters = parameters
        self.metadata = metadata
        try Checkpoint.validate(architecture: architecture, parameters: parameters, path: "(in memory)")
    }

    private init(unchecked architecture: Architecture, parameters: [String: LayerParameters],
                 metadata: [String: String]) {
        self.architecture = architecture
        self.parameters = parameters
        self.metadata = metadata
    }

    static func validate(architecture: Architecture, parameters: [String: LayerParameters],
                         path: String) throws(CheckpointError) {
        let analysis: ArchitectureAnalysis
        do {
            analysis = try ArchitectureAnalysis(architecture)
        } catch {
            throw .mismatch(path: path, detail: "invalid architecture: \(error.description)")
        }
        var expected = Set<String>()
        for index in analysis.layers.indices {
            guard let shape = analysis.parameterShape(of: index) else { continue }
            let name = architecture.layers[index].name
            expected.insert(name)
            guard let p = parameters[name] else {
                throw .mismatch(path: path, detail: "no parameters for layer '\(name)'")
            }
            guard p.weights.count == shape.weights else {
                throw .mismatch(path: path, detail: "layer '\(name)' needs \(shape.weights) weights, has \(p.weights.count)")
            }
            guard p.bias.count == shape.bias else {
                throw .mismatch(path: path, detail: "layer '\(name)' needs \(shape.bias) biases, has \(p.bias.count)")
            }
            if shape.batchNorm {
                guard let bn = p.batchNorm else {
                    throw .mismatch(path: path, detail: "layer '\(name)' has batch normalisation but no statistics")
                }
                for (label, values) in [("gamma", bn.gamma), ("beta", bn.beta), ("running mean", bn.runningMean),
                                        ("running variance", bn.runningVariance)] where values.count != shape.bias {
                    throw .mismatch(path: path, detail: "layer '\(name)' needs \(shape.bias) batch-norm \(label) values, has \(values.count)")
                }
                guard bn.epsilon > 0, bn.epsilon.isFinite, bn.runningVariance.allSatisfy({ $0 >= 0 }) else {
                    throw .mismatch(path: path, detail: "layer '\(name)' has a negative batch-norm variance or epsilon")
                }
            } else if p.batchNorm != nil {
                throw .mismatch(path: path, detail: "layer '\(name)' has batch-norm statistics but no batch normalisation")
            }
            let all = p.weights + p.bias + (p.batchNorm.map { $0.gamma + $0.beta + $0.runningMean + $0.runningVariance } ?? [])
            guard all.allSatisfy({ $0.isFinite }) else {
                throw .mismatch(path: path, detail: "layer '\(name)' has a NaN or infinite parameter")
            }
        }
        for name in parameters.keys.sorted() where !expected.contains(name) {
            throw .mismatch(path: path, detail: "parameters for '\(name)', which is not a convolution or dense layer of the architecture")
        }
    }

    // MARK: Folding

    /// Convolution and dense weights and biases with batch normalisation folded
    /// in exactly (inference mode), keyed by layer name:
    ///
    ///     s[c] = gamma[c] / √(runningVariance[c] + epsilon)
    ///     w'[c][...] = w[c][...] · s[c]
    ///     b'[c] = (b[c] − runningMean[c]) · s[c] + beta[c]
    ///
    /// so the int8 graph has only convolution (+ReLU), pooling, dense, concat and add.
    /// Layers without batch normalisation are returned unchanged.
    public func foldedParameters() -> [String: FoldedParameters] {
        var result: [String: FoldedParameters] = [:]
        for (name, p) in parameters {
            guard let bn = p.batchNorm else {
                result[name] = FoldedParameters(weights: p.weights, bias: p.bias)
                continue
            }
            let channels = p.bias.count
            let perChannel = channels == 0 ? 0 : p.weights.count / channels
            var w = p.weights
            var b = p.bias
            for c in 0..<channels {
                let s = Double(bn.gamma[c]) / (Double(bn.runningVariance[c]) + Double(bn.epsilon)).squareRoot()
                for i in 0..<perChannel {
                    w[c * perChannel + i] = Float(Double(p.weights[c * perChannel + i]) * s)
                }
                b[c] = Float((Double(p.bias[c]) - Double(bn.runningMean[c])) * s + Double(bn.beta[c]))
            }
            result[name] = FoldedParameters(weights: w, bias: b)
        }
        return result
    }

    /// This checkpoint with batch normalisation folded away: every `batchNorm`
    /// flag cleared and the folded weights in place. Its float outputs equal
    /// the original's in inference mode (up to float rounding).
    public func folded() -> Checkpoint {
        var arch = architecture
        for i in arch.layers.indices {
            if case var .convolution(c) = arch.layers[i].operation {
                c.batchNorm = false
                arch.layers[i].operation = .convolution(c)
            }
        }
        var params: [String: LayerParameters] = [:]
        for (name, f) in foldedParameters() { params[name] = LayerParameters(weights: f.weights, bias: f.bias) }
        return Checkpoint(unchecked: arch, parameters: params, metadata: metadata)
    }

    // MARK: Encoding

    /// The tensors in file order: layer order, then weights, bias, and the
    /// batch-norm arrays. Names are "<layer>/<array>".
    private func tensors() -> [(String, [Float])] {
        var list: [(String, [Float])] = []
        for layer in architecture.layers {
            guard let p = parameters[layer.name] else { continue }
            list.append((layer.name + "/weights", p.weights))
            list.append((layer.name + "/bias", p.bias))
            if let bn = p.batchNorm {
                list.append((layer.name + "/bn_gamma", bn.gamma))
                list.append((layer.name + "/bn_beta", bn.beta))
                list.append((layer.name + "/bn_running_mean", bn.runningMean))
                list.append((layer.name + "/bn_running_variance", bn.runningVariance))
                list.append((layer.name + "/bn_epsilon", [bn.epsilon]))
            }
        }
        return list
    }

    /// The file bytes (deterministic: the same checkpoint gives the same bytes).
    public func encoded() -> Data {
        var out = [UInt8]()
        let arch = [UInt8](ArchitectureJSON.encode(architecture))
        var meta = "{"
        for (i, key) in metadata.keys.sorted().enumerated() {
            if i > 0 { meta += "," }
            meta += jsonQuoted(key) + ":" + jsonQuoted(metadata[key]!)
        }
        meta += "}"
        let metaBytes = [UInt8](meta.utf8)
        let tensors = tensors()
        out += Checkpoint.magic
        appendU32(&out, Checkpoint.version)
        appendU32(&out, UInt32(arch.count))
        appendU32(&out, UInt32(metaBytes.count))
        appendU32(&out, UInt32(tensors.count))
        out += arch
        out += metaBytes
        for (name, values) in tensors {
            let nameBytes = [UInt8](name.utf8)
            appendU16(&out, UInt16(nameBytes.count))
            out += nameBytes
            appendU32(&out, UInt32(values.count))
            out.reserveCapacity(out.count + 4 * values.count + 4)
            for v in values { appendU32(&out, v.bitPattern) }
        }
        appendU32(&out, crc32(out))
        return Data(out)
    }

    /// Writes the checkpoint atomically: a temporary file in the same
    /// directory, fsync, then rename over `url`.
    public func write(to url: URL) throws {
        let bytes = encoded()
        let path = url.path
        let dir = url.deletingLastPathComponent().path
        let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        var ok = bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        var reason = ok ? "" : String(cString: strerror(errno))
        if ok && fsync(fd) != 0 { ok = false; reason = String(cString: strerror(errno)) }
        close(fd)
        if ok && rename(tmp, path) != 0 { ok = false; reason = String(cString: strerror(errno)) }
        if !ok {
            unlink(tmp)
            throw CheckpointError.cannotWrite(path: path, reason: reason)
        }
        // Make the rename durable too.
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    // MARK: Decoding

    /// Reads and fully validates a checkpoint file.
    public static func read(from url: URL) throws -> Checkpoint {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? error.localizedDescription : "no such file"
            throw CheckpointError.cannotRead(path: url.path, reason: reason)
        }
        return try decode(data, path: url.path)
    }

    /// Decodes checkpoint bytes; `path` only labels error messages.
    public static func decode(_ data: Data, path: String = "(data)") throws(CheckpointError) -> Checkpoint {
        let bytes = [UInt8](data)
        var reader = ByteReader(bytes: bytes, path: path)
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else {
            if bytes.count < 8 && bytes == Array(magic.prefix(bytes.count)) {
                throw .truncated(path: path, detail: "\(bytes.count) bytes, shorter than the header")
            }
            throw .notACheckpoint(path: path)
        }
        reader.offset = 8
        let version = try reader.u32("version")
        guard version == Checkpoint.version else {
            throw .unsupportedVersion(path: path, found: version, supported: Checkpoint.version)
        }
        let archLength = Int(try reader.u32("architecture length"))
        let metaLength = Int(try reader.u32("metadata length"))
        let tensorCount = Int(try reader.u32("tensor count"))
        // The checksum first: corruption anywhere is reported as corruption.
        guard bytes.count >= 4 + reader.offset else { throw .truncated(path: path, detail: "no checksum") }
        let body = bytes.count - 4
        let stored = UInt32(bytes[body]) | UInt32(bytes[body + 1]) << 8 | UInt32(bytes[body + 2]) << 16
            | UInt32(bytes[body + 3]) << 24
        let minimum = reader.offset + archLength + metaLength + tensorCount * 6 + 4
        if bytes.count < minimum {
            throw .truncated(path: path, detail: "\(bytes.count) bytes, the header needs at least \(minimum)")
        }
        let computed = crc32(bytes[0..<body])
        guard stored == computed else {
            throw .checksumMismatch(path: path, stored: stored, computed: computed)
        }
        reader.end = body
        let archBytes = try reader.bytes(archLength, "architecture")
        let architecture: Architecture
        do {
            architecture = try ArchitectureJSON.decode(Data(archBytes))
        } catch {
            throw .malformed(path: path, detail: "architecture JSON: \(error)")
        }
        let metaBytes = try reader.bytes(metaLength, "metadata")
        var metadata: [String: String] = [:]
        if metaLength > 0 {
            guard let object = try? JSONSerialization.jsonObject(with: Data(metaBytes)) as? [String: String] else {
                throw .malformed(path: path, detail: "metadata is not a JSON object of strings")
            }
            metadata = object
        }
        var tensors: [String: [Float]] = [:]
        for _ in 0..<tensorCount {
            let nameLength = Int(try reader.u16("tensor name length"))
            guard let name = String(bytes: try reader.bytes(nameLength, "tensor name"), encoding: .utf8) else {
                throw .malformed(path: path, detail: "a tensor name is not UTF-8")
            }
            let count = Int(try reader.u32("size of \(name)"))
            guard count <= (reader.end - reader.offset) / 4 else {
                throw .truncated(path: path, detail: "tensor '\(name)' needs \(count) floats")
            }
            var values = [Float](repeating: 0, count: count)
            for i in 0..<count { values[i] = Float(bitPattern: try reader.u32(name)) }
            guard tensors[name] == nil else { throw .malformed(path: path, detail: "tensor '\(name)' appears twice") }
            tensors[name] = values
        }
        guard reader.offset == reader.end else {
            throw .malformed(path: path, detail: "\(reader.end - reader.offset) unexpected bytes after the last tensor")
        }
        // Rebuild the per-layer parameters, then check them against the architecture.
        var parameters: [String: LayerParameters] = [:]
        var used = Set<String>()
        func take(_ name: String) -> [Float]? {
            guard let t = tensors[name] else { return nil }
            used.insert(name)
            return t
        }
        for layer in architecture.layers {
            guard let w = take(layer.name + "/weights") else { continue }
            guard let b = take(layer.name + "/bias") else {
                throw .mismatch(path: path, detail: "layer '\(layer.name)' has weights but no bias")
            }
            var bn: BatchNormParameters? = nil
            if let gamma = take(layer.name + "/bn_gamma") {
                guard let beta = take(layer.name + "/bn_beta"), let mean = take(layer.name + "/bn_running_mean"),
                      let variance = take(layer.name + "/bn_running_variance"),
                      let eps = take(layer.name + "/bn_epsilon"), eps.count == 1
                else {
                    throw .mismatch(path: path, detail: "layer '\(layer.name)' has incomplete batch-norm tensors")
                }
                bn = BatchNormParameters(gamma: gamma, beta: beta, runningMean: mean, runningVariance: variance,
                                         epsilon: eps[0])
            }
            parameters[layer.name] = LayerParameters(weights: w, bias: b, batchNorm: bn)
        }
        if let extra = tensors.keys.sorted().first(where: { !used.contains($0) }) {
            throw .mismatch(path: path, detail: "tensor '\(extra)' belongs to no layer of the architecture")
        }
        try validate(architecture: architecture, parameters: parameters, path: path)
        return Checkpoint(unchecked: architecture, parameters: parameters, metadata: metadata)
    }
}

private struct ByteReader {
    let bytes: [UInt8]
    let path: String
    var offset = 0
    var end: Int

    init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
        end = bytes.count
    }

    mutating func bytes(_ n: Int, _ what: String) throws(CheckpointError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= end - offset else {
            throw .truncated(path: path, detail: "\(what) needs \(n) bytes at offset \(offset), \(max(0, end - offset)) left")
        }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    mutating func u32(_ what: String) throws(CheckpointError) -> UInt32 {
        let b = try bytes(4, what)
        let i = b.startIndex
        return UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }

    mutating func u16(_ what: String) throws(CheckpointError) -> UInt16 {
        let b = try bytes(2, what)
        return UInt16(b[b.startIndex]) | UInt16(b[b.startIndex + 1]) << 8
    }
}

@inline(__always)
private func appendU32(_ out: inout [UInt8], _ v: UInt32) {
    out.append(UInt8(truncatingIfNeeded: v))
    out.append(UInt8(truncatingIfNeeded: v >> 8))
    out.append(UInt8(truncatingIfNeeded: v >> 16))
    out.append(UInt8(truncatingIfNeeded: v >> 24))
}

@inline(__always)
private func appendU16(_ out: inout [UInt8], _ v: UInt16) {
    out.append(UInt8(truncatingIfNeeded: v))
    out.append(UInt8(truncatingIfNeeded: v >> 8))
}


/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib and PNG use):
/// `crc32("123456789".utf8) == 0xCBF43926`. The engine core's `CRC32`, the
/// same checksum the model files carry.
public func crc32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var crc = CRC32()
    if let done: Void = bytes.withContiguousStorageIfAvailable({ crc.update(UnsafeRawBufferPointer($0)) }) {
        _ = done
    } else {
        Array(bytes).withUnsafeBytes { crc.update($0) }
    }
    return crc.value
}
