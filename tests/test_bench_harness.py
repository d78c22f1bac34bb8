"""The benchmark harness of `make bench` runs (at a tiny size: numbers from here mean nothing)."""
import json, subprocess, sys
from pathlib import Path

def test_bench_training_runs(tmp_path):
    out = tmp_path / 'bench.json'
    subprocess.run([sys.executable, str(Path(__file__).parent / 'bench_training.py'), '--width', '128', '--depth', '2',
                    '--batch', '16', '--steps', '2', '--json', str(out)], check=True, capture_output=True)
    rows = json.loads(out.read_text())
    assert [r['variant'] for r in rows] == ['reference', 'torch', 'native']
    assert all(r['samples_per_s'] > 0 for r in rows)

def test_bench_kernels_runs():
    r = subprocess.run([sys.executable, str(Path(__file__).parent / 'bench_kernels.py'), '--widths', '256,512', '--batches', '32',
                        '--threads', '1', '--reps', '2'], check=True, capture_output=True, text=True)
    assert 'copy' in r.stdout and r.stdout.count('x\n') == 2 and '1.00x' in r.stdout, r.stdout

def test_backward_bytes_counts_each_row_it_touches():
    sys.path.insert(0, str(Path(__file__).parent))
    import torch
    from bench_kernels import backward_bytes
    a, b = torch.tensor([0, 0, 1]), torch.tensor([1, 0, 1])
    # 3 input rows zeroed (4 each); per gate, pass A reads 3 rows and updates 1 (12 + 8), pass B reads 2 and updates 1 (8 + 8)
    assert backward_bytes(a, b, 3, 2) == 2 * (3 * 4 + 3 * 36)

def test_bench_width_runs():
    r = subprocess.run([sys.executable, str(Path(__file__).parent / 'bench_width.py'), '--widths', '128,256', '--batches', '16',
                        '--threads', '1', '--steps', '2'], check=True, capture_output=True, text=True)
    assert r.stdout.count('x\n') == 1 and 'ns' in r.stdout, r.stdout
