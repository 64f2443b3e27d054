#!/usr/bin/env python3
"""NumPy baselines for `convsim bench gram` (comparisons only, never the implementation).

Usage: bench_gram_numpy.py CROPS.npy BANK.npy PADDING OUT_PREFIX [RUNS]

CROPS is (N, C, H, W) float64, BANK is (M, C, kh, kw) float64 (OIHW), PADDING valid, same or
full (PyTorch conv2d semantics: same = left (k-1)//2, right k-1-left). Two programs a skilled
NumPy user would write, each timed on the best of RUNS runs (default 3; loading excluded):

- im2col: the patch Gram P^T P accumulated over slabs of images (one BLAS product per slab,
  the patch matrix built from kh*kw shifted views, never the whole dataset at once), then
  G = K (P^T P) K^T (= F^T F for the feature maps F = P K^T).
- fft: this toolkit's algorithm in NumPy: the input correlations R_cc'(d) from real FFTs of the
  zero-padded images (summed over images in the frequency domain), the Toeplitz patch Gram R,
  minus the border term B (the patches of the zero-padded frame that the padding leaves out),
  then G = K (R - B) K^T.

When torch imports (optional), two PyTorch programs too, float64, on torch's default threads:
- torch-unfold: the patch Gram from F.unfold in slabs of 64 images, then K (P^T P) K^T;
- torch-conv: F.conv2d in slabs of 1024 crops, each slab's F F^T summed.

Writes OUT_PREFIX-im2col.npy and OUT_PREFIX-fft.npy (the Grams) and prints one JSON line:
{"im2col_seconds", "fft_seconds", "numpy", "blas": the BLAS library and kernel NumPy ran (from
threadpoolctl when it is installed), "threads"}, and with torch "torch", "torch_threads",
"torch_unfold_seconds", "torch_conv_seconds" (their Grams in OUT_PREFIX-torch-*.npy). The caller unsets OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE for this process, so NumPy's BLAS runs its best kernel for the CPU.
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


def im2col_gram(x, k, padding, slab=64):
    n, c, h, w = x.shape
    m, _, kh, kw = k.shape
    (ty, by), (lx, rx) = pads(kh, padding), pads(kw, padding)
    oh, ow = h + ty + by - kh + 1, w + lx + rx - kw + 1
    g = np.zeros((c * kh * kw, c * kh * kw))
    for s in range(0, n, slab):
        xp = np.pad(x[s:s + slab], ((0, 0), (0, 0), (ty, by), (lx, rx)))
        # The patch matrix from C*kh*kw shifted views, columns in (c, uy, ux) order.
        p = np.stack([xp[:, ci, uy:uy + oh, ux:ux + ow] for ci in range(c) for uy in range(kh) for ux in range(kw)],
                     axis=-1).reshape(-1, c * kh * kw)
        g += p.T @ p
    kf = k.reshape(m, -1)
    return kf @ g @ kf.T


def fft_gram(x, k, padding):
    n, c, h, w = x.shape
    m, _, kh, kw = k.shape
    fy, fx = h + kh - 1, w + kw - 1                        # room for lags |d| < k without wrap
    spec = np.fft.rfft2(x, s=(fy, fx))                     # N, C, fy, fx/2+1
    cross = np.einsum("nafg,nbfg->abfg", spec.conj(), spec)  # summed over images
    r = np.fft.irfft2(cross, s=(fy, fx))                   # R_ab(d) at d mod (fy, fx)
    mm = c * kh * kw
    g = np.empty((mm, mm))
    for a in range(c):
        for uy in range(kh):
            for ux in range(kw):
                row = (a * kh + uy) * kw + ux
                for b in range(c):
                    dy = (np.arange(kh)[:, None] - uy) % fy
                    dx = (np.arange(kw)[None, :] - ux) % fx
                    g[row, b * kh * kw:(b + 1) * kh * kw] = r[a, b][dy, dx].ravel()
    if padding != "full":
        # Border term: full-padding patch positions that this padding does not use.
        (ty, by), (lx, rx) = pads(kh, padding), pads(kw, padding)
        xp = np.pad(x, ((0, 0), (0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1)))
        ys, xs = np.arange(h + kh - 1), np.arange(w + kw - 1)
        inside_y = (ys >= kh - 1 - ty) & (ys <= h - 1 + by)
        inside_x = (xs >= kw - 1 - lx) & (xs <= w - 1 + rx)
        frame = ~(inside_y[:, None] & inside_x[None, :])
        py, px = np.nonzero(frame)
        cols = np.empty((n, len(py), c, kh, kw))
        for uy in range(kh):
            for ux in range(kw):
                cols[:, :, :, uy, ux] = xp[:, :, py + uy, px + ux].transpose(0, 2, 1)
        p = cols.reshape(-1, mm)
        g -= p.T @ p
    kf = k.reshape(m, -1)
    return kf @ g @ kf.T


def torch_grams(x, k, padding, out_prefix):
    """The two PyTorch peers, or {} when torch does not import."""
    try:
        import torch
        import torch.nn.functional as F
    except Exception:
        return {}
    n, c, h, w = x.shape
    m, _, kh, kw = k.shape
    (ty, by), (lx, rx) = pads(kh, padding), pads(kw, padding)
    xt, kt = torch.from_numpy(x), torch.from_numpy(k)
    kf = kt.reshape(m, -1)

    def unfold():
        g = torch.zeros((c * kh * kw, c * kh * kw), dtype=torch.float64)
        for s in range(0, n, 64):
            p = F.unfold(F.pad(xt[s:s + 64], (lx, rx, ty, by)), (kh, kw))   # (b, C*kh*kw, L)
            p = p.transpose(1, 2).reshape(-1, c * kh * kw)
            g += p.T @ p
        return (kf @ g @ kf.T).numpy()

    def conv():
        # The feature maps in slabs of 1024 images (all at once is N·M·H·W doubles: 26 GB at
        # N = 5·10⁴), each slab's F·Fᵀ added to the Gram.
        g = torch.zeros((m, m), dtype=torch.float64)
        for s in range(0, n, 1024):
            f = F.conv2d(F.pad(xt[s:s + 1024], (lx, rx, ty, by)), kt)       # (b, M, oh, ow)
            f = f.permute(1, 0, 2, 3).reshape(m, -1)
            g += f @ f.T
        return g.numpy()

    with torch.no_grad():
        t_unfold, g1 = best_of(unfold)
        t_conv, g2 = best_of(conv)
    np.save(out_prefix + "-torch-unfold.npy", g1)
    np.save(out_prefix + "-torch-conv.npy", g2)
    return {"torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "torch_unfold_seconds": t_unfold, "torch_conv_seconds": t_conv}


RUNS = 3


def best_of(f, *args):
    best, out = float("inf"), None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        out = f(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def blas_info():
    try:
        from threadpoolctl import threadpool_info
        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                return f"{lib.get('internal_api')} {lib.get('version')} {lib.get('architecture')}", lib.get("num_threads")
    except Exception:
        pass
    return "unknown (threadpoolctl not installed)", None


def main():
    crops_path, bank_path, padding, out_prefix = sys.argv[1:5]
    global RUNS
    RUNS = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    x = np.load(crops_path)
    k = np.load(bank_path)
    t_im2col, g1 = best_of(im2col_gram, x, k, padding)
    t_fft, g2 = best_of(fft_gram, x, k, padding)
    np.save(out_prefix + "-im2col.npy", g1)
    np.save(out_prefix + "-fft.npy", g2)
    blas, threads = blas_info()
    out = {"im2col_seconds": t_im2col, "fft_seconds": t_fft, "numpy": np.__version__,
           "blas": blas, "threads": threads, "images": int(x.shape[0])}
    out.update(torch_grams(x, k, padding, out_prefix))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
