#!/usr/bin/env bash
# Per-layer exact instruction counts of a model on Cortex-M4 (QEMU mps2-an386 + the
# project's TCG plugin), as JSON lines on stdout — for `firmware-sim run MODEL --qemu`.
#
# Usage:
#   firmware-sim/cortex-m/profile.sh [--c-array DIR] [--reference] MODEL.mnw
#
# Builds out/cortex-m4/libminnow.a when missing or stale, builds the firmware
# (firmware-sim/cortex-m/firmware) with MODEL compiled in and runs it: on the
# model's test images when its C arrays exist (DIR/<sym>_model.h, default MODEL's
# directory/c; the outputs are then also checked bit for bit), else on one fixed input.
#
# stdout, one JSON object per line:
#   {"model":"lenet5","layer":0,"name":"C1","kind":"conv","macs":117600,"output_bytes":4704,
#    "instructions":7100036,"instructions_per_mac":60.374,"runs":16}
#   ...
#   {"model":"lenet5","total":true,"instructions_per_inference":12504166,"macs":416520,
#    "instructions_per_mac":30.02,"flash":102776,"flash_test_vectors":12720,"ram":9156,"arena":7792,"stack_hwm":852,
#    "images":16,"bit_exact":true}
# "instructions" = the layer's minnow_invoke_layer call (callees included), averaged over
# the runs; "instructions_per_inference" = one minnow_invoke. Everything else goes to
# stderr. Exit status: 0, or non-zero when the build, the run or a bit-exact check fails.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../tools/embedded-env.sh"
ARGS=()
MODEL=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --c-array) ARGS+=(--c-array "${2:?}"); shift 2 ;;
        --reference) ARGS+=(--reference); shift ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) [[ -z "$MODEL" ]] || die "one model at a time"; MODEL="$1"; shift ;;
    esac
done
[[ -n "$MODEL" ]] || die "usage: profile.sh [--c-array DIR] [--reference] MODEL.mnw"
[[ -f "$MODEL" ]] || die "$MODEL not found"
LIB="$MINNOW_ROOT/out/cortex-m4/libminnow.a"
# (Re)build the library when it is missing or older than a Swift source.
if [[ ! -f "$LIB" || -n "$(find "$MINNOW_ROOT/Sources/MinnowCore" "$MINNOW_ROOT/Sources/MinnowC" \
        -name '*.swift' -newer "$LIB" -print -quit 2>/dev/null)" ]]; then
    "$MINNOW_ROOT/tools/build-embedded.sh" --target cortex-m4 >&2
fi
OUT="$(mktemp -d "${TMPDIR:-/tmp}/minnow-profile.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
"$HERE/firmware/run.sh" --quiet --no-api-checks --lib "$LIB" --out "$OUT" --json "$OUT/profile.jsonl" "${ARGS[@]}" "$MODEL" >&2
cat "$OUT/profile.jsonl"
