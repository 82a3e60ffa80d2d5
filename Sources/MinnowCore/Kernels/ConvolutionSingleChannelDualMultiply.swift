/// Int8 convolution of ONE input channel with horizontal stride 1 (LeNet-5's
/// C1, Inception-lite's stem) for cores with SMLAD: four neighbouring output
/// columns of one channel at a time.
///
/// Input rows are widened once each into a ring of kh int16 rows
/// (`x − inputZeroPoint`, padding 0). For each output row and channel the
/// weights of a kernel row are paired (w0, w1) (w2, w3) … (w_last, 0); output
/// column x then needs, per pair p, the int16 pair at ring offset x + 2p — an
/// (unaligned) word load. Four columns x…x+3 need the words at offsets
/// 2p…2p+3; the next pair reuses two of them, so each pair costs 1 weight
/// load, 2 input loads and 4 SMLADs.
///
/// Bit-exact with `convolveReference`.
///
/// - scratch: `singleChannelDualMultiplyScratchBytes(...)` bytes, 4-byte aligned:
///   the ring, then one channel's weight pairs.
func convolveSingleChannelDualMultiply(
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout, inputZeroPoint: Int32,
    weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    geometry g: WindowGeometry,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout,
    quantization q: OutputQuantization, scratch: UnsafeMutableRawPointer
) {
    let shape = singleChannelDualMultiplyShape(geometry: g, outputWidth: outputLayout.width)
    let columns = shape.columns, pairs = shape.pairs
    let ring = scratch.assumingMemoryBound(to: Int16.self)
    // One table per output channel, per kernel row: its ring offset in bytes (updated
    // for every output row), then its weight pairs (built once): kh · (pairs + 1) words.
    let tables = (scratch + 2 * g.kernelHeight * columns).assumingMemoryBound(to: UInt32.self)
    let stride = pairs + 1
    let tableWords = g.kernelHeight * stride
    let zeroPoint = Int16(truncatingIfNeeded: inputZeroPoint)
    let kh = g.kernelHeight, kw = g.kernelWidth
    // Plane row r (input row r − padTop, zero outside) lives in ring slot r % kh.
    @inline(__always)
    func fill(_ r: Int) {
        let y = r - g.padTop
        let dst = ring + (r % kh) * columns
        if y < 0 || y >= inputLayout.height {
            for j in 0..<columns { dst[j] = 0 }
            return
        }
        let src = input + y * inputLayout.width * inputLayout.pixelStride
        for j in 0..<columns {
            let x = j - g.padLeft
            dst[j] = (x < 0 || x >= inputLayout.width) ? 0 : Int16(src[x * inputLayout.pixelStride]) &- zeroPoint
        }
    }
    var filled = 0
    let taps = kh * kw
    if usesCrossedPairs(geometry: g) {
        convolveCrossedPairs(geometry: g, ring: ring, columns: columns, tables: tables,
                             weights: weights, bias: bias, output: output, outputLayout: outputLayout,
                             quantization: q, fill: fill)
        return
    }
    for k in 0..<outputLayout.channels {
        let w = weights + k * taps
        for ky in 0..<kh {
            let wr = w + ky * kw
            var pw = tables + k * tableWords + ky * stride + 1
            var kx = 0
            while kx + 2 <= kw { pw.pointee = pairOf(Int16(wr[kx]), Int16(wr[kx + 1])); pw += 1; kx += 2 }
            if kx < kw { pw.pointee = pairOf(Int16(wr[kx]), 0) }
        }
    }
    for outY in 0..<outputLayout.height {
        let first = outY * g.strideHeight
        filled = max(filled, first)
        while filled < first + kh {
            fill(filled)
            filled += 1
        }
        let outRow = output + outY * outputLayout.width * outputLayout.pixelStride
        // This output row's kernel rows, in ring order, into every channel's table.
        var slot = first % kh
        for ky in 0..<kh {
            let offset = UInt32(truncatingIfNeeded: 2 * slot * columns)
            var e = tables + ky * stride
            for _ in 0..<outputLayout.channels { e.pointee = offset; e += tableWords }
            slot = slot + 1 == kh ? 0 : slot + 1
        }
        for k in 0..<outputLayout.channels {
            let table = UnsafePointer(tables + k &* tableWords)
            let tableEnd = table + tableWords
            let start = bias?[k] ?? 0
            let r = ChannelRequantization(q, channel: k, accumulatorBound: accumulatorBound(bias: start, taps: taps))
            let ringBase = UnsafeRawPointer(ring)
            var x0 = 0
            while x0 < outputLayout.width {
                var a0 = start, a1 = start, a2 = start, a3 = start
                let base = ringBase + x0 &* 2
                var t = UnsafePointer(table)
                // One kernel row per step; 5- and 4/6-wide (3 pairs) and 3-wide (2 pairs) rows written out.
                switch pairs {
                case 3:
                    repeat {
                        accumulatePairs(base + Int(Int32(bitPattern: t[0])), t + 1, count: 3, &a0, &a1, &a2, &a3)
                        t += 4
                    } while t != tableEnd
                case 2:
                    repeat {
                        accumulatePairs(base + Int(Int32(bitPattern: t[0])), t + 1, count: 2, &a0, &a1, &a2, &a3)
                        t += 3
                    } while t != tableEnd
                default:
                    repeat {
                        accumulatePairs(base + Int(Int32(bitPattern: t[0])), t + 1, count: pairs, &a0, &a1, &a2, &a3)
                        t += stride
                    } while t != tableEnd
                }
                let out = outRow + (x0 &* outputLayout.pixelStride &+ k)
                let lanes = outputLayout.width &- x0
                let ps = outputLayout.pixelStride
                let v0, v1, v2, v3: Int32
                if r.isFast {
                    v0 = r.fastOutput(a0); v1 = r.fastOutput(a1); v2 = r.fastOutput(a2); v3 = r.fastOutput(a3)
                } else {
                    v0 = r.output(a0); v1 = r.output(a1); v2 = r.output(a2); v3 = r.output(a3)
                }
                out[0] = Int8(truncatingIfNeeded: v0)
                if lanes >= 4 {
                    out[ps] = Int8(truncatingIfNeeded: v1)
                    out[ps &* 2] = Int8(truncatingIfNeeded: v2)
                    out[ps &* 3] = Int8(truncatingIfNeeded: v3)
                } else {
                    if lanes > 1 { out[ps] = Int8(truncatingIfNeeded: v1) }
                    if lanes > 2 { out[ps &* 2] = Int8(truncatingIfNeeded: v2) }
                }
                x0 += 4
            }
        }
    }
}

