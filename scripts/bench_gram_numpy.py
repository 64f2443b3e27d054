#!/usr/bin/env python3
"""NumPy baseline for `convsim bench gram` (a comparison only, never the implementation).

Usage: bench_gram_numpy.py CROPS.npy BANK.npy PADDING OUT_GRAM.npy

CROPS is (N, C, H, W) float64, BANK is (M, C, kh, kw) float64 (OIHW). Computes the
feature-map Gram with im2col and BLAS in its cheapest form: the patch Gram
P^T P (one BLAS matmul over all N·H·W patches), then G = K (P^T P) K^T, which
equals F^T F for the feature maps F = P K^T (PyTorch conv2d padding semantics:
same = left (k-1)//2, right k-1-left). Prints one JSON line with the time of the
computation (loading excluded).
"""
import json
import sys
import time

import numpy as np


def pads(k, padding):
    if padding == "valid":
        return 0, 0
    if padding == "same":
        left = (k - 1) // 2
        return left, k - 1 - left
    if padding == "full":
        return k - 1, k - 1
    raise SystemExit(f"padding {padding!r} not supported by the NumPy baseline")


def main():
    crops_path, bank_path, padding, out_path = sys.argv[1:5]
    x = np.load(crops_path)
    k = np.load(bank_path)
    m, c, kh, kw = k.shape
    t0 = time.perf_counter()
    (ty, by), (lx, rx) = pads(kh, padding), pads(kw, padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ty, by), (lx, rx)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(2, 3))  # N,C,H',W',kh,kw
    patches = windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, c * kh * kw)         # im2col
    kflat = k.reshape(m, -1)
    patch_gram = patches.T @ patches                                                 # BLAS, (C·kh·kw)²
    gram = kflat @ patch_gram @ kflat.T                                              # BLAS
    seconds = time.perf_counter() - t0
    np.save(out_path, gram)
    print(json.dumps({"seconds": seconds, "numpy": np.__version__, "images": int(x.shape[0])}))


if __name__ == "__main__":
    main()
