#!/usr/bin/env python3
"""PyTorch reference for `resnet bench`: ResNet-20 (option A shortcuts, He et al. 2016 §4.2) train-step img/s.

Same model, batch, optimizer and thread count as `resnet bench --model resnet20`; run with Debian's python3-torch:
    /usr/bin/python3 environment/bench/pytorch_resnet20.py --threads 2 --batch 128 --iters 30 [--json]
Prints the median img/s of timed SGD steps (forward, cross-entropy, backward, momentum SGD with weight decay);
--channels-last and --bf16 (autocast) give PyTorch's fastest CPU configuration.
"""
import argparse, json, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin
        self.stride = stride

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        sc = x
        if self.stride != 1 or self.pad:  # option A: subsample, zero-pad the new channels (paper §4.2)
            sc = F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + sc)


class ResNet20(nn.Module):
    def __init__(self, n=3, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            for i in range(n):
                layers.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layers(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--iters", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--channels-last", action="store_true", help="channels-last (NHWC) activations, as `resnet bench --layout nhwc`")
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the forward pass and loss (CPU mixed precision)")
    p.add_argument("--profile-markers", action="store_true",
                   help="print marker lines around the timed steps (for `resnet bench --profile` under ONEDNN_VERBOSE)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = ResNet20().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(a.batch, 3, 32, 32)
    if a.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (a.batch,))
    times = []
    for i in range(a.warmup + a.iters):
        if a.profile_markers and i == a.warmup:
            print("resnet-bench,profile,start", flush=True)
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if i >= a.warmup:
            times.append(time.perf_counter() - t)
    if a.profile_markers:
        print("resnet-bench,profile,end", flush=True)
    med = statistics.median(times)
    res = {"torch": torch.__version__, "threads": torch.get_num_threads(), "batch": a.batch, "iters": a.iters,
           "median_step_ms": med * 1e3, "train_img_per_s": a.batch / med,
           "layout": "nhwc" if a.channels_last else "nchw", "precision": "bf16" if a.bf16 else "fp32"}
    print(json.dumps(res) if a.json else
          f"PyTorch {res['torch']}, {res['threads']} threads, batch {a.batch}: median step {med*1e3:.1f} ms = {a.batch/med:.0f} img/s")


if __name__ == "__main__":
    main()
