"""Discrete inference throughput on one core: PyTorch's discrete evaluation, the numpy bit-packed evaluator and
the generated C (with its compile time), side by side in one run, on the MNIST-sized model of the issue:
784 inputs -> 6 x 8,000 gates with random gate choices -> Group-Sum over 10 classes. Every path starts from the
same 0/1 bytes and ends with labels (packing included), and their labels are checked to be identical.

    python tests/bench_inference.py [--images 65536] [--width 8000] [--depth 6] [--threads 1]
"""
import argparse, os, platform, tempfile, time
os.environ.setdefault('OMP_NUM_THREADS', '1')

def best_of(fn, reps):
    out, best = None, float('inf')
    for _ in range(reps):
        t = time.perf_counter(); out = fn(); best = min(best, time.perf_counter() - t)
    return out, best

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--images', type=int, default=65536); ap.add_argument('--width', type=int, default=8000)
    ap.add_argument('--depth', type=int, default=6); ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--reps', type=int, default=3)
    a = ap.parse_args()
    os.environ['DLGN_CACHE'] = tempfile.mkdtemp()          # an empty cache: the compile is timed for real
    import numpy as np, torch
    torch.set_num_threads(a.threads)
    from dlgn_nb.circuit import random_discrete, to_torch, prune
    from dlgn_nb.packed import PackedEvaluator
    from dlgn_nb.codegen import CompiledModel
    dm = random_discrete(784, [a.width] * a.depth, 10, seed=0)
    bits = np.random.default_rng(0).integers(0, 2, (a.images, 784), dtype=np.uint8)
    n_torch = min(a.images, 4096)
    print(f"discrete inference, 784 -> {a.depth} x {a.width:,} random gates -> Group-Sum 10 ({prune(dm).n_gates:,} live gates); "
          f"{a.images:,} images, {a.threads} thread(s), {platform.processor() or platform.machine()}")
    net = to_torch(dm)
    def torch_eval(x):
        with torch.no_grad(): return torch.cat([net(torch.from_numpy(x[i:i + 1024])).argmax(1) for i in range(0, len(x), 1024)]).numpy()
    torch_eval(bits[:256])
    ref, t_torch = best_of(lambda: torch_eval(bits[:n_torch]), 1)
    ev = PackedEvaluator(dm)
    ev.predict(bits[:4096])
    labels_np, t_np = best_of(lambda: ev.predict(bits), a.reps)
    t0 = time.perf_counter(); cm = CompiledModel(dm); compile_s = time.perf_counter() - t0
    cm.predict(bits[:4096], a.threads)
    labels_c, t_c = best_of(lambda: cm.predict(bits, a.threads), a.reps)
    assert (labels_np[:n_torch] == ref).all() and (labels_c == labels_np).all(), 'the engines disagree'
    rows = [('PyTorch discrete eval', n_torch / t_torch, '-'), ('numpy packed evaluator', a.images / t_np, 'none'),
            ('generated C', a.images / t_c, f'{compile_s:.1f} s')]
    base = rows[0][1]
    print(f"{'engine':<26}{'images/s':>14}{'vs PyTorch':>12}{'compile':>10}")
    for name, ips, comp in rows: print(f"{name:<26}{ips:>14,.0f}{ips / base:>11.0f}x{comp:>10}")
    print('labels identical across the three engines')

if __name__ == '__main__': main()
