#!/usr/bin/env python3
"""Builds the ONNX test models of ConvSimONNX and their NumPy float64 reference.

Usage: python3 scripts/make_onnx_models.py   (needs `onnx` and NumPy; `onnxruntime` optional)

Writes Tests/ConvSimONNXTests/Fixtures/MODEL/ for four models:

- pnet:   MTCNN's P-Net with the weights of data/weights/mtcnn.safetensors. That file holds the
          convolution weights only, so the biases are fixed small values
          b_i = 0.02·((i mod 5) − 2) and every PReLU slope is 0.25 (documented in
          Sources/ConvSimONNX/README.md). conv1 → PReLU → MaxPool 2×2/2 (ceil_mode, as
          facenet-pytorch) → conv2 → PReLU → conv3 → PReLU → conv4 → Softmax(axis 1), and conv5.
- every:  every kind of convolution layer (stride 2, dilation 2, depthwise, grouped, 1×1, 5×5
          with asymmetric pads, SAME_UPPER / SAME_LOWER, with and without bias) with
          BatchNormalization, Add, Concat, MaxPool, AveragePool, GlobalAveragePool, Flatten, Gemm.
          Also weights.safetensors (the Conv weights and biases under their initializer names
          layerX.weight / layerX.bias) so `convsim analyze weights.safetensors --activations
          activations` can be compared with the ONNX path.
- ops:    Gather, Shape, Constant, Concat, Reshape (0 and −1), Transpose, MatMul, Mul, Sub,
          Div, Tanh, Elu, Pad (constant and edge), Clip (min/max inputs), Unsqueeze/Squeeze
          (axes inputs, opset 13), Sigmoid, LeakyRelu.
- conv1d: two Conv1d layers at opset 11 (Unsqueeze/Squeeze with axes attributes).

For each model and two fixed input images (seed 7; 3×20×24, or 2×16 for conv1d) the script
runs its own NumPy float64 forward pass (a plain interpreter below, independent of the Swift
code: the convolution is a loop over output positions) and stores

    model.onnx, images.npy (N, C, H, W) or (N, C, L),
    activations/LAYER.npy  the input reaching each Conv (N, C, H, W) — (N, C, 1, L) for 1-D,
    grams/LAYER.npy        G = Σ_images F·Fᵀ, F = the Conv's output (pre-activation) as M × pixels,
    outputs/NAME.npy       each graph output, the images' batch-1 outputs stacked on axis 0,
    layers.txt             LAYER per Conv node in graph order,

where LAYER is the Conv's weight initializer name without ".weight". When onnxruntime
imports, the reference is checked against it (float32, relative tolerance 1e-4 of each
tensor's largest magnitude) and the largest relative difference is printed.
"""
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "ConvSimONNXTests", "Fixtures")


# ----------------------------------------------------------------------------- model building

def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32"
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(blob[8 + n + a:8 + n + b], dtype="<f4").reshape(info["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    header, data, offset = {}, b"", 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


class Builder:
    def __init__(self):
        self.nodes, self.inits = [], []

    def init(self, name, arr, dtype=np.float32):
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), name))
        return name

    def node(self, op, inputs, name, n_out=1, **attrs):
        outs = [name] if n_out == 1 else [f"{name}:{k}" for k in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0] if n_out == 1 else outs

    def conv(self, x, name, w, b=None, **attrs):
        ins = [x, self.init(f"{name}.weight", w)]
        if b is not None:
            ins.append(self.init(f"{name}.bias", b))
        return self.node("Conv", ins, name, **attrs)

    def model(self, name, inp_shape, outputs, opset):
        g = helper.make_graph(self.nodes, name,
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, inp_shape)],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
                              initializer=self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="make_onnx_models.py")
        m.ir_version = 7
        # Output types from ONNX's shape inference (the checker wants a shape on each output).
        inferred = onnx.shape_inference.infer_shapes(m)
        types = {v.name: v.type for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
        for o in m.graph.output:
            o.type.CopyFrom(types[o.name])
            if not o.type.tensor_type.HasField("shape"):   # not inferable (a Reshape to a computed shape)
                o.type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, ["n", "c", "h", "w"]))
        onnx.checker.check_model(m, full_check=True)
        return m


def small_bias(m):
    return 0.02 * ((np.arange(m) % 5) - 2)


