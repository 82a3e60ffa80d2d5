#!/usr/bin/env bash
# Builds the instruction-counting TCG plugin: out/qemu-plugin/insn_count.so
# Usage: firmware-sim/qemu-plugin/build.sh   (prints the path of the .so)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$ROOT/out/qemu-plugin"
mkdir -p "$OUT"
CC="${CC:-cc}"
command -v "$CC" >/dev/null 2>&1 || { echo "ERROR: no C compiler ($CC)" >&2; exit 1; }
SO="$OUT/insn_count.so"
if [[ ! -f "$SO" || "$HERE/insn_count.c" -nt "$SO" ]]; then
    "$CC" -O2 -shared -fPIC -Wall -Wextra -o "$SO.tmp" "$HERE/insn_count.c"
    mv "$SO.tmp" "$SO"
fi
echo "$SO"
