"""GPU check of the PyCUDA kernels: one script, no `make` needed on the GPU machine (`make gpu-check` runs it too).

0. Preflight, each step printing what it found or the real cause of its failure, then stopping: PyTorch's view of
   the GPU (its driver error, verbatim), nvcc (PyCUDA compiles at run time), pycuda (installed from the wheels in
   `.whl/` into a private folder if it is missing: `make gpu-wheels` builds them where there is internet), the
   driver through pycuda, and the compilation of the kernels.

1. Correctness: every kernel against the float64 CPU reference on fresh random wirings (gates whose pins share an
   input, one input feeding a third of the layer, batch sizes that are no multiple of 32), with the allocator's
   memory poisoned by NaNs first so an unwritten output cannot pass; on a side stream too; the packed network
   against PyTorch's discrete evaluation, exactly.
2. Speed: a training step (forward + backward + Adam) of a 6 x 64,000-gate DLGN at batch 128 to 1024, PyCUDA
   kernels against the pure-PyTorch path on the same GPU, timed with CUDA events after a warm-up (median of many
   steps); and each kernel of one 64,000 -> 64,000 layer, with the bandwidth it reaches beside the bytes floor
   (each input read once, each output written once) and the device-to-device copy bandwidth measured here.

    python tests/gpu_check.py [--quick] [--json out.json]
    python tests/gpu_check.py --emulate      # the same correctness checks on the CPU emulation of the kernels

With `--emulate` the kernels run in the CPU harness (`cuda.EmulatedKernels`): the tests run this script that way.
"""
import argparse, contextlib, glob, json, math, os, platform, shutil, statistics, subprocess, sys, time
from pathlib import Path
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))                       # the package from this working tree, installed or not
import torch

def fail(what: str, cause: str):
    print(f"FAILED {what}: {cause}", flush=True)
    sys.exit(2)

def find_nvcc() -> str | None:
    "nvcc on PATH, else in the usual toolkit folders (then put on PATH for PyCUDA)."
    found = shutil.which('nvcc') or next(iter(sorted(glob.glob('/usr/local/cuda*/bin/nvcc'), reverse=True)), None)
    if found and not shutil.which('nvcc'): os.environ['PATH'] = str(Path(found).parent) + os.pathsep + os.environ['PATH']
    return found

def import_pycuda(site: Path):
    "pycuda, installed from `.whl/` into `site` if this Python lacks it."
    try: import pycuda; return pycuda
    except ImportError as first:
        wheels = sorted(glob.glob(str(ROOT / '.whl' / '*.whl')))
        if not wheels: fail('pycuda', f"not installed ({first}) and .whl/ holds no wheels: run `make gpu-wheels GPU_PYTHON=python{sys.version_info[0]}.{sys.version_info[1]}` where there is internet")
        r = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-index', '--no-deps', '--target', str(site), *wheels],
                           capture_output=True, text=True)
        if r.returncode: fail('pycuda from .whl/', r.stderr.strip().splitlines()[-1] if r.stderr.strip() else f'pip exit {r.returncode}')
        sys.path.insert(0, str(site))
        try: import pycuda; return pycuda
        except ImportError as e: fail('pycuda from .whl/', f"{e} (wheels built for another Python? this is {platform.python_version()})")

def preflight() -> str:
    "Check, in order, what the GPU kernels need; stop at the first missing piece with its cause. Returns a banner."
    print(f"python {platform.python_version()} | torch {torch.__version__} (CUDA {torch.version.cuda})", flush=True)
    if torch.version.cuda is None: fail('torch', 'this torch build has no CUDA support (a CPU wheel)')
    if not torch.cuda.is_available():
        try: torch.cuda.init(); cause = 'torch sees no CUDA GPU'
        except Exception as e: cause = f'torch sees no CUDA GPU: {e}'
        fail('GPU', cause)
    print(f"  ok  GPU: {torch.cuda.get_device_name()} (compute capability {'.'.join(map(str, torch.cuda.get_device_capability()))})", flush=True)
    nvcc = find_nvcc()
    if nvcc is None: fail('nvcc', 'not on PATH nor in /usr/local/cuda*/bin: PyCUDA compiles the kernels at run time and needs the CUDA toolkit')
    version = subprocess.run([nvcc, '--version'], capture_output=True, text=True).stdout.strip().splitlines()
    print(f"  ok  nvcc: {nvcc} ({version[-1] if version else 'version unknown'})", flush=True)
    pycuda = import_pycuda(Path(os.environ.get('GPU_SITE', '/tmp/dlgn-site')))
    try:
        import pycuda.driver as drv
        drv.init()
        print(f"  ok  pycuda {pycuda.VERSION_TEXT}: driver {drv.get_driver_version()}, {drv.Device.count()} device(s)", flush=True)
    except Exception as e: fail('pycuda driver', f'{type(e).__name__}: {e}')
    from dlgn_nb.cuda import kernels_for
    try: kernels_for(torch.empty(1, device='cuda'))
    except Exception as e: fail('compiling the kernels', f'{type(e).__name__}: {e}')
    print("  ok  kernels compiled", flush=True)
    return f"{torch.cuda.get_device_name()} | torch {torch.__version__} | pycuda {pycuda.VERSION_TEXT} | python {platform.python_version()}"