def pnet():
    w = read_safetensors(os.path.join(ROOT, "data", "weights", "mtcnn.safetensors"))
    b = Builder()
    x = "input"
    for k, name in enumerate(["conv1", "conv2", "conv3"]):
        wk = w[f"pnet.{name}.weight"]
        x = b.conv(x, name, wk, small_bias(wk.shape[0]))
        x = b.node("PRelu", [x, b.init(f"prelu{k + 1}.slope", np.full((wk.shape[0], 1, 1), 0.25))], f"prelu{k + 1}")
        if name == "conv1":
            x = b.node("MaxPool", [x], "pool1", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
    c4 = b.conv(x, "conv4", w["pnet.conv4.weight"], small_bias(2))
    prob = b.node("Softmax", [c4], "prob", axis=1)
    box = b.conv(x, "conv5", w["pnet.conv5.weight"], small_bias(4))
    return b.model("pnet", ["N", 3, "H", "W"], [prob, box], 13)


def every(rng):
    b = Builder()
    r = lambda *s: rng.standard_normal(s) * 0.3
    x = b.conv("input", "layer1", r(8, 3, 3, 3), r(8), strides=[2, 2], pads=[1, 1, 1, 1])        # 8×10×12
    x = b.node("BatchNormalization", [x, b.init("bn1.scale", 1 + r(8)), b.init("bn1.bias", r(8)),
                                      b.init("bn1.mean", r(8)), b.init("bn1.var", 0.5 + rng.random(8))],
               "bn1", epsilon=1e-5)
    x = b.node("Relu", [x], "relu1")
    d = b.conv(x, "layer2", r(8, 1, 3, 3), r(8), group=8, auto_pad="SAME_UPPER")               # depthwise
    d = b.node("Relu", [d], "relu2")
    g = b.conv(d, "layer3", r(8, 4, 1, 1), r(8), group=2)                                       # grouped 1×1
    s = b.node("Add", [g, x], "add1")                                                            # residual
    a4 = b.conv(s, "layer4", r(6, 8, 3, 3), r(6), dilations=[2, 2], pads=[2, 2, 2, 2])          # dilated
    a4 = b.node("LeakyRelu", [a4], "lrelu4", alpha=0.1)
    a5 = b.conv(s, "layer5", r(4, 8, 5, 5), None, pads=[2, 1, 2, 3])                             # 5×5, asymmetric, no bias
    c = b.node("Concat", [a4, a5], "concat1", axis=1)                                            # 10×10×12
    p = b.node("MaxPool", [c], "maxpool1", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])  # 10×5×6
    y = b.conv(p, "layer6", r(8, 10, 2, 2), r(8), auto_pad="SAME_LOWER")                        # 8×5×6
    y = b.node("Clip", [y, b.init("clip6.min", np.float32(0)), b.init("clip6.max", np.float32(6))], "clip6")
    y = b.node("AveragePool", [y], "avgpool1", kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 1, 1],
               count_include_pad=0)
    y = b.conv(y, "layer7", r(8, 8, 1, 1), r(8))
    y = b.node("Relu", [y], "relu7")
    y = b.node("GlobalAveragePool", [y], "gap")
    y = b.node("Flatten", [y], "flatten", axis=1)
    y = b.node("Gemm", [y, b.init("fc.weight", r(5, 8)), b.init("fc.bias", r(5))], "fc",
               alpha=0.7, beta=1.3, transB=1)
    return b.model("every", [1, 3, 20, 24], [y], 13)


