#!/usr/bin/env bash
# Command-line misuse: every tool (train, export-int8, firmware-sim,
# minnow-bench, minnow-fixtures) given unknown flags, missing files,
# directories instead of files, unopenable paths, empty and garbage files and
# bad numbers must
#   - exit non-zero (not by a signal, not by the 60 s timeout),
#   - print an error line on stderr (its first line names the tool and says "error"
#     or "cannot"), and a usage hint ("usage" or "--help") somewhere on stderr,
#   - never print a Swift trap or backtrace ("Fatal error", "Stack dump",
#     "Current stack trace", "SIGILL", "SIGSEGV", "Illegal instruction", "Segmentation fault").
#
#   tools/test-cli.sh [BIN_DIR]     default: builds into .build-robust and uses its bin path
#
# We run as root, so chmod 000 does not make a file unreadable; instead the
# "cannot open" cases use a symlink loop (ELOOP), a path through a regular
# file (ENOTDIR), a name longer than NAME_MAX (ENAMETOOLONG) and, for
# outputs, a directory under /proc (no files can be created there).
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ $# -ge 1 ]]; then
    bin=$1
else
    scratch=${MINNOW_CLI_SCRATCH:-.build-robust}
    for p in train export-int8 firmware-sim minnow-bench minnow-fixtures; do
        nice -n 5 swift build --scratch-path "$scratch" --product "$p" >/dev/null 2>&1 \
            || { echo "test-cli: cannot build $p" >&2; exit 1; }
    done
    bin=$(swift build --scratch-path "$scratch" --show-bin-path)
fi
bin=$(cd "$bin" && pwd)

