/// Packed weights: optional memory, beside the arena, in which the engine
/// re-arranges convolution and fully connected weights once, at creation,
/// for the fastest host kernels (`convolvePacked`, `fullyConnectedPacked`:
/// int16 tap pairs for 8 output channels per vector, no horizontal sums);
/// its band also serves max/min pooling as a temporary row (`poolMaxMinRows`). Like XNNPACK's packed weights, it is filled before the first
/// inference and only read afterwards; `invoke()` still allocates nothing.
///
/// It is optional on purpose: a microcontroller runs the weights in place
/// from flash (no RAM copy) with the same bit-exact results, and the arena
/// plan in the model file does not depend on it.
///
/// Layout (all offsets from the start, 16-byte aligned):
///
///     ┌──────────────────────┬────────────────────┬─────┬──────────────────┐
///     │ UInt32 per layer:    │ packed weights of  │  …  │ the int16 band   │
///     │ offset of its block, │ the first packed   │     │ (largest of      │
///     │ 0 = not packed;      │ convolution        │     │ packedBandValues)│
///     │ then the band's      │                    │     │                  │
///     └──────────────────────┴────────────────────┴─────┴──────────────────┘
public enum PackedWeights {
    /// Whether layer `layer` runs a packed kernel (`convolvePacked`,
    /// `fullyConnectedPacked`) when packed weights exist.
    @inline(__always)
    static func isPacked(_ layer: LayerInfo) -> Bool {
        layer.opcode == .convolution || layer.opcode == .fullyConnected
    }

    /// Kernel rows of a packed layer (1 for fully connected).
    @inline(__always)
    static func kernelHeight(_ layer: LayerInfo) -> Int {
        layer.opcode == .convolution ? layer.geometry.kernelHeight : 1
    }

    /// Taps of one kernel row: kw · C, or the input count of a fully connected layer.
    @inline(__always)
    static func rowTaps(_ model: Model, _ layer: LayerInfo) -> Int {
        let input = model.tensor(layer.input(0)).layout
        return layer.opcode == .convolution
            ? saturatingProduct(layer.geometry.kernelWidth, input.channels, 1) : input.elementCount
    }

    /// Bytes of a packed layer's weights.
    @inline(__always)
    static func weightBytes(_ model: Model, _ layer: LayerInfo) -> Int {
        packedConvolutionWeightBytes(kernelHeight: kernelHeight(layer), rowTaps: rowTaps(model, layer),
                                     outputChannels: model.tensor(layer.output).layout.channels)
    }

    /// Whether a layer runs `poolMaxMinRows`, with the band as its temporary row.
    @inline(__always)
    static func usesRowPooling(_ model: Model, _ layer: LayerInfo) -> Bool {
        (layer.opcode == .maxPool || layer.opcode == .minPool) && model.tensor(layer.input(0)).layout.isContiguous
    }

    /// Int16 band values a packed or row-pooling layer needs.
    @inline(__always)
    static func bandValues(_ model: Model, _ layer: LayerInfo) -> Int {
        if usesRowPooling(model, layer) {
            return (poolingRowTempBytes(inputLayout: model.tensor(layer.input(0)).layout, geometry: layer.geometry,
                                        outputWidth: model.tensor(layer.output).layout.width) + 1) / 2
        }
        return layer.opcode == .convolution
            ? packedBandValues(geometry: layer.geometry, outputWidth: model.tensor(layer.output).layout.width,
                               inputChannels: model.tensor(layer.input(0)).layout.channels)
            : saturatingSum(rowTaps(model, layer), 16)
    }

    /// Header bytes: one UInt32 per layer plus the patches' offset, rounded up to 16.
    @inline(__always)
    static func headerBytes(layerCount: Int) -> Int {
        roundUp16(4 * (layerCount + 1))
    }

    /// Bytes `Engine(model:arena:kernels:packedWeights:)` needs for `model`
    /// (0 when no layer benefits — always on 32-bit ARM, whose builds compile
    /// no packed kernels; `Int.max` if that would overflow).
    public static func bytes(for model: Model) -> Int {
        #if arch(arm)
        return 0  // Cortex-M builds compile no packed kernels
        #else
        var total = headerBytes(layerCount: model.layerCount)
        var maxBand = 0
        for i in 0..<model.layerCount {
            let layer = model.layer(i)
            if usesRowPooling(model, layer) { maxBand = max(maxBand, bandValues(model, layer)) }
            guard isPacked(layer) else { continue }
            maxBand = max(maxBand, bandValues(model, layer))
            total = saturatingSum(total, roundUp16(weightBytes(model, layer)))
        }
        guard maxBand > 0 else { return 0 }
        return saturatingSum(total, saturatingProduct(2, maxBand, 1))
        #endif
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
            header[i] = UInt32(truncatingIfNeeded: offset)
            packConvolutionWeights(model.data(layer.weightsOffset, as: Int8.self),
                                   kernelHeight: kernelHeight(layer), rowTaps: rowTaps(model, layer),
                                   outputChannels: model.tensor(layer.output).layout.channels,
                                   into: (memory + offset).assumingMemoryBound(to: Int16.self))
            offset += roundUp16(weightBytes(model, layer))
        }
        header[model.layerCount] = UInt32(truncatingIfNeeded: offset)
    }

    @inline(__always)
    static func roundUp16(_ n: Int) -> Int {
        n > Int.max - 15 ? Int.max : (n + 15) & ~15
    }
}
