#!/usr/bin/env bash
# Runs a Cortex-M4 ELF under QEMU with Minnow's instruction-counting TCG plugin and
# prints exact executed-instruction counts: the total, per symbol (the symbol's own
# address range, callees excluded) and per marker window (callees included).
#
# Usage:
#   firmware-sim/cortex-m/count.sh [--timeout S] [--report FILE] [--window NAME=BEGIN_SYM:END_SYM]...
#                                  APP.elf [SYMBOL | re:REGEX]...
#
#   SYMBOL        an exact symbol name from `arm-none-eabi-nm -S` (a function with a size)
#   re:REGEX      every sized text symbol whose name matches the extended regex
#                 (e.g. re:conv2d for Swift functions whose mangled name contains it)
#   --window      count everything executed between each execution of BEGIN_SYM's
#                 first instruction and the next of END_SYM's; the default window
#                 "marked" = minnow_mark_begin:minnow_mark_end (startup.c) when present
#   --report FILE keep the plugin's raw report (lines "insn_count ...") in FILE
#
# Output: the firmware's own output, then
#   [count] total              N
#   [count] window NAME        N insns in M windows (N/M per window)
#   [count] symbol NAME        N insns, E entries (N/E per entry)
#   [count] segment ID         N insns in M run(s)   (startup.c's minnow_mark_segment(ID),
#                              e.g. one id per layer; callees included)
# Exit status: the firmware's.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../tools/embedded-env.sh"

TIMEOUT=300
REPORT=""
WINDOWS=()
POS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --timeout) TIMEOUT="${2:?}"; shift 2 ;;
        --report) REPORT="${2:?}"; shift 2 ;;
        --window) WINDOWS+=("${2:?--window needs NAME=BEGIN_SYM:END_SYM}"); shift 2 ;;
        -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
        --) shift; POS+=("$@"); break ;;
        -*) die "unknown option $1" ;;
        *) POS+=("$1"); shift ;;
    esac
