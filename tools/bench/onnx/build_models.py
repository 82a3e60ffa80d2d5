#!/usr/bin/env python3
"""Builds ONNX models of a Minnow network from its own files, for the ONNX
Runtime contenders of tools/bench-engine.sh. Needs `onnx` and `numpy` (no torch).

  build_models.py --ckpt NET.ckpt --mnw NET.mnw --out DIR --name KEY

writes
  DIR/KEY-float.onnx  float32: the architecture and float weights of the
                      checkpoint (docs/checkpoint-format.md), batch norm folded
                      exactly as Checkpoint.foldedParameters() does;
  DIR/KEY-qdq.onnx    int8 QDQ: the int8 weights, int32 biases, activation scales
                      and zero points of the model file (docs/model-format.md), as
                      QuantizeLinear/DequantizeLinear pairs around each Conv, Gemm,
                      MaxPool, Concat, ... — the form ONNX Runtime fuses into
                      QLinearConv / QGemm / int8 pooling kernels. Per-channel weight
                      scales are recovered from the stored requantization multipliers:
                      w_scale[k] = multiplier[k]·2^(shift[k]−31) · out_scale / in_scale.
                      Its outputs: "logits" (float, dequantized) and "logits_q" (the int8
                      output tensor, comparable with Minnow's bytes).
  DIR/identity.onnx   one Identity node on the same input (ORT's per-call floor).

Both networks take "input": float32 [N, C, H, W] (pixel / 255; for one channel the
same bytes as Minnow's NHWC) and are NCHW inside; the first fully connected layer's
weights are permuted from Minnow's NHWC flatten order to NCHW's, so no Transpose is
needed. The output is deterministic: same files in, same bytes out.
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


# ---------------------------------------------------------------------------
# Reading Minnow's files

def read_checkpoint(path):
    b = open(path, "rb").read()
    if b[:8] != b"MINNOWCK":
        sys.exit(f"{path}: not a Minnow checkpoint")
    version, a_len, m_len, count = struct.unpack_from("<IIII", b, 8)
    if version != 1:
        sys.exit(f"{path}: checkpoint version {version} not supported")
    arch = json.loads(b[24:24 + a_len].decode())
    pos = 24 + a_len + m_len
    tensors = {}
    for _ in range(count):
        (n,) = struct.unpack_from("<H", b, pos)
        name = b[pos + 2:pos + 2 + n].decode()
        (e,) = struct.unpack_from("<I", b, pos + 2 + n)
        pos += 6 + n
        tensors[name] = np.frombuffer(b, dtype="<f4", count=e, offset=pos).astype(np.float32)
        pos += 4 * e
    return arch, tensors


def read_model(path):
    b = open(path, "rb").read()
    if b[:4] != b"MNW8":
        sys.exit(f"{path}: not a Minnow model file")
    tcount, lcount, inp, out, _arena, toff, loff = struct.unpack_from("<HHHHIII", b, 16)
    tensors = []
    for i in range(tcount):
        r = toff + 32 * i
        offset, h, w, c, stride, zp, scale = struct.unpack_from("<IHHHHif", b, r)
        tensors.append(dict(h=h, w=w, c=c, zp=zp, scale=scale))
    layers = []
    for i in range(lcount):
        r = loff + 96 * i
        op, n, output = struct.unpack_from("<BBH", b, r)
        inputs = list(struct.unpack_from("<8H", b, r + 4))[:n]
        name = b[r + 20:r + 36].split(b"\0")[0].decode()
        kh, kw, sh, sw, pt, pl, pb, pr = struct.unpack_from("<8H", b, r + 36)
        amin, amax, rounding = struct.unpack_from("<bbB", b, r + 52)
        woff, wlen, poff, plen = struct.unpack_from("<IIII", b, r + 56)
        layers.append(dict(op=op, inputs=inputs, output=output, name=name, kernel=(kh, kw), stride=(sh, sw),
                           pads=(pt, pl, pb, pr), amin=amin, amax=amax, rounding=rounding,
                           weights=np.frombuffer(b, dtype=np.int8, count=wlen, offset=woff),
                           params=np.frombuffer(b, dtype="<i4", count=plen // 4, offset=poff)))
    return dict(tensors=tensors, layers=layers, input=inp, output=out)


# ---------------------------------------------------------------------------
# Graph building helpers

class Graph:
    def __init__(self):
        self.nodes, self.inits = [], []

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op, inputs, output, name=None, **attrs):
        self.nodes.append(helper.make_node(op, inputs, [output], name=name or output, **attrs))
        return output

    def model(self, name, inputs, outputs):
        g = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        m = helper.make_model(g, producer_name="minnow-bench", producer_version="1",
                              opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def pair(v, default=None):
    if v is None:
        return default
    return (v, v) if isinstance(v, int) else tuple(v)


def window_pads(padding, size, kernel, stride):
    """[top, left, bottom, right] as docs/architecture-format.md defines them."""
    if padding is None or padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        p = []
        for n, k, s in zip(size, kernel, stride):
            out = -(-n // s)
            p.append(max((out - 1) * s + k - n, 0))
        return (p[0] // 2, p[1] // 2, p[0] - p[0] // 2, p[1] - p[1] // 2)
    if isinstance(padding, int):
        return (padding,) * 4
    if len(padding) == 2:
        return (padding[0], padding[1], padding[0], padding[1])
    t, b, l, r = padding
    return (t, l, b, r)


def window_out(n, k, s, before, after, rounding):
    num = n - k + before + after
    if rounding == "ceil":
        return -(-num // s) + 1
    return num // s + 1


def nhwc_to_nchw_dense(w, units, h, wd, c):
    return w.reshape(units, h, wd, c).transpose(0, 3, 1, 2).reshape(units, h * wd * c)


# ---------------------------------------------------------------------------
# The float model, from the checkpoint

def float_model(arch, params, name):
    g = Graph()
    h, w, c = arch["input"]
    shapes = {"input": (h, w, c)}
    names = {"input": "input"}
    prev = "input"
    for layer in arch["layers"]:
        lname, kind = layer["name"], layer["type"]
        srcs = layer.get("inputs") or [prev]
        x = names[srcs[0]]
        h, w, c = shapes[srcs[0]]
        out = f"{lname}"
        if kind == "conv":
            k = pair(layer["kernel"])
            s = pair(layer.get("stride"), (1, 1))
            pads = window_pads(layer.get("padding"), (h, w), k, s)
            if layer.get("rounding", "exact") == "ceil":
                sys.exit(f"layer {lname}: ceil rounding on a convolution has no ONNX equivalent")
            wt = params[f"{lname}/weights"].reshape(layer["filters"], k[0], k[1], c)
            bias = params[f"{lname}/bias"]
            if layer.get("batch_norm"):
                scale = params[f"{lname}/bn_gamma"] / np.sqrt(params[f"{lname}/bn_running_variance"]
                                                              + params[f"{lname}/bn_epsilon"][0])
                wt = wt * scale[:, None, None, None]
                bias = (bias - params[f"{lname}/bn_running_mean"]) * scale + params[f"{lname}/bn_beta"]
            wn = g.const(f"{lname}/W", wt.transpose(0, 3, 1, 2).astype(np.float32))
            bn = g.const(f"{lname}/B", bias.astype(np.float32))
            y = g.node("Conv", [x, wn, bn], out + "/conv" if layer.get("activation") == "relu" else out,
                       kernel_shape=list(k), strides=list(s), pads=[pads[0], pads[1], pads[2], pads[3]])
            if layer.get("activation") == "relu":
                g.node("Relu", [y], out)
            rounding = "floor"
            h = window_out(h, k[0], s[0], pads[0], pads[2], rounding)
            w = window_out(w, k[1], s[1], pads[1], pads[3], rounding)
            c = layer["filters"]
        elif kind in ("maxpool", "avgpool"):
            k = pair(layer["size"])
            s = pair(layer.get("stride"), k)
            pads = window_pads(layer.get("padding"), (h, w), k, s)
            rounding = layer.get("rounding", "exact")
            attrs = dict(kernel_shape=list(k), strides=list(s), pads=[pads[0], pads[1], pads[2], pads[3]],
                         ceil_mode=1 if rounding == "ceil" else 0)
            if kind == "avgpool":
                attrs["count_include_pad"] = 0
            g.node("MaxPool" if kind == "maxpool" else "AveragePool", [x], out, **attrs)
            h = window_out(h, k[0], s[0], pads[0], pads[2], rounding)
            w = window_out(w, k[1], s[1], pads[1], pads[3], rounding)
        elif kind in ("global_avgpool", "global_maxpool"):
            g.node("GlobalAveragePool" if kind == "global_avgpool" else "GlobalMaxPool", [x], out)
            h = w = 1
        elif kind == "dense":
            units = layer["units"]
            wt = nhwc_to_nchw_dense(params[f"{lname}/weights"], units, h, w, c)
            flat = g.node("Flatten", [x], out + "/flat", axis=1)
            y = g.node("Gemm", [flat, g.const(f"{lname}/W", wt), g.const(f"{lname}/B", params[f"{lname}/bias"])],
                       out + "/gemm" if layer.get("activation") == "relu" else out, transB=1)
            if layer.get("activation") == "relu":
                g.node("Relu", [y], out)
            h, w, c = 1, 1, units          # [N, units]: only dense, softmax or the output may follow
        elif kind == "concat":
            g.node("Concat", [names[s_] for s_ in srcs], out, axis=1)
            c = sum(shapes[s_][2] for s_ in srcs)
        elif kind == "add":
            y = g.node("Add", [names[srcs[0]], names[srcs[1]]], out + "/add" if layer.get("activation") == "relu" else out)
            if layer.get("activation") == "relu":
                g.node("Relu", [y], out)
        elif kind == "relu":
            g.node("Relu", [x], out)
        elif kind == "softmax":
            g.node("Softmax", [x], out, axis=1)
        else:
            sys.exit(f"layer {lname}: type {kind} not supported by the ONNX export")
        shapes[lname] = (h, w, c)
        names[lname] = out
        prev = lname
    g.node("Identity", [names[prev]], "logits")
    ih, iw, ic = arch["input"]
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", ic, ih, iw])
    outp = helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", c] if (h, w) == (1, 1) else ["N", c, h, w])
    return g.model(f"{name}-float", [inp], [outp])


# ---------------------------------------------------------------------------
# The int8 QDQ model, from the model file

OP_NAMES = {1: "conv", 2: "maxpool", 3: "avgpool", 4: "minpool", 5: "global_avgpool", 6: "global_maxpool",
            7: "dense", 8: "softmax", 9: "concat", 10: "add"}


def qdq_model(mnw, name):
    g = Graph()
    T = mnw["tensors"]
    qparams = {}

    def q_consts(t):
        if t not in qparams:
            qparams[t] = (g.const(f"t{t}/scale", np.array(T[t]["scale"], dtype=np.float32)),
                          g.const(f"t{t}/zp", np.array(T[t]["zp"], dtype=np.int8)))
        return qparams[t]

    def dq(t):
        """The float view of int8 tensor t (one DequantizeLinear per consumer, as QDQ tools write it)."""
        s, z = q_consts(t)
        return g.node("DequantizeLinear", [f"t{t}", s, z], f"t{t}/dq{len(g.nodes)}")

    def q(x, t):
        s, z = q_consts(t)
        return g.node("QuantizeLinear", [x, s, z], f"t{t}")

    def activation(y, layer, t, base):
        """The output clamp: ReLU (min = zero point) or a Clip in real values."""
        lo, hi, zp, s = layer["amin"], layer["amax"], T[t]["zp"], T[t]["scale"]
        if lo <= -128 and hi >= 127:
            return y
        if lo == zp and hi >= 127:
            return g.node("Relu", [y], base + "/relu")
        return g.node("Clip", [y, g.const(base + "/lo", np.array((lo - zp) * s, np.float32)),
                               g.const(base + "/hi", np.array((hi - zp) * s, np.float32))], base + "/clip")

    i = mnw["input"]
    q(g.node("Identity", ["input"], "input/f"), i)
    for L in mnw["layers"]:
        op, base, t_out = L["op"], L["name"], L["output"]
        x = L["inputs"][0]
        tin, tout = T[x], T[t_out]
        kh, kw = L["kernel"]
        sh, sw = L["stride"]
        pt, pl, pb, pr = L["pads"]
        if op in (1, 7):
            K = tout["c"]
            bias, mult, shift = L["params"][:K], L["params"][K:2 * K], L["params"][2 * K:3 * K]
            m_real = mult.astype(np.float64) * np.exp2(shift.astype(np.float64) - 31)
            w_scale = (m_real * tout["scale"] / tin["scale"]).astype(np.float32)
            w_scale[w_scale <= 0] = np.float32(1e-12)          # an all-zero channel
            b_scale = (w_scale.astype(np.float64) * tin["scale"]).astype(np.float32)
            zeros8 = np.zeros(K, np.int8)
            if op == 1:
                wt = L["weights"].reshape(K, kh, kw, tin["c"]).transpose(0, 3, 1, 2)
                xin = dq(x)
            else:
                wt = nhwc_to_nchw_dense(L["weights"], K, tin["h"], tin["w"], tin["c"])
                # Flatten the int8 tensor itself (NCHW order: the weights were permuted to match).
                flat = g.node("Flatten", [f"t{x}"], f"{base}/flat", axis=1)
                s_, z_ = q_consts(x)
                xin = g.node("DequantizeLinear", [flat, s_, z_], f"{base}/flat/dq")
            wq = g.const(f"{base}/Wq", wt.astype(np.int8))
            wdq = g.node("DequantizeLinear", [wq, g.const(f"{base}/Ws", w_scale), g.const(f"{base}/Wzp", zeros8)],
                         f"{base}/W", axis=0)
            bdq = g.node("DequantizeLinear", [g.const(f"{base}/Bq", bias.astype(np.int32)),
                                              g.const(f"{base}/Bs", b_scale),
                                              g.const(f"{base}/Bzp", np.zeros(K, np.int32))], f"{base}/B", axis=0)
            if op == 1:
                if L["rounding"] == 2:
                    sys.exit(f"layer {base}: ceil rounding on a convolution has no ONNX equivalent")
                y = g.node("Conv", [xin, wdq, bdq], f"{base}/conv", kernel_shape=[kh, kw], strides=[sh, sw],
                           pads=[pt, pl, pb, pr])
            else:
                y = g.node("Gemm", [xin, wdq, bdq], f"{base}/gemm", transB=1)
            q(activation(y, L, t_out, base), t_out)
        elif op in (2, 3):
            attrs = dict(kernel_shape=[kh, kw], strides=[sh, sw], pads=[pt, pl, pb, pr],
                         ceil_mode=1 if L["rounding"] == 2 else 0)
            if op == 3:
                attrs["count_include_pad"] = 0
            y = g.node("MaxPool" if op == 2 else "AveragePool", [dq(x)], f"{base}/pool", **attrs)
            q(activation(y, L, t_out, base), t_out)
        elif op in (5, 6):
            y = g.node("GlobalAveragePool" if op == 5 else "GlobalMaxPool", [dq(x)], f"{base}/pool")
            q(y, t_out)
        elif op == 9:
            y = g.node("Concat", [dq(t) for t in L["inputs"]], f"{base}/concat", axis=1)
            q(y, t_out)
        elif op == 10:
            y = g.node("Add", [dq(L["inputs"][0]), dq(L["inputs"][1])], f"{base}/add")
            q(activation(y, L, t_out, base), t_out)
        elif op == 8:
            y = g.node("Softmax", [dq(x)], f"{base}/softmax", axis=1)
            q(y, t_out)
        else:
            sys.exit(f"layer {base}: {OP_NAMES.get(op, op)} not supported by the ONNX export")
    o = mnw["output"]
    s, z = q_consts(o)
    out_shape = ["N", T[o]["c"]] if (T[o]["h"], T[o]["w"]) == (1, 1) else ["N", T[o]["c"], T[o]["h"], T[o]["w"]]
    g.node("Identity", [f"t{o}"], "logits_q")
    g.node("DequantizeLinear", [f"t{o}", s, z], "logits")
    ti = T[i]
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", ti["c"], ti["h"], ti["w"]])
    outs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, out_shape),
            helper.make_tensor_value_info("logits_q", TensorProto.INT8, out_shape)]
    return g.model(f"{name}-qdq", [inp], outs)


def identity_model(h, w, c):
    g = Graph()
    g.node("Identity", ["input"], "output")
    return g.model("identity", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", c, h, w])],
                   [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", c, h, w])])


def save(model, path):
    data = model.SerializeToString(deterministic=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--mnw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    arch, params = read_checkpoint(a.ckpt)
    mnw = read_model(a.mnw)
    save(float_model(arch, params, a.name), os.path.join(a.out, f"{a.name}-float.onnx"))
    save(qdq_model(mnw, a.name), os.path.join(a.out, f"{a.name}-qdq.onnx"))
    h, w, c = arch["input"]
    save(identity_model(h, w, c), os.path.join(a.out, "identity.onnx"))
    print(f"{a.name}: {a.out}/{a.name}-float.onnx, {a.out}/{a.name}-qdq.onnx")


if __name__ == "__main__":
    main()
