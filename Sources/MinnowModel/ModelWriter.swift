import Foundation
import MinnowCore

/// Serializes a `QuantizedModel` into the model file format
/// (docs/model-format.md), with the arena planned by `MemoryPlan`.
public enum ModelWriter {
    public struct WriteError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The model file bytes. Throws when a count or size does not fit the format.
    public static func serialize(_ model: QuantizedModel) throws -> [UInt8] {
        let a = ModelFormat.alignment
        func align(_ n: Int) -> Int { (n + a - 1) / a * a }
        guard model.tensors.count <= 65_535, model.layers.count <= 65_535, !model.layers.isEmpty else {
            throw WriteError(description: "a model holds 1...65,535 layers and tensors")
        }
        let plan = model.memoryPlan

        let tensorTable = align(ModelFormat.headerBytes)
        let layerTable = align(tensorTable + model.tensors.count * ModelFormat.tensorRecordBytes)
        let dataStart = align(layerTable + model.layers.count * ModelFormat.layerRecordBytes)

        // Data section: per layer, weights then params, each block 16-aligned.
        var data: [UInt8] = []
        var blocks: [(weights: Int, weightsBytes: Int, params: Int, paramsBytes: Int)] = []
        for layer in model.layers {
            var entry = (weights: 0, weightsBytes: 0, params: 0, paramsBytes: 0)
            if !layer.weights.isEmpty {
                entry.weights = dataStart + data.count
                entry.weightsBytes = layer.weights.count
                data += layer.weights.map { UInt8(bitPattern: $0) }
                data += [UInt8](repeating: 0, count: align(data.count) - data.count)
            }
            let params = layer.params
            if !params.isEmpty {
                entry.params = dataStart + data.count
                entry.paramsBytes = params.count * 4
                for v in params { appendU32(&data, UInt32(bitPattern: v)) }
                data += [UInt8](repeating: 0, count: align(data.count) - data.count)
            }
            blocks.append(entry)
        }
        let fileSize = dataStart + data.count
        guard fileSize <= Int(UInt32.max), plan.arenaBytes <= Int(UInt32.max) else {
            throw WriteError(description: "model too large for the format (4 GiB)")
        }

        var out = [UInt8](repeating: 0, count: fileSize)
        func put16(_ offset: Int, _ v: Int) {
            out[offset] = UInt8(v & 0xFF)
            out[offset + 1] = UInt8((v >> 8) & 0xFF)
        }
        func put32(_ offset: Int, _ v: UInt32) {
            for i in 0..<4 { out[offset + i] = UInt8((v >> (8 * UInt32(i))) & 0xFF) }
        }
        func putName(_ offset: Int, _ name: String) {
            for (i, b) in truncatedUTF8(name, maxBytes: ModelFormat.nameBytes - 1).enumerated() { out[offset + i] = b }
        }
        let m = ModelFormat.magic
        out[0] = m.0; out[1] = m.1; out[2] = m.2; out[3] = m.3
        put16(ModelFormat.versionOffset, Int(ModelFormat.version))
        put16(ModelFormat.headerSizeOffset, ModelFormat.headerBytes)
        put32(ModelFormat.fileSizeOffset, UInt32(fileSize))
        put16(ModelFormat.tensorCountOffset, model.tensors.count)
        put16(ModelFormat.layerCountOffset, model.layers.count)
        put16(ModelFormat.inputTensorOffset, model.inputTensor)
        put16(ModelFormat.outputTensorOffset, model.outputTensor)
        put32(ModelFormat.arenaBytesOffset, UInt32(plan.arenaBytes))
        put32(ModelFormat.tensorTableOffsetOffset, UInt32(tensorTable))
        put32(ModelFormat.layerTableOffsetOffset, UInt32(layerTable))
        put32(ModelFormat.dataOffsetOffset, UInt32(dataStart))
        put32(ModelFormat.dataBytesOffset, UInt32(data.count))
        putName(ModelFormat.modelNameOffset, model.name)

        for (t, tensor) in model.tensors.enumerated() {
            let r = tensorTable + t * ModelFormat.tensorRecordBytes
            let s = tensor.shape
            guard s.height <= 65_535, s.width <= 65_535, s.channels <= 65_535 else {
                throw WriteError(description: "tensor '\(tensor.name)' is too large for the format")
            }
            put32(r, UInt32(plan.activations[t].offset))
            put16(r + 4, s.height)
            put16(r + 6, s.width)
            put16(r + 8, s.channels)
            // A slice of a concatenation output steps over the whole output's pixels.
            let stride = plan.slices[t].map { model.tensors[$0.parent].shape.channels } ?? s.channels
            put16(r + 10, stride)
            put32(r + 12, UInt32(bitPattern: tensor.zeroPoint))
            put32(r + 16, tensor.scale.bitPattern)
        }
        for (i, layer) in model.layers.enumerated() {
            let r = layerTable + i * ModelFormat.layerRecordBytes
            guard layer.inputs.count <= ModelFormat.maximumInputs else {
                throw WriteError(description: "layer '\(layer.name)' has more than \(ModelFormat.maximumInputs) inputs")
            }
            out[r] = layer.opcode.rawValue
            out[r + 1] = UInt8(layer.inputs.count)
            put16(r + 2, layer.output)
            for (k, input) in layer.inputs.enumerated() { put16(r + 4 + 2 * k, input) }
            putName(r + 20, layer.name)
            let g = layer.geometry
            for (k, v) in [g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth,
                           g.padTop, g.padLeft, layer.padBottom, layer.padRight].enumerated() {
                guard (0...65_535).contains(v) else {
                    throw WriteError(description: "layer '\(layer.name)': geometry value \(v) does not fit the format")
                }
                put16(r + 36 + 2 * k, v)
            }
            out[r + 52] = UInt8(bitPattern: Int8(clamping: layer.activationMin))
            out[r + 53] = UInt8(bitPattern: Int8(clamping: layer.activationMax))
            out[r + 54] = layer.rounding.rawValue
            let b = blocks[i]
            put32(r + 56, UInt32(b.weights))
            put32(r + 60, UInt32(b.weightsBytes))
            put32(r + 64, UInt32(b.params))
            put32(r + 68, UInt32(b.paramsBytes))
            if let scratch = plan.scratch.first(where: { $0.role == .scratch(layer: i) }) {
                put32(r + 72, UInt32(scratch.offset))
                put32(r + 76, UInt32(scratch.bytes))
            }
        }
        for i in 0..<data.count { out[dataStart + i] = data[i] }
        let checksum = out.withUnsafeBytes { modelChecksum($0) }
        put32(ModelFormat.checksumOffset, checksum)
        return out
    }

