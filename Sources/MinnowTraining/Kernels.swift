import Dispatch

// Float32 kernels of the trainer. Hot loops work on unsafe pointers (no bounds
// checks, no copy-on-write) and are written so LLVM vectorises them: the
// axpy-style loops have no reduction, and the reductions (`dot`) use explicit
// SIMD accumulators, so the order of additions is fixed and the results are
// bit-for-bit reproducible.

/// An owned, zero-initialised float buffer. Pointers never leave the module.
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    func zero() { pointer.update(repeating: 0, count: count) }

    func copy(from array: [Float]) {
        precondition(array.count <= count)
        array.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: array.count) }
    }

    func array(offset: Int = 0, count n: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: pointer + offset, count: n))
    }
}

/// An owned buffer of Int32 (argmax indices of max/min pooling).
final class IndexBuffer {
    let pointer: UnsafeMutablePointer<Int32>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}

/// The number of work chunks a batch is split into. It is a constant, not the
/// core count, so a checkpoint does not depend on the machine: each chunk
/// accumulates its own weight gradients and the chunks are summed in order.
let chunkCount = 2

/// Runs `body(chunk, samples)` for the two halves of `0..<count` on two threads.
@inline(__always)
func forEachChunk(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
    let half = (count + 1) / 2
    if count < 2 {
        body(0, 0..<count)
        body(1, count..<count)
        return
    }
    DispatchQueue.concurrentPerform(iterations: chunkCount) { c in
        body(c, c == 0 ? 0..<half : half..<count)
    }
}

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Σ a[i]·b[i] over `n` elements, with a fixed summation order.
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
    var i = 0
    while i + 16 <= n {
        acc0 = (acc0 + load8(a + i) * load8(b + i))
        acc1 = (acc1 + load8(a + i + 8) * load8(b + i + 8))
        i += 16
    }
    if i + 8 <= n {
        acc0 = (acc0 + load8(a + i) * load8(b + i))
        i += 8
    }
    var s = (acc0 + acc1).sum()
    while i < n {
        s += a[i] * b[i]
        i += 1
    }
    return s
}

/// y[i] += alpha·x[i] over `n` elements.
@inline(__always)
func axpy(_ y: UnsafeMutablePointer<Float>, _ alpha: Float, _ x: UnsafePointer<Float>, _ n: Int) {
    var i = 0
    let a = SIMD8<Float>(repeating: alpha)
    while i + 8 <= n {
        store8((load8(y + i) + a * load8(x + i)), y + i)
        i += 8
    }
    while i < n {
        y[i] += alpha * x[i]
        i += 1
    }
}

/// C[m×n] (=|+=) A·B where A[i][k] is at `a[i·aRow + k·aCol]` and B is row-major
/// k×n. The inner loop runs along n (an axpy), four rows of C at a time.
func gemm(m: Int, n: Int, k: Int,
          a: UnsafePointer<Float>, aRow: Int, aCol: Int,
          b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, accumulate: Bool) {
    if !accumulate { c.update(repeating: 0, count: m * n) }
    var i = 0
    while i + 4 <= m {
        let c0 = c + i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n
        for kk in 0..<k {
            let a0 = SIMD8<Float>(repeating: a[i * aRow + kk * aCol])
            let a1 = SIMD8<Float>(repeating: a[(i + 1) * aRow + kk * aCol])
            let a2 = SIMD8<Float>(repeating: a[(i + 2) * aRow + kk * aCol])
            let a3 = SIMD8<Float>(repeating: a[(i + 3) * aRow + kk * aCol])
            let brow = b + kk * n
            var j = 0
            while j + 8 <= n {
                let bv = load8(brow + j)
                store8((load8(c0 + j) + a0 * bv), c0 + j)
                store8((load8(c1 + j) + a1 * bv), c1 + j)
                store8((load8(c2 + j) + a2 * bv), c2 + j)
                store8((load8(c3 + j) + a3 * bv), c3 + j)
                j += 8
            }
            while j < n {
                let bv = brow[j]
                c0[j] += a0[0] * bv
                c1[j] += a1[0] * bv
                c2[j] += a2[0] * bv
                c3[j] += a3[0] * bv
                j += 1
            }
        }
        i += 4
    }
    while i < m {
        let ci = c + i * n
        for kk in 0..<k {
            axpy(ci, a[i * aRow + kk * aCol], b + kk * n, n)
        }
        i += 1
    }
}

