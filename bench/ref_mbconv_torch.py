#!/usr/bin/env python3
"""ref-mbconv in PyTorch: the reference side of `tsnas bench engine` (same network, data, optimizer).

Run with Debian's PyTorch: /usr/bin/python3 bench/ref_mbconv_torch.py --steps 50 --json
The last line is {"imgPerSec": .., "msPerStep": .., "rssMBAfterWarmup": .., "rssMBEnd": ..}.
"""
import argparse, json, resource, time
import torch
import torch.nn as nn

BLOCKS = [(16, 24, 2, 3), (24, 24, 1, 3), (24, 32, 2, 6), (32, 32, 1, 6), (32, 64, 2, 6), (64, 64, 1, 6)]


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, e):
        super().__init__()
        mid = cin * e
        self.residual = cin == cout and stride == 1
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return self.body(x) + x if self.residual else self.body(x)


def ref_mbconv(classes=10, in_channels=3):
    return nn.Sequential(
        nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
        *[InvertedResidual(*b) for b in BLOCKS],
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, classes))


def rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=50)
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--memory-format', default='channels_last', choices=['channels_last', 'contiguous'])
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    fmt = torch.channels_last if a.memory_format == 'channels_last' else torch.contiguous_format
    model = ref_mbconv().to(memory_format=fmt).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x = torch.randn(a.batch, 3, 32, 32).contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (a.batch,))
    loss_fn = nn.CrossEntropyLoss()
    times, rss_warm = [], 0.0
    for step in range(a.warmup + a.steps):
        if step == a.warmup:
            rss_warm = rss_mb()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()
        if step >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    ms = times[len(times) // 2]
    out = {'imgPerSec': a.batch * 1000 / ms, 'msPerStep': ms, 'rssMBAfterWarmup': round(rss_warm, 1), 'rssMBEnd': round(rss_mb(), 1)}
    print(json.dumps(out) if a.json else out)


if __name__ == '__main__':
    main()
