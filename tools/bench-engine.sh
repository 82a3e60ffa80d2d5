#!/usr/bin/env bash
# One command for the host benchmark of issue 7: batch-1 int8 inference of LeNet-5
# and Inception-lite (Fashion-MNIST models in models/), single thread, pinned to one
# core with taskset, timed in ROUNDS for
#   1. Minnow's Swift engine (optimized kernels; release build, -target-cpu haswell);
#   2. Minnow through its C API (minnow.h): a C program (tools/bench/c-api, -O2) linked
#      with the host static library as tools/build-embedded.sh ships it (-O, AVX2 on
#      x86_64), with packed weights (minnow_use_packed_weights, the host fast path) and
#      with the weights read in place (what a microcontroller does);
#   3. the naive C baseline (tools/bench/naive, -O3; its outputs are checked bit-identical);
#   4. ONNX Runtime, float32 model and int8 QDQ model of the same network and weights,
#      generated from models/*.ckpt and models/*.mnw by tools/bench/onnx/build_models.py
#      (venv in .build-bench/venv with onnxruntime, onnx, numpy; skipped with a message if
#      it cannot be installed);
# plus batch-256 throughput, the arithmetic bound (32 int8 MACs per cycle at the measured
# clock) and Cortex-M4 instructions per inference (QEMU, exact; skipped with a message if
# the ARM toolchain is missing). Prints a summary table and writes it as Markdown.
# How rounds and ratios are computed: docs/benchmarks.md and tools/bench/rounds.py.
#
# Usage:
#   tools/bench-engine.sh [--quick] [--rounds N] [--runs N] [--no-onnx] [--no-cortex-m]
#                         [--markdown FILE]
#       --quick        3 rounds × 200 runs, 300 check images (about 20 s once built)
#       --rounds N     rounds (default 7)
#       --runs N       batch-1 runs per contender, model and round (default 1000)
#       --markdown F   the Markdown summary (default out/bench/summary.md; JSON next to it)
#   Environment: MINNOW_BENCH_VENV  the ONNX Runtime venv (default .build-bench/venv)
#   tools/bench-engine.sh --layers [MODEL.mnw ...] [--runs N]
#       the per-layer report: optimized vs reference kernels vs naive C, in one process
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
SCRATCH=.build-bench
flags=(-c release --product minnow-bench --scratch-path "$SCRATCH")
if [ "$(uname -m)" = "x86_64" ]; then flags+=(-Xswiftc -target-cpu -Xswiftc haswell); fi
pin=(); if command -v taskset >/dev/null; then pin=(taskset -c 1); fi

if [ "${1:-}" = "--layers" ] || [[ "${1:-}" == *.mnw ]]; then   # (model paths first: the old interface)
    [ "$1" = "--layers" ] && shift
    swift build "${flags[@]}" >&2
    bin="$(swift build "${flags[@]}" --show-bin-path)/minnow-bench"
    if [ $# -eq 0 ] || [[ "$1" == --* ]]; then set -- models/lenet5-fashion.mnw models/inception-lite-fashion.mnw "$@"; fi
    exec "${pin[@]}" "$bin" "$@"
fi

ARGS_TEXT=""; if [ $# -gt 0 ]; then ARGS_TEXT="$(printf ' %s' "$@")"; fi
ROUNDS=7 RUNS=1000 CHECK=1000 BATCH_REPS=2 ONNX=1 CORTEX=1 MARKDOWN=out/bench/summary.md
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) ROUNDS=3 RUNS=200 CHECK=300 BATCH_REPS=1; shift ;;
        --rounds) ROUNDS="${2:?--rounds needs a value}"; shift 2 ;;
        --runs) RUNS="${2:?--runs needs a value}"; shift 2 ;;
        --no-onnx) ONNX=0; shift ;;
        --no-cortex-m) CORTEX=0; shift ;;
        --markdown) MARKDOWN="${2:?--markdown needs a file}"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#'; exit 0 ;;
        *) echo "bench-engine.sh: unknown argument '$1' (--help)" >&2; exit 1 ;;
    esac
done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-engine.sh: --rounds and --runs take whole numbers ≥ 1" >&2; exit 1; }
PY="$(command -v python3 || true)"
[ -n "$PY" ] || { echo "bench-engine.sh: python3 is needed (apt-get install -y python3 python3-venv)" >&2; exit 1; }
MODELS=(lenet5 inception-lite)
MNW=(); for m in "${MODELS[@]}"; do MNW+=("models/$m-fashion.mnw"); done
for m in "${MODELS[@]}"; do
    for ext in mnw ckpt; do [ -f "models/$m-fashion.$ext" ] || { echo "bench-engine.sh: models/$m-fashion.$ext missing" >&2; exit 1; }; done
done
step() { echo "[bench] $*" >&2; }

# -- 1. the Swift engine and the naive C baseline --------------------------------
step "building minnow-bench (release${flags[4]:+, -target-cpu haswell})"
swift build "${flags[@]}" >&2
BENCH="$(swift build "${flags[@]}" --show-bin-path)/minnow-bench"