def ops(rng):
    b = Builder()
    r = lambda *s: rng.standard_normal(s) * 0.3
    x = b.node("Gather", ["input", b.init("bgr", np.array([2, 0, 1]), np.int64)], "to_bgr", axis=1)
    x = b.conv(x, "layerA", r(4, 3, 3, 3), r(4), pads=[1, 1, 1, 1])
    x = b.node("Elu", [x], "eluA", alpha=0.5)                                                   # 1×4×20×24
    shape = b.node("Shape", [x], "shape")
    nc = b.node("Gather", [shape, b.init("first2", np.array([0, 1]), np.int64)], "nc", axis=0)
    minus1 = b.node("Constant", [], "minus1", value=numpy_helper.from_array(np.array([-1], np.int64)))
    target = b.node("Concat", [nc, minus1], "target", axis=0)
    f = b.node("Reshape", [x, target], "flat3")                                                  # 1×4×480
    f = b.node("Transpose", [f], "to_pixels", perm=[0, 2, 1])                                    # 1×480×4
    f = b.node("MatMul", [f, b.init("mix.matrix", r(4, 4) + np.eye(4))], "mix")
    f = b.node("Transpose", [f], "to_channels", perm=[0, 2, 1])
    x = b.node("Reshape", [f, b.init("back", np.array([0, 0, 20, -1]), np.int64)], "unflat")     # 1×4×20×24
    x = b.node("Mul", [x, b.init("gain.value", 1 + r(1, 4, 1, 1))], "gain")
    x = b.node("Sub", [x, b.init("shift.value", np.float32(0.1))], "shift")
    x = b.node("Div", [x, b.init("norm.value", 1.5 + rng.random((20, 1)))], "norm")
    x = b.node("Tanh", [x], "tanh")
    x = b.node("Pad", [x, b.init("pad.pads", np.array([0, 0, 1, 2, 0, 0, 1, 0]), np.int64),
                       b.init("padvalue", np.float32(0.5))], "pad", mode="constant")                # 1×4×22×26
    x = b.conv(x, "layerB", r(4, 4, 3, 3), r(4))                                                 # 1×4×20×24
    x = b.node("Clip", [x, b.init("lo", np.float32(-0.5)), b.init("hi", np.float32(0.5))], "clipB")
    u = b.node("Unsqueeze", [x, b.init("axis0", np.array([0]), np.int64)], "unsq")               # 1×1×4×20×24
    x = b.node("Squeeze", [u, "axis0"], "sq")
    x = b.node("Pad", [x, b.init("edgepads", np.array([0, 0, 0, 1, 0, 0, 0, 1]), np.int64)], "edgepad", mode="edge")
    x = b.conv(x, "layerC", r(2, 4, 1, 1), r(2))                                                 # 1×2×20×26
    x = b.node("Sigmoid", [x], "sigC")
    x = b.node("LeakyRelu", [x], "out", alpha=0.2)
    return b.model("ops", [1, 3, 20, 24], [x], 13)


def conv1d(rng):
    b = Builder()
    r = lambda *s: rng.standard_normal(s) * 0.3
    x = b.conv("input", "layer1", r(4, 2, 3), r(4), pads=[1, 1])
    x = b.node("Relu", [x], "relu1")
    x = b.node("Unsqueeze", [x], "unsq", axes=[2])
    x = b.node("Squeeze", [x], "sq", axes=[2])
    x = b.conv(x, "layer2", r(3, 4, 3), r(3), strides=[2], dilations=[2])
    x = b.node("Tanh", [x], "tanh2")
    return b.model("conv1d", [1, 2, 16], [x], 11)


# ----------------------------------------------------------------------------- NumPy reference

