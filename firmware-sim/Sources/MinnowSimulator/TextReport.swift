import Foundation
import MinnowModel

/// The per-layer table and the summary, for terminals (`table`) and for
/// pull requests and wikis (`markdown`).
public enum TextReport {
    struct Column {
        var title: String
        var rightAligned: Bool
    }

    static func layerTable(_ r: SimulationReport, bars: Bool) -> (columns: [Column], rows: [[String]]) {
        var columns: [Column] = [
            Column(title: "#", rightAligned: true), Column(title: "layer", rightAligned: false),
            Column(title: "kind", rightAligned: false), Column(title: "output", rightAligned: false),
            Column(title: "units", rightAligned: true), Column(title: "connections", rightAligned: true),
            Column(title: "weights", rightAligned: true), Column(title: "biases", rightAligned: true),
            Column(title: "MACs", rightAligned: true), Column(title: "MAC %", rightAligned: true),
            Column(title: "flash B", rightAligned: true), Column(title: "act B", rightAligned: true),
            Column(title: "scratch B", rightAligned: true), Column(title: "arena @", rightAligned: true),
            Column(title: "live", rightAligned: false), Column(title: "est µs", rightAligned: true),
        ]
        let measured = r.measured != nil
        if measured { columns.append(Column(title: "host µs", rightAligned: true)) }
        let qemu = r.qemu != nil
        if qemu {
            columns.append(Column(title: "M4 instr", rightAligned: true))
            columns.append(Column(title: "instr/MAC", rightAligned: true))
        }
        if bars { columns.append(Column(title: "share of MACs", rightAligned: false)) }
        let maxMACs = max(r.layers.map(\.macs).max() ?? 1, 1)
        var rows: [[String]] = []
        var inputRow = ["", "input", "input", r.inputShape.description, ByteSize.grouped(r.inputShape.elementCount),
                        "", "", "", "", "", "", ByteSize.grouped(r.input.bytes), "", ByteSize.grouped(r.input.offset),
                        "\(r.input.firstStep)..\(r.input.lastStep)", ""]
        if measured { inputRow.append("") }
        if qemu { inputRow += ["", ""] }
        if bars { inputRow.append("") }
        rows.append(inputRow)
        for l in r.layers {
            let share = r.totals.macs > 0 ? Double(l.macs) / Double(r.totals.macs) * 100 : 0
            var scratch = ByteSize.grouped(l.scratchBytes)
            if let offset = l.scratchOffset { scratch += " @" + ByteSize.grouped(offset) }
            var row = [
                String(l.index), l.name, l.kind, l.outputShape.description, ByteSize.grouped(l.units),
                ByteSize.grouped(l.connections), ByteSize.grouped(l.weights), ByteSize.grouped(l.biases),
                ByteSize.grouped(l.macs), l.macs > 0 ? fixed(share, 1) + "%" : "",
                ByteSize.grouped(l.weightBytes), ByteSize.grouped(l.activationBytes), scratch,
                ByteSize.grouped(l.arenaOffset), "\(l.firstStep)..\(l.lastStep)",
                micros(l.estimatedMicroseconds),
            ]
            if measured { row.append(l.measuredMicroseconds.map { fixed($0, 2) } ?? "") }
            if qemu {
                row.append(l.instructions.map { ByteSize.grouped($0) } ?? "")
                row.append(l.instructionsPerMAC.map { fixed($0, 2) } ?? "")
            }
            if bars {
                let width = 20.0 * Double(l.macs) / Double(maxMACs)
                let full = Int(width)
                var bar = String(repeating: "█", count: full)
                let eighths = Int((width - Double(full)) * 8)
                if eighths > 0 { bar.append(["▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths - 1]) }
                row.append(bar)
            }
            rows.append(row)
        }
        var total = ["", "total", "", "", ByteSize.grouped(r.layers.reduce(0) { $0 + $1.units }),
                     ByteSize.grouped(r.layers.reduce(0) { $0 + $1.connections }),
                     ByteSize.grouped(r.layers.reduce(0) { $0 + $1.weights }),
                     ByteSize.grouped(r.layers.reduce(0) { $0 + $1.biases }),
                     ByteSize.grouped(r.totals.macs), r.totals.macs > 0 ? "100%" : "",
                     ByteSize.grouped(r.totals.weightBytes),
                     ByteSize.grouped(r.layers.reduce(0) { $0 + $1.activationBytes }),
                     ByteSize.grouped(r.layers.reduce(0) { $0 + $1.scratchBytes }), "", "",
                     micros(r.layers.reduce(0) { $0 + $1.estimatedMicroseconds })]
        if measured { total.append(r.measured.map { fixed($0.totalMicroseconds, 2) } ?? "") }
        if let q = r.qemu {
            total.append(ByteSize.grouped(q.instructionsPerInference))
            total.append(q.instructionsPerMAC.map { fixed($0, 2) } ?? "")
        }
        if bars { total.append("") }
        rows.append(total)
        return (columns, rows)
    }

    /// "14,348" for large values, "309.6" below 1000.
    static func micros(_ us: Double) -> String {
        us >= 1000 ? ByteSize.grouped(Int(us.rounded())) : fixed(us, 1)
    }

    static func inPlaceLine(_ r: SimulationReport) -> String {
        let p = r.inPlace
        var what: [String] = []
        if !p.slices.isEmpty {
            what.append("\(p.slices.count) branch outputs written into their concat slice"
                + (p.zeroCopyConcats.isEmpty ? "" : " (\(p.zeroCopyConcats.count) zero-copy concat)"))
        }
        if !p.inPlaceLayers.isEmpty {
            what.append("\(p.inPlaceLayers.prefix(4).joined(separator: ", "))\(p.inPlaceLayers.count > 4 ? ", …" : "") pooling over its input")
        }
        guard !what.isEmpty else { return "none in this plan (every tensor has its own bytes)" }
        return "\(what.joined(separator: "; ")): arena \(ByteSize.grouped(p.arenaBytes)) B vs \(ByteSize.grouped(p.arenaWithoutInPlaceBytes)) B without (saves \(ByteSize.grouped(p.savedBytes)) B, \(percent(p.savedBytes, of: p.arenaWithoutInPlaceBytes)))"
    }

    static func qemuLegend(_ q: QEMUProfile) -> String {
        let runs = q.layers.map(\.runs).max() ?? 1
        return "M4 instr: exact Cortex-M4 instructions (QEMU) of one minnow_invoke_layer call, callees included\(runs > 1 ? ", mean of \(runs) runs" : ""); total: one minnow_invoke; instr/MAC: conv and dense"
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        whole > 0 ? fixed(Double(part) / Double(whole) * 100, 1) + "%" : "-"
    }

    /// The summary lines shared by both formats (without markup).
    static func summary(_ r: SimulationReport) -> [(String, String)] {
        let t = r.totals, v = r.verdict, b = v.board, lat = r.latency
        var peak = "step \(t.peakStep)"
        if t.peakStep >= 0 && t.peakStep < r.layers.count { peak += " (\(r.layers[t.peakStep].name))" }
        let above = t.arenaLowerBoundBytes > 0
            ? (t.arenaBytes >= t.arenaLowerBoundBytes
                ? fixed(Double(t.arenaBytes - t.arenaLowerBoundBytes) / Double(t.arenaLowerBoundBytes) * 100, 1) + "% above it"
                : fixed(Double(t.arenaLowerBoundBytes - t.arenaBytes) / Double(t.arenaLowerBoundBytes) * 100, 1) + "% below it through in-place reuse")
            : ""
        var lines: [(String, String)] = [
            ("parameters", "\(ByteSize.grouped(t.parameters))  (weights \(ByteSize.grouped(r.layers.reduce(0) { $0 + $1.weights })) + biases \(ByteSize.grouped(r.layers.reduce(0) { $0 + $1.biases })))"),
            ("multiply-adds", ByteSize.grouped(t.macs)),
            ("flash (model)", "\(ByteSize.grouped(t.flashBytes)) B = \(ByteSize.human(t.flashBytes))  " +
                (t.flashBytesMeasured ? "(model file size)" : "(estimate: parameter bytes \(ByteSize.grouped(t.weightBytes)) + file overhead)")),
            ("arena", "\(ByteSize.grouped(t.arenaBytes)) B = \(ByteSize.human(t.arenaBytes))  (lower bound \(ByteSize.grouped(t.arenaLowerBoundBytes)) B at \(peak); plan \(above))"),
            ("in place", inPlaceLine(r)),
            ("est. latency", "\(duration(milliseconds: t.estimatedMilliseconds)) on \(b.core.rawValue) @ \(fixed(b.clockMHz, 0)) MHz = \(ByteSize.grouped(Int(t.estimatedCycles.rounded()))) cycles" + (r.cyclesPerInstruction == nil ? "" : " (from the QEMU instruction count)")),
        ]
        if let cpi = r.cyclesPerInstruction {
            lines.append(("latency model", QEMUProfile.latencyBasis(cyclesPerInstruction: cpi)))
        } else {
            lines.append(("latency model", "\(fixed(lat.cyclesPerMAC, 2)) cycles/MAC, \(fixed(lat.cyclesPerRequantize, 0))/requantized output, \(fixed(lat.cyclesPerElement, 0))/element (pool, concat, add), \(fixed(lat.cyclesPerLayer, 0))/layer — \(lat.basis)"))
        }
        if let q = r.qemu {
            var line = "\(ByteSize.grouped(q.instructionsPerInference)) instructions per inference"
            if let perMAC = q.instructionsPerMAC { line += ", \(fixed(perMAC, 2)) per MAC" }
            line += " (exact: firmware under qemu-system-arm mps2-an386"
            if let images = q.images {
                line += images > 1 || q.bitExact != nil ? ", \(ByteSize.grouped(images)) test images" : ", one fixed input"
            }
            if let exact = q.bitExact { line += exact ? ", outputs bit-exact with the Swift engine" : ", outputs NOT bit-exact" }
            lines.append(("Cortex-M4 (QEMU)", line + ")"))
            if let flash = q.flashBytes {
                var fw = "flash \(ByteSize.grouped(flash)) B"
                if let tv = q.flashTestVectorBytes, tv > 0 {
                    fw += " (\(ByteSize.grouped(flash - tv)) B without the \(ByteSize.grouped(tv)) B of test vectors)"
                }
                if let ram = q.ramBytes {
                    fw += ", RAM \(ByteSize.grouped(ram)) B"
                    var parts: [String] = []
                    if let a = q.arenaBytes { parts.append("arena \(ByteSize.grouped(a))") }
                    if let st = q.stackHighWaterBytes { parts.append("stack high water \(ByteSize.grouped(st))") }
                    let rest = ram - (q.arenaBytes ?? 0) - (q.stackHighWaterBytes ?? 0)
                    if !parts.isEmpty, rest >= 0 { parts.append("data/bss \(ByteSize.grouped(rest))") }
                    if !parts.isEmpty { fw += " (" + parts.joined(separator: " + ") + ")" }
                }
                lines.append(("M4 firmware", fw + " — the whole ELF: engine, model, startup"))
            }
        }
        if let m = r.measured {
            var line = "\(fixed(m.totalMicroseconds, 2)) µs per image on \(m.host), \(ByteSize.grouped(m.images)) images"
            if let acc = m.accuracy { line += ", accuracy \(fixed(acc * 100, 2))%" }
            line += ", arena used \(ByteSize.grouped(m.arenaBytesUsed)) B"
            lines.append(("measured", line))
        }
        lines += [
            ("board", "\(b.displayName) — \(b.mcu), \(b.core.rawValue) @ \(fixed(b.clockMHz, 0)) MHz, flash \(ByteSize.human(b.flashBytes)), RAM \(ByteSize.human(b.ramBytes))"),
            ("flash", "needs \(ByteSize.grouped(v.flashRequiredBytes)) B (model \(ByteSize.grouped(t.flashBytes)) + code reserve \(ByteSize.grouped(r.reserves.flashBytes))) of \(ByteSize.grouped(b.flashBytes)): margin \(ByteSize.grouped(v.flashMarginBytes)) B (\(percent(v.flashMarginBytes, of: b.flashBytes)))  \(v.fitsFlash ? "ok" : "DOES NOT FIT")"),
            ("RAM", "needs \(ByteSize.grouped(v.ramRequiredBytes)) B (arena \(ByteSize.grouped(t.arenaBytes)) + runtime reserve \(ByteSize.grouped(r.reserves.ramBytes))) of \(ByteSize.grouped(b.ramBytes)): margin \(ByteSize.grouped(v.ramMarginBytes)) B (\(percent(v.ramMarginBytes, of: b.ramBytes)))  \(v.fitsRAM ? "ok" : "DOES NOT FIT")"),
            ("verdict", v.fits ? "FITS \(b.id)" : "DOES NOT FIT \(b.id)" + (v.fitsFlash ? "" : " (flash short by \(ByteSize.grouped(-v.flashMarginBytes)) B)") + (v.fitsRAM ? "" : " (RAM short by \(ByteSize.grouped(-v.ramMarginBytes)) B)")),
        ]
        return lines
    }

    // MARK: Plain text

    public static func table(_ r: SimulationReport) -> String {
        var out = "firmware-sim: \(r.modelName) — \(r.origin)\n"
        for note in r.notes { out += "note: \(note)\n" }
        out += "\n"
        let (columns, rows) = layerTable(r, bars: true)
        var widths = columns.map { $0.title.count }
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                parts.append(columns[i].rightAligned ? pad + cell : cell + (i == cells.count - 1 ? "" : pad))
            }
            var s = parts.joined(separator: "  ")
            while s.hasSuffix(" ") { s.removeLast() }
            return s + "\n"
        }
        out += line(columns.map(\.title))
        out += line(widths.map { String(repeating: "-", count: $0) })
        for (i, row) in rows.enumerated() {
            if i == rows.count - 1 { out += line(widths.map { String(repeating: "-", count: $0) }) }
            out += line(row)
        }
        out += "\n"
        out += "live: steps the output occupies the arena (written at the first, last read at the second); arena @: byte offset in the arena\n"
        if let q = r.qemu { out += qemuLegend(q) + "\n" }
        out += "\n"
        let labelWidth = summary(r).map(\.0.count).max() ?? 0
        for (label, text) in summary(r) {
            out += label + String(repeating: " ", count: labelWidth - label.count) + "  " + text + "\n"
        }
        return out
    }

    // MARK: Markdown

    public static func markdown(_ r: SimulationReport) -> String {
        var out = "## firmware-sim: \(r.modelName)\n\n\(r.origin)\n\n"
        for note in r.notes { out += "> note: \(note)\n" }
        if !r.notes.isEmpty { out += "\n" }
        let (columns, rows) = layerTable(r, bars: false)
        func escape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        out += "| " + columns.map { escape($0.title) }.joined(separator: " | ") + " |\n"
        out += "|" + columns.map { $0.rightAligned ? "---:|" : "---|" }.joined() + "\n"
        for (i, row) in rows.enumerated() {
            let cells = i == rows.count - 1 ? row.map { $0.isEmpty ? "" : "**\($0)**" } : row
            out += "| " + cells.map(escape).joined(separator: " | ") + " |\n"
        }
        if let q = r.qemu { out += "\n" + qemuLegend(q) + "\n" }
        out += "\n| | |\n|---|---|\n"
        for (label, text) in summary(r) { out += "| \(label) | \(escape(text)) |\n" }
        return out
    }
}
