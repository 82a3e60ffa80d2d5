/// `--svg`: one picture of where the work and the bytes go.
///
/// Top panel: multiply-adds per layer (bars). Bottom panel: the arena over
/// time — x is the layer step (shared with the top panel), y the byte offset
/// in the arena, one rectangle per buffer from the step that writes it to the
/// step that last reads it, as tall as its bytes. A black step line gives the
/// bytes live at each step: the gap between it and the highest rectangle is
/// what the plan loses to fragmentation; the dashed line is the arena size,
/// the red one the board's arena budget when it is in range.
public enum SVGReport {
    static let kindColors: [(String, String)] = [
        ("input", "#9e9e9e"), ("conv", "#4c78a8"), ("dense", "#f58518"), ("pool", "#54a24b"),
        ("concat", "#b279a2"), ("add", "#e45756"), ("other", "#bab0ac"), ("scratch", "#ff9da6"),
    ]

    static func colorKey(_ kind: String) -> String {
        if kind.hasSuffix("pool") { return "pool" }
        switch kind {
        case "conv", "dense", "concat", "add", "input": return kind
        default: return "other"
        }
    }

    static func color(_ key: String) -> String { kindColors.first { $0.0 == key }?.1 ?? "#bab0ac" }

    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    static func n(_ v: Double) -> String { fixed(v, 1) }

    /// A "nice" tick step (1, 2 or 5 × 10^k) giving about `count` ticks up to `maximum`.
    static func tickStep(_ maximum: Double, count: Double = 4) -> Double {
        guard maximum > 0 else { return 1 }
        let raw = maximum / count
        var p = 1.0
        while p * 10 <= raw { p *= 10 }
        while p > raw { p /= 10 }
        for m in [1.0, 2.0, 5.0, 10.0] where p * m >= raw { return p * m }
        return p * 10
    }

    static func shortCount(_ v: Double) -> String {
        if v >= 1e9 { return fixed(v / 1e9, v.truncatingRemainder(dividingBy: 1e9) == 0 ? 0 : 1) + "G" }
        if v >= 1e6 { return fixed(v / 1e6, v.truncatingRemainder(dividingBy: 1e6) == 0 ? 0 : 1) + "M" }
        if v >= 1e3 { return fixed(v / 1e3, v.truncatingRemainder(dividingBy: 1e3) == 0 ? 0 : 1) + "k" }
        return fixed(v, 0)
    }

    static func shortBytes(_ v: Double) -> String {
        if v >= 1048576 { return fixed(v / 1048576, 2) + " MiB" }
        if v >= 1024 { return fixed(v / 1024, v >= 10240 ? 0 : 1) + " KiB" }
        return fixed(v, 0) + " B"
    }

    /// Byte tick steps in powers of two times 1, 2 or 5 KiB-friendly values.
    static func byteTickStep(_ maximum: Double) -> Double {
        guard maximum > 0 else { return 1 }
        let raw = maximum / 5
        var p = 16.0
        while p * 2 <= raw { p *= 2 }
        return p * 2 >= raw * 1.5 ? p : p * 2
    }

