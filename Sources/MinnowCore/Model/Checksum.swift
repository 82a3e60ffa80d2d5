/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial and final
/// value 0xFFFFFFFF) — the checksum of zlib, PNG and gzip. Detects every
/// single-byte change and every burst of up to 32 bits.
///
/// The CRC-32 of the nine bytes "123456789" is 0xCBF43926.
public struct CRC32: Sendable {
    public private(set) var state: UInt32 = 0xFFFF_FFFF

    public init() {}

    /// Four bits at a time, with a 16-entry table (no large table in flash).
    @inline(__always)
    static func nibbleTable(_ i: UInt32) -> UInt32 {
        switch i & 15 {
        case 0: return 0x0000_0000
        case 1: return 0x1DB7_1064
        case 2: return 0x3B6E_20C8
        case 3: return 0x26D9_30AC
        case 4: return 0x76DC_4190
        case 5: return 0x6B6B_51F4
        case 6: return 0x4DB2_6158
        case 7: return 0x5005_713C
        case 8: return 0xEDB8_8320
        case 9: return 0xF00F_9344
        case 10: return 0xD6D6_A3E8
        case 11: return 0xCB61_B38C
        case 12: return 0x9B64_C2B0
        case 13: return 0x86D3_D2D4
        case 14: return 0xA00A_E278
        default: return 0xBDBD_F21C
        }
    }

    /// Adds `bytes` to the running checksum.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var crc = state
        for byte in bytes {
            crc ^= UInt32(byte)
            crc = (crc >> 4) ^ CRC32.nibbleTable(crc)
            crc = (crc >> 4) ^ CRC32.nibbleTable(crc)
        }
        state = crc
    }

    /// Adds `count` zero bytes.
    public mutating func updateZeros(_ count: Int) {
        var crc = state
        for _ in 0..<count {
            crc = (crc >> 4) ^ CRC32.nibbleTable(crc)
            crc = (crc >> 4) ^ CRC32.nibbleTable(crc)
        }
        state = crc
    }

    /// The checksum of everything added so far.
    public var value: UInt32 { state ^ 0xFFFF_FFFF }
}

/// The CRC-32 of a model file: every byte, with the 4-byte checksum field at
/// `ModelFormat.checksumOffset` read as zero. `bytes.count` ≥ 16.
public func modelChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var crc = CRC32()
    let field = ModelFormat.checksumOffset
    crc.update(UnsafeRawBufferPointer(rebasing: bytes[0..<field]))
    crc.updateZeros(4)
    crc.update(UnsafeRawBufferPointer(rebasing: bytes[(field + 4)...]))
    return crc.value
}