def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def conv_ref(x, w, bias, at):
    """Plain 1-D/2-D convolution (cross-correlation) of a batch-1 input."""
    one_d = x.ndim == 3
    if one_d:
        x, w = x[:, :, None, :], w[:, :, None, :]
    _, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    g = at.get("group", 1)
    s = list(at.get("strides", [1, 1] if not one_d else [1]))
    d = list(at.get("dilations", [1, 1] if not one_d else [1]))
    if one_d:
        s, d = [1] + s, [1] + d
    auto = at.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = []
        for n, k, st, di in ((h, kh, s[0], d[0]), (wd, kw, s[1], d[1])):
            out = -(-n // st)
            total = max(0, (out - 1) * st + (k - 1) * di + 1 - n)
            lo = total // 2 if auto == "SAME_UPPER" else total - total // 2
            pads.append((lo, total - lo))
        pt, pb_ = pads[0]
        pl, pr = pads[1]
    elif auto == "VALID":
        pt = pl = pb_ = pr = 0
    else:
        p = list(at.get("pads", [0] * (2 if one_d else 4)))
        if one_d:
            pt, pb_, pl, pr = 0, 0, p[0], p[1]
        else:
            pt, pl, pb_, pr = p
    xp = np.zeros((c, h + pt + pb_, wd + pl + pr))
    xp[:, pt:pt + h, pl:pl + wd] = x[0]
    oh = (xp.shape[1] - (kh - 1) * d[0] - 1) // s[0] + 1
    ow = (xp.shape[2] - (kw - 1) * d[1] - 1) // s[1] + 1
    y = np.zeros((m, oh, ow))
    mg = m // g
    for i in range(m):
        grp = i // mg
        chans = xp[grp * cg:(grp + 1) * cg]
        for oy in range(oh):
            for ox in range(ow):
                acc = 0.0
                for u in range(kh):
                    for v in range(kw):
                        acc += float(np.dot(chans[:, oy * s[0] + u * d[0], ox * s[1] + v * d[1]], w[i, :, u, v]))
                y[i, oy, ox] = acc + (bias[i] if bias is not None else 0.0)
    y = y[None]
    return y[:, :, 0, :] if one_d else y


def pool_ref(x, at, kind):
    _, c, h, w = x.shape
    kh, kw = at["kernel_shape"]
    sy, sx = at.get("strides", [1, 1])
    pt, pl, pb_, pr = at.get("pads", [0, 0, 0, 0])
    ceil = at.get("ceil_mode", 0)

    def out_len(n, k, s, a, b):
        span = n + a + b - k
        o = (-(-span // s) if ceil else span // s) + 1
        if ceil and (o - 1) * s >= n + a:
            o -= 1
        return o
    oh, ow = out_len(h, kh, sy, pt, pb_), out_len(w, kw, sx, pl, pr)
    y = np.zeros((1, c, oh, ow))
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * sy - pt, ox * sx - pl
            ys = [yy for yy in range(y0, y0 + kh) if 0 <= yy < h]
            xs = [xx for xx in range(x0, x0 + kw) if 0 <= xx < w]
            win = x[0][:, ys][:, :, xs]
            if kind == "max":
                y[0, :, oy, ox] = win.reshape(c, -1).max(axis=1)
            else:
                inside_pad = (min(y0 + kh, h + pb_) - max(y0, -pt)) * (min(x0 + kw, w + pr) - max(x0, -pl))
                n = win.shape[1] * win.shape[2] if not at.get("count_include_pad", 0) else inside_pad
                y[0, :, oy, ox] = win.reshape(c, -1).sum(axis=1) / n
    return y


def pad_ref(x, pads, mode, value):
    r = x.ndim
    width = [(int(pads[i]), int(pads[i + r])) for i in range(r)]
    if mode == "constant":
        return np.pad(x, width, mode="constant", constant_values=value)
    return np.pad(x, width, mode={"edge": "edge", "reflect": "reflect"}[mode])


def run_reference(model, image, record):
    """Runs the graph on one batch-1 image; record(conv_node, input, output)."""
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) if t.data_type in (1, 11)
           else numpy_helper.to_array(t) for t in model.graph.initializer}
    env["input"] = image[None].astype(np.float64)
    for n in model.graph.node:
        at = attrs(n)
        i = [env[k] if k else None for k in n.input]
        op = n.op_type
        if op == "Conv":
            y = conv_ref(i[0], i[1], i[2] if len(i) > 2 else None, at)
            record(n, i[0], y)
        elif op == "Relu":
            y = np.maximum(i[0], 0)
        elif op == "PRelu":
            y = np.where(i[0] >= 0, i[0], i[0] * i[1])
        elif op == "LeakyRelu":
            y = np.where(i[0] >= 0, i[0], i[0] * at.get("alpha", 0.01))
        elif op == "Elu":
            a = at.get("alpha", 1.0)
            y = np.where(i[0] >= 0, i[0], a * (np.exp(i[0]) - 1))
        elif op == "Clip":
            lo = i[1] if len(i) > 1 and i[1] is not None else -np.inf
            hi = i[2] if len(i) > 2 and i[2] is not None else np.inf
            y = np.minimum(np.maximum(i[0], lo), hi)
        elif op == "Sigmoid":
            y = 1 / (1 + np.exp(-i[0]))
        elif op == "Tanh":
            y = np.tanh(i[0])
        elif op == "Softmax":
            ax = at.get("axis", -1)
            e = np.exp(i[0] - i[0].max(axis=ax, keepdims=True))
            y = e / e.sum(axis=ax, keepdims=True)
        elif op == "MaxPool":
            y = pool_ref(i[0], at, "max")
        elif op == "AveragePool":
            y = pool_ref(i[0], at, "avg")
        elif op == "GlobalAveragePool":
            y = i[0].mean(axis=(2, 3), keepdims=True)
        elif op == "BatchNormalization":
            x, sc, bb, mu, var = i
            sh = (1, -1) + (1,) * (x.ndim - 2)
            y = (x - mu.reshape(sh)) / np.sqrt(var.reshape(sh) + at.get("epsilon", 1e-5)) * sc.reshape(sh) + bb.reshape(sh)
        elif op in ("Add", "Mul", "Sub", "Div"):
            y = {"Add": np.add, "Mul": np.multiply, "Sub": np.subtract, "Div": np.divide}[op](i[0], i[1])
        elif op == "Concat":
            y = np.concatenate(i, axis=at["axis"])
        elif op == "Flatten":
            ax = at.get("axis", 1)
            y = i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
        elif op == "Gemm":
            a = i[0].T if at.get("transA", 0) else i[0]
            bm = i[1].T if at.get("transB", 0) else i[1]
            y = at.get("alpha", 1.0) * (a @ bm)
            if len(i) > 2:
                y = y + at.get("beta", 1.0) * i[2]
        elif op == "MatMul":
            y = np.matmul(i[0], i[1])
        elif op == "Shape":
            y = np.array(i[0].shape, np.int64)
        elif op == "Gather":
            y = np.take(i[0], i[1], axis=at.get("axis", 0))
        elif op == "Constant":
            y = numpy_helper.to_array(at["value"])
        elif op == "Reshape":
            shape = [int(s) if s != 0 else i[0].shape[k] for k, s in enumerate(i[1])]
            y = i[0].reshape(shape)
        elif op == "Transpose":
            y = np.transpose(i[0], at["perm"])
        elif op == "Unsqueeze":
            axes = at["axes"] if "axes" in at else list(i[1])
            y = np.expand_dims(i[0], tuple(axes))
        elif op == "Squeeze":
            axes = at["axes"] if "axes" in at else list(i[1])
            y = np.squeeze(i[0], tuple(axes))
        elif op == "Pad":
            mode = at.get("mode", b"constant")
            mode = mode.decode() if isinstance(mode, bytes) else mode
            value = float(i[2]) if len(i) > 2 and i[2] is not None else 0.0
            y = pad_ref(i[0], i[1], mode, value)
        else:
            raise SystemExit(f"reference: no implementation of {op}")
        env[n.output[0]] = y
    return {o.name: env[o.name] for o in model.graph.output}


# ----------------------------------------------------------------------------- main

def save(path, arr):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(arr, dtype=np.float64))


