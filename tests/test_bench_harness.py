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
