"""The compiled CPU logic kernels against this machine's memory: ns per gate-sample and GB/s of each kernel, beside a
copy measured in the same run, at 4,000 / 16,000 / 64,000 gates × batch 64 / 256 / 1,024, for 1 and 2 threads.

One layer of `width` gates reading `width` inputs (random wiring), float32, feature-major as in training. The bytes
of a kernel are those it must touch if no row stays in cache: forward 12 per gate-sample (two input rows read, one
output row written); backward the four coefficient sums (three rows read per gate) plus the gather of the input
gradient (per pin: the gate's output gradient and the other input read; each input's row written once, then
read-modify-written for every further consumer), counted from the wiring itself. Times are medians of `--reps`,
with freed memory kept for reuse as in training (`native.keep_freed_memory`).
The last column compares each shape's ns per gate-sample with the smallest shape's, whose rows fit in cache.

    python tests/bench_kernels.py [--widths 4000,16000,64000] [--batches 64,256,1024] [--threads 1,2] [--reps 7]
"""
import argparse, platform, time
import torch
from dlgn_nb.logic import NativeLogicFunction, LogicLayer
from dlgn_nb.wiring import reverse_index
from dlgn_nb.native import keep_freed_memory


def median_time(fn, reps: int) -> float:
    fn()                                                    # warm-up: pages faulted, caches and index built
    times = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def copy_gbs(mib: int, reps: int) -> float:
    "GB/s of a large copy (bytes read + written), the machine's streaming bandwidth for this thread count."
    src = torch.ones(mib * 2**18); dst = torch.empty_like(src)
    return 2 * src.numel() * 4 / median_time(lambda: dst.copy_(src), reps) / 1e9


def backward_bytes(a, b, n_in: int, batch: int) -> int:
    "Bytes the backward kernel touches with no reuse (see the docstring), for pins `a`, `b`."
    start, _ = reverse_index(a, b, n_in)
    fan = (start[1:] - start[:-1])
    sums = 12 * a.numel()                                   # gy, x_a, x_b per gate
    gather = int((8 * fan).sum() + 4 * (fan > 0).sum() + 8 * (fan - 1).clamp(min=0).sum() + 4 * (fan == 0).sum())
    return (sums + gather) * batch


def measure(width: int, batch: int, threads: int, reps: int) -> dict:
    torch.set_num_threads(threads)
    layer = LogicLayer(width, width, backend='native', generator=torch.Generator().manual_seed(0))
    x = torch.rand(width, batch, requires_grad=True)
    coef = layer.coefficients().detach().requires_grad_(True)
    a, b = layer.idx_a, layer.idx_b
    y = NativeLogicFunction.apply(x, coef, a, b)
    gy = torch.randn_like(y)
    fwd = median_time(lambda: NativeLogicFunction.apply(x.detach(), coef.detach(), a, b), reps)
    bwd = median_time(lambda: torch.autograd.grad(y, (x, coef), gy, retain_graph=True), reps)
    n = width * batch
    return {'width': width, 'batch': batch, 'threads': threads, 'fwd_ns': fwd / n * 1e9, 'bwd_ns': bwd / n * 1e9,
            'fwd_gbs': 12 * n / fwd / 1e9, 'bwd_gbs': backward_bytes(a, b, width, batch) / bwd / 1e9}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--widths', default='4000,16000,64000'); ap.add_argument('--batches', default='64,256,1024')
    ap.add_argument('--threads', default='1,2'); ap.add_argument('--reps', type=int, default=7)
    a = ap.parse_args()
    keep_freed_memory()                                     # as training does: no fresh pages per call
    ints = lambda s: [int(v) for v in s.split(',')]
    print(f'Compiled CPU logic kernels, one layer (float32), {platform.processor() or platform.machine()}, torch {torch.__version__}; '
          f'median of {a.reps}')
    for t in ints(a.threads):
        torch.set_num_threads(t)
        copy = copy_gbs(256, a.reps)
        print(f'\n{t} thread{"s" * (t > 1)}: copy {copy:.1f} GB/s (256 MiB, read + write)')
        print(f"{'gates':>8}{'batch':>7}{'fwd ns/gs':>11}{'fwd GB/s':>10}{'% copy':>8}{'bwd ns/gs':>11}{'bwd GB/s':>10}{'% copy':>8}"
              f"{'step ns/gs':>12}{'vs in-cache':>13}")
        base = None
        for w in ints(a.widths):
            for bsz in ints(a.batches):
                r = measure(w, bsz, t, a.reps)
                step = r['fwd_ns'] + r['bwd_ns']
                base = base or step
                print(f"{w:>8,}{bsz:>7}{r['fwd_ns']:>11.2f}{r['fwd_gbs']:>10.1f}{100 * r['fwd_gbs'] / copy:>7.0f}%"
                      f"{r['bwd_ns']:>11.2f}{r['bwd_gbs']:>10.1f}{100 * r['bwd_gbs'] / copy:>7.0f}%{step:>12.2f}{step / base:>12.2f}x")


if __name__ == '__main__': main()
