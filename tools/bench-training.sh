#!/usr/bin/env bash
# Training speed of LeNet-5 on this machine: one epoch of the 60,000
# Fashion-MNIST training images (batch 64, Adam), as images per second and
# seconds per epoch. If PyTorch can be imported (by $PYTHON, default python3),
# the same network and epoch is timed with it in the same run, on the same
# number of threads. Not a test: numbers depend on the machine and its load.
#
# Usage: tools/bench-training.sh [epochs (default 1)]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
epochs="${1:-1}"
python="${PYTHON:-python3}"

tools/install-datasets.sh >/dev/null
swift build --product train >/dev/null
train="$(swift build --product train --show-bin-path)/train"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$train" lenet5 --dataset fashion-mnist --epochs "$epochs" --seed 1 -o "$tmp/bench.ckpt" --json 2>/dev/null > "$tmp/summary.json"
python3 - "$tmp/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
secs = [h["seconds"] for h in s["history"]]
best = min(secs)
print(f"Minnow (Swift, 2 threads): LeNet-5 {60000 / best:,.0f} images/s, {best:.1f} s per 60,000-image epoch "
      f"(fastest of {len(secs)}; test accuracy after {s['epochs']} epoch(s) {100 * s['test_accuracy']:.2f}%)")
PY

if "$python" -c "import torch" 2>/dev/null; then
    "$python" - <<'PY'
import gzip, struct, time, warnings
warnings.filterwarnings("ignore")
import torch, torch.nn as nn
torch.manual_seed(1)
base = "/usr/share/datasets/fashion-mnist/"
with gzip.open(base + "train-images-idx3-ubyte.gz") as f:
    _, n, r, c = struct.unpack(">IIII", f.read(16))
    x = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(n, 1, r, c).float() / 255
with gzip.open(base + "train-labels-idx1-ubyte.gz") as f:
    f.read(8)
    y = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).long()
def epoch(threads):
    torch.set_num_threads(threads)
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    start = time.time()
    perm = torch.randperm(n)
    for i in range(0, n, 64):
        idx = perm[i:i + 64]
        opt.zero_grad()
        loss = loss_fn(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
    secs = time.time() - start
    print(f"PyTorch {torch.__version__} (CPU, {threads} thread{'s' if threads > 1 else ''}): "
          f"LeNet-5 {n / secs:,.0f} images/s, {secs:.1f} s per 60,000-image epoch", flush=True)
for threads in (2, 1):
    epoch(threads)
PY
else
    echo "PyTorch: not importable by $python (pip install torch, then PYTHON=/path/to/python3 $0)"
fi
