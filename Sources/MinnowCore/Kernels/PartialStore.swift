/// Stores lanes 0..<count (1...8) of `bytes` to `destination` with at most
/// three stores (4, 2 and 1 bytes) instead of a loop: the last block of a
/// layer whose channel count is not a multiple of 8 (LeNet-5's 6 channels).
@inline(__always)
func storePartial(_ bytes: SIMD8<Int8>, count: Int, to destination: UnsafeMutablePointer<Int8>) {
    if count == 8 {
        UnsafeMutableRawPointer(destination).storeBytes(of: bytes, as: SIMD8<Int8>.self)
        return
    }
    let bits = unsafeBitCast(bytes, to: UInt64.self)  // lane i in bits 8i..<8i+8 (little-endian lanes)
    var offset = 0
    var rest = bits
    if count & 4 != 0 {
        UnsafeMutableRawPointer(destination).storeBytes(of: UInt32(truncatingIfNeeded: rest), as: UInt32.self)
        offset = 4
        rest >>= 32
    }
    if count & 2 != 0 {
        UnsafeMutableRawPointer(destination + offset).storeBytes(of: UInt16(truncatingIfNeeded: rest), as: UInt16.self)
        offset += 2
        rest >>= 16
    }
    if count & 1 != 0 {
        destination[offset] = Int8(truncatingIfNeeded: rest)
    }
}
