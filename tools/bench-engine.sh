#!/usr/bin/env bash
# Times batch-1 int8 inference of the bundled models on this host: Minnow's
# reference kernels against its optimized kernels, interleaved in one run,
# per layer and whole model (medians and 10th percentiles). Release build
# with AVX2 code generation (-target-cpu haswell).
#
# Usage: tools/bench-engine.sh [MODEL.mnw ...] [--runs N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
flags=(-c release --product minnow-bench --scratch-path .build-bench)
if [ "$(uname -m)" = "x86_64" ]; then flags+=(-Xswiftc -target-cpu -Xswiftc haswell); fi
swift build "${flags[@]}" >&2
bin="$(swift build "${flags[@]}" --show-bin-path)/minnow-bench"
if [ $# -eq 0 ]; then set -- models/lenet5-fashion.mnw models/inception-lite-fashion.mnw; fi
if command -v taskset >/dev/null; then exec taskset -c 1 "$bin" "$@"; else exec "$bin" "$@"; fi
