#!/usr/bin/env python3
"""Cross-check `convsim gram` against an independent NumPy/SciPy implementation
of PyTorch conv2d semantics (stride 1; same = left (k-1)//2, right k-1-left;
circular = wrap-around with the same split), for odd, even and 1-D kernels and
every padding. A comparison tool only — never the implementation.

Usage: scripts/crosscheck_gram.py [path/to/convsim]   (default: .build/release/convsim)
Exits 1 if any Gram entry differs by more than the certified bound convsim prints.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.signal import correlate


def padded(x, kh, kw, padding):
    if padding == "valid":
        return x
    if padding == "full":
        return np.pad(x, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
    t, l = (kh - 1) // 2, (kw - 1) // 2
    mode = "wrap" if padding == "circular" else "constant"
    return np.pad(x, ((0, 0), (t, kh - 1 - t), (l, kw - 1 - l)), mode=mode)


def reference_gram(x, k, padding):
    m, c, kh, kw = k.shape
    xp = padded(x, kh, kw, padding)
    f = np.array([sum(correlate(xp[ch], k[i, ch], mode="valid") for ch in range(c)) for i in range(m)])
    f = f.reshape(m, -1)
    return f @ f.T


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/convsim"
    rng = np.random.default_rng(0)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        x = rng.random((3, 13, 17))
        xp = os.path.join(tmp, "x.npy")
        np.save(xp, x)
        for kh, kw in [(2, 4), (3, 3), (4, 1), (1, 5), (5, 2)]:
            k = rng.standard_normal((4, 3, kh, kw))
            kp = os.path.join(tmp, "k.npy")
            np.save(kp, k)
            for padding in ["valid", "same", "full", "circular"]:
                out = subprocess.run([binary, "gram", "--input", xp, "--kernels", kp, "--padding", padding, "--json"],
                                     capture_output=True, text=True, check=True).stdout
                r = json.loads(out)
                g, bound = np.array(r["gram"]), np.array(r["bound"])
                diff = np.abs(g - reference_gram(x, k, padding))
                ok = bool((diff <= bound).all())
                failures += not ok
                print(f"kernel {kh}x{kw:<2} {padding:9s} max |diff| {diff.max():.2e}  certified bound {bound.max():.2e}  {'ok' if ok else 'MISMATCH'}")
    print("all configurations agree within the certified bounds" if failures == 0 else f"{failures} mismatch(es)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