    /// Writes the model file atomically: a temporary file in the same
    /// directory, flushed, then renamed over `url`.
    public static func write(_ model: QuantizedModel, to url: URL) throws {
        try writeAtomically(Data(try serialize(model)), to: url)
    }
}

/// Writes `data` to `url` atomically (temp file in the same directory, fsync, rename):
/// an interrupted write leaves the previous file intact.
public func writeAtomically(_ data: Data, to url: URL) throws {
    let directory = url.deletingLastPathComponent()
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
        guard isDirectory.boolValue else {
            throw CocoaError(.fileWriteInvalidFileName, userInfo: [
                NSFilePathErrorKey: directory.path,
                NSLocalizedDescriptionKey: "\(directory.path) is not a directory"])
        }
    } else {
        // Like `mkdir -p` for the output's folder.
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }
    let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
        throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary.path])
    }
    do {
        let handle = try FileHandle(forWritingTo: temporary)
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        guard rename(temporary.path, url.path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw error
    }
}

func appendU32(_ data: inout [UInt8], _ v: UInt32) {
    data += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
}

/// The first bytes of `s` in UTF-8, at most `maxBytes`, never splitting a character.
func truncatedUTF8(_ s: String, maxBytes: Int) -> [UInt8] {
    var out: [UInt8] = []
    for ch in s.unicodeScalars {
        let bytes = Array(String(ch).utf8)
        if out.count + bytes.count > maxBytes { break }
        out += bytes
    }
    return out
}
