#!/usr/bin/env python3
"""The driver behind tools/bench-engine.sh: times batch-1 int8 inference of the
models with every contender, in ROUNDS, and prints the summary (text and Markdown).
Python 3 standard library only (ONNX Runtime runs in its own worker process).

Contenders are worker processes speaking one line protocol (commands on stdin,
one JSON reply per line): `minnow-bench --serve` (Minnow's Swift engine and the
naive C baseline), tools/bench/c-api/bench_capi (Minnow through minnow.h, one
binary per library build) and tools/bench/onnx/ort_worker.py (ONNX Runtime,
float and QDQ). All of them stay loaded for the whole run; this process and its
children are pinned to one core by the caller (taskset), so only one runs at a time.

A round runs, for each model, every contender for a chunk of RUNS batch-1
inferences (the order rotates from round to round), then one batch-throughput
measurement per contender. Per contender the latency is the median and 10th
percentile of every run of every round; its ratio to Minnow is computed per round
(median of that round's chunk / median of Minnow's chunk in the same round) and the
median of those per-round ratios is reported, with their spread (min–max).
"""
import argparse
import datetime
import gzip
import json
import os
import platform
import random
import statistics
import struct
import subprocess
import sys
import time

MINNOW = "minnow"          # the reference contender for the ratios


def log(msg=""):
    print(msg, flush=True)


def percentile(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, int(len(s) * p))]


