import Foundation

/// A self-contained SVG of a training run: training loss per epoch (left)
/// and train/test accuracy per epoch (right).
public func trainingCurveSVG(_ reports: [EpochReport], title: String) -> String {
    let width = 820.0, height = 360.0
    let panelW = 340.0, panelH = 240.0
    let top = 70.0
    var svg = """
    <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
    <rect width="100%" height="100%" fill="white"/>
    <text x="\(width / 2)" y="28" text-anchor="middle" font-size="16">\(escape(title))</text>

    """
    func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
    func panel(x0: Double, label: String, series: [(String, String, [Double])], yMin: Double, yMax: Double,
               legendAtBottom: Bool, format: (Double) -> String) {
        let n = max(reports.count, 1)
        svg += "<text x=\"\(fmt(x0 + panelW / 2))\" y=\"\(fmt(top - 10))\" text-anchor=\"middle\">\(escape(label))</text>\n"
        svg += "<rect x=\"\(fmt(x0))\" y=\"\(fmt(top))\" width=\"\(fmt(panelW))\" height=\"\(fmt(panelH))\" fill=\"none\" stroke=\"#888\"/>\n"
        let span = max(yMax - yMin, 1e-9)
        for t in 0...4 {
            let v = yMin + span * Double(t) / 4
            let y = top + panelH - panelH * Double(t) / 4
            svg += "<line x1=\"\(fmt(x0))\" y1=\"\(fmt(y))\" x2=\"\(fmt(x0 + panelW))\" y2=\"\(fmt(y))\" stroke=\"#eee\"/>\n"
            svg += "<text x=\"\(fmt(x0 - 6))\" y=\"\(fmt(y + 4))\" text-anchor=\"end\">\(format(v))</text>\n"
        }
        for e in 1...n where n <= 20 || e % ((n + 9) / 10) == 0 || e == 1 {
            let x = x0 + (n == 1 ? panelW / 2 : panelW * Double(e - 1) / Double(n - 1))
            svg += "<text x=\"\(fmt(x))\" y=\"\(fmt(top + panelH + 16))\" text-anchor=\"middle\">\(e)</text>\n"
        }
        svg += "<text x=\"\(fmt(x0 + panelW / 2))\" y=\"\(fmt(top + panelH + 34))\" text-anchor=\"middle\">epoch</text>\n"
        for (i, (name, color, values)) in series.enumerated() {
            let points = values.enumerated().map { e, v -> String in
                let x = x0 + (n == 1 ? panelW / 2 : panelW * Double(e) / Double(n - 1))
                let y = top + panelH - panelH * (min(max(v, yMin), yMax) - yMin) / span
                return fmt(x) + "," + fmt(y)
            }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>\n"
            for p in points {
                let xy = p.split(separator: ",")
                svg += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"2.5\" fill=\"\(color)\"/>\n"
            }
            // Legend in the corner the curves leave free: top right for a
            // falling loss, bottom right for rising accuracies.
            let ly = legendAtBottom ? top + panelH - 12 - Double(series.count - 1 - i) * 16 : top + 16 + Double(i) * 16
            let lx = x0 + panelW - 150
            svg += "<rect x=\"\(fmt(lx - 4))\" y=\"\(fmt(ly - 12))\" width=\"146\" height=\"16\" fill=\"white\" opacity=\"0.85\"/>\n"
            svg += "<line x1=\"\(fmt(lx))\" y1=\"\(fmt(ly - 4))\" x2=\"\(fmt(lx + 20))\" y2=\"\(fmt(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            let last = values.last.map(format) ?? ""
            svg += "<text x=\"\(fmt(lx + 26))\" y=\"\(fmt(ly))\">\(escape(name)) (last \(last))</text>\n"
        }
    }
    let losses = reports.map(\.loss)
    panel(x0: 60, label: "training loss (cross-entropy)", series: [("loss", "#c0392b", losses)],
          yMin: 0, yMax: max(losses.max() ?? 1, 0.1) * 1.05, legendAtBottom: false, format: { String(format: "%.2f", $0) })
    let train = reports.map { $0.trainAccuracy * 100 }, test = reports.map { $0.testAccuracy * 100 }
    let low = min(train.min() ?? 0, test.min() ?? 0)
    panel(x0: 460, label: "accuracy (%)", series: [("train", "#2471a3", train), ("test", "#229954", test)],
          yMin: max(0, (low - 2).rounded(.down)), yMax: 100, legendAtBottom: true, format: { String(format: "%.1f", $0) })
    svg += "</svg>\n"
    return svg
}

private func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
}
