#!/usr/bin/env bash
# Links C sources with the Embedded-Swift host library into a plain C program and
# checks it needs no Swift runtime: ldd may show only the C library (libc, libm,
# the loader, the vDSO) and no allocator/refcount symbol may be imported or defined.
#
# Usage:
#   tools/link-host-c.sh -o BIN [--lib LIB.a]... [--no-default-lib] [--allow-alloc]
#                        [-I DIR] [-D X] [CFLAG...] MAIN.c [MORE.c ...]
#
#   default library: out/host/libminnow.a (tools/build-embedded.sh --target host)
#   --allow-alloc    skip the allocator check (e.g. a host tool that itself mallocs)
#
# Compile + link: cc -O2 -std=gnu11 -Wall -Wextra -ffunction-sections -fdata-sections
#                    SRCS LIBS -Wl,--gc-sections -lm -o BIN
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/embedded-env.sh"

BIN=""
LIBS=()
DEFAULT_LIB=1
ALLOW_ALLOC=0
FLAGS=()
SRCS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -o) BIN="${2:?-o needs a file}"; shift 2 ;;
        --lib) LIBS+=("${2:?}"); shift 2 ;;
        --no-default-lib) DEFAULT_LIB=0; shift ;;
        --allow-alloc) ALLOW_ALLOC=1; shift ;;
        -I|-D) FLAGS+=("$1" "${2:?}"); shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        -*) FLAGS+=("$1"); shift ;;
        *) SRCS+=("$1"); shift ;;
    esac
done
[[ -n "$BIN" && ${#SRCS[@]} -gt 0 ]] || die "usage: link-host-c.sh -o BIN [--lib LIB.a]... MAIN.c [MORE.c ...]"
if [[ $DEFAULT_LIB -eq 1 ]]; then
    DEF="$MINNOW_ROOT/out/host/libminnow.a"
    [[ -f "$DEF" ]] || die "$DEF not found: run tools/build-embedded.sh --target host first"
    LIBS+=("$DEF")
fi
CC="${CC:-cc}"
need_tool "$CC" "a host C compiler"
mkdir -p "$(dirname "$BIN")"
"$CC" -O2 -std=gnu11 -Wall -Wextra -ffunction-sections -fdata-sections "${FLAGS[@]}" "${SRCS[@]}" \
    "${LIBS[@]}" -Wl,--gc-sections -lm -o "$BIN"
echo "[link-host-c] $BIN"

if command -v ldd >/dev/null 2>&1; then
    extra="$(ldd "$BIN" | awk '{ print $1 }' | grep -v -E '^(linux-vdso\.so|linux-gate\.so|libc\.so|libm\.so|/lib.*/ld-linux|ld-linux)' || true)"
    if [[ -n "$extra" ]]; then
        ldd "$BIN" >&2
        die "$BIN needs more than the C library: $(tr '\n' ' ' <<<"$extra")"
    fi
    echo "[link-host-c] ldd: $(ldd "$BIN" | awk '{ print $1 }' | tr '\n' ' ')"
fi
if [[ $ALLOW_ALLOC -eq 0 ]]; then
    "$MINNOW_ROOT/tools/check-no-allocator.sh" --binary "$BIN"
fi
