#!/usr/bin/env python3
"""The PyTorch side of `tsnas bench trainer`: one epoch of ref-mbconv (1 input channel) on
Fashion-MNIST with the same augmentation as tsnas's loader (normalise, zero-pad 2 + random crop,
random horizontal flip), batch 128, SGD momentum 0.9 Nesterov, channels_last, 2 threads.
Images stay uint8 in memory; each batch is gathered, converted and augmented with tensor ops.

  /usr/bin/python3 bench/trainer_torch.py --limit 12800 --json
"""
import argparse, gzip, json, os, time
import numpy as np
import torch
import torch.nn.functional as F
from ref_mbconv_torch import ref_mbconv


def read_idx(path):
    with open(path, 'rb') as f:
        raw = f.read()
    if raw[:2] == b'\x1f\x8b':
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], 'big') for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dir', default='/usr/share/datasets/fashion-mnist')
    ap.add_argument('--limit', type=int, default=12800)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    images = torch.from_numpy(read_idx(os.path.join(a.dir, 'train-images-idx3-ubyte.gz')).copy())[:a.limit].unsqueeze(1)
    labels = torch.from_numpy(read_idx(os.path.join(a.dir, 'train-labels-idx1-ubyte.gz')).copy())[:a.limit].long()
    mean, std = 0.2860, 0.3530
    model = ref_mbconv(10, in_channels=1).to(memory_format=torch.channels_last).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=4e-5)
    n = images.shape[0]
    perm = torch.randperm(n)
    seen = 0
    t0 = time.perf_counter(); c0 = time.process_time()
    for b in range(n // a.batch):
        idx = perm[b * a.batch:(b + 1) * a.batch]
        x = images[idx].float().div(255).sub(mean).div(std)
        y = labels[idx]
        padded = F.pad(x, (2, 2, 2, 2))
        off = torch.randint(0, 5, (len(idx), 2)).tolist()
        x = torch.stack([padded[i, :, dy:dy + 28, dx:dx + 28] for i, (dy, dx) in enumerate(off)])
        flip = torch.rand(len(idx), 1, 1, 1) < 0.5
        x = torch.where(flip, x.flip(3), x).contiguous(memory_format=torch.channels_last)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        seen += len(idx)
    secs = time.perf_counter() - t0
    cpu = time.process_time() - c0
    out = {"imgPerSec": seen / secs, "seconds": secs, "images": seen, "cpuMsPerBatch": 1000 * cpu / (seen / a.batch)}
    print(json.dumps(out) if a.json else out)


if __name__ == '__main__':
    main()
