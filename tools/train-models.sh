#!/usr/bin/env bash
# Reproduces the committed float checkpoints in models/. Each run is seeded,
# so the same command gives the same checkpoint bytes (see docs/training.md).
#
# Usage: tools/train-models.sh [lenet5-fashion|inception-lite-fashion|lenet5-mnist5k|all]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

which="${1:-all}"
tools/install-datasets.sh
swift build --product train
train="$(swift build --product train --show-bin-path)/train"

run() {
    local name="$1"; shift
    if [ "$which" = "all" ] || [ "$which" = "$name" ]; then
        echo "== $name: swift run train $*"
        "$train" "$@"
    fi
}

mkdir -p models
run lenet5-fashion          lenet5         --dataset fashion-mnist --epochs 15 --seed 1 -o models/lenet5-fashion.ckpt
run inception-lite-fashion  inception-lite --dataset fashion-mnist --epochs 15 --lr 0.003 --seed 1 -o models/inception-lite-fashion.ckpt
run lenet5-mnist5k          lenet5         --dataset mnist5k --epochs 50 --shift 2 --seed 1 -o models/lenet5-mnist5k.ckpt
