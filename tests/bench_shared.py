"""The README's library example on a shared machine: its wall time with the machine idle and with one core kept
busy by another process (a spinning Python loop), measured side by side (alternating, median of `--reps`), as the
library runs it (every module sets the passive OpenMP wait policy before PyTorch loads; `fit` trains on the idle
cores) and, for comparison, as it ran before both rules (`OMP_WAIT_POLICY=ACTIVE`, `OMP_NUM_THREADS` = all cores).
Goal: with one busy core, within 1.5x of its idle time.

    python tests/bench_shared.py [--reps 3] [--snippet FILE]
"""
import argparse, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def readme_snippet() -> str:
    "The first Python block of the README's 'Using the library' section."
    text = (ROOT / 'README.md').read_text()
    section = text[text.index('## Using the library'):]
    start = section.index('```python\n') + len('```python\n')
    return section[start:section.index('```', start)]

def run_once(script: Path, env: dict) -> float:
    "Wall seconds of one run of `script` in a fresh process (in a scratch folder: it writes model.npz)."
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        r = subprocess.run([sys.executable, str(script)], cwd=d, env=env, capture_output=True, text=True)
        secs = time.perf_counter() - t
    if r.returncode: sys.exit(f"the README example failed:\n{r.stderr[-3000:]}")
    return secs

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--reps', type=int, default=3, help='runs of each setting (alternating); the median is shown')
    ap.add_argument('--snippet', help="a Python file to time instead of the README's example")
    a = ap.parse_args()
    code = Path(a.snippet).read_text() if a.snippet else readme_snippet()
    base = {k: v for k, v in os.environ.items() if k not in ('OMP_WAIT_POLICY', 'OMP_NUM_THREADS')}
    old = {**base, 'OMP_WAIT_POLICY': 'ACTIVE', 'OMP_NUM_THREADS': str(os.cpu_count() or 1)}
    times = {k: [] for k in ('idle', 'busy', 'busy, before the rules')}
    with tempfile.TemporaryDirectory() as d:
        script = Path(d) / 'readme_example.py'
        script.write_text(code)
        run_once(script, base)                                      # warm: compiled kernels cached, files in the page cache
        for _ in range(a.reps):
            times['idle'].append(run_once(script, base))
            spin = subprocess.Popen([sys.executable, '-c', 'while True: pass'])
            try:
                time.sleep(0.5)
                times['busy'].append(run_once(script, base))
                times['busy, before the rules'].append(run_once(script, old))
            finally: spin.kill(); spin.wait()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"README library example, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end; median of {a.reps}:")
    for k, v in med.items():
        print(f"  {k:<24} {v:6.2f} s   {v / med['idle']:.2f}x of idle   (runs: {', '.join(f'{t:.2f}' for t in times[k])})")
    ratio = med['busy'] / med['idle']
    print(f"one busy core: {ratio:.2f}x of idle ({'within' if ratio <= 1.5 else 'NOT within'} the 1.5x goal); "
          f"before the rules it was {med['busy, before the rules'] / med['idle']:.2f}x")

if __name__ == '__main__': main()