work=$(mktemp -d /tmp/minnow-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/dir"
: > "$work/empty.ckpt"; : > "$work/empty.mnw"; : > "$work/empty.json"
head -c 5000 /dev/urandom > "$work/garbage.ckpt"
cp "$work/garbage.ckpt" "$work/garbage.mnw"; cp "$work/garbage.ckpt" "$work/garbage.json"
printf 'MINNOWCK\001\000\000\000\377\377\377\377' > "$work/header-only.ckpt"
printf 'MNW8' > "$work/magic-only.mnw"
printf '{"name": "x", "input": [28, 28, 1], "layers": [{"name": "c", "type": "conv", "filters": 99999999999999999999}]}' > "$work/bad.json"
printf '{"name": "big", "input": [60000, 60000, 60000], "layers": [{"name": "c", "type": "conv", "filters": 60000, "kernel": 3, "padding": "same"}]}' > "$work/huge.json"
ln -s loop "$work/loop" && ln -sf "$work/loop" "$work/loop"   # ELOOP
ln -s "$work/loop" "$work/loop.ckpt"
long=$work/$(printf 'x%.0s' {1..300}).ckpt                     # ENAMETOOLONG
notdir=$work/empty.ckpt/inside.ckpt                           # ENOTDIR
unwritable=/proc/minnow-cli-test/out                           # cannot be created, even as root
valid_ckpt=$(ls models/*.ckpt 2>/dev/null | head -1)
valid_mnw=$(ls models/*.mnw 2>/dev/null | head -1)

pass=0; fail=0
check() { # TOOL ARGS...
    local tool=$1; shift
    local out=$work/stdout err=$work/stderr status
    ( cd "$work" && MINNOW_DATA_DIR=$work/dir MINNOW_FASHION_MNIST_DIR=$work/dir \
        timeout 60 "$bin/$tool" "$@" >"$out" 2>"$err" </dev/null )
    status=$?
    local problems=()
    (( status == 0 )) && problems+=("exit status 0")
    (( status == 124 )) && problems+=("timed out")
    (( status > 124 )) && problems+=("killed by a signal (status $status)")
    [[ -s $err ]] || problems+=("nothing on stderr")
    local first; first=$(head -1 "$err")
    if [[ -s $err ]] && ! grep -qiE "error|cannot" <<<"$first"; then problems+=("first stderr line is not an error: '$first'"); fi
    grep -qiE "usage|--help" "$err" || problems+=("no usage hint")
    if grep -qE "Fatal error|Stack dump|Current stack trace|SIGILL|SIGSEGV|Illegal instruction|Segmentation fault|💣" "$err" "$out"; then
        problems+=("backtrace or trap")
    fi
    if (( ${#problems[@]} )); then
        fail=$((fail + 1))
        echo "FAIL $tool $*"
        printf '     %s\n' "${problems[@]}"
        sed 's/^/     | /' "$err" | head -8
    else
        pass=$((pass + 1))
        echo "ok   $tool $* → $status: $first"
    fi
}

# Cases every tool taking an input file gets: FLAGS... INPUT
file_cases() { # TOOL EXT PREFIX-ARGS... -- SUFFIX-ARGS...
    local tool=$1 ext=$2; shift 2
    local pre=() post=()
    while (( $# )) && [[ $1 != -- ]]; do pre+=("$1"); shift; done
    (( $# )) && shift
    post=("$@")
    for input in /nonexistent/model."$ext" "$work/dir" "$work/empty.$ext" "$work/garbage.$ext" \
                 "$work/loop.ckpt" "$long" "$notdir"; do
        check "$tool" "${pre[@]}" "$input" "${post[@]}"
    done
}

echo "== train"
check train
check train --bogus
check train lenet5 --dataset mnist5k --epochs 1 --seed 1 -o "$work/o.ckpt" --frobnicate
check train lenet5 --dataset nope --epochs 1 --seed 1 -o "$work/o.ckpt"
check train lenet5 --dataset mnist5k --epochs abc --seed 1 -o "$work/o.ckpt"
check train lenet5 --dataset mnist5k --epochs 0 --seed 1 -o "$work/o.ckpt"
check train lenet5 --dataset mnist5k --epochs 99999999999999999999 --seed 1 -o "$work/o.ckpt"
check train lenet5 --dataset mnist5k --epochs 1 --seed -1 -o "$work/o.ckpt"
check train lenet5 --dataset mnist5k --epochs 1 --seed 1 --batch 0 -o "$work/o.ckpt"
check train lenet5 --dataset mnist5k --epochs 1 --seed 1 --lr nan -o "$work/o.ckpt"
check train lenet5 --dataset mnist5k --epochs 1 --seed 1 --shift 1e9 -o "$work/o.ckpt"
check train lenet5 --dataset mnist5k --epochs 1 --seed 1 -o
check train lenet5 --dataset mnist5k --epochs 1 --seed 1 -o "$work/no/such/dir/o.ckpt"
check train lenet5 --dataset mnist5k --epochs 1 --seed 1 -o "$unwritable"
for arch in /nonexistent/a.json "$work/dir" "$work/empty.json" "$work/garbage.json" "$work/bad.json" "$work/huge.json" "$work/loop" "$long"; do
    check train "$arch" --dataset mnist5k --epochs 1 --seed 1 -o "$work/o.ckpt"
done

echo "== export-int8"
check export-int8
check export-int8 --bogus
check export-int8 a.ckpt b.ckpt
check export-int8 --calibration-images
check export-int8 --calibration-images x "$work/empty.ckpt"
check export-int8 --test-images -3 "$work/empty.ckpt"
check export-int8 --c-array-images 0 "$work/empty.ckpt"
check export-int8 --dataset nope "$work/empty.ckpt"
file_cases export-int8 ckpt
check export-int8 "$work/header-only.ckpt"
if [[ -n $valid_ckpt ]]; then
    check export-int8 "$PWD/$valid_ckpt" -o "$unwritable" --calibration-images 10 --test-images 10
fi

echo "== firmware-sim"
check firmware-sim --bogus
check firmware-sim frobnicate
check firmware-sim run --ram 12Q
check firmware-sim run --flash -1
check firmware-sim run --clock 0
check firmware-sim run --core z80
check firmware-sim run --board nope
check firmware-sim run --format xml
check firmware-sim run --images abc
check firmware-sim run --arch nope
check firmware-sim run --arch
for input in /nonexistent/a.json "$work/dir" "$work/empty.json" "$work/garbage.json" "$work/bad.json" "$work/huge.json" "$work/loop" "$long"; do
    check firmware-sim run --arch "$input"
done
file_cases firmware-sim mnw run
check firmware-sim run "$work/magic-only.mnw"
if [[ -n $valid_mnw ]]; then
    check firmware-sim run "$PWD/$valid_mnw" --svg "$unwritable"
    check firmware-sim run "$PWD/$valid_mnw" --test-set /nonexistent
    check firmware-sim run "$PWD/$valid_mnw" --test-set "$work/garbage.json"
fi

echo "== minnow-bench"
check minnow-bench --bogus
check minnow-bench --runs 0 "$work/empty.mnw"
check minnow-bench --runs abc
file_cases minnow-bench mnw --runs 1 --

echo "== minnow-fixtures"
check minnow-fixtures
check minnow-fixtures --bogus
check minnow-fixtures "$work/o" --count 0
check minnow-fixtures "$work/o" --seed x
check minnow-fixtures "$work/empty.mnw" --only allops          # a file, not a directory
check minnow-fixtures "$unwritable" --only allops

echo "test-cli: $pass passed, $fail failed"
(( fail == 0 ))