def rel_err(got, want): return ((got.double().cpu() - want).norm() / want.norm().clamp_min(1e-30)).item()

def poison(device, gib=2):
    "Hand the caching allocator `gib` GiB of NaNs to reuse, so a kernel that skips an output shows it."
    if device != 'cuda': return
    torch.cuda.empty_cache()
    t = torch.full((gib * 2**28,), float('nan'), device='cuda'); del t

def correctness(report, device='cuda'):
    from dlgn_nb.logic import logic_reference, make_wiring, resolve_backend, fused_logic
    from dlgn_nb.gates import gate_coefficients
    from dlgn_nb.cuda import KernelLogicFunction, packed_counts
    ok = True
    for batch, n_in, n_out, seed in [(1, 40, 300, 0), (37, 64, 500, 1), (128, 784, 2000, 2), (1000, 500, 3000, 3), (333, 4000, 257, 4)]:
        g = torch.Generator().manual_seed(seed)
        x = torch.rand(batch, n_in, dtype=torch.float64, generator=g, requires_grad=True)
        w = torch.randn(n_out, 16, dtype=torch.float64, generator=g, requires_grad=True)
        a, b = make_wiring(n_in, n_out, 'random', g)
        a[: n_out // 10] = b[: n_out // 10]                   # shared-input gates
        a[n_out // 3: 2 * n_out // 3] = 5                     # extreme fan-out
        ref = logic_reference(x, w, a, b)
        gy = torch.randn_like(ref)
        gx_ref, gw_ref = torch.autograd.grad(ref, (x, w), gy)
        for stream in ((None, torch.cuda.Stream()) if device == 'cuda' else (None,)):
            poison(device)
            ctx = torch.cuda.stream(stream or torch.cuda.current_stream()) if device == 'cuda' else contextlib.nullcontext()
            with ctx:
                xc = x.detach().float().to(device).requires_grad_(); wc = w.detach().float().to(device).requires_grad_()
                if device == 'cuda' and resolve_backend('auto', xc) != 'pycuda': fail('backend', f"'auto' chose {resolve_backend('auto', xc)!r}, not 'pycuda'")
                layer = (lambda *t: fused_logic(*t, 'pycuda')) if device == 'cuda' else KernelLogicFunction.apply   # CPU: the emulation
                y = layer(xc.t().contiguous(), gate_coefficients(wc), a.to(device), b.to(device)).t()
                gx, gw = torch.autograd.grad(y, (xc, wc), gy.float().to(device))
            if device == 'cuda': torch.cuda.synchronize()
            errs = [rel_err(y, ref), rel_err(gx, gx_ref), rel_err(gw, gw_ref)]
            good = max(errs) < 1e-5 and all(torch.isfinite(t).all() for t in (y, gx, gw))
            ok &= good
            report.append(dict(check='layer', batch=batch, n_in=n_in, n_out=n_out, side_stream=stream is not None,
                               err_y=errs[0], err_gx=errs[1], err_gw=errs[2], ok=bool(good)))
            print(f"layer batch={batch:5d} {n_in:5d}->{n_out:5d} side_stream={stream is not None!s:5}: rel err y {errs[0]:.1e} "
                  f"gx {errs[1]:.1e} gw {errs[2]:.1e} {'OK' if good else 'FAIL'}", flush=True)
    import warnings
    from dlgn_nb.models import DLGN
    from dlgn_nb.heads import GroupSum
    for batch in (1, 77, 1000, 4097):
        g = torch.Generator().manual_seed(batch)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            net = DLGN(784, 3000, 4, GroupSum(2005, 10, tau=1.0), out_width=2005, generator=g).eval()
        xb = torch.randint(0, 2, (batch, 784), generator=g, dtype=torch.uint8)
        with torch.no_grad(): expected = net(xb).round().to(torch.int32)
        got = packed_counts(net.to(device), xb.to(device)).cpu()
        good = torch.equal(got, expected); ok &= good
        report.append(dict(check='packed', batch=batch, ok=bool(good)))
        print(f"packed network batch={batch}: {'exact' if good else 'MISMATCH'}", flush=True)
    ok &= engine_from_file(report, device)
    return ok

def engine_from_file(report, device='cuda') -> bool:
    "`infer` engine 'cuda' (KernelEvaluator) from model files, plain and simplified, with a head of its own, against the numpy engine."
    import tempfile
    import numpy as np
    from dlgn_nb.circuit import random_discrete, save_discrete, load_discrete, export_discrete
    from dlgn_nb.simplify import simplify
    from dlgn_nb.packed import PackedEvaluator
    from dlgn_nb.infer import KernelEvaluator
    from dlgn_nb.models import DLGN
    from dlgn_nb.heads import make_head
    torch.manual_seed(0)
    models = {'random 784 -> 3 x 3000': random_discrete(784, [3000] * 3, 10, seed=5),
              'tree_dlgn head': export_discrete(DLGN(784, 2000, 2, make_head('tree_dlgn', 2000, 10, tau=3.0, width=8)))}
    models.update({f'{k}, simplified': simplify(v) for k, v in list(models.items())})
    ok, d = True, tempfile.mkdtemp()
    for i, (name, dm) in enumerate(models.items()):
        dm = load_discrete(save_discrete(dm, f'{d}/m{i}.npz'))
        for batch in ((1, 1000, 70001) if device == 'cuda' else (1, 77)):
            x = np.random.default_rng(batch).integers(0, 2, (batch, 784), dtype=np.uint8)
            good = np.array_equal(KernelEvaluator(dm, device, chunk=2**15).counts(x), PackedEvaluator(dm).counts(x))
            ok &= good
            report.append(dict(check='engine', model=name, batch=batch, ok=bool(good)))
            print(f"engine '{'cuda' if device == 'cuda' else 'cuda (emulated)'}' from a model file, {name}, batch={batch}: "
                  f"{'exact' if good else 'MISMATCH'}", flush=True)
    return ok

def time_cuda(fn, warmup=3, reps=20):
    for _ in range(warmup): fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record(); fn(); e.record(); e.synchronize()
        times.append(s.elapsed_time(e) / 1e3)
    return statistics.median(times)

def copy_bandwidth():
    t = torch.empty(2**28, device='cuda')           # 1 GiB
    sec = time_cuda(lambda: t.clone(), reps=10)
    return 2 * t.numel() * 4 / sec

def speed(report, batches, width, depth):
    import torch.nn.functional as F
    from dlgn_nb.models import DLGN
    from dlgn_nb.heads import GroupSum
    rows = []
    for batch in batches:
        res = {}
        for backend in ('torch', 'pycuda'):
            torch.manual_seed(0)
            g = torch.Generator().manual_seed(0)
            model = DLGN(784, width, depth, GroupSum(width, 10, tau=10.0), backend=backend, generator=g).cuda()
            opt = torch.optim.Adam(model.parameters(), lr=0.01)
            x = torch.randint(0, 2, (batch, 784), device='cuda', dtype=torch.uint8)
            y = torch.randint(0, 10, (batch,), device='cuda')
            def step():
                loss = F.cross_entropy(model(x), y); opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
            res[backend] = time_cuda(step, warmup=3, reps=15)
            del model, opt
            torch.cuda.empty_cache()
        rows.append(dict(batch=batch, torch_ms=res['torch'] * 1e3, pycuda_ms=res['pycuda'] * 1e3, speedup=res['torch'] / res['pycuda']))
        print(f"train step {depth} x {width:,} batch {batch:5d}: torch {res['torch']*1e3:8.2f} ms  pycuda {res['pycuda']*1e3:8.2f} ms  "
              f"speed-up {res['torch']/res['pycuda']:5.2f}x", flush=True)
    report.append(dict(check='train_step', rows=rows))
    return rows

def kernels(report, batch, width, ceiling):
    from dlgn_nb.cuda import kernels_for, kernel_forward, kernel_backward, tile_launch
    from dlgn_nb.wiring import cached_reverse_index
    from dlgn_nb.logic import make_wiring, TorchLogicFunction
    from dlgn_nb.gates import gate_coefficients
    g = torch.Generator().manual_seed(0)
    a, b = (t.cuda() for t in make_wiring(width, width, 'random', g))
    x = torch.rand(width, batch, device='cuda'); gy = torch.randn(width, batch, device='cuda')
    coef = gate_coefficients(torch.randn(width, 16, device='cuda'))
    K = kernels_for(x)
    rev_start, rev = cached_reverse_index(a, b, width)
    n, B, f = width, batch, 4
    partial = torch.empty(n, 32, 4, device='cuda'); gx = torch.empty_like(x)
    floors = {'logic_forward': n * B * f * 2 + n * 32,
              'logic_backward_coef': n * B * f * 2 + n * 16 + n * 32 * 16,
              'logic_backward_x': n * B * f * 3 + n * 32 + n * 8 + (n + 1) * 8}
    runs = {'logic_forward': lambda: kernel_forward(K, x, coef, a, b),
            'logic_backward_coef': lambda: K.launch('logic_backward_coef', (math.ceil(n / 8), 1), (32, 8), x, a, b, gy, partial, n, B),
            'logic_backward_x': lambda: K.launch('logic_backward_x', *tile_launch(n, B), x, a, b, coef, gy, rev_start, rev, gx, n, B)}
    rows = []
    for name, fn in runs.items():
        sec = time_cuda(fn, reps=50)
        bw = floors[name] / sec
        rows.append(dict(kernel=name, batch=B, width=n, us=sec * 1e6, floor_bytes=floors[name], gb_s=bw / 1e9, of_copy=bw / ceiling))
    tf_fwd = time_cuda(lambda: TorchLogicFunction.apply(x, coef, a, b), reps=30)
    xr = x.clone().requires_grad_(); cr = coef.clone().requires_grad_()
    def torch_fb():
        y = TorchLogicFunction.apply(xr, cr, a, b); y.backward(gy)
    tf_fb = time_cuda(torch_fb, reps=30)
    def our_fb():
        y = kernel_forward(K, x, coef, a, b); kernel_backward(K, x, coef, a, b, gy)
    ours_fb = time_cuda(our_fb, reps=30)
    for r in rows:
        print(f"  {r['kernel']:<22s} batch {B:5d}: {r['us']:9.1f} us  floor {r['floor_bytes']/1e6:8.1f} MB  "
              f"{r['gb_s']:7.0f} GB/s  ({100 * r['of_copy']:4.0f}% of copy bandwidth)", flush=True)
    print(f"  one layer fwd+bwd: pycuda {ours_fb*1e6:9.1f} us, torch {tf_fb*1e6:9.1f} us ({tf_fb/ours_fb:.2f}x); "
          f"torch forward alone {tf_fwd*1e6:.1f} us", flush=True)
    report.append(dict(check='kernels', batch=B, rows=rows, layer_fwd_bwd_us=dict(pycuda=ours_fb * 1e6, torch=tf_fb * 1e6)))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true', help='smaller speed runs'); ap.add_argument('--json')
    ap.add_argument('--emulate', action='store_true', help='run the correctness checks on the CPU emulation of the kernels')
    a = ap.parse_args()
    report, t0 = [], time.time()
    if a.emulate:
        print(f"CPU emulation of the kernels | torch {torch.__version__} | python {platform.python_version()}", flush=True)
        ok = correctness(report, 'cpu')
        print(f"correctness (emulation): {'ALL OK' if ok else 'FAILURES'} ({time.time() - t0:.0f} s)", flush=True)
        sys.exit(0 if ok else 1)
    print(preflight(), flush=True)
    ok = correctness(report)
    print(f"correctness: {'ALL OK' if ok else 'FAILURES'} ({time.time() - t0:.0f} s)", flush=True)
    ceiling = copy_bandwidth()
    print(f"device-to-device copy: {ceiling / 1e9:.0f} GB/s (bytes read + written)", flush=True)
    width = 16000 if a.quick else 64000
    for batch in ((256,) if a.quick else (128, 1024)): kernels(report, batch, width, ceiling)
    rows = speed(report, (128, 256) if a.quick else (128, 256, 512, 1024), width, 6)
    print('\nsummary: training step (forward + backward + Adam), 6 x %s gates' % f'{width:,}')
    for r in rows: print(f"  batch {r['batch']:5d}: pycuda {r['pycuda_ms']:7.2f} ms, torch {r['torch_ms']:7.2f} ms -> {r['speedup']:.2f}x")
    print(f"correctness: {'ALL OK' if ok else 'FAILURES'}; total {time.time() - t0:.0f} s")
    if a.json:
        with open(a.json, 'w') as f: json.dump(dict(device=torch.cuda.get_device_name(), copy_gb_s=ceiling / 1e9, report=report), f, indent=1)
    sys.exit(0 if ok else 1)

if __name__ == '__main__': main()
