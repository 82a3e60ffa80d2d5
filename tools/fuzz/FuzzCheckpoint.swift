// libFuzzer target: the float checkpoint reader (`Checkpoint.decode`).
//
// Built by tools/fuzz.sh (swiftc -sanitize=fuzzer,address) with the
// MinnowCore, MinnowModel and MinnowTraining sources. Every input is decoded
// as it is, then again with its trailing CRC-32 re-stamped so that mutations
// reach the header, JSON, tensor and architecture checks. Any outcome other
// than a Checkpoint or a CheckpointError (a trap, an ASan report, a leak of
// the process) is a finding. A checkpoint that decodes must re-encode to the
// same bytes.
import Foundation
import MinnowTraining

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var bytes = size > 0 && data != nil ? [UInt8](UnsafeBufferPointer(start: data, count: size)) : []
    exercise(bytes)
    if bytes.count >= 4 {
        let crc = checksum(bytes, count: bytes.count - 4)
        for i in 0..<4 { bytes[bytes.count - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        exercise(bytes)
    }
    return 0
}

func exercise(_ bytes: [UInt8]) {
    do {
        let checkpoint = try Checkpoint.decode(Data(bytes), path: "fuzz.ckpt")
        let again = checkpoint.encoded()
        guard let back = try? Checkpoint.decode(again) else { fatalError("a decoded checkpoint does not re-encode") }
        if back != checkpoint { fatalError("re-encoded checkpoint differs") }
        _ = checkpoint.foldedParameters()
    } catch {
        if error.description.isEmpty { fatalError("empty error message") }
    }
}

/// CRC-32 (zlib) of the first `count` bytes; a local copy, specialised, so the
/// re-stamp does not dominate the run time.
let table: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

func checksum(_ bytes: [UInt8], count: Int) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    table.withUnsafeBufferPointer { t in
        bytes.withUnsafeBufferPointer { b in
            for i in 0..<count { c = t[Int((c ^ UInt32(b[i])) & 0xFF)] ^ (c >> 8) }
        }
    }
    return c ^ 0xFFFF_FFFF
}
