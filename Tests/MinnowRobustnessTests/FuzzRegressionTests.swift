import Foundation
import MinnowCore
import Testing

/// Inputs that crashed a fuzz target or a hand-made probe of it (docs/robustness.md),
/// kept byte for byte: each must now be refused with an error.
@Suite struct FuzzRegressionTests {
    /// A convolution 65,535 × 65,535 over 1×1×65,535 → 1×1×65,535 (padding 32,767
    /// on every side), size and CRC-32 valid: the expected weights size
    /// 65,535⁴ overflowed Int in `Model.init` (ModelValidation.swift) — a trap,
    /// found by probing the loader's arithmetic while fuzzing. Now
    /// `.weightsSizeMismatch`.
    static let convolutionWeightsOverflow = "TU5XOAEAQAAgAwAAANe7owQAAwAAAAMAAAAQAEAAAADAAAAA4AEAAEABAAB0aW55AAAAAAAAAAAAAAAAAAAAAAAAAAABAAEA/////4D///+BgIA7AAAAAAAAAAAAAAAAAAABAAEAAQD/////gP///9J5QTwAAAAAAAAAAAAAAAAAAAAABAAEAAMAAwCA////0nlBPAAAAAAAAAAAAAAAALAAAAABAAEABAAEAPP////RDaE8AAAAAAAAAAAAAAAAAQEBAAAAAAAAAAAAAAAAAAAAAABjMQAAAAAAAAAAAAAAAAAA/////wEAAQD/f/9//3//f4B/AADgAQAAGwAAAAACAAAkAAAAAAEAADwAAAAAAAAAAAAAAAAAAAAAAAAAAgECAAEAAAAAAAAAAAAAAAAAAABwMQAAAAAAAAAAAAAAAAAAAgACAAIAAgAAAAAAAAAAAIB/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABwEDAAIAAAAAAAAAAAAAAAAAAABvdXQAAAAAAAAAAAAAAAAAAQABAAEAAQAAAAAAAAAAAIB/AAAwAgAAwAAAAPACAAAwAAAAMAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAA/ekLzC2TgUImIWcrTfN/1MCt/+TzqhpKJWB/AAAAAAAAAAAAAAAAAAAAAAABM5VjQc8JZeQbjnD3////+P////f///8AAAAAAAAAAAAAAAA6HAo02/h/Jyr8zB8ZCDIpGvnlZyoQs9/TPi4YKdlK+sj99B2q26wuPCyr/c8A4gClIur4YGMHzORFwW1PxAWxmusdTvXoadq8o9+BCarlLCBD4VDQE7ZKKQ+uxcVb9AABBBuEHFUnFaVqQbcP2QDm8ehInQtD/L6gD5/GMLpYDjTnyvB/kinwCA7KmVEjt3JVAiwZf/g7IsfGD8n+A1MkEtkUHsW6wyvgWjD1s/sHK8kcCNumTe4LA6wHPxMkH/oAAAAAAAAAAAAAAAAAAAAAa2ZQUKOpykmJetVwgI9iUvj////4////9/////j///8="

    @Test func convolutionWeightsSizeOverflowIsAnError() throws {
        let bytes = [UInt8](try #require(Data(base64Encoded: Self.convolutionWeightsOverflow)))
        let error = try #require(modelError(bytes))
        guard case .invalidLayer(index: 0, .weightsSizeMismatch(expected: Int.max, actual: _)) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
    }
}
