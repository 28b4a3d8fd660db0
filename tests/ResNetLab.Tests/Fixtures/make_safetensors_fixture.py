"""Writes resnet8_b.safetensors, the safetensors fixture (run: python3 make_safetensors_fixture.py, Debian python3-torch).

Real PyTorch reads resnet8_b_legacy.pt (written by make_pytorch_fixtures.py: ResNet-8, option B, with BN statistics)
and this script writes its state_dict in the safetensors layout by hand (Debian has no `safetensors` package): an
8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}} padded
with spaces to 8 bytes, then the tensors' bytes in the header's order. The tests load it into the library's
resnet8 (option B) and compare logits with resnet8_io.pt's — the same numbers PyTorch computed.
"""
import json
import struct

import torch

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.int64: "I64", torch.int32: "I32"}


def save(tensors, path, metadata):
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    # Like the reference writer: larger element sizes first, then by name (keeps every tensor aligned).
    for name in sorted(tensors, key=lambda k: (-tensors[k].element_size(), k)):
        t = tensors[name].contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


if __name__ == "__main__":
    state = torch.load("resnet8_b_legacy.pt")
    save(dict(state), "resnet8_b.safetensors", {"format": "pt", "source": "resnet8_b_legacy.pt"})
    print("torch", torch.__version__, "tensors:", len(state))
