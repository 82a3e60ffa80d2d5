import MinnowModel

/// The report as JSON (schema in docs/firmware-sim.md, "minnow.firmware-sim.report/1").
public enum JSONReport {
    public static let schema = "minnow.firmware-sim.report/1"

    public static func value(_ r: SimulationReport) -> JSONValue {
        func shape(_ s: TensorShape) -> JSONValue { .array([.int(s.height), .int(s.width), .int(s.channels)]) }
        let layers: [JSONValue] = r.layers.map { l in
            .object([
                "index": .int(l.index),
                "name": .string(l.name),
                "kind": .string(l.kind),
                "inputs": .array(l.inputs.map { .string($0) }),
                "output_shape": shape(l.outputShape),
                "units": .int(l.units),
                "connections": .int(l.connections),
                "weights": .int(l.weights),
                "biases": .int(l.biases),
                "parameters": .int(l.parameters),
                "macs": .int(l.macs),
                "weight_bytes": .int(l.weightBytes),
                "activation_bytes": .int(l.activationBytes),
                "scratch_bytes": .int(l.scratchBytes),
                "arena_offset": .int(l.arenaOffset),
                "scratch_offset": l.scratchOffset.map { .int($0) } ?? .null,
                "first_step": .int(l.firstStep),
                "last_step": .int(l.lastStep),
                "estimated_cycles": .int(Int(l.estimatedCycles.rounded())),
                "estimated_us": .decimal(l.estimatedMicroseconds, digits: 1),
                "measured_us": l.measuredMicroseconds.map { .decimal($0, digits: 2) } ?? .null,
                "instructions": l.instructions.map { .int($0) } ?? .null,
                "instructions_per_mac": l.instructionsPerMAC.map { .decimal($0, digits: 3) } ?? .null,
            ])
        }
        let t = r.totals
        var totals: [String: JSONValue] = [
            "parameters": .int(t.parameters),
            "macs": .int(t.macs),
            "weight_bytes": .int(t.weightBytes),
            "flash_bytes": .int(t.flashBytes),
            "flash_bytes_source": .string(t.flashBytesMeasured ? "model_file" : "estimate"),
            "arena_bytes": .int(t.arenaBytes),
            "arena_lower_bound_bytes": .int(t.arenaLowerBoundBytes),
            "peak_step": .int(t.peakStep),
            "estimated_cycles": .int(Int(t.estimatedCycles.rounded())),
            "estimated_ms": .decimal(t.estimatedMilliseconds, digits: 3),
            "measured_ms": r.measured.map { .decimal($0.totalMicroseconds / 1000, digits: 4) } ?? .null,
            "instructions": r.qemu.map { .int($0.instructionsPerInference) } ?? .null,
            "instructions_per_mac": r.qemu?.instructionsPerMAC.map { .decimal($0, digits: 3) } ?? .null,
        ]
        if t.peakStep >= 0 && t.peakStep < r.layers.count { totals["peak_layer"] = .string(r.layers[t.peakStep].name) }
        let v = r.verdict
        let b = v.board
        let board: JSONValue = .object([
            "name": .string(b.id),
            "display_name": .string(b.displayName),
            "mcu": .string(b.mcu),
            "core": .string(b.core.rawValue),
            "clock_mhz": .decimal(b.clockMHz, digits: 1),
            "flash_bytes": .int(b.flashBytes),
            "ram_bytes": .int(b.ramBytes),
            "memory_note": .string(b.memoryNote),
            "flash_required_bytes": .int(v.flashRequiredBytes),
            "ram_required_bytes": .int(v.ramRequiredBytes),
            "flash_margin_bytes": .int(v.flashMarginBytes),
            "ram_margin_bytes": .int(v.ramMarginBytes),
            "arena_budget_bytes": .int(r.arenaBudgetBytes),
            "fits_flash": .bool(v.fitsFlash),
            "fits_ram": .bool(v.fitsRAM),
            "fits": .bool(v.fits),
        ])
        let buffers: [JSONValue] = r.buffers.map { buf in
            .object([
                "name": .string(buf.name), "role": .string(buf.role.rawValue), "layer": .int(buf.layer),
                "bytes": .int(buf.bytes), "offset": .int(buf.offset),
                "first_step": .int(buf.firstStep), "last_step": .int(buf.lastStep),
                "slice_of": buf.sliceOf.map { .string($0) } ?? .null,
                "overwrites": buf.overwrites.map { .string($0) } ?? .null,
            ])
        }
        let measured: JSONValue = r.measured.map { m in
            .object([
                "host": .string(m.host), "images": .int(m.images),
                "accuracy": m.accuracy.map { .decimal($0, digits: 4) } ?? .null,
                "arena_bytes_used": .int(m.arenaBytesUsed),
                "total_us": .decimal(m.totalMicroseconds, digits: 2),
            ])
        } ?? .null
        let qemu: JSONValue = r.qemu.map { q in
            func int(_ v: Int?) -> JSONValue { v.map { .int($0) } ?? .null }
            return .object([
                "machine": .string("qemu-system-arm -M mps2-an386 (Cortex-M4)"),
                "firmware_model": .string(q.model),
                "instructions_per_inference": .int(q.instructionsPerInference),
                "macs": .int(q.macs),
                "instructions_per_mac": q.instructionsPerMAC.map { .decimal($0, digits: 3) } ?? .null,
                "images": int(q.images),
                "bit_exact": q.bitExact.map { .bool($0) } ?? .null,
                "flash_bytes": int(q.flashBytes),
                "flash_test_vector_bytes": int(q.flashTestVectorBytes),
                "flash_without_test_vectors_bytes": int(q.deployedFlashBytes),
                "ram_bytes": int(q.ramBytes),
                "arena_bytes": int(q.arenaBytes),
                "stack_high_water_bytes": int(q.stackHighWaterBytes),
                "layers": .array(q.layers.map { l in
                    .object([
                        "index": .int(l.index), "name": .string(l.name), "kind": .string(l.kind),
                        "macs": .int(l.macs), "output_bytes": .int(l.outputBytes),
                        "instructions": .int(l.instructions),
                        "instructions_per_mac": l.instructionsPerMAC.map { .decimal($0, digits: 3) } ?? .null,
                        "runs": .int(l.runs),
                    ])
                }),
            ])
        } ?? .null
        return .object([
            "schema": .string(schema),
            "model": .object([
                "name": .string(r.modelName),
                "origin": .string(r.origin),
                "input_shape": shape(r.inputShape),
            ]),
            "input": .object([
                "bytes": .int(r.input.bytes), "arena_offset": .int(r.input.offset),
                "first_step": .int(r.input.firstStep), "last_step": .int(r.input.lastStep),
            ]),
            "layers": .array(layers),
            "totals": .object(totals),
            "board": board,
            "latency_model": .object([
                "cycles_per_mac": .decimal(r.latency.cyclesPerMAC, digits: 2),
                "cycles_per_requantize": .decimal(r.latency.cyclesPerRequantize, digits: 2),
                "cycles_per_element": .decimal(r.latency.cyclesPerElement, digits: 2),
                "cycles_per_layer": .decimal(r.latency.cyclesPerLayer, digits: 2),
                "clock_mhz": .decimal(b.clockMHz, digits: 1),
                "basis": .string(r.cyclesPerInstruction.map { QEMUProfile.latencyBasis(cyclesPerInstruction: $0) } ?? r.latency.basis),
                "source": .string(r.cyclesPerInstruction == nil ? "assumed" : "qemu_instructions"),
                "cycles_per_instruction": r.cyclesPerInstruction.map { .decimal($0, digits: 2) } ?? .null,
            ]),
            "reserves": .object([
                "ram_bytes": .int(r.reserves.ramBytes),
                "flash_bytes": .int(r.reserves.flashBytes),
            ]),
            "arena": .object([
                "bytes": .int(t.arenaBytes),
                "lower_bound_bytes": .int(t.arenaLowerBoundBytes),
                "alignment": .int(MemoryPlan.alignment),
                "buffers": .array(buffers),
                "live_bytes_per_step": .array(r.liveBytesPerStep.map { .int($0) }),
            ]),
            "measured": measured,
            "qemu": qemu,
            "in_place": .object([
                "arena_bytes": .int(r.inPlace.arenaBytes),
                "arena_without_in_place_bytes": .int(r.inPlace.arenaWithoutInPlaceBytes),
                "saved_bytes": .int(r.inPlace.savedBytes),
                "lower_bound_bytes": .int(r.inPlace.lowerBoundBytes),
                "slices": .array(r.inPlace.slices.map { .string($0) }),
                "zero_copy_concats": .array(r.inPlace.zeroCopyConcats.map { .string($0) }),
                "in_place_layers": .array(r.inPlace.inPlaceLayers.map { .string($0) }),
            ]),
            "notes": .array(r.notes.map { .string($0) }),
        ])
    }

    public static func render(_ r: SimulationReport) -> String { value(r).serialized() }
}