/// The geometry of one convolution or pooling window layer on one sample.
struct WindowGeometry {
    var inHeight: Int, inWidth: Int, channels: Int
    var outHeight: Int, outWidth: Int
    var kernelHeight: Int, kernelWidth: Int
    var strideHeight: Int, strideWidth: Int
    var padTop: Int, padLeft: Int

    var positions: Int { outHeight * outWidth }
    var patch: Int { kernelHeight * kernelWidth * channels }
}

extension WindowGeometry {
    /// Whether the window is a plain 1×1, stride 1, unpadded one (im2col is a transpose).
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1
            && padTop == 0 && padLeft == 0 && outHeight == inHeight && outWidth == inWidth
    }

    /// The output columns `ox` whose tap `kx` falls inside the input: `lo..<hi`.
    @inline(__always)
    func validColumns(_ kx: Int) -> (Int, Int) {
        // ix = ox·S + kx − padLeft ∈ [0, inWidth)
        let first = padLeft - kx
        let lo = first <= 0 ? 0 : (first + strideWidth - 1) / strideWidth
        let last = inWidth - 1 + padLeft - kx
        let hi = last < 0 ? 0 : min(outWidth, last / strideWidth + 1)
        return (min(lo, hi), hi)
    }
}

/// Lowers one NHWC sample to columns: `col[k][p]` with k = (ky, kx, ci) in the
/// OHWI weight order and p = (oy, ox); taps outside the input are 0.
func im2col(_ x: UnsafePointer<Float>, _ g: WindowGeometry, _ col: UnsafeMutablePointer<Float>) {
    let P = g.positions, C = g.channels
    if g.isPointwise {
        transpose(x, rows: P, cols: C, col)
        return
    }
    let step = g.strideWidth * C
    for ky in 0..<g.kernelHeight {
        for kx in 0..<g.kernelWidth {
            let (lo, hi) = g.validColumns(kx)
            for ci in 0..<C {
                let row = col + ((ky * g.kernelWidth + kx) * C + ci) * P
                for oy in 0..<g.outHeight {
                    let iy = oy * g.strideHeight + ky - g.padTop
                    let dst = row + oy * g.outWidth
                    if iy < 0 || iy >= g.inHeight {
                        dst.update(repeating: 0, count: g.outWidth)
                        continue
                    }
                    if lo > 0 { dst.update(repeating: 0, count: lo) }
                    if hi < g.outWidth { (dst + hi).update(repeating: 0, count: g.outWidth - hi) }
                    var src = x + (iy * g.inWidth + lo * g.strideWidth + kx - g.padLeft) * C + ci
                    for ox in lo..<hi {
                        dst[ox] = src[0]
                        src += step
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds `col[k][p]` back onto the sample's input gradient.
func col2imAccumulate(_ col: UnsafePointer<Float>, _ g: WindowGeometry, _ dx: UnsafeMutablePointer<Float>) {
    let P = g.positions, C = g.channels
    if g.isPointwise {
        for p in 0..<P {
            let d = dx + p * C
            for c in 0..<C { d[c] += col[c * P + p] }
        }
        return
    }
    let step = g.strideWidth * C
    for ky in 0..<g.kernelHeight {
        for kx in 0..<g.kernelWidth {
            let (lo, hi) = g.validColumns(kx)
            for ci in 0..<C {
                let row = col + ((ky * g.kernelWidth + kx) * C + ci) * P
                for oy in 0..<g.outHeight {
                    let iy = oy * g.strideHeight + ky - g.padTop
                    if iy < 0 || iy >= g.inHeight { continue }
                    let src = row + oy * g.outWidth
                    var dst = dx + (iy * g.inWidth + lo * g.strideWidth + kx - g.padLeft) * C + ci
                    for ox in lo..<hi {
                        dst[0] += src[ox]
                        dst += step
                    }
                }
            }
        }
    }
}

/// dst[c][r] = src[r][c] for a rows×cols row-major source.
@inline(__always)
func transpose(_ src: UnsafePointer<Float>, rows: Int, cols: Int, _ dst: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let s = src + r * cols
        for c in 0..<cols { dst[c * rows + r] = s[c] }
    }
}
