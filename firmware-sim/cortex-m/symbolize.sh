#!/usr/bin/env bash
# Names the function containing each address of a Cortex-M4 ELF (e.g. the pc of a
# fault report). Unlike objdump/addr2line it sees Swift symbols: ARM tools treat
# names starting with '$' as mapping symbols and skip them.
#
# Usage: firmware-sim/cortex-m/symbolize.sh APP.elf ADDR...   (ADDR in hex, 0x optional)
# Output per address: ADDR SYMBOL+OFFSET [# demangled Swift name]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../tools/embedded-env.sh"
ELF="${1:?usage: symbolize.sh APP.elf ADDR...}"; shift
[[ -f "$ELF" ]] || die "$ELF not found"
[[ $# -gt 0 ]] || die "usage: symbolize.sh APP.elf ADDR..."
DEMANGLE="$(dirname "$SWIFTC")/swift-demangle"
[[ -x "$DEMANGLE" ]] || DEMANGLE="$(command -v swift-demangle || true)"
SYMS="$(arm-none-eabi-nm -S "$ELF" | awk 'NF == 4 && $3 ~ /^[tTwW]$/ { print $1, $2, $4 }')"
for a in "$@"; do
    addr=$(( 16#${a#0x} & ~1 ))
    hit="$(awk -v a="$addr" '{ s = strtonum("0x" $1); z = strtonum("0x" $2); if (a >= s && a < s + z) { printf "%s+0x%x\n", $3, a - s; exit } }' <<<"$SYMS" 2>/dev/null || true)"
    if [[ -z "$hit" ]]; then
        # mawk has no strtonum: fall back to bash arithmetic.
        while read -r s z n; do
            s=$((16#$s)); z=$((16#$z))
            if (( addr >= s && addr < s + z )); then hit="$(printf '%s+0x%x' "$n" $((addr - s)))"; break; fi
        done <<<"$SYMS"
    fi
    line="$(printf '0x%08x %s' "$addr" "${hit:-?}")"
    name="${hit%+*}"
    if [[ -n "$DEMANGLE" && ( "$name" == \$e* || "$name" == \$s* ) ]]; then
        line+="   # $("$DEMANGLE" --simplified --compact "$name")"
    fi
    echo "$line"
done
