"""The default CPU training step of this checkout against an earlier commit of the project, measured in alternation.

Each round runs one fresh process per version, one after the other, on the same model and batch: the step is what
`train.fit` does in that version (its model construction, its optimizer settings, its memory settings), timed over
`--steps` steps after a warm-up. Ratios are medians over the rounds, taken within this one run.

    python tests/bench_versions.py --baseline ac5f7eb [--shapes 16000x256,64000x128] [--threads 1,2] [--rounds 3]
"""
import argparse, inspect, json, os, platform, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r'''
import sys, json, time, inspect
sys.path.insert(0, {root!r}); sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in type(f).__module__.lower()]
import torch, torch.nn.functional as F
import dlgn_nb, dlgn_nb.train as T
from dlgn_nb.models import DLGN
from dlgn_nb.heads import GroupSum
assert dlgn_nb.__file__.startswith({root!r}), dlgn_nb.__file__
torch.set_num_threads({threads})
src = inspect.getsource(T.fit)
if 'keep_freed_memory' in src: T.keep_freed_memory()
g = torch.Generator().manual_seed(0)
try: head = GroupSum({width}, 10, tau=10.0)
except TypeError: head = GroupSum(10, tau=10.0)
model = DLGN(784, {width}, 6, head, generator=g)
opt = torch.optim.Adam(T.param_groups(model, 0.01), fused=True) if 'fused=True' in src else torch.optim.Adam(T.param_groups(model, 0.01))
x = torch.randint(0, 2, ({batch}, 784), generator=g, dtype=torch.uint8); y = torch.randint(0, 10, ({batch},), generator=g)
def step():
    loss = model.loss(x, y); opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
for _ in range(2): step()
ts = []
for _ in range({steps}):
    t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
ts.sort(); print(json.dumps({{'step_s': ts[len(ts) // 2]}}))
'''

def run(root, width, batch, threads, steps):
    code = WORKER.format(root=str(root), width=width, batch=batch, threads=threads, steps=steps)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env={**os.environ, 'OMP_NUM_THREADS': str(threads)})
    if out.returncode: sys.exit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])['step_s']

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--baseline', required=True, help='a git commit of this project')
    ap.add_argument('--shapes', default='16000x256,64000x128,16000x1024'); ap.add_argument('--threads', default='1,2')
    ap.add_argument('--rounds', type=int, default=3); ap.add_argument('--steps', type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / 'baseline'
        subprocess.run(['git', '-C', str(ROOT), 'worktree', 'add', '-q', '--detach', str(base), a.baseline], check=True)
        try:
            print(f"training step (6 layers, forward + backward + optimizer), this checkout vs {a.baseline}, "
                  f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, median of {a.rounds} alternating rounds")
            print(f"{'shape':>14}{'threads':>9}{'baseline samples/s':>20}{'now samples/s':>15}{'speed-up':>10}")
            for shape in a.shapes.split(','):
                width, batch = map(int, shape.split('x'))
                for threads in map(int, a.threads.split(',')):
                    times = {'base': [], 'now': []}
                    for _ in range(a.rounds):
                        times['base'].append(run(base, width, batch, threads, a.steps))
                        times['now'].append(run(ROOT, width, batch, threads, a.steps))
                    med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
                    print(f"{shape:>14}{threads:>9}{batch / med['base']:>20,.0f}{batch / med['now']:>15,.0f}{med['base'] / med['now']:>9.2f}x", flush=True)
        finally:
            subprocess.run(['git', '-C', str(ROOT), 'worktree', 'remove', '--force', str(base)], capture_output=True)

if __name__ == '__main__': main()
