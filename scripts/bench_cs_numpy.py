#!/usr/bin/env python3
"""NumPy peer for `convsim bench cs` (a comparison only, never the implementation).

Usage: bench_cs_numpy.py BANK.npy OUT_GRADIENT.npy

BANK is (M, C, kh, kw) float64. Computes the pairs Convolutional Similarity
CS = sum_{i<j} sum_c ||K_ic * K_jc||^2 and its gradient the way a skilled NumPy user would,
by Parseval on FFTs of size (2kh-1, 2kw-1) (linear correlations fit without wrap-around):
with Khat_ic the kernels' spectra and S_c = sum_i |Khat_ic|^2 per frequency,
CS = (1/N) sum_c sum_w (S_c^2 - sum_i |Khat_ic|^4) / 2 and
dCS/dK_ic = 2 Re(ifft2((S_c - |Khat_ic|^2) Khat_ic)) on the kernel's support.
Timed best of 5 (loading excluded); prints one JSON line {"seconds", "value", "numpy"} and writes
the gradient.
"""
import json
import sys
import time

import numpy as np


def pairs_cs(k):
    m, c, kh, kw = k.shape
    s = (2 * kh - 1, 2 * kw - 1)
    n = s[0] * s[1]
    kf = np.fft.fft2(k, s=s)                       # M, C, s0, s1 (complex)
    p = (kf.real ** 2 + kf.imag ** 2)              # |Khat|^2
    S = p.sum(axis=0)                              # C, s0, s1
    value = 0.5 * ((S ** 2).sum() - (p ** 2).sum()) / n
    g = 2 * np.fft.ifft2((S[None] - p) * kf, s=s).real[:, :, :kh, :kw]
    return value, g


def main():
    bank_path, out_path = sys.argv[1:3]
    k = np.load(bank_path)
    best, value, grad = float("inf"), None, None
    for _ in range(5):
        t0 = time.perf_counter()
        value, grad = pairs_cs(k)
        best = min(best, time.perf_counter() - t0)
    np.save(out_path, grad)
    print(json.dumps({"seconds": best, "value": float(value), "numpy": np.__version__}))


if __name__ == "__main__":
    main()
