/// The processor class of a board: it picks the latency model's cycle costs.
public enum CoreClass: String, CaseIterable, Sendable {
    case cortexM0Plus = "Cortex-M0+"
    case cortexM4F = "Cortex-M4F"
    case cortexM7 = "Cortex-M7"

    /// Parses "m0+", "m0plus", "cortex-m4", "m4f", "m7", … (case-insensitive).
    public static func parse(_ text: String) -> CoreClass? {
        var t = text.lowercased()
        if t.hasPrefix("cortex-") { t.removeFirst("cortex-".count) }
        switch t {
        case "m0+", "m0plus", "m0", "m0p": return .cortexM0Plus
        case "m4", "m4f": return .cortexM4F
        case "m7", "m7f": return .cortexM7
        default: return nil
        }
    }

    /// Short name for flags and JSON ("m0+", "m4f", "m7").
    public var shortName: String {
        switch self {
        case .cortexM0Plus: return "m0+"
        case .cortexM4F: return "m4f"
        case .cortexM7: return "m7"
        }
    }
}

/// A microcontroller board: the memory a model can use and the core that runs it.
///
/// `flashBytes` and `ramBytes` are datasheet figures; `ramBytes` is the
/// *contiguous* SRAM an arena can be placed in, and `memoryNote` says which
/// banks are counted (see firmware-sim/boards.md).
public struct Board: Equatable, Sendable {
    /// The name used with `--board`.
    public var id: String
    /// Other accepted names.
    public var aliases: [String]
    public var displayName: String
    public var mcu: String
    public var core: CoreClass
    public var clockMHz: Double
    public var flashBytes: Int
    public var ramBytes: Int
    /// Which flash and SRAM banks the figures count.
    public var memoryNote: String

    public init(id: String, aliases: [String] = [], displayName: String, mcu: String, core: CoreClass,
                clockMHz: Double, flashBytes: Int, ramBytes: Int, memoryNote: String) {
        self.id = id
        self.aliases = aliases
        self.displayName = displayName
        self.mcu = mcu
        self.core = core
        self.clockMHz = clockMHz
        self.flashBytes = flashBytes
        self.ramBytes = ramBytes
        self.memoryNote = memoryNote
    }
}

/// The boards `firmware-sim` knows. Figures from the vendors' datasheets and
/// board manuals; firmware-sim/boards.md gives the sources and the reasoning
/// for each RAM figure.
public enum BoardCatalogue {
    private static let kib = 1024
    private static let mib = 1024 * 1024

    public static let all: [Board] = [
        // Cortex-M0+
        Board(id: "pico", aliases: ["rp2040", "raspberry-pi-pico"],
              displayName: "Raspberry Pi Pico", mcu: "RP2040", core: .cortexM0Plus, clockMHz: 133,
              flashBytes: 2 * mib, ramBytes: 264 * kib,
              memoryNote: "2 MB external QSPI flash (W25Q16JV, executed in place through a 16 KB cache); 264 KB SRAM in six banks (4 × 64 KB striped + 2 × 4 KB), all counted"),
        Board(id: "nucleo-g071rb", aliases: ["stm32g071", "stm32g071rb", "g071"],
              displayName: "ST NUCLEO-G071RB", mcu: "STM32G071RB", core: .cortexM0Plus, clockMHz: 64,
              flashBytes: 128 * kib, ramBytes: 36 * kib,
              memoryNote: "128 KB internal flash; 36 KB SRAM, all counted"),
        // Cortex-M4F
        Board(id: "nano33ble", aliases: ["nrf52840", "arduino-nano-33-ble", "nano-33-ble-sense"],
              displayName: "Arduino Nano 33 BLE Sense", mcu: "nRF52840", core: .cortexM4F, clockMHz: 64,
              flashBytes: 1 * mib, ramBytes: 256 * kib,
              memoryNote: "1 MB internal flash; 256 KB SRAM, all counted (the Arduino bootloader and the BLE stack, if used, take part of both)"),
        Board(id: "stm32f4-discovery", aliases: ["stm32f407", "stm32f407vg", "f407", "stm32f4disc"],
              displayName: "ST STM32F4DISCOVERY", mcu: "STM32F407VG", core: .cortexM4F, clockMHz: 168,
              flashBytes: 1 * mib, ramBytes: 128 * kib,
              memoryNote: "1 MB internal flash; 192 KB SRAM of which 128 KB (SRAM1 112 KB + SRAM2 16 KB, contiguous at 0x20000000) is counted; the 64 KB CCM at 0x10000000 is a separate, CPU-only bank (good for the stack), not counted"),
        Board(id: "nucleo-l476rg", aliases: ["stm32l476", "stm32l476rg", "l476"],
              displayName: "ST NUCLEO-L476RG", mcu: "STM32L476RG", core: .cortexM4F, clockMHz: 80,
              flashBytes: 1 * mib, ramBytes: 128 * kib,
              memoryNote: "1 MB internal flash; 128 KB SRAM (SRAM1 96 KB + SRAM2 32 KB, SRAM2 also mapped right after SRAM1 at 0x20018000), all counted"),
        Board(id: "mps2-an386", aliases: ["an386", "qemu"],
              displayName: "Arm MPS2+ AN386 (QEMU mps2-an386)", mcu: "Cortex-M4 FPGA image", core: .cortexM4F, clockMHz: 25,
              flashBytes: 4 * mib, ramBytes: 4 * mib,
              memoryNote: "the board has no flash: 4 MB code SSRAM at 0x00000000 stands in for it; 4 MB data SSRAM at 0x20000000 counted as RAM. This is the machine the Cortex-M harness runs under QEMU"),
        // Cortex-M7
        Board(id: "stm32f746g-disco", aliases: ["stm32f746", "stm32f746ng", "f746", "32f746gdiscovery"],
              displayName: "ST 32F746GDISCOVERY", mcu: "STM32F746NG", core: .cortexM7, clockMHz: 216,
              flashBytes: 1 * mib, ramBytes: 320 * kib,
              memoryNote: "1 MB internal flash; 320 KB SRAM (DTCM 64 KB + SRAM1 240 KB + SRAM2 16 KB, contiguous from 0x20000000), all counted; the board's 8 MB SDRAM and 16 MB QSPI flash are not counted"),
        Board(id: "teensy41", aliases: ["teensy-4.1", "teensy4.1", "imxrt1062"],
              displayName: "PJRC Teensy 4.1", mcu: "i.MX RT1062", core: .cortexM7, clockMHz: 600,
              flashBytes: 7936 * kib, ramBytes: 512 * kib,
              memoryNote: "8 MB QSPI flash of which 7,936 KB is usable for programs; 1 MB on-chip RAM in two halves: RAM1 (512 KB tightly coupled, shared by code ITCM, variables and the stack) and RAM2 (512 KB OCRAM, 'DMAMEM'); the arena goes in RAM2, so 512 KB is counted"),
    ]

    /// The board used when none is named: an M4F part, the Arduino Nano 33
    /// BLE Sense (nRF52840, 1 MB flash, 256 KB SRAM, 64 MHz) — the reference
    /// board of TensorFlow Lite Micro's examples.
    public static let defaultBoardID = "nano33ble"

    public static var defaultBoard: Board { named(defaultBoardID)! }

    /// The board with this id or alias (case-insensitive), or nil.
    public static func named(_ name: String) -> Board? {
        let key = name.lowercased()
        return all.first { $0.id == key || $0.aliases.contains(key) }
    }
}
