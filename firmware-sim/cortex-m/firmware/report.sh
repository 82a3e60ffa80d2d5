#!/usr/bin/env bash
# The one command behind the Cortex-M4 numbers in docs/cortex-m.md: builds the engine
# library, runs the firmware under QEMU for each model (bit-exact check, exact
# instruction counts) and prints Markdown tables: flash, RAM, stack, instructions per
# inference and per MAC, and per layer — with the optimized kernels (what the engine
# runs) and, for comparison, the reference kernels (MINNOW_KERNELS_REFERENCE).
#
# Usage:
#   firmware-sim/cortex-m/firmware/report.sh [MODEL.mnw...]
#
# Default models: models/*.mnw (the exported, trained models, with their C arrays in
# models/c/) when there are any, else the random-weight fixtures LeNet-5 and
# Inception-lite (swift run minnow-fixtures out/fixtures). Instruction counts do not
# depend on the weights' values beyond a few data-dependent branches (max pooling,
# clamps). Logs and ELFs: out/firmware-report/.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../../tools/embedded-env.sh"
cd "$MINNOW_ROOT"
MODELS=("$@")
if [[ ${#MODELS[@]} -eq 0 ]]; then
    for m in models/*.mnw; do [[ -f "$m" ]] && MODELS+=("$m"); done
fi
if [[ ${#MODELS[@]} -eq 0 ]]; then
    echo "[report] no models/*.mnw: using the random-weight fixtures" >&2
    swift build --product minnow-fixtures >&2
    "$(swift build --show-bin-path)/minnow-fixtures" out/fixtures --only lenet5,inception_lite >&2
    MODELS=(out/fixtures/lenet5.mnw out/fixtures/inception_lite.mnw)
fi
tools/build-embedded.sh >&2
OUT=out/firmware-report
rm -rf "$OUT"; mkdir -p "$OUT"
"$HERE/run.sh" --out "$OUT" --json "$OUT/results.jsonl" "${MODELS[@]}" >"$OUT/run.log" 2>&1 || {
    cat "$OUT/run.log" >&2; echo "[report] FAILED (log: $OUT/run.log)" >&2; exit 1; }
# The same with the reference kernels (the plain loops), for comparison.
"$HERE/run.sh" --reference --quiet --out "$OUT/reference" --json "$OUT/reference.jsonl" "${MODELS[@]}" \
    >"$OUT/reference.log" 2>&1 || {
    cat "$OUT/reference.log" >&2; echo "[report] FAILED (log: $OUT/reference.log)" >&2; exit 1; }

# JSON lines -> Markdown (flat objects with string/number/bool/null values only).
awk -v swiftc="$("$SWIFTC" --version 2>/dev/null | head -1)" -v commit="$(git rev-parse --short HEAD 2>/dev/null || echo '?')" '
function val(k,   r) { if (match($0, "\"" k "\":(\"[^\"]*\"|[^,}]*)")) { r = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3); gsub(/"/, "", r); return r } return "" }
function commas(n,   s) { s = sprintf("%d", n); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]([,]|$)/, ",&", s); return s }
FILENAME ~ /reference.jsonl$/ {
    m = val("model")
    if (val("total") == "true") ripi[m] = val("instructions_per_inference")
    else { rl[m]++; rins[m SUBSEP rl[m]] = val("instructions") }
    next
}
{
    m = val("model")
    if (val("total") == "true") {
        order[++nm] = m
        flash[m] = val("flash"); tv[m] = val("flash_test_vectors"); ram[m] = val("ram"); arena[m] = val("arena")
        stack[m] = val("stack_hwm"); macs[m] = val("macs"); ipi[m] = val("instructions_per_inference")
        ipm[m] = val("instructions_per_mac"); images[m] = val("images"); exact[m] = val("bit_exact")
    } else {
        nl[m]++; k = m SUBSEP nl[m]
        lname[k] = val("name"); lkind[k] = val("kind"); lmacs[k] = val("macs"); lins[k] = val("instructions")
        lipm[k] = val("instructions_per_mac")
    }
}
END {
    printf "Cortex-M4 (QEMU mps2-an386, exact instruction counts, `-Osize`, commit %s):\n\n", commit
    print "| model | flash | of which test vectors | RAM | arena | stack high water | MACs | instructions / inference | instructions / MAC | reference kernels: instructions / inference (/ MAC) | test images bit-exact |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for (i = 1; i <= nm; i++) { m = order[i]
        printf "| %s | %s B | %s B | %s B | %s B | %s B | %s | %s | %.2f | %s (%.2f) | %s |\n", m, commas(flash[m]), commas(tv[m]),
            commas(ram[m]), commas(arena[m]), commas(stack[m]), commas(macs[m]), commas(ipi[m]), ipm[m],
            commas(ripi[m]), (macs[m] > 0 ? ripi[m] / macs[m] : 0),
            (images[m] > 0 ? (exact[m] == "true" ? images[m] "/" images[m] : "NO") : "-")
    }
    for (i = 1; i <= nm; i++) { m = order[i]
        printf "\n%s, per layer (one `minnow_invoke_layer` each, callees included):\n\n", m
        print "| # | layer | kind | MACs | instructions | instructions / MAC | reference kernels | reference / MAC |"
        print "|---:|---|---|---:|---:|---:|---:|---:|"
        for (j = 1; j <= nl[m]; j++) { k = m SUBSEP j
            printf "| %d | %s | %s | %s | %s | %s | %s | %s |\n", j - 1, lname[k], lkind[k], commas(lmacs[k]), commas(lins[k]),
                (lipm[k] == "null" ? "" : sprintf("%.2f", lipm[k])), commas(rins[k]),
                (lmacs[k] > 0 ? sprintf("%.2f", rins[k] / lmacs[k]) : "")
        }
    }
}' "$OUT/reference.jsonl" "$OUT/results.jsonl"
