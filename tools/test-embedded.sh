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
else
    skip core-build "no toolchain"; skip no-alloc "no toolchain"
    skip smoke-host "no toolchain"; skip smoke-qemu "no toolchain"
fi

echo
echo "=================== test-embedded summary ==================="
for i in "${!STEPS[@]}"; do
    printf '  %-12s %-28s %4ss   (log: out/test-embedded/%s.log)\n' "${STEPS[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}" "${STEPS[$i]}"
done
if [[ $FAILED -ne 0 ]]; then
    echo "test-embedded: FAIL"
    exit 1
fi
echo "test-embedded: PASS"
