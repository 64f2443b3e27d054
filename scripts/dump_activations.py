#!/usr/bin/env python3
"""Writes what `convsim analyze --activations DIR` reads, from a PyTorch model (optional recipe).

For every Conv1d / Conv2d module of the model, a forward hook stores the tensor that reaches
it on the given images, as DIR/<module name>.npy with shape (N, C, H, W) (Conv1d: (N, C, 1, L)),
float64. With --weights, the modules' weights and biases are written too, as a folder of .npy
files named <module name>.weight.npy / .bias.npy (a layer folder `convsim analyze` reads), so
the layer names of the two match. Strides, dilations and groups are printed as the
`convsim analyze` flags that reproduce them.

Usage:
  python3 scripts/dump_activations.py MODEL IMAGE [IMAGE ...] --out DIR [--weights WDIR]
      [--size H W] [--mean R G B --std R G B]

MODEL is a file saved with torch.save(model) (loaded with weights_only=False: only load files
you trust) or torchvision:NAME for a pretrained torchvision model (e.g. torchvision:resnet18).
Images are read with Pillow as RGB, divided by 255 (as convsim reads images), optionally resized
and normalized (--mean/--std: the model's own preprocessing).

PyTorch, torchvision (for torchvision: models), Pillow and NumPy are needed here only; convsim
never imports them. This recipe is not run by the test command (PyTorch is not a dependency).
"""
import argparse
import os
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("images", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--weights")
    ap.add_argument("--size", nargs=2, type=int)
    ap.add_argument("--mean", nargs=3, type=float)
    ap.add_argument("--std", nargs=3, type=float)
    args = ap.parse_args()
    try:
        import torch
        from PIL import Image
    except ImportError as e:
        sys.exit(f"this recipe needs PyTorch and Pillow ({e}); convsim itself does not")

    if args.model.startswith("torchvision:"):
        import torchvision
        model = torchvision.models.get_model(args.model.split(":", 1)[1], weights="DEFAULT")
    else:
        model = torch.load(args.model, map_location="cpu", weights_only=False)
    model.eval()

    batch = []
    for path in args.images:
        img = Image.open(path).convert("RGB")
        if args.size:
            img = img.resize((args.size[1], args.size[0]))
        x = torch.from_numpy(np.asarray(img, dtype=np.float64) / 255.0).permute(2, 0, 1)
        if args.mean and args.std:
            x = (x - torch.tensor(args.mean, dtype=x.dtype)[:, None, None]) / torch.tensor(args.std, dtype=x.dtype)[:, None, None]
        batch.append(x)
    x = torch.stack(batch).to(next(model.parameters()).dtype)

    os.makedirs(args.out, exist_ok=True)
    if args.weights:
        os.makedirs(args.weights, exist_ok=True)
    flags, hooks = [], []
    for name, module in model.named_modules():
        if not isinstance(module, (torch.nn.Conv1d, torch.nn.Conv2d)):
            continue

        def hook(mod, inputs, output, name=name):
            a = inputs[0].detach().to(torch.float64).cpu().numpy()
            if a.ndim == 3:  # Conv1d: (N, C, L) -> (N, C, 1, L)
                a = a[:, :, None, :]
            np.save(os.path.join(args.out, name + ".npy"), a)

        hooks.append(module.register_forward_hook(hook))
        if args.weights:
            np.save(os.path.join(args.weights, name + ".weight.npy"), module.weight.detach().to(torch.float64).cpu().numpy())
            if module.bias is not None:
                np.save(os.path.join(args.weights, name + ".bias.npy"), module.bias.detach().to(torch.float64).cpu().numpy())
        layer = name + ".weight"
        stride = tuple(module.stride) if isinstance(module.stride, tuple) else (module.stride,)
        dilation = tuple(module.dilation) if isinstance(module.dilation, tuple) else (module.dilation,)
        if any(s != 1 for s in stride):
            flags.append(f"--stride {layer}={','.join(map(str, stride))}")
        if any(d != 1 for d in dilation):
            flags.append(f"--dilation {layer}={','.join(map(str, dilation))}")
        if module.groups != 1:
            flags.append(f"--groups {layer}={module.groups}")
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    print(f"wrote the inputs of {len(hooks)} convolution(s) to {args.out}")
    print("analyse with: convsim analyze " + (args.weights or "WEIGHTS") + f" --activations {args.out} " + " ".join(flags))


if __name__ == "__main__":
    main()
