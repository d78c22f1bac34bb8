"""The `dlgn` entry point, and a sweep killed mid-way that resumes without retraining or losing anything."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
from dlgn_nb.experiments import RunConfig
from dlgn_nb.store import ResultsStore
from dlgn_nb.figures import figure_grid

ROOT = Path(__file__).resolve().parent.parent
DLGN = [str(Path(sys.executable).parent / 'dlgn')]

def test_entry_point_lists_figures():
    out = subprocess.run(DLGN + ['list'], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert 'fig_03' in out and 'quick' in out

def test_bad_configuration_is_a_clear_error(tmp_path):
    r = subprocess.run(DLGN + ['run', '--set', 'head=softmax', '--results', str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "unknown head 'softmax'; allowed: binary_logit" in r.stderr

def test_killed_sweep_resumes(tmp_path):
    results = tmp_path / 'results'
    grid = figure_grid('fig_03', 'smoke')
    cmd = DLGN + ['sweep', 'fig_03', '--profile', 'smoke', '--results', str(results)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(results.glob('*.json')): time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL); proc.wait()
    records = lambda: [p for p in results.glob('*.json') if not p.name.startswith('.')]
    first = {p.name: p.stat().st_mtime_ns for p in records()}
    assert 1 <= len(first) < len({c.hash for c in grid}), 'the sweep should have been killed part-way'
    for p in records(): json.loads(p.read_text())                         # every record on disk is whole
    partial_before = {p.name for p in results.glob('.tmp-*')}             # a write cut by SIGKILL leaves at most this
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    store = ResultsStore(results)
    assert store.missing(grid) == []
    assert all(results.joinpath(n).stat().st_mtime_ns == t for n, t in first.items()), 'stored runs were retrained'
    assert {p.name for p in results.glob('.tmp-*')} <= partial_before      # the resumed sweep leaves no partial file
