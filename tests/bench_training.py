"""Training throughput and peak memory of a DLGN on this CPU: the fused logic layer (compiled kernels, and the
pure-PyTorch fallback) against the plain 16-gate autograd reference (Eq. 1 taken literally).

Each variant runs in a fresh process, one after the other, on the same model size and batch; a training step is
forward + backward + Adam. Peak memory is the growth of the process's peak resident set (VmHWM, reset after the
set-up) over its size before the first step (model, optimizer and batch already allocated). Ratios are taken
within this one run.

    python tests/bench_training.py [--width 16000] [--depth 6] [--batch 256] [--steps 5]
"""
import argparse, json, os, subprocess, sys, time
from memory import rss, reset_peak, peak_rss

VARIANTS = ('reference', 'torch', 'native')

def worker(variant, width, depth, batch, steps, warmup, threads):
    import torch
    import torch.nn.functional as F
    from dlgn_nb.heads import GroupSum
    from dlgn_nb.models import DLGN
    from dlgn_nb.logic import logic_reference
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    model = DLGN(784, width, depth, GroupSum(width, 10, tau=10.0), backend='native' if variant == 'native' else 'torch', generator=g)
    if variant == 'reference':
        def forward(x):
            h = x.float()
            for l in model.layers: h = logic_reference(h, l.weights, l.idx_a, l.idx_b)
            return model.head(h)
    else: forward = model
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x = torch.randint(0, 2, (batch, 784), generator=g, dtype=torch.uint8)
    y = torch.randint(0, 10, (batch,), generator=g)
    def step():
        loss = F.cross_entropy(forward(x), y)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    reset_peak(); base = rss()
    for _ in range(warmup): step()
    times = []
    for _ in range(steps):
        t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    peak = peak_rss()
    times.sort()
    return {'variant': variant, 'median_step_s': times[len(times) // 2], 'samples_per_s': batch / times[len(times) // 2],
            'peak_extra_mib': (peak - base) / 2**20, 'threads': threads}

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--width', type=int, default=16000); ap.add_argument('--depth', type=int, default=6)
    ap.add_argument('--batch', type=int, default=256); ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=1); ap.add_argument('--threads', type=int, default=os.cpu_count())
    ap.add_argument('--variants', default=','.join(VARIANTS)); ap.add_argument('--worker')
    ap.add_argument('--json', help='also write the results to this file')
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.width, a.depth, a.batch, a.steps, a.warmup, a.threads))); return
    import platform
    print(f"DLGN training step (forward + backward + Adam): {a.depth} x {a.width:,} gates, batch {a.batch}, "
          f"{a.threads} threads, {platform.processor() or platform.machine()}, median of {a.steps} steps")
    rows = []
    for v in a.variants.split(','):
        cmd = [sys.executable, __file__, '--worker', v] + [f'--{k}={getattr(a, k)}' for k in ('width', 'depth', 'batch', 'steps', 'warmup', 'threads')]
        if v == 'reference': cmd[-4:-2] = ['--steps=' + str(max(2, a.steps // 2)), '--warmup=' + str(min(a.warmup, 1))]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode: sys.exit(f'{v} failed:\n{out.stderr}')
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    ref = next((r for r in rows if r['variant'] == 'reference'), rows[0])
    print(f"{'variant':<12}{'samples/s':>12}{'step (ms)':>12}{'peak extra (MiB)':>18}{'speed vs ref':>14}{'memory vs ref':>15}")
    for r in rows:
        print(f"{r['variant']:<12}{r['samples_per_s']:>12.0f}{r['median_step_s'] * 1e3:>12.1f}{r['peak_extra_mib']:>18.0f}"
              f"{r['samples_per_s'] / ref['samples_per_s']:>13.1f}x{r['peak_extra_mib'] / max(ref['peak_extra_mib'], 1e-9):>14.2f}x")
    if a.json:
        with open(a.json, 'w') as f: json.dump(rows, f, indent=1)

if __name__ == '__main__': main()