/// Whether `convolveCrossedPairs` applies: 3×3 kernels (Inception-lite's stem).
/// (The same scheme for 5×5 — table (w0,w1) (w2,w3) (w1,w2) (w3,w4), 12
/// multiply-adds per row and 4 outputs — measured slower on Cortex-M4 than
/// `accumulatePairs`: with 4 accumulators, 4 weight and 4 input words live, LLVM
/// spills in the row loop; split into two 2-accumulator passes it reloads the
/// loop constants instead.)
@inline(__always)
func usesCrossedPairs(geometry g: WindowGeometry) -> Bool {
    g.kernelHeight == 3 && g.kernelWidth == 3
}

/// The 3×3 case of `convolveSingleChannelDualMultiply`, with aligned input loads
/// only. Output columns x…x+3 and kernel row (w0, w1, w2) meet the int16 ring
/// words e0 = (x0, x1), e2 = (x2, x3), e4 (aligned: x is a multiple of 4). The
/// even columns take the pair (w0, w1) and w2 alone, the odd ones w0 alone and
/// the pair (w1, w2):
///
///     a0 = (w0,w1)·e0 + hi(w1,w2)·lo(e2)        SMLAD SMLATB
///     a1 = lo(w0,w1)·hi(e0) + (w1,w2)·e2        SMLABT SMLAD
///     a2, a3 the same one word further
///
/// so a kernel row costs 2 weight words (the table), 3 input words and 8
/// multiply-adds for 4 outputs (`accumulatePairs`: 2 + 6 and 8, half of the input
/// loads unaligned). The tables of all channels (3 · 2 words each) fit in the
/// space the generic layout reserves (3 · 3 words each); the ring offsets of the
/// kernel rows live in the last, never read, word of the first 3 ring rows.
@inline(__always)
func convolveCrossedPairs(
    geometry g: WindowGeometry, ring: UnsafeMutablePointer<Int16>, columns: Int,
    tables: UnsafeMutablePointer<UInt32>, weights: UnsafePointer<Int8>, bias: UnsafePointer<Int32>?,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout, quantization q: OutputQuantization,
    fill: (Int) -> Void
) {
    let kh = g.kernelHeight, kw = g.kernelWidth, taps = kh * kw
    let tableWords = kh * (kw - 1)
    for k in 0..<outputLayout.channels {
        let w = weights + k * taps
        var pw = tables + k * tableWords
        for ky in 0..<kh {
            let wr = w + ky * kw
            @inline(__always) func pair(_ i: Int, _ j: Int) -> UInt32 { pairOf(Int16(wr[i]), Int16(wr[j])) }
            pw[0] = pair(0, 1); pw[1] = pair(1, 2)
            pw += 2
        }
    }
    let rowBytes = 2 * columns
    let ringBase = UnsafeRawPointer(ring)
    // Ring columns: ((width + 3) / 4) · 4 + 4; the last step reads up to column
    // ((width + 3) / 4) · 4 + 1, so the last int16 pair is free.
    let offsetWords = UnsafeMutableRawPointer(ring + columns - 2).assumingMemoryBound(to: Int32.self)
    let ps = outputLayout.pixelStride
    var filled = 0
    for outY in 0..<outputLayout.height {
        let first = outY * g.strideHeight
        filled = max(filled, first)
        while filled < first + kh {
            fill(filled)
            filled += 1
        }
        // Ring byte offsets of kernel rows 0 … kh − 1, kept in the last (never read)
        // word of ring rows 0 … kh − 1: written after this output row's fills.
        var slot = first % kh
        var spare = offsetWords
        for _ in 0..<kh {
            spare.pointee = Int32(truncatingIfNeeded: slot * rowBytes)
            spare += rowBytes / 4
            slot = slot + 1 == kh ? 0 : slot + 1
        }
        let outRow = output + outY * outputLayout.width * ps
        for k in 0..<outputLayout.channels {
            let table = UnsafePointer(tables + k &* tableWords)
            let tableEnd = table + tableWords
            let start = bias?[k] ?? 0
            let r = ChannelRequantization(q, channel: k, accumulatorBound: accumulatorBound(bias: start, taps: taps))
            var x0 = 0
            while x0 < outputLayout.width {
                var a0 = start, a1 = start, a2 = start, a3 = start
                let base = ringBase + x0 &* 2
                // A loop over the kernel rows (written out, LLVM interleaves the
                // rows' chains and spills).
                var t = table, o = UnsafePointer(offsetWords)
                let step = rowBytes / 4
                repeat {
                    accumulateCrossedRow3(base + Int(o.pointee), t, &a0, &a1, &a2, &a3)
                    t += 2; o += step
                } while t != tableEnd
                let out = outRow + (x0 &* ps &+ k)
                let lanes = outputLayout.width &- x0
                let v0, v1, v2, v3: Int32
                if r.isFast {
                    v0 = r.fastOutput(a0); v1 = r.fastOutput(a1); v2 = r.fastOutput(a2); v3 = r.fastOutput(a3)
                } else {
                    v0 = r.output(a0); v1 = r.output(a1); v2 = r.output(a2); v3 = r.output(a3)
                }
                out[0] = Int8(truncatingIfNeeded: v0)
                if lanes >= 4 {
                    out[ps] = Int8(truncatingIfNeeded: v1)
                    out[ps &* 2] = Int8(truncatingIfNeeded: v2)
                    out[ps &* 3] = Int8(truncatingIfNeeded: v3)
                } else {
                    if lanes > 1 { out[ps] = Int8(truncatingIfNeeded: v1) }
                    if lanes > 2 { out[ps &* 2] = Int8(truncatingIfNeeded: v2) }
                }
                x0 &+= 4
            }
        }
    }
}

