#!/usr/bin/env bash
# Exports the committed checkpoints in models/ to int8 model files (models/*.mnw)
# and C arrays with test vectors (models/c/<name>_model.{c,h}), and records each
# report as JSON (models/<name>.export.json). Deterministic: the same checkpoint
# gives the same bytes.
#
# Usage: tools/export-models.sh [NAME ...]     (default: every models/*.ckpt)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tools/install-datasets.sh
swift build --product export-int8
export_int8="$(swift build --product export-int8 --show-bin-path)/export-int8"

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in models/*.ckpt; do names+=("$(basename "$f" .ckpt)"); done
fi
for name in "${names[@]}"; do
    echo "== $name: swift run export-int8 models/$name.ckpt --c-array models/c --json"
    "$export_int8" "models/$name.ckpt" --c-array models/c --json > "models/.$name.export.json.tmp"
    mv "models/.$name.export.json.tmp" "models/$name.export.json"
    cat "models/$name.export.json"
done
