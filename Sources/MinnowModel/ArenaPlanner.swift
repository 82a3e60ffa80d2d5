/// Plans the arena: gives every buffer (activation tensor or kernel scratch)
/// a byte offset such that no two buffers alive at the same step overlap.
///
/// Steps are layer indices: a buffer written by layer `firstStep` and last
/// read by layer `lastStep` is alive on `firstStep...lastStep` (the model
/// input has `firstStep == -1`; a layer's scratch lives on its own step only).
///
/// The strategy is greedy by size, like TensorFlow Lite Micro's default
/// planner: the largest buffer first, each at the lowest aligned offset that
/// does not collide with an already placed buffer whose lifetime overlaps.
/// `lowerBound` is the largest sum of simultaneously live buffer sizes: no
/// plan without in-place reuse can be smaller.
public enum ArenaPlanner {
    public struct Buffer: Equatable, Sendable {
        public var size: Int
        public var firstStep: Int
        public var lastStep: Int
        /// A buffer that shrinks: after step `shrinkAfterStep` only its first
        /// `shrunkSize` bytes stay in use (an in-place pooling output over its
        /// input). nil: the full size for the whole lifetime.
        public var shrunkSize: Int?
        public var shrinkAfterStep: Int

        public init(size: Int, firstStep: Int, lastStep: Int, shrunkSize: Int? = nil, shrinkAfterStep: Int = 0) {
            self.size = size
            self.firstStep = firstStep
            self.lastStep = lastStep
            self.shrunkSize = shrunkSize
            self.shrinkAfterStep = shrinkAfterStep
        }

        func overlapsInTime(_ other: Buffer) -> Bool {
            firstStep <= other.lastStep && other.firstStep <= lastStep
        }

        /// Bytes this buffer occupies while `other` is alive.
        func extent(during other: Buffer) -> Int {
            guard let shrunk = shrunkSize else { return size }
            let fullPhaseOverlaps = firstStep <= other.lastStep && other.firstStep <= shrinkAfterStep
            return fullPhaseOverlaps ? size : shrunk
        }
    }

    public struct Plan: Equatable, Sendable {
        /// Byte offset of each buffer, in the order given.
        public var offsets: [Int]
        /// Bytes the plan needs: the end of the highest buffer, rounded up to the alignment.
        public var totalBytes: Int
    }

    /// Rounds `n` up to a multiple of `alignment` (a power of two).
    public static func alignUp(_ n: Int, _ alignment: Int) -> Int {
        (n + alignment - 1) & ~(alignment - 1)
    }

    /// Plans `buffers`; every offset is a multiple of `alignment` (a power of two).
    /// First fit in a few placement orders — largest first (TFLM's), earliest
    /// first, and largest size × lifetime first — keeping the smallest result
    /// (the first of equals). Deterministic.
    public static func plan(_ buffers: [Buffer], alignment: Int = 16) -> Plan {
        let orders: [(Int, Int) -> Bool] = [
            { a, b in
                let (x, y) = (buffers[a], buffers[b])
                if x.size != y.size { return x.size > y.size }
                if x.firstStep != y.firstStep { return x.firstStep < y.firstStep }
                return a < b
            },
            { a, b in
                let (x, y) = (buffers[a], buffers[b])
                if x.firstStep != y.firstStep { return x.firstStep < y.firstStep }
                if x.size != y.size { return x.size > y.size }
                return a < b
            },
            { a, b in
                let (x, y) = (buffers[a], buffers[b])
                let (u, v) = (x.size * (x.lastStep - x.firstStep + 1), y.size * (y.lastStep - y.firstStep + 1))
                if u != v { return u > v }
                return a < b
            },
            { a, b in
                let (x, y) = (buffers[a], buffers[b])
                let (u, v) = (x.lastStep - x.firstStep, y.lastStep - y.firstStep)
                if u != v { return u > v }
                if x.size != y.size { return x.size > y.size }
                return a < b
            },
        ]
        var best: Plan?
        for order in orders {
            let p = plan(buffers, order: buffers.indices.sorted(by: order), alignment: alignment)
            if best == nil || p.totalBytes < best!.totalBytes { best = p }
        }
        return best!
    }

    /// First fit in the given placement order.
    static func plan(_ buffers: [Buffer], order: [Int], alignment: Int) -> Plan {
        var offsets = [Int](repeating: 0, count: buffers.count)
        var placed: [Int] = []
        var total = 0
        for index in order {
            let buffer = buffers[index]
            let size = alignUp(buffer.size, alignment)
            guard size > 0 else { continue }
            // First fit: move past every placed, time-overlapping buffer whose
            // bytes (while both live) meet ours, until none does.
            let others = placed.filter { buffers[$0].overlapsInTime(buffer) && buffers[$0].size > 0 }
            var candidate = 0
            var moved = true
            while moved {
                moved = false
                for p in others {
                    let mine = alignUp(buffer.extent(during: buffers[p]), alignment)
                    let theirs = alignUp(buffers[p].extent(during: buffer), alignment)
                    if candidate < offsets[p] + theirs && offsets[p] < candidate + mine {
                        candidate = offsets[p] + theirs
                        moved = true
                    }
                }
            }
            offsets[index] = candidate
            placed.append(index)
            total = max(total, candidate + size)
        }
        return Plan(offsets: offsets, totalBytes: total)
    }

    /// The largest sum of (aligned) sizes of buffers alive at one step.
    public static func lowerBound(_ buffers: [Buffer], alignment: Int = 16) -> Int {
        guard let first = buffers.map(\.firstStep).min(), let last = buffers.map(\.lastStep).max() else { return 0 }
        var best = 0
        for step in first...last {
            let live = buffers.filter { $0.firstStep <= step && step <= $0.lastStep }
                .reduce(0) { $0 + alignUp($1.size, alignment) }
            best = max(best, live)
        }
        return best
    }

    /// Whether `plan` is valid for `buffers`: no two time-overlapping buffers share a byte
    /// and every buffer lies inside `plan.totalBytes`.
    public static func isValid(_ plan: Plan, for buffers: [Buffer]) -> Bool {
        for i in buffers.indices {
            let a = buffers[i]
            guard plan.offsets[i] >= 0, plan.offsets[i] + a.size <= plan.totalBytes else { return false }
            for j in buffers.indices where j > i && a.overlapsInTime(buffers[j]) && a.size > 0 && buffers[j].size > 0 {
                let (s1, e1) = (plan.offsets[i], plan.offsets[i] + a.size)
                let (s2, e2) = (plan.offsets[j], plan.offsets[j] + buffers[j].size)
                if s1 < e2 && s2 < e1 { return false }
            }
        }
        return true
    }
}
