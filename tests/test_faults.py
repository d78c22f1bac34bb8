"""Issue 13, lost work and hangs: fault injection. Kill, interrupt and corrupt sweeps and the store, and check that
nothing is lost or trained twice."""
import json, os, signal, subprocess, sys, threading, time
from pathlib import Path
import pytest
from conftest import DLGN, ROOT, dlgn, user_error, TINY
from dlgn_nb.experiments import RunConfig
from dlgn_nb.store import ResultsStore
from dlgn_nb.sweeps import run_sweep, SweepError
from dlgn_nb.figures import figure_grid

def tiny(seed, **kw): return RunConfig(**{**dict(n_classes=3, samples_per_class=30, width=32, depth=2, epochs=1, seed=seed), **kw})
BAD = RunConfig(model='mlp', n_classes=3, samples_per_class=30, epochs=3, lr=1e30)           # its loss blows up at step 2

def records(root): return sorted(p.name for p in Path(root).glob('*.json') if not p.name.endswith('.failed.json'))

def wait_for(cond, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond(): return
        time.sleep(0.05)
    raise AssertionError(f'timed out waiting for {what}')

def session_alive(pid) -> bool:
    "Whether any process of the session started by `pid` is still running."
    out = subprocess.run(['ps', '-e', '-o', 'sid=,stat='], capture_output=True, text=True).stdout.split('\n')
    return any(l.split()[0] == str(pid) and not l.split()[1].startswith('Z') for l in out if l.strip())

# --- 5. one failing run ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('executor', ['local', 'dask'])
def test_failing_run_keeps_every_other_run_of_a_parallel_sweep(tmp_path, executor):
    grid = [tiny(s) for s in range(5)] + [BAD]
    store = ResultsStore(tmp_path)
    with pytest.raises(SweepError) as e:
        run_sweep(grid, store, executor=executor, workers=2, progress=False)
    assert f'1 of 6 runs failed: {BAD.hash} (FloatingPointError' in str(e.value)
    assert store.missing(grid) == [BAD] and len(records(tmp_path)) == 5
    assert store.failures([BAD])[BAD.hash]['error'].startswith('FloatingPointError')

# --- 6. a Dask cluster whose workers die ----------------------------------------------------------------------------------

def test_dask_sweep_whose_workers_all_die_ends_with_an_error(tmp_path):
    env = {**os.environ, 'DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES': '1'}
    bin_ = Path(sys.executable).parent
    sched = subprocess.Popen([str(bin_ / 'dask'), 'scheduler', '--host', '127.0.0.1', '--port', '0', '--no-dashboard',
                              '--scheduler-file', str(tmp_path / 's.json')], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = []
    try:
        wait_for(lambda: (tmp_path / 's.json').exists(), 60, 'the scheduler')
        addr = json.loads((tmp_path / 's.json').read_text())['address']
        for _ in range(2):
            workers.append(subprocess.Popen([str(bin_ / 'dask'), 'worker', addr, '--nthreads', '1', '--no-nanny', '--no-dashboard'],
                                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        grid = [tiny(s, width=2000, depth=4, epochs=300, samples_per_class=600) for s in range(4)]   # minutes each
        outcome = {}
        def sweep():
            try: outcome['report'] = run_sweep(grid, ResultsStore(tmp_path / 'r'), executor='dask', scheduler=addr, progress=False,
                                               no_worker_timeout=5, poll=0.5)
            except Exception as e: outcome['error'] = e
        t = threading.Thread(target=sweep, daemon=True); t.start()
        time.sleep(8)
        for w in workers: w.send_signal(signal.SIGKILL)                           # every worker dies, none comes back
        t.join(90)
        assert not t.is_alive(), 'the sweep hangs with no workers left'
        assert 'no workers for 5 s' in str(outcome.get('error')), outcome
    finally:
        for p in workers + [sched]: p.kill(); p.wait()

# --- 7. signals -----------------------------------------------------------------------------------------------------------

def _start_sweep(results, *extra):
    return subprocess.Popen([DLGN, 'sweep', 'fig_03', '--profile', 'smoke', '--results', str(results), *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)

@pytest.mark.parametrize('sig,code', [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=['SIGTERM', 'SIGINT'])
def test_signal_stops_a_parallel_sweep_cleanly_and_it_resumes(tmp_path, sig, code):
    results = tmp_path / 'r'
    proc = _start_sweep(results, '--workers', '2')
    wait_for(lambda: len(records(results)) >= 1, 240, 'a first record')
    if sig == signal.SIGTERM: os.kill(proc.pid, sig)              # what Slurm, `timeout` and systemd send to the process
    else: os.killpg(proc.pid, sig)                                # Ctrl-C: the whole foreground group
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, (proc.returncode, err[-2000:])
    assert f'interrupted ({sig.name})' in err and 'run the same command again' in err, err[-2000:]
    assert 'Traceback' not in err, err[-3000:]
    wait_for(lambda: not session_alive(proc.pid), 30, 'the workers and the resource tracker to exit')
    assert not list((results / 'claims').glob('*.claim')), 'claims left behind'
    first = {n: (results / n).stat().st_mtime_ns for n in records(results)}
    r = dlgn('sweep', 'fig_03', '--profile', 'smoke', '--results', results)
    assert r.returncode == 0, r.stderr[-2000:]
    assert all((results / n).stat().st_mtime_ns == t for n, t in first.items()), 'stored runs were retrained'
    assert ResultsStore(results).missing(figure_grid('fig_03', 'smoke')) == []

# --- 8. concurrent sweeps -------------------------------------------------------------------------------------------------

def test_concurrent_sweeps_on_one_folder_share_the_grid(tmp_path):
    results = tmp_path / 'r'
    grid = figure_grid('fig_03', 'smoke')
    a, b = _start_sweep(results), _start_sweep(results)
    outs = [p.communicate(timeout=600) for p in (a, b)]
    assert a.returncode == 0 and b.returncode == 0, [o[1][-2000:] for o in outs]
    trained = [int(o[0].split(' trained here')[0].rsplit(', ', 1)[1]) for o in outs]
    assert sum(trained) == len({c.hash for c in grid}), (trained, [o[0] for o in outs])      # every run trained exactly once
    assert min(trained) > 0, f'one sweep did all the work: {trained}'
    assert ResultsStore(results).missing(grid) == []

def test_claim_of_a_crashed_sweep_is_taken_over(tmp_path):
    store = ResultsStore(tmp_path)
    cfg = tiny(0)
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True, text=True).stdout.strip()
    path = store.claim(cfg).path; path.parent.mkdir(parents=True)
    import socket
    path.write_text(json.dumps({'pid': int(dead), 'host': socket.gethostname(), 'since': 0, 'token': 'x'}))
    r = run_sweep([cfg], store, progress=False, poll=0.1)
    assert r.trained == 1 and not path.exists()

# --- 9. replacing and validating records ----------------------------------------------------------------------------------

def test_force_keeps_the_old_record_until_the_new_one_is_written(tmp_path):
    results = tmp_path / 'r'
    r = dlgn('run', *TINY, '--results', results)
    h = json.loads(r.stdout)['hash']
    before = (results / f'{h}.json').read_bytes()
    proc = subprocess.Popen([DLGN, 'run', *TINY, '--force', '--results', str(results), '--set', 'epochs=300'], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(6); os.killpg(proc.pid, signal.SIGKILL); proc.wait()              # killed while retraining
    assert (results / f'{h}.json').read_bytes() == before                          # nothing lost
    assert ResultsStore(results).load(h) is not None

def test_corrupt_record_is_set_aside_with_a_warning(tmp_path):
    import warnings
    store = ResultsStore(tmp_path)
    cfg = tiny(0)
    store.path(cfg).write_text('{"hash": "tru')
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        assert store.load(cfg) is None
    assert 'not a valid record (not JSON' in str(w[0].message)
    assert store.path(cfg).with_suffix('.json.invalid').exists()
