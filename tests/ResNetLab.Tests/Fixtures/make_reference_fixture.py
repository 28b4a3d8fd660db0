"""Writes reference_nets_expected.json: what real PyTorch computes with the four reference nets (run from the checkout:
python3 tests/ResNetLab.Tests/Fixtures/make_reference_fixture.py, Debian python3-torch; after environment/setup.sh has
put the nets in data/pretrained/ and CIFAR-10 in data/).

For each of akamaster/pytorch_resnet_cifar10's ResNet-20/32/44/56 (option A, the net of make_pytorch_fixtures.py at
n = 3, 5, 7, 9) on the first IMAGES test images of data/cifar-10-batches-bin/test_batch.bin, normalised as the nets
were trained (x/255 - ImageNet mean) / ImageNet std, eval mode: the number classified correctly, every predicted
label, and the logits of the first LOGITS images. The images' sha256 is recorded too: the expected figures hold for
those bytes only (the offline machines' lossy mirror; regenerate on other data). `--all` also records the accuracy on
the whole test set (what `resnet eval --pretrained NAME` must print), which takes a few minutes.
"""
import hashlib
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_pytorch_fixtures import ResNet  # noqa: E402  (akamaster's resnet.py, copied there)

IMAGES, LOGITS, RECORD = 500, 8, 1 + 3 * 32 * 32
NETS = {"resnet20": 3, "resnet32": 5, "resnet44": 7, "resnet56": 9}
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def test_images(root, count):
    with open(os.path.join(root, "data", "cifar-10-batches-bin", "test_batch.bin"), "rb") as f:
        raw = f.read(RECORD * count) if count else f.read()
    records = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, RECORD)
    labels = records[:, 0].long()
    x = records[:, 1:].view(-1, 3, 32, 32).float() / 255
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    return raw, x, labels


def load(root, name, n):
    folder = os.path.join(root, "data", "pretrained")
    file = next(f for f in sorted(os.listdir(folder)) if f.startswith(name + "-") and f.endswith(".th"))
    checkpoint = torch.load(os.path.join(folder, file), map_location="cpu")
    state = {k[len("module."):]: v for k, v in checkpoint["state_dict"].items()}
    model = ResNet([n, n, n], "A")
    model.load_state_dict(state)
    return model.eval(), file, float(checkpoint["best_prec1"])


def main():
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
    whole = "--all" in sys.argv
    raw, x, labels = test_images(root, IMAGES)
    out = {"images": IMAGES, "imagesSha256": hashlib.sha256(raw).hexdigest(), "torch": torch.__version__, "nets": {}}
    all_x = all_labels = None
    if whole:
        _, all_x, all_labels = test_images(root, 0)
    torch.set_num_threads(2)
    for name, n in NETS.items():
        model, file, claimed = load(root, name, n)
        with torch.no_grad():
            logits = model(x)
            entry = {"file": file, "bestPrec1": claimed, "correct": int((logits.argmax(1) == labels).sum()),
                     "predictions": logits.argmax(1).tolist(),
                     "logits": [[round(v, 6) for v in row] for row in logits[:LOGITS].tolist()]}
            if whole:
                correct = sum(int((model(all_x[i:i + 500]).argmax(1) == all_labels[i:i + 500]).sum()) for i in range(0, len(all_labels), 500))
                entry["wholeTestSet"] = {"images": len(all_labels), "correct": correct}
        out["nets"][name] = entry
        print(name, file, "correct", entry["correct"], "of", IMAGES, entry.get("wholeTestSet", ""))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference_nets_expected.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
