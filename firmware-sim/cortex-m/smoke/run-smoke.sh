#!/usr/bin/env bash
# End-to-end smoke test of the Embedded-Swift chain, independent of the engine:
# Smoke.swift (int8 dot product / fully connected / requantize, @_cdecl) is compiled
# with the flags of tools/build-embedded.sh, then
#   host:      linked into smoke_main.c with a plain `cc` (no Swift runtime; ldd shows
#              only libc), run, checked bit for bit against C
#   cortex-m4: linked with startup.c + mps2-an386.ld, run under QEMU mps2-an386,
#              instruction counts taken twice (must be identical), footprint printed
#   both:      no allocator reachable (tools/check-no-allocator.sh)
#
# Usage: firmware-sim/cortex-m/smoke/run-smoke.sh [--host-only | --cortex-m4-only]
# Outputs under out/smoke/. Exit 0 when every check passes.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../../tools/embedded-env.sh"
CM="$MINNOW_ROOT/firmware-sim/cortex-m"
OUT="$MINNOW_ROOT/out/smoke"

DO_HOST=1; DO_CM=1
case "${1:-}" in
    --host-only) DO_CM=0 ;;
    --cortex-m4-only) DO_HOST=0 ;;
    "") ;;
    *) die "usage: run-smoke.sh [--host-only | --cortex-m4-only]" ;;
esac
T=all
[[ $DO_HOST -eq 1 && $DO_CM -eq 0 ]] && T=host
[[ $DO_HOST -eq 0 && $DO_CM -eq 1 ]] && T=cortex-m4

echo "== smoke: Embedded-Swift build ($T)"
"$MINNOW_ROOT/tools/build-embedded.sh" --target "$T" --module MinnowSmoke --lib libsmoke.a --out "$OUT" \
    "$HERE/Smoke.swift"

if [[ $DO_HOST -eq 1 ]]; then
    echo "== smoke: host (x86_64, plain cc, no Swift runtime)"
    BIN="$OUT/host/smoke_host"
    "$MINNOW_ROOT/tools/link-host-c.sh" -o "$BIN" --no-default-lib --lib "$OUT/host/libsmoke.a" "$HERE/smoke_main.c"
    if nm "$BIN" | grep -q -i 'swift_\(retain\|release\|allocObject\)'; then die "host smoke contains Swift runtime symbols"; fi
    "$BIN" | tee "$OUT/host/output.txt"
    "$MINNOW_ROOT/tools/check-no-allocator.sh" --target host --lib "$OUT/host/libsmoke.a"
fi

if [[ $DO_CM -eq 1 ]]; then
    echo "== smoke: Cortex-M4 under QEMU mps2-an386"
    ELF="$OUT/cortex-m4/smoke.elf"
    "$CM/build.sh" -o "$ELF" --no-default-lib --lib "$OUT/cortex-m4/libsmoke.a" "$HERE/smoke_main.c"
    "$CM/run.sh" --timeout 60 "$ELF" | tee "$OUT/cortex-m4/output.txt"
    [[ ${PIPESTATUS[0]} -eq 0 ]] || die "the firmware failed"
    if [[ -f "$OUT/host/output.txt" ]]; then
        if cmp -s <(grep '^smoke:' "$OUT/host/output.txt") <(grep '^smoke:' "$OUT/cortex-m4/output.txt"); then
            echo "host (x86_64) and Cortex-M4 results identical: $(grep -o 'checksum=0x[0-9a-f]*' "$OUT/cortex-m4/output.txt")"
        else
            die "host and Cortex-M4 results differ"
        fi
    fi
    "$MINNOW_ROOT/tools/check-no-allocator.sh" --target cortex-m4 --lib "$OUT/cortex-m4/libsmoke.a"
    "$MINNOW_ROOT/tools/check-no-allocator.sh" --binary "$ELF"

    echo "== smoke: exact instruction counts (two runs must agree)"
    SYMS=(smoke_fully_connected_i8 're:^\$e11MinnowSmoke')
    "$CM/count.sh" --timeout 60 --report "$OUT/cortex-m4/count1.txt" "$ELF" "${SYMS[@]}" >"$OUT/cortex-m4/count1.log"
    "$CM/count.sh" --timeout 60 --report "$OUT/cortex-m4/count2.txt" "$ELF" "${SYMS[@]}" >"$OUT/cortex-m4/count2.log"
    grep '^\[count\]' "$OUT/cortex-m4/count1.log"
    cmp -s "$OUT/cortex-m4/count1.txt" "$OUT/cortex-m4/count2.txt" || {
        diff "$OUT/cortex-m4/count1.txt" "$OUT/cortex-m4/count2.txt" >&2 || true
        die "instruction counts differ between two runs"
    }
    MACS=16384
    FC="$(awk '$2 == "range" && $3 ~ /smokeFullyConnectedI8/ { print $7 }' "$OUT/cortex-m4/count1.txt")"
    WIN="$(awk '$2 == "window" && $3 == "marked" { print $7 }' "$OUT/cortex-m4/count1.txt")"
    echo "instruction counts identical in two runs; fully connected 64x256: $WIN insns inclusive ($FC in its loop body function) for $MACS MACs = $(awk -v a="$WIN" -v m=$MACS 'BEGIN { printf "%.2f", a / m }') insns/MAC"

    echo "== smoke: footprint"
    "$CM/footprint.sh" "$ELF" --run
fi
echo "== smoke: PASS"
