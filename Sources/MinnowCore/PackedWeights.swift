/// Packed weights: optional memory, beside the arena, in which the engine
/// re-arranges convolution weights once, at creation, for the fastest host
/// kernels (`convolvePacked`: 8 output channels per vector, no horizontal
/// sums). Like XNNPACK's packed weights, it is filled before the first
/// inference and only read afterwards; `invoke()` still allocates nothing.
///
/// It is optional on purpose: a microcontroller runs the weights in place
/// from flash (no RAM copy) with the same bit-exact results, and the arena
/// plan in the model file does not depend on it.
///
/// Layout (all offsets from the start, 16-byte aligned):
///
///     ┌──────────────────────┬────────────────────┬─────┬──────────────────┐
///     │ UInt32 per layer:    │ packed weights of  │  …  │ the int32 band   │
///     │ offset of its block, │ the first packed   │     │ (largest of      │
///     │ 0 = not packed;      │ convolution        │     │ packedBandValues)│
///     │ then the band's      │                    │     │                  │
///     └──────────────────────┴────────────────────┴─────┴──────────────────┘
public enum PackedWeights {
    /// Whether layer `layer` of `model` runs `convolvePacked` when packed weights exist.
    @inline(__always)
    static func isPacked(_ layer: LayerInfo) -> Bool {
        layer.opcode == .convolution
    }

    /// K = kh · kw · C of a convolution layer.
    @inline(__always)
    static func taps(_ model: Model, _ layer: LayerInfo) -> Int {
        saturatingProduct(layer.geometry.kernelHeight, layer.geometry.kernelWidth,
                          model.tensor(layer.input(0)).layout.channels)
    }

    /// Header bytes: one UInt32 per layer plus the patches' offset, rounded up to 16.
    @inline(__always)
    static func headerBytes(layerCount: Int) -> Int {
        roundUp16(4 * (layerCount + 1))
    }

    /// Bytes `Engine(model:arena:kernels:packedWeights:)` needs for `model`
    /// (0 when no layer benefits; `Int.max` if that would overflow).
    public static func bytes(for model: Model) -> Int {
        var total = headerBytes(layerCount: model.layerCount)
        var maxBand = 0
        for i in 0..<model.layerCount {
            let layer = model.layer(i)
            guard isPacked(layer) else { continue }
            let taps = taps(model, layer)
            maxBand = max(maxBand, packedBandValues(geometry: layer.geometry,
                                                    outputWidth: model.tensor(layer.output).layout.width,
                                                    inputChannels: model.tensor(layer.input(0)).layout.channels))
            let block = packedConvolutionWeightBytes(taps: taps, outputChannels: model.tensor(layer.output).layout.channels)
            total = saturatingSum(total, roundUp16(block))
        }
        guard maxBand > 0 else { return 0 }
        return saturatingSum(total, saturatingProduct(4, maxBand, 1))
    }

    /// Fills `memory` (≥ `bytes(for:)`, 16-byte aligned) for `model`.
    static func pack(_ model: Model, into memory: UnsafeMutableRawPointer) {
        let header = memory.assumingMemoryBound(to: UInt32.self)
        var offset = headerBytes(layerCount: model.layerCount)
        for i in 0..<model.layerCount {
            let layer = model.layer(i)
            guard isPacked(layer) else {
                header[i] = 0
                continue
            }
            let taps = taps(model, layer)
            let channels = model.tensor(layer.output).layout.channels
            header[i] = UInt32(truncatingIfNeeded: offset)
            packConvolutionWeights(model.data(layer.weightsOffset, as: Int8.self), taps: taps,
                                   outputChannels: channels,
                                   into: (memory + offset).assumingMemoryBound(to: Int8.self))
            offset += roundUp16(packedConvolutionWeightBytes(taps: taps, outputChannels: channels))
        }
        header[model.layerCount] = UInt32(truncatingIfNeeded: offset)
    }

    @inline(__always)
    static func roundUp16(_ n: Int) -> Int {
        n > Int.max - 15 ? Int.max : (n + 15) & ~15
    }
}