# -- 2. the C API: host libraries built from the engine sources + the C worker -----
source tools/embedded-env.sh
ENGINE_SOURCES=(Sources/MinnowCore Sources/MinnowC)
stale() {   # stale FILE: FILE missing or older than an engine source, the header or the C bench
    [ ! -f "$1" ] || [ -n "$(find "${ENGINE_SOURCES[@]}" tools/bench/c-api tools/embedded-env.sh tools/build-embedded.sh -newer "$1" -print -quit)" ]
}
EMB="$SCRATCH/embedded"
CAPI=()
if stale "$EMB/host/libminnow.a"; then
    step "building the host C library as shipped (tools/build-embedded.sh --target host: -O, AVX2 on x86_64)"
    tools/build-embedded.sh --target host --out "$EMB" >"$SCRATCH/build-embedded.log" 2>&1 ||
        { cat "$SCRATCH/build-embedded.log" >&2; exit 1; }
fi
out="$SCRATCH/c-api/bench_capi-host"
if stale "$out"; then
    tools/link-host-c.sh -o "$out" --no-default-lib --lib "$EMB/host/libminnow.a" --allow-alloc \
        -I Sources/MinnowC/include tools/bench/c-api/bench_capi.c >/dev/null
fi
CAPI+=(--capi "capi-packed=Minnow, C API (packed weights, minnow_use_packed_weights)=$out --packed")
CAPI+=(--capi "capi-inplace=Minnow, C API (weights read in place, as on a microcontroller)=$out")

# -- 4. ONNX Runtime (venv) and the ONNX models ------------------------------------
ORT=()
if [ $ONNX -eq 0 ]; then
    ORT=(--ort-skip "skipped (--no-onnx)")
else
    VENV="${MINNOW_BENCH_VENV:-$SCRATCH/venv}"
    HINT="install with: python3 -m venv $VENV && $VENV/bin/pip install onnxruntime onnx numpy"
    if ! "$VENV/bin/python" -c "import onnxruntime, onnx, numpy" 2>/dev/null; then
        step "installing onnxruntime, onnx, numpy into $VENV (first run only)"
        if ! { "$PY" -m venv "$VENV" >&2 && "$VENV/bin/pip" install -q onnxruntime onnx numpy >&2; }; then
            ORT=(--ort-skip "skipped: could not create the venv or pip install onnxruntime onnx numpy failed; $HINT")
        fi
    fi
    if [ ${#ORT[@]} -eq 0 ]; then
        if ! "$VENV/bin/python" -c "import onnxruntime, onnx, numpy" 2>/dev/null; then
            ORT=(--ort-skip "skipped: onnxruntime/onnx/numpy do not import in $VENV; $HINT")
        else
            step "generating the ONNX models (float from models/*.ckpt, int8 QDQ from models/*.mnw) into $SCRATCH/onnx"
            ok=1
            for m in "${MODELS[@]}"; do
                "$VENV/bin/python" tools/bench/onnx/build_models.py --ckpt "models/$m-fashion.ckpt" \
                    --mnw "models/$m-fashion.mnw" --out "$SCRATCH/onnx" --name "$m" >&2 || ok=0
            done
            if [ $ok -eq 1 ]; then ORT=(--ort-python "$VENV/bin/python" --onnx-dir "$SCRATCH/onnx")
            else ORT=(--ort-skip "skipped: tools/bench/onnx/build_models.py failed (see above)"); fi
        fi
    fi
fi

# -- 7. Cortex-M4 instructions per inference (QEMU, exact) --------------------------
CM=()
if [ $CORTEX -eq 0 ]; then
    CM=(--cortex-m-skip "skipped (--no-cortex-m)")
elif ! command -v arm-none-eabi-gcc >/dev/null || ! command -v qemu-system-arm >/dev/null; then
    CM=(--cortex-m-skip "skipped: arm-none-eabi-gcc or qemu-system-arm missing (install with tools/install-toolchain.sh)")
else
    step "Cortex-M4: building the library and running the firmware under QEMU (firmware-sim/cortex-m/firmware/run.sh)"
    rm -f "$SCRATCH/cortex-m/results.jsonl"; : >"$SCRATCH/cortex-m.log"
    if { ! stale "$EMB/cortex-m4/libminnow.a" ||
         tools/build-embedded.sh --target cortex-m4 --out "$EMB" >"$SCRATCH/cortex-m.log" 2>&1; } &&
       firmware-sim/cortex-m/firmware/run.sh --lib "$EMB/cortex-m4/libminnow.a" --out "$SCRATCH/cortex-m" \
            --json "$SCRATCH/cortex-m/results.jsonl" --quiet --no-api-checks \
            "${MNW[@]}" >>"$SCRATCH/cortex-m.log" 2>&1; then
        CM=(--cortex-m-json "$SCRATCH/cortex-m/results.jsonl")
    else
        CM=(--cortex-m-skip "skipped: the Cortex-M4 build or firmware run failed (log: $SCRATCH/cortex-m.log)")
    fi
fi

# -- the rounds (pinned: the driver and every worker it starts share one core) -------
step "timing: $ROUNDS rounds × $RUNS runs per contender and model"
exec "${pin[@]}" "$PY" tools/bench/rounds.py --minnow-bench "$BENCH" \
    --model "lenet5=LeNet-5=models/lenet5-fashion.mnw" \
    --model "inception-lite=Inception-lite=models/inception-lite-fashion.mnw" \
    "${CAPI[@]}" "${ORT[@]}" "${CM[@]}" --rounds "$ROUNDS" --runs "$RUNS" --batch 256 --batch-reps "$BATCH_REPS" \
    --check-images "$CHECK" --work "$SCRATCH/bench" --markdown "$MARKDOWN" --json "${MARKDOWN%.md}.json" \
    --command "tools/bench-engine.sh$ARGS_TEXT"
