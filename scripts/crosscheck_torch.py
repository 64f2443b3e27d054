#!/usr/bin/env python3
"""Cross-check ConvSimKit against PyTorch (optional: a comparison tool, never the
implementation; exits 0 with a message when torch is not importable).

1. `convsim gram` with --stride, --dilation, --groups and --bias against
   torch.nn.functional.conv2d (float64) on random cases, for every padding:
   valid, same (left floor((k'-1)/2) of the dilated span k' = d(k-1)+1, as
   PyTorch's padding='same'), full (k'-1 on both sides) and circular (the same
   split, wrapped). Each Gram entry must lie within convsim's certified bound
   plus the float64 rounding of PyTorch's own sums (gamma_n |F_i||F_j|, n the
   number of products per entry).
2. `convsim analyze MODEL.onnx --full --json` on the "every layer kind" test
   model (stride 2, dilation 2, depthwise and grouped convolutions, 1x1 and 5x5
   kernels, asymmetric pads, biases, batch norm): each Conv layer's
   feature_gram against the Gram of torch's conv2d output on the same layer
   input (the NumPy reference activations stored beside the model, which the
   Swift tests match to 1e-15): max relative difference <= 1e-9.

Usage: scripts/crosscheck_torch.py [path/to/convsim]   (default: .build/release/convsim)
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001 - any import failure means "no torch here"
    print(f"crosscheck_torch: torch is not importable ({e.__class__.__name__}); nothing checked")
    sys.exit(0)

U = 2.0 ** -53


def pads(k, d, padding):
    span = d * (k - 1) + 1
    if padding == "valid":
        return 0, 0
    if padding == "full":
        return span - 1, span - 1
    left = (span - 1) // 2
    return left, span - 1 - left


def torch_gram(x, w, b, stride, dilation, groups, padding):
    """Sum over the images of F F^T, F the conv2d outputs flattened per kernel."""
    (t, bo), (l, r) = pads(w.shape[2], dilation[0], padding), pads(w.shape[3], dilation[1], padding)
    xt = torch.from_numpy(x)
    mode = "circular" if padding == "circular" else "constant"
    if t or bo or l or r:
        xt = F.pad(xt, (l, r, t, bo), mode=mode)
    f = F.conv2d(xt, torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                 stride=stride, dilation=dilation, groups=groups)
    f = f.permute(1, 0, 2, 3).reshape(w.shape[0], -1).numpy()
    fa = np.abs(f)
    return f @ f.T, fa @ fa.T, f.shape[1]


def run(binary, args):
    out = subprocess.run([binary] + args, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def check_gram(binary, rng, tmp):
    worst, cases = 0.0, 0
    for case in range(40):
        padding = ["valid", "same", "full", "circular"][case % 4]
        groups = [1, 2, 3][case % 3]
        cg = int(rng.integers(1, 3))
        c, m = cg * groups, groups * int(rng.integers(1, 3))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        sy, sx = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        dy, dx = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        h, w = int(rng.integers(6, 12)), int(rng.integers(6, 12))
        if padding == "circular" and (dy * (kh - 1) >= h or dx * (kw - 1) >= w):
            continue
        n = int(rng.integers(1, 3))
        x = rng.normal(size=(n, c, h, w))
        k = rng.normal(size=(m, cg, kh, kw))
        bias = rng.normal(size=m) if case % 2 else None
        np.save(os.path.join(tmp, "x.npy"), x)
        np.save(os.path.join(tmp, "k.npy"), k)
        args = ["gram", "--input", os.path.join(tmp, "x.npy"), "--kernels", os.path.join(tmp, "k.npy"),
                "--padding", padding, "--stride", f"{sy},{sx}", "--dilation", f"{dy},{dx}",
                "--groups", str(groups), "--json"]
        if bias is not None:
            np.save(os.path.join(tmp, "b.npy"), bias)
            args += ["--bias", os.path.join(tmp, "b.npy")]
        try:
            got = run(binary, args)
        except subprocess.CalledProcessError as e:
            if "no output position" in (e.stderr or "") or "larger than the input" in (e.stderr or ""):
                continue
            raise
        g, gabs, positions = torch_gram(x, k, bias, (sy, sx), (dy, dx), groups, padding)
        terms = cg * kh * kw + 1
        allowed = np.array(got["bound"]) + (2 * terms + positions * n) * U * 1.01 * gabs
        diff = np.abs(np.array(got["gram"]) - g)
        if not np.all(diff <= allowed):
            i, j = np.unravel_index(np.argmax(diff - allowed), diff.shape)
            print(f"FAIL gram case {case} {args[4:]}: entry ({i},{j}) convsim {got['gram'][i][j]} torch {g[i, j]} "
                  f"diff {diff[i, j]:.3e} > allowed {allowed[i, j]:.3e}")
            return False
        worst = max(worst, float(np.max(diff / np.maximum(np.abs(g).max(), 1e-300))))
        cases += 1
    print(f"gram vs torch conv2d: {cases} random cases (stride, dilation, groups, bias; valid/same/full/circular) "
          f"within convsim's certified bounds; max relative difference {worst:.2e}")
    return True


def check_onnx(binary, root):
    fixture = os.path.join(root, "Tests/ConvSimONNXTests/Fixtures/every")
    model = os.path.join(fixture, "model.onnx")
    got = run(binary, ["analyze", model, "--input", os.path.join(fixture, "images.npy"), "--full", "--json"])
    import onnx
    from onnx import numpy_helper
    graph = onnx.load(model).graph
    inits = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in graph.initializer}
    worst = 0.0
    layers = {l["name"]: l for l in got["layers"]}
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        w = inits[node.input[1]]
        b = inits[node.input[2]] if len(node.input) > 2 and node.input[2] else None
        layer = layers[node.input[1]]
        act = os.path.join(fixture, "activations", node.input[1].removesuffix(".weight") + ".npy")
        x = np.load(act)
        pads_ = layer_pads(attrs, w, x)
        xt = F.pad(torch.from_numpy(x), (pads_[1], pads_[3], pads_[0], pads_[2]))
        f = F.conv2d(xt, torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                     stride=tuple(attrs.get("strides", [1, 1])), dilation=tuple(attrs.get("dilations", [1, 1])),
                     groups=attrs.get("group", 1))
        f = f.permute(1, 0, 2, 3).reshape(w.shape[0], -1).numpy()
        g = f @ f.T
        rel = float(np.max(np.abs(np.array(layer["feature_gram"]) - g)) / np.abs(g).max())
        worst = max(worst, rel)
        print(f"  {node.input[1]:16s} {tuple(w.shape)} stride {attrs.get('strides', [1, 1])} dilation "
              f"{attrs.get('dilations', [1, 1])} group {attrs.get('group', 1)} pads {pads_}: relative difference {rel:.2e}")
    ok = worst <= 1e-9
    print(f"analyze MODEL.onnx --full vs torch conv2d on every layer: max relative difference {worst:.2e} "
          f"({'within' if ok else 'ABOVE'} 1e-9)")
    return ok


def layer_pads(attrs, w, x):
    """ONNX pads [top, left, bottom, right], auto_pad resolved for this input."""
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", "") or auto == "VALID":
        p = attrs.get("pads", [0, 0, 0, 0]) if auto != "VALID" else [0, 0, 0, 0]
        return [p[0], p[1], p[2], p[3]]
    s, d = attrs.get("strides", [1, 1]), attrs.get("dilations", [1, 1])
    out = []
    for axis in range(2):
        n, k = x.shape[2 + axis], w.shape[2 + axis]
        o = -(-n // s[axis])
        total = max(0, (o - 1) * s[axis] + d[axis] * (k - 1) + 1 - n)
        small, big = total // 2, total - total // 2
        out.append((big, small) if auto == "SAME_LOWER" else (small, big))
    return [out[0][0], out[1][0], out[0][1], out[1][1]]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build/release/convsim")
    torch.set_default_dtype(torch.float64)
    print(f"torch {torch.__version__}")
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as tmp:
        ok = check_gram(binary, rng, tmp)
    try:
        import onnx  # noqa: F401
        ok = check_onnx(binary, root) and ok
    except ImportError:
        print("onnx is not importable: the ONNX part is skipped")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
