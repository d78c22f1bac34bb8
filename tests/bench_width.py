"""The training step's cost per gate and sample at the paper's Small width (64,000 gates per layer) against a width
whose rows fit in the cache (4,000), with 1 and 2 threads, batch 64 and 256: the ratio is what a 64,000-gate run pays
for its rows living in memory instead of the cache.

Each case runs in a fresh process, one after the other; a step is forward + backward + Adam of a 6-layer DLGN on the
compiled CPU kernels; the median of `--steps` steps counts. Ratios are taken within this one run.

    python tests/bench_width.py [--widths 4000,64000] [--batches 64,256] [--threads 1,2] [--steps 5]
"""
import argparse, json, os, subprocess, sys, time


def worker(width, batch, threads, steps):
    import torch
    import torch.nn.functional as F
    from dlgn_nb.heads import GroupSum
    from dlgn_nb.models import DLGN
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    model = DLGN(784, width, 6, GroupSum(width, 10, tau=10.0), backend='native', generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, fused=True)
    x = torch.randint(0, 2, (batch, 784), generator=g, dtype=torch.uint8)
    y = torch.randint(0, 10, (batch,), generator=g)
    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    step()
    times = []
    for _ in range(steps):
        t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    s = sorted(times)[len(times) // 2]
    return {'width': width, 'batch': batch, 'threads': threads, 'ns_per_gate_sample': s / batch / (6 * width) * 1e9}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--widths', default='4000,64000'); ap.add_argument('--batches', default='64,256')
    ap.add_argument('--threads', default='1,2'); ap.add_argument('--steps', type=int, default=5); ap.add_argument('--worker')
    a = ap.parse_args()
    if a.worker:
        w, b, t = map(int, a.worker.split(',')); print(json.dumps(worker(w, b, t, a.steps))); return
    import platform
    widths, batches, threads = ([int(v) for v in s.split(',')] for s in (a.widths, a.batches, a.threads))
    print(f"DLGN training step per gate and sample, 6 layers, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"median of {a.steps} steps; ratio: against the in-cache width {widths[0]:,} at the same batch and threads")
    print(f"{'threads':>8}{'batch':>7}" + ''.join(f'{w:>12,}' for w in widths) + f"{'ratio':>9}")
    for t in threads:
        for b in batches:
            ns = []
            for w in widths:
                out = subprocess.run([sys.executable, __file__, '--worker', f'{w},{b},{t}', f'--steps={a.steps}'], capture_output=True, text=True)
                if out.returncode: sys.exit(out.stderr)
                ns.append(json.loads(out.stdout.strip().splitlines()[-1])['ns_per_gate_sample'])
            print(f'{t:>8}{b:>7}' + ''.join(f'{v:>10.2f}ns' for v in ns) + f'{ns[-1] / ns[0]:>8.2f}x')


if __name__ == '__main__': main()
