#!/usr/bin/env bash
# Links a C firmware main with the harness (startup.c, mps2-an386.ld) and Embedded-Swift
# static libraries into a Cortex-M4 ELF for QEMU's mps2-an386.
#
# Usage:
#   firmware-sim/cortex-m/build.sh [-o APP.elf] [--lib LIB.a]... [--no-default-lib]
#                                  [--stack-size BYTES] [-I DIR]... [-D NAME[=V]]...
#                                  MAIN.c [MORE.c ...]
#
#   -o APP.elf        output (default out/cortex-m4/app.elf); a map file APP.map is
#                     written next to it, objects go to APP.objs/
#   --lib LIB.a       Swift (or other) static library to link; repeatable.
#                     Default: out/cortex-m4/libminnow.a (from tools/build-embedded.sh)
#   --no-default-lib  do not link out/cortex-m4/libminnow.a
#   --stack-size N    stack reservation in bytes (default 65536)
#   -I / -D           passed to the C compiler
#   -Wl,... / @FILE   passed to the link (e.g. -Wl,-u,SYMBOL, a response file)
#
# C flags:  -mcpu=cortex-m4 -mthumb -mfloat-abi=soft -O2 -ffunction-sections -fdata-sections
# Link:     -nostartfiles -T mps2-an386.ld -Wl,--gc-sections -Wl,--no-enum-size-warning -Wl,--no-warn-execstack
#           --specs=nano.specs  (newlib-nano for memcpy/memset/libm; no stdio, no heap)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../tools/embedded-env.sh"

OUT_ELF="$MINNOW_ROOT/out/cortex-m4/app.elf"
LIBS=()
DEFAULT_LIB=1
STACK_SIZE=""
CPPFLAGS=()
CSRCS=()
LDEXTRA=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -o) OUT_ELF="${2:?-o needs a file}"; shift 2 ;;
        --lib) LIBS+=("${2:?--lib needs a file}"); shift 2 ;;
        --no-default-lib) DEFAULT_LIB=0; shift ;;
        --stack-size) STACK_SIZE="${2:?--stack-size needs bytes}"; shift 2 ;;
        -I) CPPFLAGS+=(-I "${2:?}"); shift 2 ;;
        -I*) CPPFLAGS+=("$1"); shift ;;
        -D) CPPFLAGS+=(-D "${2:?}"); shift 2 ;;
        -D*) CPPFLAGS+=("$1"); shift ;;
        -Wl,*|@*) LDEXTRA+=("$1"); shift ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) CSRCS+=("$1"); shift ;;
    esac
done
[[ ${#CSRCS[@]} -gt 0 ]] || die "usage: build.sh [-o APP.elf] [--lib LIB.a]... MAIN.c [MORE.c ...]"
need_tool arm-none-eabi-gcc "run tools/install-toolchain.sh"

if [[ $DEFAULT_LIB -eq 1 ]]; then
    DEF="$MINNOW_ROOT/out/cortex-m4/libminnow.a"
    [[ -f "$DEF" ]] || die "$DEF not found: run tools/build-embedded.sh first (or pass --no-default-lib)"
    LIBS+=("$DEF")
fi
for l in "${LIBS[@]}"; do [[ -f "$l" ]] || die "library $l not found"; done

mkdir -p "$(dirname "$OUT_ELF")"
OBJDIR="${OUT_ELF%.elf}.objs"
MAP="${OUT_ELF%.elf}.map"
rm -rf "$OBJDIR"; mkdir -p "$OBJDIR"

OBJS=()
compile() {   # $1 = source, $2.. = extra flags
    local src="$1"; shift
    local obj="$OBJDIR/$(basename "${src%.*}").o"
    [[ -e "$obj" ]] && obj="$OBJDIR/$(basename "${src%.*}")_${#OBJS[@]}.o"
    arm-none-eabi-gcc "${CM4_CFLAGS[@]}" -std=gnu11 -I "$HERE" "${CPPFLAGS[@]}" "$@" -c "$src" -o "$obj"
    OBJS+=("$obj")
}
# The startup's copy loops must stay loops (no memcpy/memset calls before .data exists).
compile "$HERE/startup.c" -ffreestanding -fno-tree-loop-distribute-patterns
for c in "${CSRCS[@]}"; do compile "$c"; done

LDFLAGS=(-nostartfiles -T "$HERE/mps2-an386.ld" -Wl,--gc-sections -Wl,--no-enum-size-warning -Wl,--no-warn-execstack
         -Wl,-Map="$MAP" --specs=nano.specs)
[[ -n "$STACK_SIZE" ]] && LDFLAGS+=(-Wl,--defsym=__stack_size="$STACK_SIZE")
LDFLAGS+=("${LDEXTRA[@]}")

# -Wl,--start-group: Swift libraries and C objects may call each other in any order.
arm-none-eabi-gcc "${CM4_CFLAGS[@]}" "${LDFLAGS[@]}" "${OBJS[@]}" \
    -Wl,--start-group "${LIBS[@]}" -lm -lc -lgcc -Wl,--end-group -o "$OUT_ELF"
echo "[cortex-m build] $OUT_ELF"
arm-none-eabi-size "$OUT_ELF"
