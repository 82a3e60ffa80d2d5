import Testing
import Foundation
import MinnowCore
@testable import MinnowModel

@Suite struct ArchitectureTests {
    @Test func lenet5MatchesTheClassicTable() throws {
        let a = try ArchitectureAnalysis(BuiltinArchitectures.lenet5)
        let expected: [(String, Int, Int, Int)] = [
            ("C1", 4704, 117_600, 150), ("S2", 1176, 4704, 0), ("C3", 1600, 240_000, 2400),
            ("S4", 400, 1600, 0), ("F5", 120, 48_000, 48_000), ("F6", 84, 10_080, 10_080),
            ("output", 10, 840, 840),
        ]
        #expect(a.layers.count == expected.count)
        for (layer, row) in zip(a.layers, expected) {
            #expect(layer.name == row.0)
            #expect(layer.units == row.1, "units of \(row.0)")
            #expect(layer.connections == row.2, "connections of \(row.0)")
            #expect(layer.weights == row.3, "weights of \(row.0)")
        }
        #expect(a.macs == 416_520)
        #expect(a.parameters == 61_706)
    }

    @Test func inceptionLiteIsUnderAThirdOfLeNet() throws {
        let a = try ArchitectureAnalysis(BuiltinArchitectures.inceptionLite)
        #expect(a.parameters * 3 <= 61_706)
        #expect(a.outputShape == .vector(10))
    }

    @Test func invalidGeometryNamesLayerAndFraction() {
        let arch = Architecture(name: "bad", input: TensorShape(height: 10, width: 10, channels: 1), layers: [
            Layer("pool", .pooling(Pooling(kind: .max, size: .square(3), stride: .square(2)))),
        ])
        do {
            _ = try ArchitectureAnalysis(arch)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("pool"))
            #expect(error.description.contains("4.5"))
        }
        var floorArch = arch
        floorArch.layers[0].operation = .pooling(Pooling(kind: .max, size: .square(3), stride: .square(2), rounding: .floor))
        #expect((try? ArchitectureAnalysis(floorArch))?.outputShape == TensorShape(height: 4, width: 4, channels: 1))
        floorArch.layers[0].operation = .pooling(Pooling(kind: .max, size: .square(3), stride: .square(2), rounding: .ceil))
        #expect((try? ArchitectureAnalysis(floorArch))?.outputShape == TensorShape(height: 5, width: 5, channels: 1))
    }

    @Test func jsonRoundTrip() throws {
        for arch in [BuiltinArchitectures.lenet5, BuiltinArchitectures.inceptionLite] {
            let data = ArchitectureJSON.encode(arch)
            let back = try ArchitectureJSON.decode(data)
            #expect(back == arch)
        }
    }

    @Test func jsonErrorsNameTheLayer() {
        let text = #"{"input":[28,28,1],"layers":[{"name":"c1","type":"conv","kernel":3}]}"#
        do {
            _ = try ArchitectureJSON.decode(Data(text.utf8))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("c1"))
            #expect("\(error)".contains("filters"))
        }
    }
}

@Suite struct ArenaPlannerTests {
    @Test func chainReusesMemory() {
        // a → b → c → d: at most two live at once.
        let buffers = [
            ArenaPlanner.Buffer(size: 100, firstStep: -1, lastStep: 0),
            ArenaPlanner.Buffer(size: 200, firstStep: 0, lastStep: 1),
            ArenaPlanner.Buffer(size: 50, firstStep: 1, lastStep: 2),
            ArenaPlanner.Buffer(size: 10, firstStep: 2, lastStep: 3),
        ]
        let plan = ArenaPlanner.plan(buffers)
        #expect(ArenaPlanner.isValid(plan, for: buffers))
        #expect(ArenaPlanner.lowerBound(buffers) == 208 + 112)
        #expect(plan.totalBytes == 208 + 112)
        #expect(plan.offsets.allSatisfy { $0 % 16 == 0 })
    }

    @Test func randomPlansAreValidAndAboveTheBound() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let n = Int.random(in: 1...12, using: &rng)
            let buffers = (0..<n).map { _ -> ArenaPlanner.Buffer in
                let first = Int.random(in: -1...8, using: &rng)
                return ArenaPlanner.Buffer(size: Int.random(in: 0...300, using: &rng), firstStep: first,
                                           lastStep: first + Int.random(in: 0...4, using: &rng))
            }
            let plan = ArenaPlanner.plan(buffers)
            #expect(ArenaPlanner.isValid(plan, for: buffers))
            #expect(plan.totalBytes >= ArenaPlanner.lowerBound(buffers))
        }
    }
}

@Suite struct MemoryPlanTests {
    @Test func lenet5PlanIsValid() throws {
        let analysis = try ArchitectureAnalysis(BuiltinArchitectures.lenet5)
        let plan = MemoryPlan(analysis, inPlace: false)
        let buffers = plan.entries.map { ArenaPlanner.Buffer(size: $0.bytes, firstStep: $0.firstStep, lastStep: $0.lastStep) }
        #expect(ArenaPlanner.isValid(ArenaPlanner.Plan(offsets: plan.entries.map(\.offset), totalBytes: plan.arenaBytes), for: buffers))
        // C1's output (4704) and S2's (1176) are alive together: the bound is at least their sum.
        #expect(plan.lowerBoundBytes >= 4704 + 1184)
        #expect(plan.arenaBytes >= plan.lowerBoundBytes)
    }
}
