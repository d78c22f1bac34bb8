"""How fast `dlgn` answers what needs no training: `dlgn --help`, `dlgn run --help`, `dlgn list` and `dlgn data list`,
each in a fresh process (median of `--reps`), beside the start-up of a bare Python and of `import torch` measured in
the same run. Goal: `dlgn --help` under 1 s on the 2-core machine.

    python tests/bench_cli.py [--reps 5]
"""
import argparse, statistics, subprocess, sys, time
from pathlib import Path

DLGN = str(Path(sys.executable).parent / 'dlgn')

def wall(cmd: list) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - t

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--reps', type=int, default=5)
    a = ap.parse_args()
    subprocess.run([DLGN, 'list'], capture_output=True, check=True)     # the figures' runs cached (the first call computes them)
    cases = {'python -c pass': [sys.executable, '-c', 'pass'], 'python -c import torch': [sys.executable, '-c', 'import torch'],
             'dlgn --help': [DLGN, '--help'], 'dlgn run --help': [DLGN, 'run', '--help'], 'dlgn list': [DLGN, 'list'],
             'dlgn data list': [DLGN, 'data', 'list']}
    times = {k: [] for k in cases}
    for _ in range(a.reps):                                               # interleaved: a change of load hits every case alike
        for k, cmd in cases.items(): times[k].append(wall(cmd))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"median of {a.reps} fresh processes each:")
    for k, v in med.items(): print(f"  {k:<28} {v:6.3f} s   {v / med['python -c pass']:5.1f}x a bare Python")
    print(f"dlgn --help: {med['dlgn --help']:.2f} s ({'under' if med['dlgn --help'] < 1 else 'NOT under'} the 1 s goal); "
          f"{med['python -c import torch'] / med['dlgn --help']:.1f}x faster than importing PyTorch alone")

if __name__ == '__main__': main()
