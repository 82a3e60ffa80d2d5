/// `firmware-sim boards`: the catalogue in each format.
public enum BoardsReport {
    public static func render(format: CommandOptions.Format) -> String {
        let boards = BoardCatalogue.all
        switch format {
        case .json:
            return JSONValue.object([
                "default": .string(BoardCatalogue.defaultBoardID),
                "boards": .array(boards.map { b in
                    .object([
                        "name": .string(b.id), "aliases": .array(b.aliases.map { .string($0) }),
                        "display_name": .string(b.displayName), "mcu": .string(b.mcu),
                        "core": .string(b.core.rawValue), "clock_mhz": .decimal(b.clockMHz, digits: 1),
                        "flash_bytes": .int(b.flashBytes), "ram_bytes": .int(b.ramBytes),
                        "memory_note": .string(b.memoryNote),
                        "cycles_per_mac": .decimal(LatencyModel.assumed(for: b.core).cyclesPerMAC, digits: 2),
                    ])
                }),
            ]).serialized()
        case .markdown:
            var out = "| board | MCU | core | MHz | flash | RAM (counted) | cycles/MAC (assumed) |\n|---|---|---|---:|---:|---:|---:|\n"
            for b in boards {
                out += "| `\(b.id)`\(b.id == BoardCatalogue.defaultBoardID ? " (default)" : "") | \(b.displayName), \(b.mcu) | \(b.core.rawValue) | \(fixed(b.clockMHz, 0)) | \(ByteSize.grouped(b.flashBytes)) | \(ByteSize.grouped(b.ramBytes)) | \(fixed(LatencyModel.assumed(for: b.core).cyclesPerMAC, 1)) |\n"
            }
            return out
        case .table:
            let header = ["board", "MCU", "core", "MHz", "flash", "RAM", "board name"]
            var rows = [header]
            for b in boards {
                rows.append([b.id + (b.id == BoardCatalogue.defaultBoardID ? " *" : ""), b.mcu, b.core.rawValue,
                             fixed(b.clockMHz, 0), ByteSize.human(b.flashBytes), ByteSize.human(b.ramBytes), b.displayName])
            }
            var widths = [Int](repeating: 0, count: header.count)
            for row in rows { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
            var out = ""
            for row in rows {
                var line = ""
                for (i, c) in row.enumerated() {
                    let pad = String(repeating: " ", count: widths[i] - c.count)
                    line += (i == 3 || i == 4 || i == 5) ? pad + c : c + pad
                    line += "  "
                }
                while line.hasSuffix(" ") { line.removeLast() }
                out += line + "\n"
            }
            out += "\n* default board. RAM is the contiguous SRAM an arena can use; firmware-sim/boards.md says which banks count.\n"
            out += "Custom figures: --flash 256K --ram 64K [--core m0+|m4f|m7] [--clock MHZ].\n"
            return out
        }
    }
}
