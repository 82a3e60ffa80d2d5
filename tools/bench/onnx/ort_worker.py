#!/usr/bin/env python3
"""ONNX Runtime as a benchmark worker for tools/bench/rounds.py: the same
line protocol as `minnow-bench --serve` (one command per stdin line, one JSON
object per reply line).

  load KEY FLOAT.onnx QDQ.onnx IDENTITY.onnx   three sessions; reply: ORT version, the
                                               optimized graphs' node types
  inputs FILE.f32 COUNT                         COUNT float32 images (NHWC, the model input's size)
  time KEY CONTENDER RUNS                       batch-1 latency samples in µs
  batch KEY CONTENDER N REPS                    seconds per run of one real batch of N images
  check KEY MINNOW.i8 LABELS|-                   accuracy and agreement with Minnow's int8 outputs
  quit

CONTENDER: ort-float, ort-qdq, ort-call (the Identity model: ORT's per-call floor
from Python). Sessions: one intra-op and one inter-op thread, sequential
execution, all graph optimizations (ORT_ENABLE_ALL). A timed run is one
InferenceSession.run() from a float32 numpy array (QDQ: QuantizeLinear is in
the graph) to the float output.
"""
import collections
import gc
import json
import os
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort


ort.set_default_logger_severity(3)     # no warning about saving the NCHWc-optimized graph


def options(optimized_path=None):
    o = ort.SessionOptions()
    o.intra_op_num_threads = 1
    o.inter_op_num_threads = 1
    o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    o.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if optimized_path:
        o.optimized_model_filepath = optimized_path
    return o


def session(path):
    return ort.InferenceSession(path, sess_options=options(), providers=["CPUExecutionProvider"])


def optimized_ops(path):
    """Node types of the graph ORT actually runs (a second session that saves it)."""
    out = path[:-5] + ".ort-optimized.onnx"
    ort.InferenceSession(path, sess_options=options(out), providers=["CPUExecutionProvider"])
    counts = collections.Counter(n.op_type for n in onnx.load(out).graph.node)
    return dict(sorted(counts.items()))


class Net:
    def __init__(self, float_path, qdq_path, identity_path):
        self.sessions = {"ort-float": session(float_path), "ort-qdq": session(qdq_path),
                         "ort-call": session(identity_path)}
        self.ops = {"ort-float": optimized_ops(float_path), "ort-qdq": optimized_ops(qdq_path)}
        shape = self.sessions["ort-float"].get_inputs()[0].shape     # ["N", C, H, W]
        self.chw = tuple(int(d) for d in shape[1:])
        self.outputs = {k: [s.get_outputs()[0].name] for k, s in self.sessions.items()}


def main():
    nets, images, count = {}, None, 0

    def reply(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    def nchw(net):
        c, h, w = net.chw
        return np.ascontiguousarray(images.reshape(count, h, w, c).transpose(0, 3, 1, 2))

    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        cmd = f[0]
        try:
            if cmd == "quit":
                break
            elif cmd == "load" and len(f) == 5:
                nets[f[1]] = n = Net(f[2], f[3], f[4])
                reply({"ok": True, "ort": ort.__version__, "onnx": onnx.__version__, "numpy": np.__version__,
                       "ops": n.ops})
            elif cmd == "inputs" and len(f) == 3:
                count = int(f[2])
                images = np.fromfile(f[1], dtype=np.float32).reshape(count, -1)
                reply({"ok": True, "images": count})
            elif cmd in ("time", "batch") and len(f) == (4 if cmd == "time" else 5):
                net, contender, runs = nets[f[1]], f[2], int(f[3])
                s = net.sessions[contender]
                run, outs, name = s.run, net.outputs[contender], s.get_inputs()[0].name
                x = nchw(net)
                gc.disable()
                if cmd == "time":
                    feeds = [{name: np.ascontiguousarray(x[i:i + 1])} for i in range(min(count, 64))]
                    for i in range(min(runs, 8)):
                        run(outs, feeds[i % len(feeds)])
                    us = []
                    clock = time.perf_counter_ns
                    for i in range(runs):
                        feed = feeds[i % len(feeds)]
                        t0 = clock()
                        run(outs, feed)
                        us.append((clock() - t0) / 1000)
                    gc.enable()
                    reply({"ok": True, "us": us})
                else:
                    reps = int(f[4])
                    idx = np.arange(runs) % count
                    feed = {name: np.ascontiguousarray(x[idx])}
                    run(outs, feed)
                    secs = []
                    for _ in range(reps):
                        t0 = time.perf_counter_ns()
                        run(outs, feed)
                        secs.append((time.perf_counter_ns() - t0) / 1e9)
                    gc.enable()
                    reply({"ok": True, "s": secs})
            elif cmd == "check" and len(f) == 4:
                net = nets[f[1]]
                x = nchw(net)
                minnow = np.fromfile(f[2], dtype=np.int8).reshape(count, -1)
                labels = None if f[3] == "-" else np.fromfile(f[3], dtype=np.uint8)[:count]
                fl = net.sessions["ort-float"].run(["logits"], {"input": x})[0].reshape(count, -1)
                qf, qq = net.sessions["ort-qdq"].run(["logits", "logits_q"], {"input": x})
                qq = qq.reshape(count, -1).astype(np.int32)
                m_arg, f_arg, q_arg = minnow.argmax(1), fl.argmax(1), qq.argmax(1)   # first on ties, as Minnow
                diff = np.abs(qq - minnow.astype(np.int32))
                r = {"ok": True, "images": count,
                     "float_vs_minnow_argmax": float((f_arg == m_arg).mean()),
                     "qdq_vs_minnow_argmax": float((q_arg == m_arg).mean()),
                     "qdq_vs_minnow_exact_outputs": float((diff == 0).all(1).mean()),
                     "qdq_vs_minnow_exact_values": float((diff == 0).mean()),
                     "qdq_vs_minnow_max_lsb": int(diff.max())}
                if labels is not None:
                    r.update({"float_accuracy": float((f_arg == labels).mean()),
                              "qdq_accuracy": float((q_arg == labels).mean()),
                              "minnow_accuracy": float((m_arg == labels).mean())})
                reply(r)
            else:
                reply({"ok": False, "error": f"unknown command: {line.strip()}"})
        except Exception as e:          # one bad command must not kill the worker
            gc.enable()
            reply({"ok": False, "error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
