"""The same step in PyTorch (Debian python3-torch) with akamaster's ResNet-20, for comparison.
python3 bench_pytorch.py [batch] [steps] [threads]  (run from this folder)"""
import sys, time, torch, importlib.util
spec = importlib.util.spec_from_file_location("ref", "../../tests/ResNetLab.Tests/Fixtures/make_pytorch_fixtures.py")
ref = importlib.util.module_from_spec(spec); spec.loader.exec_module(ref)
batch, steps, threads = (int(a) for a in (sys.argv[1:] + ["128", "20", "2"][len(sys.argv) - 1:]))
torch.set_num_threads(threads)
model = ref.ResNet([3, 3, 3], 'A').train()
opt = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=1e-4)
x, y = torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
fb, step = [], []
for i in range(steps + 3):
    t = time.perf_counter()
    opt.zero_grad()
    torch.nn.functional.cross_entropy(model(x), y).backward()
    t_fb = time.perf_counter()
    opt.step()
    if i >= 3:
        fb.append((t_fb - t) * 1000)
        step.append((time.perf_counter() - t) * 1000)

def summary(t):
    t.sort(); m = t[len(t) // 2]
    return f"median {m:.1f} ms ({batch * 1000 / m:.0f} img/s), min {t[0]:.1f}, max {t[-1]:.1f}"

print(f"pytorch {torch.__version__} resnet20 batch {batch} threads {threads}\n  forward+backward: {summary(fb)}\n  SGD step:         {summary(step)}")
