#!/usr/bin/env bash
# Builds the C host example (main.c) against the Embedded-Swift host library and runs it
# on model files, checking the outputs against the Swift engine's bit for bit.
#
# Usage:
#   firmware-sim/c-host/run.sh [--lib LIB.a] [--c-array DIR] [--out DIR] [--verbose] MODEL.mnw...
#
#   For each MODEL.mnw the test vectors are the C arrays DIR/<sym>_model.h/.c
#   (export-int8 --c-array DIR, minnow-fixtures), <sym> = the file name as a C
#   identifier (lenet5-fashion.mnw -> lenet5_fashion), DIR = --c-array or MODEL's
#   directory/c. Without them the model runs with no comparison (a WARNING).
#   --lib   the host library (default out/host/libminnow.a from tools/build-embedded.sh)
#   --out   build directory (default out/c-host)
#
# Each program is linked by tools/link-host-c.sh: plain cc, `ldd` must show only the
# C library and no allocator symbol may be present. Exit 1 if anything fails.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../tools/embedded-env.sh"

LIB="$MINNOW_ROOT/out/host/libminnow.a"
CDIR=""
OUT="$MINNOW_ROOT/out/c-host"
VERBOSE=0
MODELS=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --lib) LIB="${2:?}"; shift 2 ;;
        --c-array) CDIR="${2:?}"; shift 2 ;;
        --out) OUT="${2:?}"; shift 2 ;;
        --verbose) VERBOSE=1; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) MODELS+=("$1"); shift ;;
    esac
done
[[ ${#MODELS[@]} -gt 0 ]] || die "usage: run.sh [--lib LIB.a] [--c-array DIR] MODEL.mnw..."
[[ -f "$LIB" ]] || die "$LIB not found: run tools/build-embedded.sh --target host first"
mkdir -p "$OUT"

identifier() {   # as CArrayWriter.identifier
    local s; s="$(tr '[:upper:]' '[:lower:]' <<<"$1" | sed 's/[^a-z0-9]/_/g')"
    [[ "$s" =~ ^[a-z] ]] || s="m_$s"
    printf '%s' "$s"
}

rc=0
# The header stands alone in strict C99, C11 and C++ (layout static asserts included).
printf '#include "minnow.h"\nint main(void) { minnow_engine e; (void)e; return 0; }\n' >"$OUT/header_check.c"
cp "$OUT/header_check.c" "$OUT/header_check.cpp"
HDR_OK=1
for std in c99 c11; do
    "${CC:-cc}" -std=$std -pedantic -Wall -Wextra -Werror -I "$MINNOW_ROOT/Sources/MinnowC/include" \
        -fsyntax-only "$OUT/header_check.c" || HDR_OK=0
done
if command -v "${CXX:-c++}" >/dev/null 2>&1; then
    "${CXX:-c++}" -std=c++11 -pedantic -Wall -Wextra -Werror -I "$MINNOW_ROOT/Sources/MinnowC/include" \
        -fsyntax-only "$OUT/header_check.cpp" || HDR_OK=0
fi
if [[ $HDR_OK -eq 1 ]]; then echo "[c-host] minnow.h compiles alone as C99, C11 and C++11 (-pedantic -Werror)"
else echo "[c-host] minnow.h FAILED the strict header check"; rc=1; fi

for model in "${MODELS[@]}"; do
    [[ -f "$model" ]] || { echo "[c-host] $model not found"; rc=1; continue; }
    base="$(basename "$model")"; sym="$(identifier "${base%.*}")"
    dir="${CDIR:-$(dirname "$model")/c}"
    header="$dir/${sym}_model.h"
    work="$OUT/$sym"; mkdir -p "$work"
    if [[ -f "$header" ]]; then
        info="$("$HERE/../vectors/glue.sh" --no-arena -o "$work/glue.c" "$header")"
    else
        echo "[c-host] WARNING: no C arrays at $header: $model runs without test vectors"
        info="$("$HERE/../vectors/glue.sh" --no-arena -o "$work/glue.c" "$model")"
    fi
    read -r -a srcs <<<"$(sed 's/.*sources=//' <<<"$info")"
    echo "[c-host] $model: $info"
    "$MINNOW_ROOT/tools/link-host-c.sh" -o "$work/minnow_host" --no-default-lib --lib "$LIB" \
        -I "$MINNOW_ROOT/Sources/MinnowC/include" -I "$HERE/../vectors" \
        "$HERE/main.c" "$HERE/../vectors/minnow_api_checks.c" "${srcs[@]}" || { rc=1; continue; }
    args=("$model"); [[ $VERBOSE -eq 1 ]] || args+=(--quiet)
    if "$work/minnow_host" "${args[@]}"; then :; else rc=1; fi
done
exit $rc