/// One 3-wide kernel row into four neighbouring outputs (`convolveCrossedPairs`):
/// `p` the 4-byte-aligned int16 ring position of the first output's first tap,
/// `pw` the row's table words (w0, w1) (w1, w2).
@inline(__always)
func accumulateCrossedRow3(_ p: UnsafeRawPointer, _ pw: UnsafePointer<UInt32>,
                           _ a0: inout Int32, _ a1: inout Int32, _ a2: inout Int32, _ a3: inout Int32) {
    let w01 = pw[0], w12 = pw[1]
    let e0 = p.load(as: UInt32.self), e2 = p.load(fromByteOffset: 4, as: UInt32.self)
    let e4 = p.load(fromByteOffset: 8, as: UInt32.self)
    a0 = multiplyAddHighLow(w12, e2, dualMultiplyAdd(w01, e0, a0))
    a1 = dualMultiplyAdd(w12, e2, multiplyAddLowHigh(w01, e0, a1))
    a2 = multiplyAddHighLow(w12, e4, dualMultiplyAdd(w01, e2, a2))
    a3 = dualMultiplyAdd(w12, e4, multiplyAddLowHigh(w01, e2, a3))
}

/// Four neighbouring outputs += one kernel row: `count` weight pairs at `pw`,
/// int16 inputs at `p` (the first output's first tap). Written out for
/// count 2 and 3 (the caller passes literals): 2·count + 2 input words, each
/// loaded once.
@inline(__always)
func accumulatePairs(_ p: UnsafeRawPointer, _ pw: UnsafePointer<UInt32>, count: Int,
                     _ a0: inout Int32, _ a1: inout Int32, _ a2: inout Int32, _ a3: inout Int32) {
    if count == 3 || count == 2 {
        // Words at even int16 offsets are 4-byte aligned (`p` is): plain loads, which
        // LLVM merges into ldrd/ldm; the odd ones are unaligned single loads.
        // Each input word is used as soon as it is loaded and dies after its second
        // use: few live registers (no spills with the rows unrolled).
        let v0 = pw[0], v1 = pw[1]
        let e0 = p.load(as: UInt32.self)
        a0 = dualMultiplyAdd(v0, e0, a0)
        let o1 = loadWord(p + 2)
        a1 = dualMultiplyAdd(v0, o1, a1)
        let e2 = p.load(fromByteOffset: 4, as: UInt32.self)
        a2 = dualMultiplyAdd(v0, e2, a2); a0 = dualMultiplyAdd(v1, e2, a0)
        let o3 = loadWord(p + 6)
        a3 = dualMultiplyAdd(v0, o3, a3); a1 = dualMultiplyAdd(v1, o3, a1)
        let e4 = p.load(fromByteOffset: 8, as: UInt32.self)
        a2 = dualMultiplyAdd(v1, e4, a2)
        let o5 = loadWord(p + 10)
        a3 = dualMultiplyAdd(v1, o5, a3)
        if count == 3 {
            let v2 = pw[2]
            a0 = dualMultiplyAdd(v2, e4, a0); a1 = dualMultiplyAdd(v2, o5, a1)
            let e6 = p.load(fromByteOffset: 12, as: UInt32.self)
            a2 = dualMultiplyAdd(v2, e6, a2)
            let o7 = loadWord(p + 14)
            a3 = dualMultiplyAdd(v2, o7, a3)
        }
        return
    }
    var p = p
    var xa = loadWord(p), xb = loadWord(p + 2)
    for i in 0..<count {
        let v = pw[i]
        let xc = loadWord(p + 4), xd = loadWord(p + 6)
        a0 = dualMultiplyAdd(v, xa, a0); a1 = dualMultiplyAdd(v, xb, a1)
        a2 = dualMultiplyAdd(v, xc, a2); a3 = dualMultiplyAdd(v, xd, a3)
        xa = xc; xb = xd
        p += 4
    }
}

