"""From a trained network to a circuit, side by side in one run: the same trained 784 -> depth x width -> Group-Sum 10
DLGN (MNIST digits shipped offline, `mnist5k`) simplified by `dlgn_nb.simplify` and by torchlogix's
`Circuit.simplify` (gate counts and their ratio), the generated C before and after simplification (images/s, same
images, same run), and optionally the Yosys/ABC proof and LUT-6 mapping of the simplified circuit.

torchlogix is not a dependency of dlgn_nb: it needs Python >= 3.12, so the benchmark makes its own environment for it
(a venv under the cache folder: that Python, torch, numpy, and torchlogix installed with --no-deps) and transfers the
model file into torchlogix's layers there (tests/torchlogix_count.py), checking that torchlogix computes the same
counts before it traces and simplifies.

    python tests/bench_circuit.py [--width 8000] [--depth 6] [--epochs 20] [--images 65536] [--prove] [--synth] [--heads]
                                  [--torchlogix-python PYTHON | --no-torchlogix]

--heads: every head that exports a circuit, each on a 784 -> 2 x 1,280 network trained for 3 epochs, simplified and
mapped to LUT-6 (its own logic layers counted in 'logic', its counting in 'group_sum').
"""
import argparse, glob, json, os, platform, shutil, subprocess, sys, tempfile, time
from pathlib import Path
os.environ.setdefault('OMP_NUM_THREADS', '1')
HERE = Path(__file__).resolve().parent
TORCHLOGIX = 'torchlogix==0.2.2'

def best_of(fn, reps):
    out, best = None, float('inf')
    for _ in range(reps):
        t = time.perf_counter(); out = fn(); best = min(best, time.perf_counter() - t)
    return out, best

def trained_model(width, depth, epochs, cache):
    "The trained model file (cached: training the 6 x 8,000 network takes a few minutes on 2 cores)."
    path = cache / f'mnist5k_{depth}x{width}_e{epochs}_s0.npz'
    from dlgn_nb.circuit import load_discrete, save_discrete, export_discrete
    if path.exists(): return load_discrete(path), 'cached'
    import torch
    from dlgn_nb.datasets import load_dataset
    from dlgn_nb.models import DLGN
    from dlgn_nb.heads import make_head
    from dlgn_nb.train import fit
    ds = load_dataset('mnist5k', 10, seed=0)
    torch.manual_seed(0)
    model = DLGN(784, width, depth, make_head('groupsum', width, 10, tau=30.0))
    t = time.perf_counter(); fit(model, ds, epochs=epochs, lr=0.05, progress=False)
    dm = export_discrete(model, ds.info['preprocessing'], {'dataset': 'mnist5k', 'n_classes': 10, 'data_seed': 0})
    save_discrete(dm, path)
    return dm, f'trained in {time.perf_counter() - t:.0f} s'

