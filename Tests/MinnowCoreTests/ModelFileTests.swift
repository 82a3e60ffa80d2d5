import Testing
@testable import MinnowCore
@testable import MinnowModel

/// Re-stamps the checksum after an edit, so a test reaches the checks behind it.
func restamp(_ bytes: inout [UInt8]) {
    bytes.replaceSubrange(ModelFormat.checksumOffset..<(ModelFormat.checksumOffset + 4), with: [0, 0, 0, 0])
    let crc = bytes.withUnsafeBytes { modelChecksum($0) }
    for i in 0..<4 { bytes[ModelFormat.checksumOffset + i] = UInt8((crc >> (8 * UInt32(i))) & 0xFF) }
}

func put32(_ bytes: inout [UInt8], _ offset: Int, _ v: UInt32) {
    for i in 0..<4 { bytes[offset + i] = UInt8((v >> (8 * UInt32(i))) & 0xFF) }
}

func put16(_ bytes: inout [UInt8], _ offset: Int, _ v: UInt16) {
    bytes[offset] = UInt8(v & 0xFF)
    bytes[offset + 1] = UInt8(v >> 8)
}

/// Loads `bytes`; on success returns the model's arena size.
func load(_ bytes: [UInt8]) -> Result<Int, ModelError> {
    // Copy into 16-aligned memory, as a device would map the file.
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
    defer { storage.deallocate() }
    storage.copyBytes(from: bytes)
    do {
        let model = try Model(bytes: UnsafeRawBufferPointer(rebasing: storage[0..<bytes.count]))
        return .success(model.arenaBytes)
    } catch {
        return .failure(error)
    }
}

@Suite struct ModelFileTests {
    static let model = try! buildModel(smallNet)

    func layerRecord(_ bytes: [UInt8], _ index: Int) -> Int {
        Int(bytes[32]) | Int(bytes[33]) << 8 | Int(bytes[34]) << 16 | Int(bytes[35]) << 24
            + index * ModelFormat.layerRecordBytes
    }

    @Test func validFileLoads() throws {
        #expect(try load(Self.model.bytes).get() == Self.model.quantized.memoryPlan.arenaBytes)
        let bytes = Self.model.bytes
        try bytes.withUnsafeBytes { raw in
            let m = try Model(bytes: raw)
            #expect(m.name == "small")
            #expect(m.layerName(0) == "c1")
            #expect(m.totalMultiplyAdds == (try ArchitectureAnalysis(smallNet)).macs)
            // Weights are used in place: 16-aligned inside the file.
            for i in 0..<m.layerCount where m.layer(i).weightsBytes > 0 {
                #expect(m.layer(i).weightsOffset % 16 == 0)
            }
        }
    }

    @Test func wrongMagic() {
        var b = Self.model.bytes
        b[0] = UInt8(ascii: "X")
        #expect(load(b) == .failure(.badMagic))
    }

    @Test func wrongVersion() {
        var b = Self.model.bytes
        put16(&b, ModelFormat.versionOffset, 2)
        restamp(&b)
        #expect(load(b) == .failure(.unsupportedVersion(2)))
    }

    @Test func truncatedAtEveryLength() {
        let full = Self.model.bytes
        for length in 0..<full.count {
            let result = load(Array(full[0..<length]))
            switch result {
            case .failure(.truncated): break
            default: Issue.record("length \(length): \(result)")
            }
        }
    }

    @Test func everySingleByteChangeIsDetected() {
        let full = Self.model.bytes
        for i in 0..<full.count {
            var b = full
            b[i] ^= 0x5A
            if case .success = load(b) { Issue.record("a change at byte \(i) went unnoticed") }
        }
    }

    @Test func extraTrailingBytes() {
        var b = Self.model.bytes
        b += [0, 0, 0, 0]
        #expect(load(b) == .failure(.fileSizeMismatch(declared: b.count - 4, actual: b.count)))
    }

    @Test func lengthsThatOverflow() {
        for field in [ModelFormat.tensorTableOffsetOffset, ModelFormat.layerTableOffsetOffset,
                      ModelFormat.dataOffsetOffset, ModelFormat.dataBytesOffset] {
            var b = Self.model.bytes
            put32(&b, field, 0xFFFF_FFF0)
            restamp(&b)
            #expect(load(b) == .failure(.malformedHeader), "field at \(field)")
        }
        // A layer's weights offset + length wrapping past 2^32.
        var b = Self.model.bytes
        let r = layerRecord(b, 0)
        put32(&b, r + 56, 0xFFFF_FFF0)
        put32(&b, r + 60, 0x20)
        restamp(&b)
        #expect(load(b) == .failure(.invalidLayer(index: 0, .dataOutOfBounds)))
        // An arena offset far past the arena.
        var c = Self.model.bytes
        let tensorTable = Int(c[28]) | Int(c[29]) << 8
        put32(&c, tensorTable + ModelFormat.tensorRecordBytes, 0xFFFF_FF00)
        restamp(&c)
        #expect(load(c) == .failure(.invalidTensor(index: 1, .outsideArena)))
    }

