#!/usr/bin/env bash
# The Embedded-Swift / C host / Cortex-M4 test suite, for the project's test command.
#
#   1. toolchain   Debian packages for Cortex-M4 + QEMU (installed when missing)
#   2. core-build  the engine core (+ C API) in Embedded mode, x86_64 and Cortex-M4
#                  (tools/build-embedded.sh: any compile error fails)
#   3. no-alloc    no allocator / refcount symbol reachable from the engine after a
#                  --gc-sections link (tools/check-no-allocator.sh)
#   4. smoke-host  Embedded-Swift smoke library linked into a plain cc program (libc only)
#   5. smoke-qemu  the same on Cortex-M4 under QEMU mps2-an386, exact instruction
#                  counts (identical in two runs), footprint
#   6. fixtures    random-weight LeNet-5, Inception-lite and all-opcode models + C arrays
#                  with the Swift engine's outputs (swift run minnow-fixtures out/fixtures)
#   7. c-host      firmware-sim/c-host: the C API from a plain cc program (libc only, no
#                  allocator), every entry point, outputs bit-exact vs the Swift engine —
#                  on the fixtures and on the exported models in models/ (models/*.mnw with
#                  their C arrays in models/c/) when they exist
#   8. firmware    firmware-sim/cortex-m/firmware under QEMU for the same models: bit-exact,
#                  instructions per inference and per layer, stack, flash and RAM
#                  (JSON lines in out/firmware/results.jsonl)
#   9. no-alloc-bin  the linked C hosts and firmware ELFs hold no allocator symbol
#
# Usage: tools/test-embedded.sh [--no-install]
# Logs: out/test-embedded/<step>.log. Prints a PASS/FAIL summary; exit 1 on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/embedded-env.sh"
cd "$MINNOW_ROOT"

INSTALL=1
[[ "${1:-}" == "--no-install" ]] && INSTALL=0

LOGDIR="$MINNOW_ROOT/out/test-embedded"
mkdir -p "$LOGDIR"
STEPS=(); RESULTS=(); TIMES=()
FAILED=0

step() {   # name command... ; runs it, streams and logs output, records PASS/WARN/FAIL
    local name="$1"; shift
    local log="$LOGDIR/$name.log" t0=$SECONDS rc
    echo
    echo "=================== $name ==================="
    set +e
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    local res=PASS
    if [[ $rc -ne 0 ]]; then res=FAIL; FAILED=1
    elif grep -q 'WARNING' "$log"; then res=WARN; fi
    STEPS+=("$name"); RESULTS+=("$res"); TIMES+=($((SECONDS - t0)))
    [[ $rc -eq 0 ]]
}
skip() { STEPS+=("$1"); RESULTS+=("SKIP ($2)"); TIMES+=(0); FAILED=1; }

# Random-weight models for the C host and firmware (no trained checkpoint needed).
# Uses the SwiftPM build of tools/test.sh when it exists (swift build --build-tests);
# MINNOW_SCRATCH_PATH=DIR builds in another scratch directory instead of .build.
build_fixtures() {
    local scratch=()
    [[ -n "${MINNOW_SCRATCH_PATH:-}" ]] && scratch=(--scratch-path "$MINNOW_SCRATCH_PATH")
    swift build "${scratch[@]}" --product minnow-fixtures
    "$(swift build "${scratch[@]}" --show-bin-path)/minnow-fixtures" out/fixtures
}

TOOLS_OK=1
if [[ $INSTALL -eq 1 ]]; then
    step toolchain tools/install-toolchain.sh || TOOLS_OK=0
else
    step toolchain tools/install-toolchain.sh --check || TOOLS_OK=0
fi

CORE_OK=0
if [[ $TOOLS_OK -eq 1 ]]; then
    step core-build tools/build-embedded.sh && CORE_OK=1
    if [[ $CORE_OK -eq 1 ]]; then
        step no-alloc tools/check-no-allocator.sh || true
    else
        skip no-alloc "core did not build"
    fi
    step smoke-host firmware-sim/cortex-m/smoke/run-smoke.sh --host-only || true
    step smoke-qemu firmware-sim/cortex-m/smoke/run-smoke.sh --cortex-m4-only || true

    # Models: the random-weight fixtures always; the exported models when committed.
    FIX_OK=0
    step fixtures build_fixtures && FIX_OK=1
    MODELS=()
    [[ $FIX_OK -eq 1 ]] && MODELS+=(out/fixtures/lenet5.mnw out/fixtures/inception_lite.mnw out/fixtures/allops.mnw)
    for m in models/*.mnw; do [[ -f "$m" ]] && MODELS+=("$m"); done
    if [[ $CORE_OK -eq 1 && ${#MODELS[@]} -gt 0 ]]; then
        rm -rf out/c-host out/firmware
        step c-host firmware-sim/c-host/run.sh "${MODELS[@]}" || true
        mkdir -p out/firmware
        step firmware firmware-sim/cortex-m/firmware/run.sh --json out/firmware/results.jsonl "${MODELS[@]}" || true
        BINS=(out/c-host/*/minnow_host out/firmware/*.elf)
        step no-alloc-bin tools/check-no-allocator.sh --binary "${BINS[@]}" || true
    else
        skip c-host "no core library or no model"; skip firmware "no core library or no model"
        skip no-alloc-bin "no core library or no model"
    fi
else
    skip core-build "no toolchain"; skip no-alloc "no toolchain"
    skip smoke-host "no toolchain"; skip smoke-qemu "no toolchain"
    skip fixtures "no toolchain"; skip c-host "no toolchain"; skip firmware "no toolchain"
    skip no-alloc-bin "no toolchain"
fi

echo
echo "=================== test-embedded summary ==================="
for i in "${!STEPS[@]}"; do
    printf '  %-13s %-28s %4ss   (log: out/test-embedded/%s.log)\n' "${STEPS[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}" "${STEPS[$i]}"
done
if [[ $FAILED -ne 0 ]]; then
    echo "test-embedded: FAIL"
    exit 1
fi
echo "test-embedded: PASS"