done
[[ ${#POS[@]} -gt 0 ]] || die "usage: count.sh [options] APP.elf [SYMBOL | re:REGEX]..."
ELF="${POS[0]}"
set -- "${POS[@]:1}"
[[ -f "$ELF" ]] || die "$ELF not found"
need_tool arm-none-eabi-nm "run tools/install-toolchain.sh"

PLUGIN="$("$HERE/../qemu-plugin/build.sh")"

# name -> "start size" for sized text symbols (Thumb bit cleared).
SYMS="$(arm-none-eabi-nm -S "$ELF" | awk 'NF == 4 && ($3 == "T" || $3 == "t" || $3 == "W" || $3 == "w") { print $4, $1, $2 }')"

sanitize() { printf '%s' "$1" | tr ',:=' '___'; }

PLUGIN_ARGS=""
add_range() {   # name start_hex size_hex
    local start=$(( (16#$2) & ~1 )) size=$(( 16#$3 ))
    PLUGIN_ARGS+=",range=$(sanitize "$1"):$(printf '0x%x' "$start"):$(printf '0x%x' $((start + size)))"
}
sym_addr() {    # exact name -> start address (hex, Thumb bit cleared), or empty
    awk -v n="$1" '$1 == n { print $2; exit }' <<<"$SYMS"
}

for arg in "$@"; do
    if [[ "$arg" == re:* ]]; then
        matches="$(awk -v re="${arg#re:}" '$1 ~ re' <<<"$SYMS")"
        [[ -n "$matches" ]] || die "no sized text symbol matches ${arg#re:} in $ELF"
        while read -r name start size; do add_range "$name" "$start" "$size"; done <<<"$matches"
    else
        line="$(awk -v n="$arg" '$1 == n { print; exit }' <<<"$SYMS")"
        [[ -n "$line" ]] || die "symbol '$arg' not found (or has no size) in $ELF"
        read -r name start size <<<"$line"
        add_range "$name" "$start" "$size"
    fi
done

if [[ ${#WINDOWS[@]} -eq 0 && -n "$(sym_addr minnow_mark_begin)" && -n "$(sym_addr minnow_mark_end)" ]]; then
    WINDOWS=("marked=minnow_mark_begin:minnow_mark_end")
fi
for w in "${WINDOWS[@]}"; do
    [[ "$w" == *=*:* ]] || die "bad --window '$w' (want NAME=BEGIN_SYM:END_SYM)"
    wname="${w%%=*}"; rest="${w#*=}"; bsym="${rest%%:*}"; esym="${rest#*:}"
    b="$(sym_addr "$bsym")"; e="$(sym_addr "$esym")"
    [[ -n "$b" ]] || die "window begin symbol '$bsym' not found in $ELF"
    [[ -n "$e" ]] || die "window end symbol '$esym' not found in $ELF"
    PLUGIN_ARGS+=",window=$(sanitize "$wname"):$(printf '0x%x' $(( (16#$b) & ~1 ))):$(printf '0x%x' $(( (16#$e) & ~1 )))"
done

# Appends the demangled form of Swift symbol names ($s... / $e...) to each report line.
DEMANGLE=""
if command -v swift-demangle >/dev/null 2>&1; then DEMANGLE=swift-demangle
elif [[ -x "$(dirname "$SWIFTC")/swift-demangle" ]]; then DEMANGLE="$(dirname "$SWIFTC")/swift-demangle"; fi
demangle_names() {
    local line sym
    while IFS= read -r line; do
        sym="$(awk '{ print $3 }' <<<"$line")"
        if [[ -n "$DEMANGLE" && ( "$sym" == \$s* || "$sym" == \$e* ) ]]; then
            line+="   # $("$DEMANGLE" --simplified --compact "$sym" 2>/dev/null || true)"
        fi
        printf '%s\n' "$line"
    done
}

# Numbered segments (startup.c's minnow_mark_segment): the plugin watches the stores
# of that function into minnow_segment_marks[256].
SEGFN="$(awk '$1 == "minnow_mark_segment" { print; exit }' <<<"$SYMS")"
SEGMARKS="$(arm-none-eabi-nm "$ELF" | awk '$3 == "minnow_segment_marks" && !found { print $1; found = 1 }')"   # no early exit: nm must not get SIGPIPE under pipefail
if [[ -n "$SEGFN" && -n "$SEGMARKS" ]]; then
    read -r _ sstart ssize <<<"$SEGFN"
    sstart=$(( (16#$sstart) & ~1 ))
    PLUGIN_ARGS+=",segments=$(printf '0x%x' "$sstart"):$(printf '0x%x' $((sstart + 16#$ssize))):0x$SEGMARKS"
fi

RAW="$(mktemp)"
trap 'rm -f "$RAW"' EXIT
set +e
"$HERE/run.sh" --timeout "$TIMEOUT" "$ELF" -plugin "$PLUGIN,out=$RAW$PLUGIN_ARGS"
rc=$?
set -e
[[ -s "$RAW" ]] || die "the plugin wrote no report (QEMU exit status $rc)"
[[ -n "$REPORT" ]] && cp "$RAW" "$REPORT"

awk '
    $2 == "total"  { printf "[count] total %14d insns\n", $3 }
    $2 == "window" { n = $7; m = $9; printf "[count] window %-40s %12d insns in %d window(s)", $3, n, m;
                     if (m > 0) printf " = %d per window", n / m; print "" }
    $2 == "segment" { n = $5; m = $7; printf "[count] segment %-39s %12d insns in %d run(s)", $3, n, m;
                     if (m > 0) printf " = %d per run", n / m; print "" }
    $2 == "range"  { n = $7; e = $9; printf "[count] symbol %-40s %12d insns, %d entries", $3, n, e;
                     if (e > 0) printf " = %.1f per entry", n / e; print "" }
' "$RAW" | demangle_names
exit $rc
