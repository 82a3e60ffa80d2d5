#!/usr/bin/env bash
# Builds the Minnow Cortex-M4 firmware (main.c) for each model, runs it under QEMU
# mps2-an386 with the instruction-counting plugin, and reports: bit-exactness vs the
# Swift engine (the firmware's exit status), instructions per inference and per
# layer (and per MAC), stack high-water mark, flash and RAM.
#
# Usage:
#   firmware-sim/cortex-m/firmware/run.sh [--lib LIB.a] [--c-array DIR] [--out DIR]
#                                         [--json FILE] [--reference] [--quiet] [--no-api-checks] MODEL...
#
#   MODEL       MODEL.mnw: test vectors from DIR/<sym>_model.h (export-int8 --c-array DIR,
#               minnow-fixtures; DIR = --c-array or MODEL's directory/c; <sym> = the file
#               name as a C identifier). Without C arrays the bare model runs on one
#               deterministic input (counts only, no comparison).
#               Or directly DIR/<sym>_model.h.
#   --lib       default out/cortex-m4/libminnow.a (tools/build-embedded.sh)
#   --out       build directory (default out/firmware)
#   --json F    append JSON lines to F: one per layer
#               {"model","layer","name","kind","macs","output_bytes","instructions","instructions_per_mac","runs"}
#               and one per model {"model","total":true,"instructions_per_inference","macs",
#               "instructions_per_mac","flash","flash_test_vectors","ram","arena","stack_hwm","images","bit_exact"}
#   --reference build with MINNOW_KERNELS_REFERENCE instead of the optimized kernels
#   --quiet     only the summary tables (the firmware's output goes to OUT/<sym>.log)
#   --no-api-checks  skip the error-path firmware (below)
#
# Checks per model (exit 1 if any fails): the C array holds exactly the bytes of
# MODEL.mnw (else its expected outputs belong to another model), the ELF links with no allocator symbol
# (tools/check-no-allocator.sh --binary), the firmware exits 0 (every output bit-exact),
# and a second build with -D MINNOW_FW_API_CHECKS (OUT/<sym>-api-checks.elf) gets the
# right error status from every C entry point on this target (minnow_api_checks.c).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CM="$(cd "$HERE/.." && pwd)"
source "$CM/../../tools/embedded-env.sh"

LIB="$MINNOW_ROOT/out/cortex-m4/libminnow.a"
CDIR=""
OUT="$MINNOW_ROOT/out/firmware"
JSON=""
KDEF=()
QUIET=0
API_CHECKS=1
MODELS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --lib) LIB="${2:?}"; shift 2 ;;
        --c-array) CDIR="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        --json) JSON="${2:?}"; shift 2 ;;
        --reference) KDEF=(-D MINNOW_FW_KERNELS=MINNOW_KERNELS_REFERENCE); shift ;;
        --quiet) QUIET=1; shift ;;
        --no-api-checks) API_CHECKS=0; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) MODELS+=("$1"); shift ;;
    esac