class Worker:
    def __init__(self, name, argv, env=None):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                                     env=env)

    def ask(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self.proc.stdout.readline()
        if not reply:
            raise RuntimeError(f"{self.name}: worker exited (command: {line})")
        r = json.loads(reply)
        if not r.get("ok"):
            raise RuntimeError(f"{self.name}: {line}: {r.get('error')}")
        return r

    def close(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


class Contender:
    def __init__(self, key, label, worker, command_name, batch_note):
        self.key, self.label, self.worker, self.command_name, self.batch_note = key, label, worker, command_name, batch_note


# ---------------------------------------------------------------------------
# Inputs: Fashion-MNIST test images (pixel / 255), else deterministic noise

def prepare_images(dataset_dir, count, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    images_path, labels_path = os.path.join(out_dir, "images.f32"), os.path.join(out_dir, "labels.u8")
    ip = os.path.join(dataset_dir, "t10k-images-idx3-ubyte.gz")
    lp = os.path.join(dataset_dir, "t10k-labels-idx1-ubyte.gz")
    if os.path.exists(ip) and os.path.exists(lp):
        raw = gzip.open(ip).read()
        labels = gzip.open(lp).read()[8:8 + count]
        n = struct.unpack(">I", raw[4:8])[0]
        count = min(count, n)
        pixels = raw[16:16 + 784 * count]
        floats = [p / 255 for p in pixels]
        with open(labels_path, "wb") as f:
            f.write(labels[:count])
        source = f"Fashion-MNIST test images 0..{count - 1} ({dataset_dir})"
    else:
        rng = random.Random(12345)
        floats = [rng.random() for _ in range(784 * count)]
        labels_path = None
        source = (f"{count} pseudo-random images (no Fashion-MNIST at {dataset_dir}: "
                  "tools/install-datasets.sh installs it; accuracy not measured)")
    with open(images_path, "wb") as f:
        f.write(struct.pack(f"<{len(floats)}f", *floats))
    return images_path, labels_path, count, source


def argmax_first(row):
    best = 0
    for i in range(1, len(row)):
        if row[i] > row[best]:
            best = i
    return best


def read_i8(path, width):
    b = open(path, "rb").read()
    vals = struct.unpack(f"<{len(b)}b", b)
    return [vals[i:i + width] for i in range(0, len(vals), width)]


# ---------------------------------------------------------------------------

def fmt_us(x):
    if x >= 1000:
        return f"{x:,.0f}"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.1f}"


def fmt_int(x):
    return f"{x:,.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", action="append", default=[], help="KEY=LABEL=MODEL.mnw")
    ap.add_argument("--minnow-bench", required=True)
    ap.add_argument("--capi", action="append", default=[], help="KEY=LABEL=BINARY [ARGS]")
    ap.add_argument("--ort-python", help="python of the ONNX Runtime venv")
    ap.add_argument("--ort-skip", help="why ONNX Runtime is skipped")
    ap.add_argument("--onnx-dir")
    ap.add_argument("--cortex-m-json", help="JSON lines of firmware-sim/cortex-m/firmware/run.sh --json")
    ap.add_argument("--cortex-m-skip")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--runs", type=int, default=1000, help="batch-1 runs per contender, model and round")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--batch-reps", type=int, default=2, help="timed batches per contender, model and round")
    ap.add_argument("--check-images", type=int, default=1000)
    ap.add_argument("--dataset", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--work", default=".build-bench/bench")
    ap.add_argument("--markdown", default="out/bench/summary.md")
    ap.add_argument("--json", default="out/bench/results.json")
    ap.add_argument("--stated-ghz", type=float, default=3.1)
    ap.add_argument("--command", default="tools/bench-engine.sh")
    a = ap.parse_args()

    models = []
    for m in a.model:
        key, label, path = m.split("=", 2)
        models.append((key, label, path))
    here = os.path.dirname(os.path.abspath(__file__))

    # -- workers and contenders -------------------------------------------------
    workers, contenders = [], []
    swift = Worker("minnow-bench", [a.minnow_bench, "--serve"])
    workers.append(swift)
    contenders.append(Contender(MINNOW, "Minnow, Swift engine (optimized kernels)", swift, "minnow",
                                "256 sequential batch-1 invokes"))
    capis = []
    for spec in a.capi:
        key, label, binary = spec.split("=", 2)
        w = Worker(key, binary.split())  # BINARY may carry arguments (e.g. "bench_capi --packed")
        workers.append(w)
        capis.append((key, label, w))
        contenders.append(Contender(key, label, w, "minnow", "256 sequential batch-1 invokes"))
    contenders.append(Contender("naive", "naive C -O3 (same int8 network, same bytes)", swift, "naive",
                                "256 sequential batch-1 runs"))
    ort_worker = None
    if a.ort_python:
        ort_worker = Worker("onnxruntime", [a.ort_python, os.path.join(here, "onnx", "ort_worker.py")])
        workers.append(ort_worker)
        contenders.append(Contender("ort-float", "ONNX Runtime, float32 model", ort_worker, "ort-float",
                                    "one real batch of 256"))
        contenders.append(Contender("ort-qdq", "ONNX Runtime, int8 QDQ model", ort_worker, "ort-qdq",
                                    "one real batch of 256"))

    try:
        run(a, models, workers, contenders, swift, capis, ort_worker)
    finally:
        for w in workers:
            w.close()


def run(a, models, workers, contenders, swift, capis, ort_worker):
    started = datetime.datetime.now()
    n_images = max(a.check_images, a.batch)
    images, labels, n_images, source = prepare_images(a.dataset, n_images, a.work)
    log(f"inputs: {source}")
    info, ort_info = {}, None
    for key, label, path in models:
        for w in workers:
            if w is ort_worker:
                o = a.onnx_dir
                ort_info = w.ask(f"load {key} {o}/{key}-float.onnx {o}/{key}-qdq.onnx {o}/identity.onnx")
                info.setdefault(key, {})["ort_ops"] = ort_info["ops"]
            else:
                r = w.ask(f"load {key} {path}")
                info.setdefault(key, {}).update(macs=r["macs"], arena=r["arena"], output=r["output"])
    for w in workers:
        w.ask(f"inputs {images} {n_images}")

    # -- correctness: every contender computes the same network ------------------
    log("\n== checks (the same network everywhere) ==")
    checks = {}
    for key, label, path in models:
        c = swift.ask(f"check {key}")
        m_out = os.path.join(a.work, f"{key}-minnow.i8")
        swift.ask(f"outputs {key} {m_out}")
        minnow_bytes = open(m_out, "rb").read()
        line = [f"{label}: naive C outputs {'bit-identical to Minnow' if c['identical'] else 'DIFFER from Minnow'}"
                f" ({c['images']} images)"]
        checks[key] = {"naive_identical": c["identical"]}
        for ckey, clabel, w in capis:
            c_out = os.path.join(a.work, f"{key}-{ckey}.i8")
            w.ask(f"outputs {key} {c_out}")
            same = open(c_out, "rb").read() == minnow_bytes
            checks[key][f"{ckey}_identical"] = same
            line.append(f"{ckey} {'bit-identical' if same else 'DIFFERS'}")
        if labels:
            labs = open(labels, "rb").read()
            rows = read_i8(m_out, info[key]["output"])
            acc = sum(argmax_first(r) == labs[i] for i, r in enumerate(rows)) / len(rows)
            checks[key]["minnow_accuracy"] = acc
            line.append(f"Minnow int8 accuracy {100 * acc:.1f}%")
        log("  " + "; ".join(line))
        if ort_worker:
            r = ort_worker.ask(f"check {key} {m_out} {labels or '-'}")
            checks[key]["ort"] = r
            acc = (f"float accuracy {100 * r['float_accuracy']:.1f}%, QDQ accuracy {100 * r['qdq_accuracy']:.1f}%; "
                   if "float_accuracy" in r else "")
            log(f"  {label}, ONNX Runtime on {r['images']} images: {acc}argmax agreement with Minnow: "
                f"float {100 * r['float_vs_minnow_argmax']:.1f}%, QDQ {100 * r['qdq_vs_minnow_argmax']:.1f}%; "
                f"QDQ int8 outputs equal to Minnow's: {100 * r['qdq_vs_minnow_exact_values']:.1f}% of values, "
                f"{100 * r['qdq_vs_minnow_exact_outputs']:.1f}% of whole output vectors, "
                f"max difference {r['qdq_vs_minnow_max_lsb']} LSB")
            ops = info[key]["ort_ops"]["ort-qdq"]
            log(f"    ORT's optimized QDQ graph: " + ", ".join(f"{k}×{v}" for k, v in ops.items()))

    # -- clock ---------------------------------------------------------------------
    ghz, ghz_note = a.stated_ghz, f"stated {a.stated_ghz} GHz"
    if capis:
        g = capis[0][2].ask("clock")["ghz"]
        if g > 0:
            ghz, ghz_note = g, f"measured {g:.2f} GHz (chain of dependent 1-cycle adds, pinned core)"

    # -- rounds ----------------------------------------------------------------------
    log(f"\n== {a.rounds} rounds × {a.runs} batch-1 runs per contender and model "
        f"(+ {a.batch_reps} batch-{a.batch} measurement(s) each) ==")
    lat = {m[0]: {c.key: [] for c in contenders} for m in models}
    round_median = {m[0]: {c.key: [] for c in contenders} for m in models}
    thr = {m[0]: {c.key: [] for c in contenders} for m in models}
    call_floor = []
    t_start = time.time()
    for r in range(a.rounds):
        for key, label, path in models:
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            for c in order:
                us = c.worker.ask(f"time {key} {c.command_name} {a.runs}")["us"]
                lat[key][c.key] += us
                round_median[key][c.key].append(statistics.median(us))
            if ort_worker:
                call_floor += ort_worker.ask(f"time {key} ort-call {max(50, a.runs // 10)}")["us"]
            for c in order:
                secs = c.worker.ask(f"batch {key} {c.command_name} {a.batch} {a.batch_reps}")["s"]
                thr[key][c.key] += [a.batch / s for s in secs]
        done = ", ".join(f"{m[0]} Minnow {round_median[m[0]][MINNOW][-1]:.1f} µs" for m in models)
        log(f"  round {r + 1}/{a.rounds}: {done}  ({time.time() - t_start:.0f} s)")

    # -- results -----------------------------------------------------------------------
    results = {}
    for key, label, path in models:
        rows = []
        base = round_median[key][MINNOW]
        for c in contenders:
            xs = lat[key][c.key]
            ratios = [m / b for m, b in zip(round_median[key][c.key], base)]
            rows.append(dict(key=c.key, label=c.label, median=statistics.median(xs), p10=percentile(xs, 0.1),
                             runs=len(xs), ratio=statistics.median(ratios), ratio_min=min(ratios),
                             ratio_max=max(ratios), throughput=statistics.median(thr[key][c.key]),
                             batch_note=c.batch_note))
        results[key] = rows

    cm = {}
    if a.cortex_m_json and os.path.exists(a.cortex_m_json):
        for line in open(a.cortex_m_json):
            o = json.loads(line)
            if o.get("total"):
                cm[o["model"]] = o

    def cortex_for(path):
        # run.sh names a model by its file name as a C identifier (lenet5-fashion.mnw -> lenet5_fashion)
        ident = "".join(ch if ch.isalnum() else "_" for ch in os.path.basename(path)[:-4].lower())
        o = cm.get(ident if ident[:1].isalpha() else "m_" + ident)
        if o:
            return f"{o['instructions_per_inference']:,} ({o['instructions_per_mac']:.2f} per MAC)"
        return "skipped" if not cm else "—"

    # -- text summary ----------------------------------------------------------------
    host = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                host = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    total_runs = a.rounds * a.runs
    log(f"\n== summary: batch-1 latency, µs (median / 10th percentile of {total_runs:,} runs each), "
        f"× Minnow = median over the {a.rounds} rounds of (round median / Minnow's round median) ==")
    w = max(len(c.label) for c in contenders)
    names = [m[1] for m in models]
    head = f"{'contender':<{w}}"
    for n in names:
        head += f" | {n + ' µs':>18} {'× Minnow':>9}"
    head += " | " + " | ".join(f"{n + ' img/s (b' + str(a.batch) + ')':>26}" for n in names)
    log(head)
    log("-" * len(head))
    for i, c in enumerate(contenders):
        line = f"{c.label:<{w}}"
        for key, _, _ in models:
            row = results[key][i]
            line += f" | {fmt_us(row['median']) + ' / ' + fmt_us(row['p10']):>18} {row['ratio']:>8.2f}x"
        line += " | " + " | ".join(f"{fmt_int(results[k][i]['throughput']):>26}" for k, _, _ in models)
        log(line)
    bound_line = f"{'arithmetic bound (32 MACs/cycle)':<{w}}"
    for key, _, _ in models:
        b = info[key]["macs"] / (32 * ghz * 1000)
        bound_line += f" | {fmt_us(b):>18} {b / results[key][0]['median']:>8.2f}x"
    bound_line += " | " + " | ".join(f"{fmt_int(32 * ghz * 1e9 / info[k]['macs']):>26}" for k, _, _ in models)
    log(bound_line)
    log(f"{'Cortex-M4 instructions / inference':<{w}} | " + " | ".join(f"{cortex_for(p):>28}" for _, _, p in models))
    log("")
    log(f"- × Minnow: time relative to Minnow's Swift engine (above 1 = slower); per-round spread: " +
        "; ".join(f"{c.key} " + ", ".join(f"{results[k][i]['ratio_min']:.2f}–{results[k][i]['ratio_max']:.2f}"
                                          for k, _, _ in models) for i, c in enumerate(contenders) if i > 0))
    log(f"- batch-{a.batch} throughput: Minnow and naive C run 256 sequential batch-1 inferences (the engine has "
        f"no batch dimension); ONNX Runtime runs one real [{a.batch}, 1, 28, 28] batch. Median of "
        f"{a.rounds * a.batch_reps} batches.")
    log(f"- arithmetic bound: MACs / (32 exact int8 MACs per cycle: AVX2 vpmaddwd, no VNNI × {ghz_note}); "
        f"MACs: " + ", ".join(f"{n} {info[k]['macs']:,}" for k, n, _ in models) + ".")
    if call_floor:
        log(f"- ONNX Runtime's per-call floor from Python (an Identity model, same input): "
            f"{statistics.median(call_floor):.1f} µs median — included in its batch-1 figures.")
    if not ort_worker:
        log(f"- ONNX Runtime: {a.ort_skip}")
    if not cm:
        log(f"- Cortex-M4: {a.cortex_m_skip or 'skipped'}")
    else:
        log("- Cortex-M4: exact instruction counts under QEMU (mps2-an386), optimized kernels, -Osize "
            "(firmware-sim/cortex-m/firmware/run.sh).")

    # -- Markdown -----------------------------------------------------------------------
    md = []
    md.append(f"Measured {started:%Y-%m-%d %H:%M} with `{a.command}` on {host} "
              f"({os.cpu_count()} logical CPUs, single thread pinned with taskset), commit "
              f"{git_commit()}. {a.rounds} rounds × {a.runs} batch-1 runs per contender and model; {source}.\n")
    cols = "".join(f" {n} µs (median / p10) | × Minnow |" for n in names)
    cols += "".join(f" {n} img/s, batch {a.batch} |" for n in names)
    md.append(f"| contender |{cols}")
    md.append("|---|" + "---:|---:|" * len(models) + "---:|" * len(models))
    for i, c in enumerate(contenders):
        cells = "".join(f" {fmt_us(results[k][i]['median'])} / {fmt_us(results[k][i]['p10'])} | "
                        f"{results[k][i]['ratio']:.2f}x |" for k, _, _ in models)
        cells += "".join(f" {fmt_int(results[k][i]['throughput'])} |" for k, _, _ in models)
        md.append(f"| {c.label} |{cells}")
    cells = "".join(f" {fmt_us(info[k]['macs'] / (32 * ghz * 1000))} | |" for k, _, _ in models)
    cells += "".join(f" {fmt_int(32 * ghz * 1e9 / info[k]['macs'])} |" for k, _, _ in models)
    md.append(f"| arithmetic bound (32 MACs/cycle at {ghz:.2f} GHz) |{cells}")
    md.append(f"| Cortex-M4 instructions / inference (QEMU, exact) |" +
              "".join(f" {cortex_for(p)} | |" for _, _, p in models) + " |" * len(models))
    md.append("")
    md.append(f"- × Minnow: per round, the contender's median over Minnow's median in the same round; the median "
              f"of the {a.rounds} per-round ratios (above 1 = slower than Minnow).")
    md.append(f"- Batch {a.batch}: Minnow, its C API and naive C run {a.batch} sequential batch-1 inferences; "
              f"ONNX Runtime one real batch of {a.batch}.")
    md.append(f"- Arithmetic bound: MACs / (32 × {ghz_note}).")
    if call_floor:
        md.append(f"- ONNX Runtime is called from Python: its per-call floor (an Identity model) is "
                  f"{statistics.median(call_floor):.1f} µs, included in its batch-1 figures.")
    for key, label, _ in models:
        ck = checks[key]
        parts = [f"naive C {'bit-identical' if ck['naive_identical'] else 'differs'}"]
        parts += [f"{ckey} {'bit-identical' if ck[ckey + '_identical'] else 'differs'}" for ckey, _, _ in capis]
        if "minnow_accuracy" in ck:
            parts.append(f"Minnow int8 accuracy {100 * ck['minnow_accuracy']:.1f}%")
        if "ort" in ck:
            r = ck["ort"]
            if "float_accuracy" in r:
                parts.append(f"ORT float accuracy {100 * r['float_accuracy']:.1f}%, QDQ {100 * r['qdq_accuracy']:.1f}%")
            parts.append(f"argmax agreement with Minnow: float {100 * r['float_vs_minnow_argmax']:.1f}%, "
                         f"QDQ {100 * r['qdq_vs_minnow_argmax']:.1f}%; QDQ int8 values equal to Minnow's "
                         f"{100 * r['qdq_vs_minnow_exact_values']:.1f}% (max {r['qdq_vs_minnow_max_lsb']} LSB)")
            parts.append("ORT's optimized QDQ graph: " + ", ".join(f"{k}×{v}" for k, v in
                                                                   info[key]["ort_ops"]["ort-qdq"].items()))
        md.append(f"- {label} ({ck.get('ort', {}).get('images', n_images)} test images): " + "; ".join(parts) + ".")
    if not ort_worker:
        md.append(f"- ONNX Runtime: {a.ort_skip}")
    if ort_info:
        md.append(f"- ONNX Runtime {ort_info['ort']} (onnx {ort_info['onnx']}, numpy {ort_info['numpy']}), "
                  "CPU provider, 1 intra-op and 1 inter-op thread, sequential, ORT_ENABLE_ALL.")
    if not cm:
        md.append(f"- Cortex-M4: {a.cortex_m_skip or 'skipped'}")
    for path in (a.markdown,):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as f:
            f.write("\n".join(md) + "\n")
    os.makedirs(os.path.dirname(a.json) or ".", exist_ok=True)
    with open(a.json, "w") as f:
        json.dump({"date": started.isoformat(timespec="seconds"), "host": host, "ghz": ghz, "ghz_note": ghz_note,
                   "rounds": a.rounds, "runs": a.runs, "batch": a.batch, "inputs": source, "models": info,
                   "checks": checks, "results": results, "cortex_m": cm,
                   "ort_call_floor_us": statistics.median(call_floor) if call_floor else None}, f, indent=1)
    log(f"\nMarkdown: {a.markdown}   all figures (JSON): {a.json}")


def git_commit():
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True).stdout.strip()
        return head + (" with uncommitted changes" if dirty else "")
    except Exception:
        return "?"


if __name__ == "__main__":
    main()