/// Weight pairs per kernel row (⌈kw / 2⌉) and int16 columns per ring row: the
/// output width rounded up to 4 plus 2 per pair (the last 4-column step reads
/// up to column roundUp4(width) + 2·pairs − 1), an even count so rows stay
/// 4-byte aligned. Extents are 16-bit: no overflow.
@inline(__always)
func singleChannelDualMultiplyShape(geometry g: WindowGeometry, outputWidth: Int) -> (pairs: Int, columns: Int) {
    let pairs = (g.kernelWidth + 1) / 2
    return (pairs, ((outputWidth + 3) / 4) * 4 + 2 * pairs)
}

/// Scratch bytes of `convolveSingleChannelDualMultiply`: kh int16 ring rows,
/// then per output channel and kernel row a ring offset and ⌈kw / 2⌉ weight pairs (4 bytes each).
public func singleChannelDualMultiplyScratchBytes(geometry: WindowGeometry, outputWidth: Int,
                                                 outputChannels: Int) -> Int {
    let shape = singleChannelDualMultiplyShape(geometry: geometry, outputWidth: outputWidth)
    return saturatingSum(saturatingProduct(2, geometry.kernelHeight, shape.columns),
                         saturatingProduct(4 * geometry.kernelHeight, shape.pairs + 1, outputChannels))
}
