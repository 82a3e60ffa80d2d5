import Foundation
import MinnowModel
import Testing

/// Architecture JSON files are user input too (train ARCH.json, firmware-sim
/// --arch): sizes that overflow `Int` are errors, not traps.
@Suite struct HostileArchitectureTests {
    func analyse(_ json: String) -> Result<ArchitectureAnalysis, Error> {
        Result { try ArchitectureAnalysis(try ArchitectureJSON.decode(Data(json.utf8))) }
    }

    /// `train big.json` trapped in ArchitectureAnalysis (multiply-adds 60,000³ · 9 · 60,000 overflow).
    @Test func convolutionWorkThatOverflowsIsAnError() {
        let json = """
        {"name": "big", "input": [60000, 60000, 60000], "layers": [
          {"name": "c", "type": "conv", "filters": 60000, "kernel": 3, "padding": "same"},
          {"name": "out", "type": "dense", "units": 10}]}
        """
        guard case let .failure(error) = analyse(json) else { Issue.record("accepted"); return }
        #expect("\(error)".contains("too large"), "\(error)")
    }

    /// Each layer countable, the total not.
    @Test func totalsThatOverflowAreAnError() {
        let layers = (1...6).map { "{\"name\": \"c\($0)\", \"type\": \"conv\", \"filters\": 60000, \"kernel\": 1}" }
        let json = "{\"name\": \"big\", \"input\": [60000, 60000, 60000], \"layers\": [\(layers.joined(separator: ","))]}"
        guard case let .failure(error) = analyse(json) else { Issue.record("accepted"); return }
        #expect("\(error)".contains("too large"), "\(error)")
    }

    @Test func poolingAndDenseThatOverflowAreErrors() {
        for layer in ["{\"name\": \"p\", \"type\": \"maxpool\", \"size\": 60000, \"stride\": 1, \"padding\": \"same\"}",
                      "{\"name\": \"d\", \"type\": \"dense\", \"units\": 60000}"] {
            let json = "{\"name\": \"big\", \"input\": [60000, 60000, 60000], \"layers\": [\(layer), \(layer.replacingOccurrences(of: "\"name\": \"", with: "\"name\": \"x"))]}"
            if case .success = analyse(json) { Issue.record("accepted: \(layer)") }
        }
    }
}