    public static func render(_ r: SimulationReport) -> String {
        let layerCount = r.layers.count
        let steps = layerCount + 2  // −1 ... layerCount
        let cw = max(9.0, min(72.0, 960.0 / Double(steps)))
        let plotW = cw * Double(steps)
        let left = 84.0, legendW = 230.0
        let width = left + plotW + legendW
        let titleH = r.measured == nil ? 88.0 : 105.0
        let macTop = titleH + 24, macH = 170.0
        let arenaTop = macTop + macH + 44, arenaH = 330.0
        let arenaBottom = arenaTop + arenaH
        let longestName = r.layers.map(\.name.count).max() ?? 5
        let labelFont = cw >= 14 ? 11.0 : 9.0
        let labelH = Double(min(longestName, 24)) * labelFont * 0.62 * 0.87 + 30
        let height = max(arenaBottom + labelH + 34, titleH + 560)
        func x(_ step: Int) -> Double { left + Double(step + 1) * cw }

        var s = ""
        s += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"

        // Title and headline numbers.
        let t = r.totals, v = r.verdict
        s += "<text x=\"\(n(left))\" y=\"24\" font-size=\"17\" font-weight=\"bold\">\(escape(r.modelName)) on \(escape(v.board.displayName)) — \(v.fits ? "fits" : "does not fit")</text>\n"
        let line2 = "\(ByteSize.grouped(t.macs)) MACs · \(ByteSize.grouped(t.parameters)) parameters · flash \(ByteSize.human(t.flashBytes))\(t.flashBytesMeasured ? "" : " (estimate)") + code reserve \(ByteSize.human(r.reserves.flashBytes)) of \(ByteSize.human(v.board.flashBytes))"
        s += "<text x=\"\(n(left))\" y=\"44\" fill=\"#333\">\(escape(line2))</text>\n"
        let line3 = "arena \(ByteSize.human(t.arenaBytes)) (lower bound \(ByteSize.human(t.arenaLowerBoundBytes))) + runtime reserve \(ByteSize.human(r.reserves.ramBytes)) of \(ByteSize.human(v.board.ramBytes)) RAM"
        s += "<text x=\"\(n(left))\" y=\"61\" fill=\"#333\">\(escape(line3))</text>\n"
        var measuredText = ""
        if let m = r.measured {
            measuredText = "measured: \(fixed(m.totalMicroseconds, 1)) µs per image on \(m.host)"
            if let acc = m.accuracy { measuredText += ", accuracy \(fixed(acc * 100, 2))%" }
        }
        let line4 = r.qemu.map { q in
            "est. \(duration(milliseconds: t.estimatedMilliseconds)) on \(v.board.core.rawValue) @ \(fixed(v.board.clockMHz, 0)) MHz: \(ByteSize.grouped(q.instructionsPerInference)) Cortex-M4 instructions (QEMU)" +
                (r.cyclesPerInstruction.map { " × \(fixed($0, 2)) cycle/instruction" } ?? ", latency from the model")
        } ?? "est. \(duration(milliseconds: t.estimatedMilliseconds)) on \(v.board.core.rawValue) @ \(fixed(v.board.clockMHz, 0)) MHz at \(fixed(r.latency.cyclesPerMAC, 1)) cycles/MAC (\(r.latency.basis))"
        s += "<text x=\"\(n(left))\" y=\"78\" fill=\"#555\" font-size=\"11\">\(escape(line4))</text>\n"

        if !measuredText.isEmpty {
            s += "<text x=\"\(n(left))\" y=\"95\" fill=\"#555\" font-size=\"11\">\(escape(measuredText))</text>\n"
        }

        // Column guides.
        s += "<g stroke=\"#eeeeee\" stroke-width=\"1\">\n"
        for step in -1...layerCount {
            s += "<line x1=\"\(n(x(step)))\" y1=\"\(n(macTop))\" x2=\"\(n(x(step)))\" y2=\"\(n(arenaBottom))\"/>\n"
        }
        s += "</g>\n"

        // Panel 1: MACs per layer.
        let maxMACs = Double(max(r.layers.map(\.macs).max() ?? 0, 1))
        let macStep = tickStep(maxMACs)
        let macScaleMax = (maxMACs / macStep).rounded(.up) * macStep
        s += "<text x=\"\(n(left))\" y=\"\(n(macTop - 8))\" font-weight=\"bold\">multiply-adds per layer</text>\n"
        var tick = 0.0
        while tick <= macScaleMax + 0.5 {
            let y = macTop + macH - tick / macScaleMax * macH
            s += "<line x1=\"\(n(left - 4))\" y1=\"\(n(y))\" x2=\"\(n(left + plotW))\" y2=\"\(n(y))\" stroke=\"#dddddd\"/>\n"
            s += "<text x=\"\(n(left - 7))\" y=\"\(n(y + 4))\" text-anchor=\"end\" fill=\"#444\" font-size=\"11\">\(shortCount(tick))</text>\n"
            tick += macStep
        }
        for l in r.layers where l.macs > 0 {
            let h = Double(l.macs) / macScaleMax * macH
            let share = t.macs > 0 ? Double(l.macs) / Double(t.macs) * 100 : 0
            s += "<rect x=\"\(n(x(l.index) + 1))\" y=\"\(n(macTop + macH - h))\" width=\"\(n(cw - 2))\" height=\"\(n(max(h, 0.5)))\" fill=\"\(color(colorKey(l.kind)))\"><title>\(escape(l.name)): \(ByteSize.grouped(l.macs)) MACs (\(fixed(share, 1))%), est. \(fixed(l.estimatedMicroseconds, 1)) µs</title></rect>\n"
            if share >= 8 || (cw >= 30 && share >= 1) {
                s += "<text x=\"\(n(x(l.index) + cw / 2))\" y=\"\(n(macTop + macH - h - 4))\" text-anchor=\"middle\" font-size=\"10\" fill=\"#222\">\(fixed(share, 0))%</text>\n"
            }
        }
        s += "<line x1=\"\(n(left))\" y1=\"\(n(macTop + macH))\" x2=\"\(n(left + plotW))\" y2=\"\(n(macTop + macH))\" stroke=\"#444\"/>\n"

        // Panel 2: the arena over time.
        let budget = Double(r.arenaBudgetBytes)
        let arena = Double(max(t.arenaBytes, 1))
        var scaleTop = arena
        let showBudget = budget > 0 && budget <= arena * 1.6
        if showBudget { scaleTop = max(scaleTop, budget) }
        let byteStep = byteTickStep(scaleTop)
        scaleTop = (scaleTop / byteStep).rounded(.up) * byteStep
        func y(_ offset: Double) -> Double { arenaBottom - offset / scaleTop * arenaH }
        s += "<text x=\"\(n(left))\" y=\"\(n(arenaTop - 8))\" font-weight=\"bold\">arena: byte offset of each tensor while it is alive (x: layer step)</text>\n"
        tick = 0
        while tick <= scaleTop + 0.5 {
            s += "<line x1=\"\(n(left - 4))\" y1=\"\(n(y(tick)))\" x2=\"\(n(left + plotW))\" y2=\"\(n(y(tick)))\" stroke=\"#dddddd\"/>\n"
            s += "<text x=\"\(n(left - 7))\" y=\"\(n(y(tick) + 4))\" text-anchor=\"end\" fill=\"#444\" font-size=\"11\">\(shortBytes(tick))</text>\n"
            tick += byteStep
        }
        // Slices first: dashed outlines over their concatenation output's bytes
        // (a slice's channels are interleaved through the whole output).
        for b in r.buffers where b.bytes > 0 && b.sliceOf != nil {
            guard let parent = r.buffers.first(where: { $0.name == b.sliceOf && $0.sliceOf == nil }) else { continue }
            let x0 = x(b.firstStep), x1 = x(b.lastStep) + cw
            let top = y(Double(parent.offset + parent.bytes)), bottom = y(Double(parent.offset))
            let key = b.layer >= 0 && r.layers.indices.contains(b.layer) ? colorKey(r.layers[b.layer].kind) : "other"
            s += "<rect x=\"\(n(x0 + 1.5))\" y=\"\(n(top + 1))\" width=\"\(n(max(x1 - x0 - 3, 1)))\" height=\"\(n(max(bottom - top - 2, 1)))\" fill=\"\(color(key))\" fill-opacity=\"0.25\" stroke=\"\(color(key))\" stroke-width=\"1.2\" stroke-dasharray=\"3,2\"><title>\(escape(b.name)): \(ByteSize.grouped(b.bytes)) B written into its channel slice of \(escape(parent.name)), steps \(b.firstStep)..\(b.lastStep)</title></rect>\n"
        }
        for b in r.buffers where b.bytes > 0 && b.sliceOf == nil {
            let x0 = x(b.firstStep), x1 = x(b.lastStep) + cw
            let top = y(Double(b.offset + b.bytes)), bottom = y(Double(b.offset))
            let h = max(bottom - top, 1)
            let key = b.role == .scratch ? "scratch"
                : (b.role == .input || !r.layers.indices.contains(b.layer) ? "input" : colorKey(r.layers[b.layer].kind))
            let lifetime = "steps \(b.firstStep)..\(b.lastStep)"
            s += "<rect x=\"\(n(x0 + 0.5))\" y=\"\(n(top))\" width=\"\(n(x1 - x0 - 1))\" height=\"\(n(h))\" fill=\"\(color(key))\" fill-opacity=\"0.85\" stroke=\"#ffffff\" stroke-width=\"0.8\"><title>\(escape(b.name)) (\(b.role.rawValue)): \(ByteSize.grouped(b.bytes)) B at offset \(ByteSize.grouped(b.offset)), \(lifetime)</title></rect>\n"
            let maxChars = Int((x1 - x0 - 6) / 6.3)
            if h >= 13 && maxChars >= 3 {
                var label = b.name
                if label.count > maxChars { label = String(label.prefix(maxChars - 1)) + "…" }
                s += "<text x=\"\(n(x0 + 4))\" y=\"\(n(top + min(h / 2 + 4, 14)))\" font-size=\"10.5\" fill=\"\(key == "scratch" ? "#5a1020" : "#ffffff")\">\(escape(label))</text>\n"
            }
        }
        // Live bytes per step (the lower bound is its maximum).
        var path = ""
        for (i, live) in r.liveBytesPerStep.enumerated() {
            let step = i - 1
            let yy = y(Double(live))
            path += (i == 0 ? "M" : "L") + "\(n(x(step))),\(n(yy)) L\(n(x(step) + cw)),\(n(yy)) "
        }
        s += "<path d=\"\(path)\" fill=\"none\" stroke=\"#000000\" stroke-width=\"1.6\"/>\n"
        s += "<line x1=\"\(n(left))\" y1=\"\(n(y(arena)))\" x2=\"\(n(left + plotW))\" y2=\"\(n(y(arena)))\" stroke=\"#000000\" stroke-dasharray=\"6,4\"/>\n"
        s += "<text x=\"\(n(left + plotW - 4))\" y=\"\(n(y(arena) - 4))\" text-anchor=\"end\" font-size=\"11\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">arena \(shortBytes(arena))</text>\n"
        if showBudget {
            s += "<line x1=\"\(n(left))\" y1=\"\(n(y(budget)))\" x2=\"\(n(left + plotW))\" y2=\"\(n(y(budget)))\" stroke=\"#d62728\" stroke-width=\"1.5\" stroke-dasharray=\"2,3\"/>\n"
            let clash = abs(y(budget) - y(arena)) < 14
            s += "<text x=\"\(n(left + 4))\" y=\"\(n(y(budget) + (clash && budget < arena ? 14 : -4)))\" font-size=\"11\" fill=\"#d62728\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">board budget \(shortBytes(budget))</text>\n"
        }
        s += "<line x1=\"\(n(left))\" y1=\"\(n(arenaBottom))\" x2=\"\(n(left + plotW))\" y2=\"\(n(arenaBottom))\" stroke=\"#444\"/>\n"

        // Layer labels under the arena, one per step.
        s += "<g font-size=\"\(n(labelFont))\" fill=\"#222\">\n"
        let names = [Architecture_inputLabel] + r.layers.map(\.name)
        for (i, name) in names.enumerated() {
            let step = i - 1
            var label = name
            if label.count > 24 { label = String(label.prefix(23)) + "…" }
            let cx = x(step) + cw / 2 + labelFont * 0.35, cy = arenaBottom + 8
            s += "<text transform=\"translate(\(n(cx)),\(n(cy))) rotate(-60)\" text-anchor=\"end\">\(escape(label))</text>\n"
        }
        s += "</g>\n"
        s += "<text x=\"\(n(left + plotW / 2))\" y=\"\(n(height - 10))\" text-anchor=\"middle\" fill=\"#444\" font-size=\"11\">layer step (execution order); the model output stays alive to the last step</text>\n"

        // Legend.
        let lx = left + plotW + 24
        var ly = macTop + 4
        s += "<text x=\"\(n(lx))\" y=\"\(n(ly))\" font-weight=\"bold\">legend</text>\n"
        ly += 10
        let labels = ["input": "model input", "conv": "convolution", "dense": "fully connected", "pool": "pooling",
                      "concat": "concatenation", "add": "residual add", "other": "relu / softmax / other",
                      "scratch": "kernel scratch"]
        for (key, fill) in kindColors {
            s += "<rect x=\"\(n(lx))\" y=\"\(n(ly))\" width=\"14\" height=\"12\" fill=\"\(fill)\"/>\n"
            s += "<text x=\"\(n(lx + 20))\" y=\"\(n(ly + 10))\" font-size=\"11\">\(labels[key] ?? key)</text>\n"
            ly += 18
        }
        ly += 6
        s += "<line x1=\"\(n(lx))\" y1=\"\(n(ly + 6))\" x2=\"\(n(lx + 14))\" y2=\"\(n(ly + 6))\" stroke=\"#000\" stroke-width=\"1.6\"/>\n"
        s += "<text x=\"\(n(lx + 20))\" y=\"\(n(ly + 10))\" font-size=\"11\">bytes in use at a step</text>\n"
        ly += 18
        s += "<rect x=\"\(n(lx))\" y=\"\(n(ly))\" width=\"14\" height=\"12\" fill=\"#4c78a8\" fill-opacity=\"0.25\" stroke=\"#4c78a8\" stroke-dasharray=\"3,2\"/>\n"
        s += "<text x=\"\(n(lx + 20))\" y=\"\(n(ly + 10))\" font-size=\"11\">written into a concat slice</text>\n"
        ly += 18
        s += "<line x1=\"\(n(lx))\" y1=\"\(n(ly + 6))\" x2=\"\(n(lx + 14))\" y2=\"\(n(ly + 6))\" stroke=\"#000\" stroke-dasharray=\"4,3\"/>\n"
        s += "<text x=\"\(n(lx + 20))\" y=\"\(n(ly + 10))\" font-size=\"11\">arena size (plan)</text>\n"
        ly += 18
        s += "<line x1=\"\(n(lx))\" y1=\"\(n(ly + 6))\" x2=\"\(n(lx + 14))\" y2=\"\(n(ly + 6))\" stroke=\"#d62728\" stroke-width=\"1.5\" stroke-dasharray=\"2,3\"/>\n"
        s += "<text x=\"\(n(lx + 20))\" y=\"\(n(ly + 10))\" font-size=\"11\">board budget\(showBudget ? "" : " (\(shortBytes(budget)), off scale)")</text>\n"
        ly += 28
        let facts = [
            "peak: step \(t.peakStep)\(t.peakStep >= 0 && t.peakStep < layerCount ? " (\(r.layers[t.peakStep].name))" : "")",
            "plan \(ByteSize.grouped(t.arenaBytes)) B",
            "bound \(ByteSize.grouped(t.arenaLowerBoundBytes)) B",
            "without in-place \(ByteSize.grouped(r.inPlace.arenaWithoutInPlaceBytes)) B",
            "flash margin \(ByteSize.human(v.flashMarginBytes))",
            "RAM margin \(ByteSize.human(v.ramMarginBytes))",
        ]
        for f in facts {
            s += "<text x=\"\(n(lx))\" y=\"\(n(ly))\" font-size=\"11\" fill=\"#333\">\(escape(f))</text>\n"
            ly += 16
        }
        s += "</svg>\n"
        return s
    }

    static let Architecture_inputLabel = "input"
}