def torchlogix_python(given, cache):
    "A Python with torchlogix: `given`, else a venv made once under `cache` from the first Python >= 3.12 found."
    if given: return given
    venv = cache / 'torchlogix-venv'
    py = venv / 'bin' / 'python'
    if py.exists(): return str(py)
    candidates = [shutil.which(n) for n in ('python3.13', 'python3.12')] + sorted(glob.glob(os.path.expanduser('~/.pyenv/versions/3.1[2-9]*/bin/python3')))
    for c in filter(None, candidates):
        if subprocess.run([c, '-c', 'import sys; assert sys.version_info >= (3, 12)'], capture_output=True).returncode: continue
        print(f"making torchlogix's environment with {c} in {venv} (once)", flush=True)
        subprocess.run([c, '-m', 'venv', str(venv)], check=True)
        import torch
        subprocess.run([str(py), '-m', 'pip', 'install', '-q', f"torch=={torch.__version__.split('+')[0]}", 'numpy'], check=True)
        subprocess.run([str(py), '-m', 'pip', 'install', '-q', '--no-deps', TORCHLOGIX], check=True)
        return str(py)
    return None

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--width', type=int, default=8000); ap.add_argument('--depth', type=int, default=6)
    ap.add_argument('--epochs', type=int, default=20); ap.add_argument('--images', type=int, default=65536)
    ap.add_argument('--reps', type=int, default=3); ap.add_argument('--prove', action='store_true'); ap.add_argument('--synth', action='store_true')
    ap.add_argument('--torchlogix-python', default=None); ap.add_argument('--no-torchlogix', action='store_true')
    ap.add_argument('--heads', action='store_true', help="LUT-6 mapping of every exportable head's circuit (small networks)")
    a = ap.parse_args()
    import numpy as np
    from dlgn_nb.native import cache_dir
    from dlgn_nb.circuit import prune, save_discrete, evaluate_reference
    from dlgn_nb.simplify import simplify, depth, same_counts
    from dlgn_nb.codegen import CompiledModel
    from dlgn_nb.packed import PackedEvaluator
    from dlgn_nb.infer import load_inputs
    cache = cache_dir() / 'bench'; cache.mkdir(parents=True, exist_ok=True)
    dm, how = trained_model(a.width, a.depth, a.epochs, cache)
    bits, y, what = load_inputs(dm, 'mnist5k')
    t = time.perf_counter(); sm = simplify(dm); t_simplify = time.perf_counter() - t
    assert same_counts(sm, dm, samples=4096) and np.array_equal(PackedEvaluator(sm).counts(bits), PackedEvaluator(dm).counts(bits))
    acc = float((PackedEvaluator(sm).predict(bits) == y).mean())
    print(f"784 -> {a.depth} x {a.width:,} -> Group-Sum 10, trained on mnist5k ({a.epochs} epochs, {how}): test accuracy "
          f"{100 * acc:.1f} % of {len(y):,}; {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    ours = {'gates': dm.n_gates, 'pruned': prune(dm).n_gates, 'simplified': sm.n_gates}
    print(f"\ngates          {'ours':>10}  {'torchlogix':>10}")
    print(f"  network      {ours['gates']:>10,}")
    tl = None
    if not a.no_torchlogix:
        py = torchlogix_python(a.torchlogix_python, cache)
        if py is None: print("  (torchlogix skipped: it needs Python >= 3.12; give one with --torchlogix-python)")
        else:
            with tempfile.TemporaryDirectory() as d:
                x = np.random.default_rng(0).integers(0, 2, (256, dm.n_inputs), dtype=np.uint8)
                np.savez(f'{d}/check.npz', bits=x, counts=evaluate_reference(dm, x))
                r = subprocess.run([py, str(HERE / 'torchlogix_count.py'), str(save_discrete(dm, f'{d}/m.npz')), f'{d}/check.npz'],
                                   capture_output=True, text=True)
            if r.returncode: print(f"  (torchlogix failed: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode})")
            else:
                tl = json.loads(r.stdout.strip().splitlines()[-1])
                assert tl['agree'], "torchlogix's transfer of the model computes other counts"
                print(f"  traced       {'':>10}  {tl['traced_gates']:>10,}")
    print(f"  pruned       {ours['pruned']:>10,}")
    print(f"  simplified   {ours['simplified']:>10,}  {tl['simplified_gates'] if tl else '-':>10}"
          + (f"   ours / torchlogix {ours['simplified'] / tl['simplified_gates']:.3f} (torchlogix {tl['torchlogix']}, "
             f"the same counts checked on 256 inputs before it traced)" if tl else ''))
    print(f"  depth        {depth(dm):>10} -> {depth(sm)}; simplify took {t_simplify:.1f} s"
          + (f", torchlogix's {tl['simplify_seconds']:.1f} s" if tl else ''))
    images = np.resize(bits, (a.images, bits.shape[1]))
    print(f"\ngenerated C, 1 thread, {a.images:,} test images (mnist5k's {len(y):,} repeated), best of {a.reps}:")
    rows = []
    for name, m in (('before', dm), ('simplified', sm)):
        cm = CompiledModel(m); cm.predict(images[:4096])
        labels, t = best_of(lambda: cm.predict(images), a.reps)
        rows.append((name, m, labels, a.images / t))
    assert np.array_equal(rows[0][2], rows[1][2]), 'the simplified circuit gives other labels'
    for name, m, _, ips in rows: print(f"  {name:<11} {prune(m).n_gates:>7,} live gates  {ips:>12,.0f} images/s")
    print(f"  simplified / before: {rows[1][3] / rows[0][3]:.2f}x, labels identical")
    if a.prove:
        from dlgn_nb.hardware import prove_equivalent, yosys_version
        r = prove_equivalent(dm, sm, timeout=3600)
        print(f"\nYosys/ABC ({yosys_version()}): {'proved equivalent' if r['equivalent'] else 'NOT EQUIVALENT'} in {r['seconds']:.0f} s")
    if a.synth:
        from dlgn_nb.hardware import synth_report, yosys_version
        print(f"\nYosys/ABC LUT-6 mapping ({yosys_version()}): part, LUTs, depth")
        for m, name in ((sm, 'simplified'),):
            for r in synth_report(m, 'generic', timeout=3600): print(f"  {name:<11} {r['part']:<10} {r['luts']:>9,} {r['depth']:>6}  ({r['seconds']:.0f} s)")
    if a.heads: heads_report()

def heads_report(width=1280, epochs=3):
    "Every head that exports, on the same small backbone: accuracy, gates, and LUT-6 of the logic and of the counting."
    import numpy as np, torch
    from dlgn_nb.datasets import load_dataset
    from dlgn_nb.models import DLGN
    from dlgn_nb.heads import HEADS, make_head, NotExportableError
    from dlgn_nb.train import fit
    from dlgn_nb.circuit import export_discrete
    from dlgn_nb.simplify import simplify
    from dlgn_nb.packed import PackedEvaluator
    from dlgn_nb.hardware import synth_report
    ds = load_dataset('mnist5k', 10, seed=0)
    bits, y = ds.x_test.numpy().reshape(len(ds.y_test), -1).astype(np.uint8), ds.y_test.numpy()
    params = {'groupsum_codebook': {'code_dim': 64}, 'tree_halving': {'depth': 2}, 'tree_dlgn': {'width': 8}, 'fc': {'hidden': (16,)}}
    print(f"\nheads that export, 784 -> 2 x {width:,} -> head, {epochs} epochs on mnist5k; LUT-6 (Yosys/ABC) of the simplified circuit")
    print(f"  {'head':<18} {'accuracy':>8} {'head layers':>11} {'gates':>7} {'logic LUTs':>10} {'depth':>5} {'count LUTs':>10} {'depth':>5}")
    for name in sorted(HEADS):
        torch.manual_seed(0)
        model = DLGN(784, width, 2, make_head(name, width, 10, tau=10.0, **params.get(name, {})))
        try: model.head.circuit()
        except NotExportableError: continue
        fit(model, ds, epochs=epochs, lr=0.05, progress=False)
        dm = simplify(export_discrete(model, ds.info['preprocessing']))
        acc = float((PackedEvaluator(dm).predict(bits) == y).mean())
        r = {x['part']: x for x in synth_report(dm, 'generic', parts=('logic', 'group_sum'))}
        print(f"  {name:<18} {100 * acc:>7.1f}% {dm.provenance.get('head_layers', 0):>11} {dm.n_gates:>7,} {r['logic']['luts']:>10,} "
              f"{r['logic']['depth']:>5} {r['group_sum']['luts']:>10,} {r['group_sum']['depth']:>5}", flush=True)

if __name__ == '__main__': main()
