/// Bias and requantization constants of one block of 8 output channels as
/// vectors, and how many of its lanes are real channels.
struct PackedBlockParameters {
    var bias: SIMD8<Int32>
    var requantizer: VectorRequantizer
    var lanes: Int

    /// Gathers a block lane by lane (for the partial last block; lanes past
    /// `channels` are 0).
    @inline(__always)
    init(channelStart: Int, channels: Int, bias: UnsafePointer<Int32>?, quantization q: OutputQuantization) {
        self.bias = SIMD8<Int32>()
        var multipliers = SIMD8<Int32>(), shifts = SIMD8<Int32>()
        lanes = min(8, channels - channelStart)
        for i in 0..<lanes {
            self.bias[i] = bias?[channelStart + i] ?? 0
            multipliers[i] = q.multipliers[channelStart + i]
            shifts[i] = q.shifts[channelStart + i]
        }
        requantizer = VectorRequantizer(multiplier: multipliers, shift: shifts)
    }

    /// Block `block`: loaded as vectors when all 8 channels exist, else `tail`.
    @inline(__always)
    init(block: Int, channels: Int, bias: UnsafePointer<Int32>?, quantization q: OutputQuantization,
         tail: PackedBlockParameters) {
        let start = block * 8
        guard start + 8 <= channels else {
            self = tail
            return
        }
        if let bias {
            self.bias = UnsafeRawPointer(bias + start).loadUnaligned(as: SIMD8<Int32>.self)
        } else {
            self.bias = SIMD8<Int32>()
        }
        requantizer = VectorRequantizer(
            multiplier: UnsafeRawPointer(q.multipliers + start).loadUnaligned(as: SIMD8<Int32>.self),
            shift: UnsafeRawPointer(q.shifts + start).loadUnaligned(as: SIMD8<Int32>.self))
        lanes = 8
    }

    /// Requantizes, clamps and stores the block's real lanes (consecutive bytes).
    @inline(__always)
    func store(_ acc: SIMD8<Int32>, quantization q: OutputQuantization, to out: UnsafeMutablePointer<Int8>) {
        let r = pointwiseMin(pointwiseMax(requantizer.apply(acc) &+ SIMD8<Int32>(repeating: q.zeroPoint),
                                          SIMD8<Int32>(repeating: q.activationMin)),
                             SIMD8<Int32>(repeating: q.activationMax))
        storePartial(narrowToInt8(r), count: lanes, to: out)
    }
}

/// The parameters of a layer's first four blocks of 8 channels (32 channels:
/// every layer of LeNet-5 and Inception-lite), computed once per layer; later
/// blocks are computed when asked for.
struct PackedBlockTable {
    let first: (PackedBlockParameters, PackedBlockParameters, PackedBlockParameters, PackedBlockParameters)
    let tail: PackedBlockParameters
    let channels: Int
    let bias: UnsafePointer<Int32>?
    let quantization: OutputQuantization

    @inline(__always)
    init(channels: Int, bias: UnsafePointer<Int32>?, quantization q: OutputQuantization) {
        let blocks = (channels + 7) / 8
        let tail = PackedBlockParameters(channelStart: (blocks - 1) * 8, channels: channels, bias: bias, quantization: q)
        func make(_ b: Int) -> PackedBlockParameters {
            b < blocks ? PackedBlockParameters(block: b, channels: channels, bias: bias, quantization: q, tail: tail) : tail
        }
        first = (make(0), make(1), make(2), make(3))
        self.tail = tail
        self.channels = channels
        self.bias = bias
        quantization = q
    }

    @inline(__always)
    subscript(block: Int) -> PackedBlockParameters {
        switch block {
        case 0: return first.0
        case 1: return first.1
        case 2: return first.2
        case 3: return first.3
        default:
            return PackedBlockParameters(block: block, channels: channels, bias: bias, quantization: quantization, tail: tail)
        }
    }
}