done
[[ ${#MODELS[@]} -gt 0 ]] || die "usage: run.sh [options] MODEL.mnw|DIR/<sym>_model.h ..."
[[ -f "$LIB" ]] || die "$LIB not found: run tools/build-embedded.sh --target cortex-m4 first"
[[ "$OUT" = /* ]] || OUT="$PWD/$OUT"
mkdir -p "$OUT"

identifier() {   # as CArrayWriter.identifier
    local s; s="$(tr '[:upper:]' '[:lower:]' <<<"$1" | sed 's/[^a-z0-9]/_/g')"
    [[ "$s" =~ ^[a-z] ]] || s="m_$s"
    printf '%s' "$s"
}

SUMMARY=()
rc=0
for model in "${MODELS[@]}"; do
    [[ -f "$model" ]] || { echo "[firmware] $model not found"; rc=1; continue; }
    if [[ "$model" == *_model.h ]]; then
        src="$model"
    else
        base="$(basename "$model")"; sym="$(identifier "${base%.*}")"
        src="${CDIR:-$(dirname "$model")/c}/${sym}_model.h"
        if [[ ! -f "$src" ]]; then
            echo "[firmware] note: no C arrays at $src: counting $model on one fixed input, no comparison"
            src="$model"
        fi
    fi
    sym="$(basename "$src")"; sym="${sym%_model.h}"; sym="$(identifier "${sym%.mnw}")"
    work="$OUT/$sym"; mkdir -p "$work"
    info="$("$HERE/../../vectors/glue.sh" -o "$work/glue.c" "$src")"
    # The compiled-in C array must be this very model file (the expected outputs belong to it).
    if [[ "$model" == *.mnw && "$src" == *_model.h ]]; then
        od -An -v -tx1 "$model" | tr -s ' ' '\n' | sed '/^$/d' >"$work/file.hex"
        awk -v s="${sym}_model[" 'index($0, s) && /=/ { on = 1; next } on && /^};/ { exit }
            on { gsub(/[{},]/, " "); for (i = 1; i <= NF; i++) print tolower(substr($i, 3)) }' \
            "${src%.h}.c" >"$work/array.hex"
        if ! cmp -s "$work/file.hex" "$work/array.hex"; then
            echo "[firmware] $sym: FAIL: ${src%.h}.c does not hold the bytes of $model (re-export the C arrays)"
            rc=1; continue
        fi
    fi
    read -r -a srcs <<<"$(sed 's/.*sources=//' <<<"$info")"
    elf="$OUT/$sym.elf"
    echo "[firmware] $sym: $info"
    if ! "$CM/build.sh" -o "$elf" --no-default-lib --lib "$LIB" -I "$MINNOW_ROOT/Sources/MinnowC/include" \
            -I "$HERE/../../vectors" "${KDEF[@]}" "$HERE/main.c" "${srcs[@]}" >"$work/build.log" 2>&1; then
        cat "$work/build.log"; echo "[firmware] $sym: BUILD FAILED"; rc=1; continue
    fi
    if ! "$MINNOW_ROOT/tools/check-no-allocator.sh" --binary "$elf"; then rc=1; fi

    # The error path of every C entry point on Cortex-M4: a separate ELF, so that the
    # measured firmware's footprint holds no test-only code.
    celf="$OUT/$sym-api-checks.elf"
    if [[ $API_CHECKS -eq 0 ]]; then :
    elif "$CM/build.sh" -o "$celf" --no-default-lib --lib "$LIB" -I "$MINNOW_ROOT/Sources/MinnowC/include" \
            -I "$HERE/../../vectors" -D MINNOW_FW_API_CHECKS "$HERE/main.c" "$HERE/../../vectors/minnow_api_checks.c" \
            "${srcs[@]}" >"$work/build-api-checks.log" 2>&1 \
        && "$CM/run.sh" --timeout 60 "$celf" >"$work/api-checks.log" 2>&1; then
        echo "[firmware] $sym: $(grep '^\[fw\] error paths' "$work/api-checks.log")"
    else
        cat "$work/build-api-checks.log" "$work/api-checks.log" 2>/dev/null | tail -30
        echo "[firmware] $sym: error-path checks FAILED"; rc=1
    fi

    log="$OUT/$sym.log"; raw="$OUT/$sym.counts"
    set +e
    "$CM/count.sh" --report "$raw" "$elf" >"$log" 2>&1
    frc=$?
    set -e
    if [[ $QUIET -eq 0 ]]; then grep -v '^\[fw\] layer ' "$log" | grep -v '^\[count\] segment' || true; fi
    if [[ $frc -ne 0 ]]; then
        [[ $QUIET -eq 1 ]] && cat "$log"
        echo "[firmware] $sym: FAIL (firmware exit status $frc)"; rc=1; continue
    fi
    hwm="$(sed -n 's/.*stack high water \([0-9][0-9]*\) of.*/\1/p' "$log" | tail -1)"
    fp="$("$CM/footprint.sh" "$elf" --stack-hwm "${hwm:-0}" --arena-symbol minnow_arena)"
    [[ $QUIET -eq 0 ]] && grep -v '^footprint ' <<<"$fp"
    fpline="$(grep '^footprint ' <<<"$fp")"
    kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }
    flash="$(kv flash "$fpline")"; ram="$(kv ram "$fpline")"; arena="$(kv arena "$fpline")"
    # Flash the test vectors take (not part of a deployed firmware) and the model bytes.
    tv="$(arm-none-eabi-nm -S -t d "$elf" | awk -v s="$sym" 'NF == 4 && ($4 == s "_test_inputs" || $4 == s "_test_outputs" || $4 == s "_test_labels") { t += $2 } END { print t + 0 }')"
    result="$(grep '^\[fw\] result ' "$log" | tail -1)"
    images="$(kv images "$result")"; exact="$(kv bit_exact "$result")"; macs="$(kv macs "$result")"
    per_inference="$(awk '$2 == "window" && $3 == "marked" { printf "%d", ($9 > 0 ? $7 / $9 : 0) }' "$raw")"

    # Per-layer table: the firmware's layer lines joined with the segment counts.
    table="$(awk -v sym="$sym" -v json="$work/layers.jsonl" '
        FNR == NR { if ($2 == "segment") { seg[$3] = $5; runs[$3] = $7 } next }
        $1 == "[fw]" && $2 == "layer" {
            i = $3
            ins = (i in runs && runs[i] > 0) ? seg[i] / runs[i] : 0
            ipm = ($6 > 0) ? sprintf("%.2f", ins / $6) : "-"
            printf "  %-3s %-16s %-15s %10d %10d %14.0f %9s\n", i, $4, $5, $6, $7, ins, ipm
            printf "{\"model\":\"%s\",\"layer\":%d,\"name\":\"%s\",\"kind\":\"%s\",\"macs\":%d,\"output_bytes\":%d,\"instructions\":%.0f,\"instructions_per_mac\":%s,\"runs\":%d}\n", \
                sym, i, $4, $5, $6, $7, ins, ($6 > 0 ? sprintf("%.3f", ins / $6) : "null"), runs[i] > json
        }' "$raw" "$log")"
    ipm_total="$(awk -v a="$per_inference" -v b="$macs" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
    bitexact=true; [[ "$images" -gt 0 && "$exact" == "$images" ]] || bitexact=false
    [[ "$images" -gt 0 ]] || bitexact=null
    printf '{"model":"%s","total":true,"instructions_per_inference":%s,"macs":%s,"instructions_per_mac":%s,"flash":%s,"flash_test_vectors":%s,"ram":%s,"arena":%s,"stack_hwm":%s,"images":%s,"bit_exact":%s}\n' \
        "$sym" "$per_inference" "$macs" "$([[ "$ipm_total" == - ]] && echo null || echo "$ipm_total")" \
        "$flash" "$tv" "$ram" "$arena" "${hwm:-0}" "$images" "$bitexact" >>"$work/layers.jsonl"
    [[ -n "$JSON" ]] && cat "$work/layers.jsonl" >>"$JSON"

    echo
    echo "[firmware] $sym on Cortex-M4 (QEMU mps2-an386, exact instruction counts, $( [[ ${#KDEF[@]} -gt 0 ]] && echo reference || echo optimized) kernels):"
    printf '  %-3s %-16s %-15s %10s %10s %14s %9s\n' "#" layer kind MACs "out bytes" "instructions" "per MAC"
    printf '%s\n' "$table"
    printf '  %-36s %10s %10s %14s %9s\n' "one inference (invoke)" "$macs" "" "$per_inference" "$ipm_total"
    echo "  images $images, bit-exact $exact; flash $flash B (of which test vectors $tv B), RAM $ram B (arena $arena + other data/bss + stack high water ${hwm:-?})"
    SUMMARY+=("$(printf '%-24s %8s %8s %8s %8s %8s %8s %9s %10s' "$sym" "$flash" "$((flash - tv))" "$ram" "$arena" "${hwm:-?}" "$macs" "$per_inference" "$ipm_total")")
    rm -f "$work/layers.jsonl"
done

if [[ ${#SUMMARY[@]} -gt 0 ]]; then
    echo
    echo "[firmware] summary (bytes; instructions per inference exact under QEMU):"
    echo "  (flash-tv = flash without the compiled-in test vectors; RAM = data + bss incl. arena + stack high water)"
    printf '  %-24s %8s %8s %8s %8s %8s %8s %9s %10s\n' model flash flash-tv RAM arena stack MACs insns/inf "insns/MAC"
    printf '  %s\n' "${SUMMARY[@]}"
fi
exit $rc
