#!/usr/bin/env bash
# Flash and RAM footprint of a Cortex-M4 firmware ELF, from its sections
# (arm-none-eabi-size -A) and the measured stack high-water mark.
#
# Usage:
#   firmware-sim/cortex-m/footprint.sh APP.elf [--run | --stack-hwm BYTES] [--arena-symbol NAME]
#
#   --run             run the ELF under QEMU (run.sh) and take the stack high-water mark
#                     startup.c prints at exit ("stack high water N of M bytes")
#   --stack-hwm N     use N bytes as the stack high-water mark
#   --arena-symbol S  the static arena's symbol (default: the largest data/bss object
#                     whose name contains "arena", if any); shown as part of .bss
#
#   flash = .text + .rodata (model weights included) + .ARM.extab/.ARM.exidx
#           + .init_array + the .data image (initial values are stored in flash)
#   RAM   = .data + .bss (static arena included) + stack high-water mark
#           (the .stack reservation itself is not counted, only its measured use)
#
# Output: a human summary and one machine-readable line:
#   footprint elf=APP.elf flash=N ram=N text=N rodata=N data=N bss=N arena=N stack_hwm=N stack_reserved=N swift_code=N
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../tools/embedded-env.sh"

ELF="${1:?usage: footprint.sh APP.elf [--run | --stack-hwm BYTES] [--arena-symbol NAME]}"; shift
[[ -f "$ELF" ]] || die "$ELF not found"
HWM=""
RUN=0
ARENA_SYM=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --run) RUN=1; shift ;;
        --stack-hwm) HWM="${2:?}"; shift 2 ;;
        --arena-symbol) ARENA_SYM="${2:?}"; shift 2 ;;
        *) die "unknown argument $1" ;;
    esac
done
need_tool arm-none-eabi-size "run tools/install-toolchain.sh"

if [[ $RUN -eq 1 ]]; then
    LOG="$(mktemp)"
    trap 'rm -f "$LOG"' EXIT
    set +e
    "$HERE/run.sh" "$ELF" >"$LOG" 2>&1
    rc=$?
    set -e
    [[ $rc -eq 0 ]] || { cat "$LOG" >&2; die "$ELF exited with $rc"; }
    HWM="$(sed -n 's/.*stack high water \([0-9][0-9]*\) of.*/\1/p' "$LOG" | tail -1)"
    [[ -n "$HWM" ]] || die "no 'stack high water' line in the output of $ELF"
fi

sec() {   # section size in bytes, 0 if absent
    awk -v s="$1" '$1 == s { print $2; found = 1 } END { if (!found) print 0 }' <<<"$SIZES"
}
SIZES="$(arm-none-eabi-size -A -d "$ELF")"
TEXT=$(sec .text); RODATA=$(sec .rodata); EXTAB=$(sec .ARM.extab); EXIDX=$(sec .ARM.exidx)
INITA=$(sec .init_array); DATA=$(sec .data); BSS=$(sec .bss); STACK=$(sec .stack)
# Orphan read-only sections the linker script did not name (counted as flash).
OTHER_RO=$(awk 'NR > 2 && $1 ~ /^\./ && $3 < 536870912 && $3 != 0 && $1 !~ /^\.(text|rodata|ARM\.extab|ARM\.exidx|init_array)$/ { s += $2 } END { print s + 0 }' <<<"$SIZES")

NM="$(arm-none-eabi-nm -S --size-sort -t d "$ELF")"
if [[ -z "$ARENA_SYM" ]]; then
    ARENA_SYM="$(awk 'NF == 4 && $3 ~ /^[bBdD]$/ && tolower($4) ~ /arena/ { print $4 }' <<<"$NM" | tail -1)"
fi
ARENA=0
if [[ -n "$ARENA_SYM" ]]; then
    ARENA="$(awk -v n="$ARENA_SYM" 'NF == 4 && $4 == n { print $2 + 0; exit }' <<<"$NM")"
    [[ -n "$ARENA" ]] || die "arena symbol '$ARENA_SYM' not found"
fi
SWIFT_CODE="$(awk 'NF == 4 && $3 ~ /^[tTwW]$/ && $4 ~ /^\$[es]/ { s += $2 } END { print s + 0 }' <<<"$NM")"

FLASH=$((TEXT + RODATA + EXTAB + EXIDX + INITA + OTHER_RO + DATA))
HWM_N="${HWM:-0}"
RAM=$((DATA + BSS + HWM_N))

echo "[footprint] $ELF"
printf '  flash %9d B  = text %d + rodata %d + exidx/extab %d + init_array %d + other ro %d + data image %d\n' \
    "$FLASH" "$TEXT" "$RODATA" $((EXIDX + EXTAB)) "$INITA" "$OTHER_RO" "$DATA"
printf '        (Swift functions: %d B of text)\n' "$SWIFT_CODE"
if [[ -n "$HWM" ]]; then
    printf '  RAM   %9d B  = data %d + bss %d%s + stack high water %d (of %d reserved)\n' \
        "$RAM" "$DATA" "$BSS" "$([[ -n "$ARENA_SYM" ]] && echo " [incl. arena $ARENA_SYM $ARENA]")" "$HWM" "$STACK"
else
    printf '  RAM   %9d B  = data %d + bss %d%s + stack high water (not measured: use --run; %d reserved)\n' \
        "$RAM" "$DATA" "$BSS" "$([[ -n "$ARENA_SYM" ]] && echo " [incl. arena $ARENA_SYM $ARENA]")" "$STACK"
fi
echo "footprint elf=$ELF flash=$FLASH ram=$RAM text=$TEXT rodata=$RODATA data=$DATA bss=$BSS arena=$ARENA stack_hwm=${HWM:-unknown} stack_reserved=$STACK swift_code=$SWIFT_CODE"
