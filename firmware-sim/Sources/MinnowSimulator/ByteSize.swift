import Foundation

/// Byte counts in flags and in reports.
public enum ByteSize {
    /// Parses a byte count: "262144", "256K", "256KB", "256KiB", "1M", "1.5M", "2MB".
    /// K and M are binary (1024, 1024²) as in MCU datasheets. Returns nil for
    /// anything else, zero or negative counts.
    public static func parse(_ text: String) -> Int? {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        var multiplier = 1
        for (suffix, m) in [("KIB", 1024), ("MIB", 1 << 20), ("KB", 1024), ("MB", 1 << 20),
                            ("K", 1024), ("M", 1 << 20), ("B", 1)] where t.hasSuffix(suffix) {
            t.removeLast(suffix.count)
            multiplier = m
            break
        }
        guard !t.isEmpty, t.allSatisfy({ $0.isNumber || $0 == "." }),
              let value = Double(t), value.isFinite, value > 0 else { return nil }
        let bytes = value * Double(multiplier)
        guard bytes < 1e15, bytes == bytes.rounded() else { return nil }
        return Int(bytes)
    }

    /// "61,706" style grouping.
    public static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// "12.3 KiB", "1.50 MiB", "812 B".
    public static func human(_ n: Int) -> String {
        let m = Double(n.magnitude)
        let sign = n < 0 ? "-" : ""
        if m < 1024 { return sign + String(n.magnitude) + " B" }
        if m < 1024 * 1024 { return sign + fixed(m / 1024, m < 10 * 1024 ? 2 : 1) + " KiB" }
        return sign + fixed(m / 1048576, 2) + " MiB"
    }
}

/// A non-negative decimal with `digits` fractional digits, without Foundation's locale.
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let negative = value < 0
    let scaled = Int((abs(value) * scale).rounded())
    let whole = scaled / Int(scale)
    var text = String(whole)
    if digits > 0 {
        var frac = String(scaled % Int(scale))
        while frac.count < digits { frac = "0" + frac }
        text += "." + frac
    }
    return (negative && scaled != 0 ? "-" : "") + text
}

/// "48.10 ms", "175.0 s", "850 µs": a duration given in milliseconds.
func duration(milliseconds ms: Double) -> String {
    if ms >= 1000 { return fixed(ms / 1000, ms >= 100_000 ? 0 : 1) + " s" }
    if ms < 1 { return fixed(ms * 1000, 0) + " µs" }
    return fixed(ms, ms >= 100 ? 1 : 2) + " ms"
}
