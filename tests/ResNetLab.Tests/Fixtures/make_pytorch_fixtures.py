"""Writes the PyTorch fixtures the weight-interop tests read (run: python3 make_pytorch_fixtures.py, Debian python3-torch).

The network is akamaster/pytorch_resnet_cifar10's resnet.py (the CIFAR reference whose weights users load), with
n = 1 (ResNet-8) to keep the files small. Written:
  resnet8_a_checkpoint.pt  zip format (torch >= 1.6): {"epoch", "best_prec1", "state_dict"} with DataParallel
                           "module." prefixes, option A
  resnet8_b_legacy.pt      legacy (pre-1.6) format: a bare state_dict, option B (shortcut.0/1 projections)
  resnet8_io.pt            zip format: the input batch and each model's eval-mode logits
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init


class LambdaLayer(nn.Module):
    def __init__(self, lambd):
        super().__init__()
        self.lambd = lambd

    def forward(self, x):
        return self.lambd(x)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1, option='A'):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            if option == 'A':
                self.shortcut = LambdaLayer(lambda x:
                                            F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, planes//4, planes//4), "constant", 0))
            elif option == 'B':
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                    nn.BatchNorm2d(self.expansion * planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class ResNet(nn.Module):
    def __init__(self, num_blocks, option, num_classes=10):
        super().__init__()
        self.in_planes = 16
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(16, num_blocks[0], 1, option)
        self.layer2 = self._make_layer(32, num_blocks[1], 2, option)
        self.layer3 = self._make_layer(64, num_blocks[2], 2, option)
        self.linear = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d)):
                init.kaiming_normal_(m.weight)

    def _make_layer(self, planes, num_blocks, stride, option):
        layers = []
        for s in [stride] + [1] * (num_blocks - 1):
            layers.append(BasicBlock(self.in_planes, planes, s, option))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.avg_pool2d(out, out.size()[3])
        return self.linear(out.view(out.size(0), -1))


def make(option, seed):
    torch.manual_seed(seed)
    model = ResNet([1, 1, 1], option)
    # Give BN non-trivial γ, β and running statistics, as a trained checkpoint has.
    model.train()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
        for _ in range(3):
            model(torch.randn(16, 3, 32, 32) * 2 + 0.5)
    return model.eval()


if __name__ == "__main__":
    torch.set_num_threads(1)
    a, b = make('A', 1), make('B', 2)
    torch.manual_seed(3)
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        io = {"input": x, "logits_a": a(x), "logits_b": b(x)}

    checkpoint = {"epoch": 7, "best_prec1": 12.5,
                  "state_dict": {"module." + k: v for k, v in a.state_dict().items()}}
    torch.save(checkpoint, "resnet8_a_checkpoint.pt")
    torch.save(b.state_dict(), "resnet8_b_legacy.pt", _use_new_zipfile_serialization=False)
    torch.save(io, "resnet8_io.pt")
    print("torch", torch.__version__, "keys A:", len(a.state_dict()), "keys B:", len(b.state_dict()))