def build(name, model, images):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    save(os.path.join(d, "images.npy"), images)
    layers = [n.input[1][:-len(".weight")] for n in model.graph.node if n.op_type == "Conv"]
    acts = {l: [] for l in layers}
    grams = {l: 0 for l in layers}
    convouts = {l: [] for l in layers}
    outs = {}

    def record(node, x, y):
        l = node.input[1][:-len(".weight")]
        acts[l].append(x[0] if x.ndim == 4 else x[0][:, None, :])
        f = y[0].reshape(y.shape[1], -1)
        grams[l] = grams[l] + f @ f.T
        convouts[l].append(y)
    for img in images:
        for k, v in run_reference(model, img, record).items():
            outs.setdefault(k, []).append(v)
    for l in layers:
        save(os.path.join(d, "activations", l + ".npy"), np.stack(acts[l]))
        save(os.path.join(d, "grams", l + ".npy"), grams[l])
    for k, v in outs.items():
        save(os.path.join(d, "outputs", k + ".npy"), np.concatenate(v, axis=0))
    with open(os.path.join(d, "layers.txt"), "w") as f:
        f.write("".join(l + "\n" for l in layers))
    crosscheck(name, model, images, convouts, outs)
    return d


def crosscheck(name, model, images, convouts, outs):
    try:
        import onnxruntime as ort
    except ImportError:
        print(f"{name}: onnxruntime not installed, reference not cross-checked")
        return
    m = onnx.ModelProto()
    m.CopyFrom(model)
    conv_names = [n.output[0] for n in m.graph.node if n.op_type == "Conv"]
    for c in conv_names:
        m.graph.output.append(helper.make_tensor_value_info(c, TensorProto.FLOAT, None))
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    worst = 0.0
    for k, img in enumerate(images):
        got = dict(zip(names, sess.run(None, {"input": img[None].astype(np.float32)})))
        pairs = [(got[o], outs[o][k:k + 1]) for o in outs]
        layers = [n.input[1][:-len(".weight")] for n in m.graph.node if n.op_type == "Conv"]
        pairs += [(got[c], convouts[l][k]) for c, l in zip(conv_names, layers)]
        for a, b in pairs:
            rel = float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))
            worst = max(worst, rel)
    status = "ok" if worst < 1e-4 else "TOO LARGE"
    print(f"{name}: NumPy float64 reference vs onnxruntime {ort.__version__} float32: "
          f"max relative difference {worst:.2e} (tolerance 1e-4) {status}")
    if worst >= 1e-4:
        sys.exit(1)


def main():
    rng = np.random.default_rng(7)
    img3 = rng.random((2, 3, 20, 24))
    img1d = rng.random((2, 2, 16))
    build("pnet", pnet(), img3)
    d = build("every", every(np.random.default_rng(11)), img3)
    m = onnx.load(os.path.join(d, "model.onnx"))
    tensors = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer if t.name.startswith("layer")}
    write_safetensors(os.path.join(d, "weights.safetensors"), tensors)
    build("ops", ops(np.random.default_rng(12)), img3)
    build("conv1d", conv1d(np.random.default_rng(13)), img1d)
    total = sum(os.path.getsize(os.path.join(p, f)) for p, _, fs in os.walk(OUT) for f in fs)
    print(f"fixtures: {total} bytes in {OUT}")


if __name__ == "__main__":
    main()
