#!/usr/bin/env bash
# Builds Swift sources in Embedded mode (no Swift runtime) as ONE whole-module
# static library, for the x86_64 host and for Cortex-M4. This is the proof that
# the engine core is Embedded-clean: any compile error fails the script.
#
# Usage:
#   tools/build-embedded.sh [--target host|cortex-m4|all] [--module NAME]
#                           [--lib FILE.a] [--out DIR] [SOURCE...]
#
# Defaults: --target all --module MinnowCore --lib libminnow.a --out out
#           SOURCE = every .swift file under Sources/MinnowCore (recursively) plus
#                    every .swift file under Sources/MinnowC (if that directory exists).
# A SOURCE may be a .swift file or a directory (searched recursively).
#
# Paths on the command line are relative to the current directory.
# Outputs (default --out is <repo>/out):
#   out/host/libminnow.a       (+ out/host/MinnowCore.o)      x86_64-unknown-linux-gnu
#   out/cortex-m4/libminnow.a  (+ out/cortex-m4/MinnowCore.o) armv7em-none-none-eabi, soft-float
# and prints the object sizes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/embedded-env.sh"

TARGET=all
MODULE=MinnowCore
LIB=libminnow.a
OUT="$MINNOW_ROOT/out"
SOURCES=()

while [[ $# -gt 0 ]]; do
    case "$1" in
        --target) TARGET="${2:?--target needs a value}"; shift 2 ;;
        --module) MODULE="${2:?--module needs a value}"; shift 2 ;;
        --lib)    LIB="${2:?--lib needs a value}"; shift 2 ;;
        --out)    OUT="${2:?--out needs a value}"; shift 2 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) SOURCES+=("$1"); shift ;;
    esac
done
case "$TARGET" in host|cortex-m4|all) ;; *) die "--target must be host, cortex-m4 or all" ;; esac
# Paths given on the command line are relative to the caller's directory.
[[ "$OUT" = /* ]] || OUT="$PWD/$OUT"
for i in "${!SOURCES[@]}"; do
    [[ "${SOURCES[$i]}" = /* ]] || SOURCES[$i]="$PWD/${SOURCES[$i]}"
done

cd "$MINNOW_ROOT"
if [[ ${#SOURCES[@]} -eq 0 ]]; then
    [[ -d Sources/MinnowCore ]] || die "Sources/MinnowCore does not exist"
    SOURCES=(Sources/MinnowCore)
    if [[ -d Sources/MinnowC ]]; then
        SOURCES+=(Sources/MinnowC)
    else
        echo "[build-embedded] note: Sources/MinnowC (the C API) does not exist yet; building the core only"
    fi
fi

FILES=()
for s in "${SOURCES[@]}"; do
    if [[ -d "$s" ]]; then
        while IFS= read -r -d '' f; do FILES+=("$f"); done < <(find "$s" -type f -name '*.swift' -print0 | sort -z)
    elif [[ -f "$s" ]]; then
        FILES+=("$s")
    else
        die "source '$s' not found"
    fi
done
[[ ${#FILES[@]} -gt 0 ]] || die "no .swift files in: ${SOURCES[*]}"

echo "[build-embedded] module $MODULE: ${#FILES[@]} Swift file(s)"
printf '    %s\n' "${FILES[@]}"

build_one() {   # $1 = host|cortex-m4
    local t="$1" dir="$OUT/$1" obj lib
    local -a tflags
    mkdir -p "$dir"
    obj="$dir/$MODULE.o"
    lib="$dir/$LIB"
    rm -f "$obj" "$lib"
    local -a eflags=("${SWIFT_EMBEDDED_FLAGS[@]}")
    if [[ "$t" == host ]]; then
        # The host library is built for speed, like the Swift package: -O instead of
        # -Osize and, on x86_64, AVX2 with the vpmaddwd kernels (MINNOW_AVX2).
        tflags=("${SWIFT_TARGET_FLAGS_HOST[@]}")
        eflags=()
        for f in "${SWIFT_EMBEDDED_FLAGS[@]}"; do [[ "$f" == -Osize ]] && f=-O; eflags+=("$f"); done
        if [[ "$SWIFT_TARGET_HOST" == x86_64* ]]; then
            eflags+=(-target-cpu haswell -enable-builtin-module -D MINNOW_AVX2)
        fi
    else tflags=("${SWIFT_TARGET_FLAGS_CM4[@]}"); fi
    echo "[build-embedded] $t: $SWIFTC ${tflags[*]} ${eflags[*]} -module-name $MODULE -c <files> -o $obj"
    local t0=$SECONDS
    if ! "$SWIFTC" "${tflags[@]}" "${eflags[@]}" -module-name "$MODULE" \
            -c "${FILES[@]}" -o "$obj"; then
        echo "[build-embedded] FAILED: $MODULE does not compile in Embedded mode for $t" >&2
        return 1
    fi
    if [[ "$t" == host ]]; then
        host_ar rcs "$lib" "$obj"
        host_size "$obj"
    else
        need_tool arm-none-eabi-ar "run tools/install-toolchain.sh"
        arm-none-eabi-ar rcs "$lib" "$obj"
        arm-none-eabi-size "$obj"
    fi
    echo "[build-embedded] $t: $lib ($(( SECONDS - t0 )) s)"
}

RC=0
if [[ "$TARGET" == host || "$TARGET" == all ]]; then build_one host || RC=1; fi
if [[ "$TARGET" == cortex-m4 || "$TARGET" == all ]]; then build_one cortex-m4 || RC=1; fi
if [[ $RC -ne 0 ]]; then
    echo "[build-embedded] FAIL" >&2
    exit 1
fi
echo "[build-embedded] OK"