    @Test func shapesThatDisagree() {
        // Make c1's output tensor one row taller: the geometry no longer matches.
        var b = Self.model.bytes
        let tensorTable = Int(b[28]) | Int(b[29]) << 8
        let r = tensorTable + 1 * ModelFormat.tensorRecordBytes
        put16(&b, r + 4, UInt16(b[r + 4]) + 1)
        restamp(&b)
        switch load(b) {
        case .failure(.invalidLayer(index: 0, .shapeMismatch)), .failure(.invalidLayer(index: 1, _)): break
        case let other: Issue.record("\(other)")
        }
        // A fractional geometry: stride 3 on c1 (10 − 3 + 2) / 3 + 1 = 4, so use stride 4: 2.75.
        var c = Self.model.bytes
        let l = layerRecord(c, 0)
        put16(&c, l + 40, 4)
        restamp(&c)
        #expect(load(c) == .failure(.invalidLayer(index: 0, .geometry(.fractionalOutput(input: 10, filter: 3, padding: 2, stride: 4)))))
    }

    @Test func unknownOpcode() {
        var b = Self.model.bytes
        b[layerRecord(b, 2)] = 200
        restamp(&b)
        #expect(load(b) == .failure(.invalidLayer(index: 2, .unknownOpcode(200))))
    }

    @Test func badTensorReferences() {
        var b = Self.model.bytes
        put16(&b, layerRecord(b, 1) + 4, 900)
        restamp(&b)
        #expect(load(b) == .failure(.invalidLayer(index: 1, .tensorIndexOutOfRange(900))))
        // Layer 1 reading layer 3's output (not computed yet).
        var c = Self.model.bytes
        put16(&c, layerRecord(c, 1) + 4, 4)
        restamp(&c)
        #expect(load(c) == .failure(.invalidLayer(index: 1, .inputNotYetComputed(tensor: 4))))
    }

    @Test func invalidRequantization() {
        var b = Self.model.bytes
        let l = Self.model.quantized.layers[0]
        let r = layerRecord(b, 0)
        let params = Int(b[r + 64]) | Int(b[r + 65]) << 8 | Int(b[r + 66]) << 16
        put32(&b, params + 4 * l.bias.count, 5)  // multiplier 5: below 2^30
        restamp(&b)
        #expect(load(b) == .failure(.invalidLayer(index: 0, .invalidRequantization(channel: 0))))
    }

    @Test func overlappingPlanIsRejected() {
        // Put c2's output (tensor 3) on top of its input (tensor 2).
        var b = Self.model.bytes
        let tensorTable = Int(b[28]) | Int(b[29]) << 8
        let offset2 = Array(b[(tensorTable + 2 * 32)..<(tensorTable + 2 * 32 + 4)])
        b.replaceSubrange((tensorTable + 3 * 32)..<(tensorTable + 3 * 32 + 4), with: offset2)
        restamp(&b)
        switch load(b) {
        case .failure(.invalidTensor(index: 3, .overlapsLiveTensor(other: 2))): break
        case let other: Issue.record("\(other)")
        }
    }

    /// Random byte edits (checksum re-stamped so they reach the record checks):
    /// every result is a model or a typed error; every model that loads runs.
    @Test func randomMutationsNeverTrap() throws {
        var rng = SeededGenerator(seed: 77)
        var loaded = 0
        for base in [Self.model.bytes, try buildModel(branchyNet).bytes] {
            for _ in 0..<3000 {
                var b = base
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let i = Int.random(in: 0..<min(b.count, 900), using: &rng)
                    b[i] = UInt8.random(in: 0...255, using: &rng)
                }
                restamp(&b)
                // A mutated arena size can make a valid model with a huge arena: run only modest ones.
                if case let .success(arena) = load(b), arena <= 1 << 20 {
                    loaded += 1
                    let session = try InferenceSession(modelBytes: b)
                    let input = [Int8](repeating: 3, count: session.model.input.layout.elementCount)
                    _ = try session.run(input)
                }
            }
        }
        #expect(loaded > 0)
    }
}
