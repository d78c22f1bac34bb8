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
    assert 'fig_03' in out and 'quick' in out and 'Figure 3: synthetic scaling' in out and 'already in your store' in out

def _imported(*argv, env=None) -> set:
    "The modules `python -X importtime -m dlgn_nb.cli argv...` imported (its exit code does not matter: --help exits 0, a typo 2)."
    r = subprocess.run([sys.executable, '-X', 'importtime', '-m', 'dlgn_nb.cli', *argv], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, **(env or {})})
    return {l.split('|')[-1].strip() for l in r.stderr.splitlines() if l.startswith('import time:')}

def test_help_and_listings_load_neither_torch_nor_pandas(tmp_path):
    subprocess.run(DLGN + ['list'], capture_output=True, cwd=ROOT, check=True)        # the figures' runs cached (the first call computes them)
    for argv in (['--help'], ['run', '--help'], ['plan', '--help'], ['list'], ['data', 'list'], ['swep']):
        assert not _imported(*argv) & {'torch', 'pandas'}, argv
    assert {'torch', 'pandas'} <= _imported('run', '--set', 'width=3', '--results', str(tmp_path))   # the probe sees what a run loads

def test_misspelt_command_field_and_figure_name_the_closest(tmp_path):
    for argv, text in ((['rnu'], "unknown command 'rnu'; did you mean 'run'?"),
                       (['run', '--set', 'n_clases=10', '--results', str(tmp_path)], "unknown RunConfig field 'n_clases'; did you mean 'n_classes'?"),
                       (['sweep', 'fig03'], "unknown figure 'fig03'; did you mean 'fig_03'")):
        r = subprocess.run(DLGN + argv, capture_output=True, text=True, cwd=ROOT)
        assert r.returncode == 2 and text in r.stderr and 'allowed: ' in r.stderr, r.stderr

def test_bad_configuration_is_a_clear_error(tmp_path):
    r = subprocess.run(DLGN + ['run', '--json', '--set', 'head=softmax', '--results', str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
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
