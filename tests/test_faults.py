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

def _as_in_a_terminal():
    "SIGINT as a terminal's foreground process has it: a test run from a background job inherits it ignored (POSIX `&`)."
    signal.signal(signal.SIGINT, signal.SIG_DFL)

def _start_sweep(results, *extra):
    return subprocess.Popen([DLGN, 'sweep', 'fig_03', '--profile', 'smoke', '--results', str(results), *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_as_in_a_terminal)

@pytest.mark.parametrize('sig,code', [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=['SIGTERM', 'SIGINT'])
def test_signal_stops_a_parallel_sweep_cleanly_and_it_resumes(tmp_path, sig, code):
    results = tmp_path / 'r'
    proc = _start_sweep(results, '--workers', '2')
    wait_for(lambda: len(records(results)) >= 1, 240, 'a first record')
    assert proc.poll() is None, 'the sweep ended before the signal: make its runs longer'
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
    path = store.claim(cfg).path
    subprocess.run([sys.executable, '-c', f'import os; from dlgn_nb.files import Claim; assert Claim({str(path)!r}).acquire(); os._exit(0)'],
                   check=True)                                            # a sweep that dies holding the claim
    assert path.exists()
    r = run_sweep([cfg], store, progress=False, poll=0.1)
    assert r.trained == 1 and not path.exists()

# --- 9. replacing and validating records ----------------------------------------------------------------------------------

def test_force_keeps_the_old_record_until_the_new_one_is_written(tmp_path):
    from conftest import cli
    results, slow = tmp_path / 'r', [*TINY, '--set', 'epochs=300']        # the stored run itself, forced: same configuration, same hash
    h = json.loads(cli('run', '--json', *slow, '--results', results).stdout)['hash']
    before = (results / f'{h}.json').read_bytes()
    proc = subprocess.Popen([DLGN, 'run', '--json', *slow, '--force', '--results', str(results)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for(lambda: (results / 'claims' / f'{h}.claim').exists(), 60, 'the forced run to claim the stored run')
    os.killpg(proc.pid, signal.SIGKILL); proc.wait()                       # killed while retraining it
    assert (results / f'{h}.json').read_bytes() == before                   # nothing lost
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
    assert list(tmp_path.glob(f'{cfg.hash}.json.invalid-*'))

# === Issue 22: claims that survive clocks, containers and races ===========================================================
# Each test is named after the row of the table (or the wording defect) it reproduces.
import shutil, socket, textwrap
import numpy as np
from conftest import cli
from dlgn_nb.files import Claim

def _unshare_works() -> bool:
    return bool(shutil.which('unshare')) and subprocess.run(['unshare', '-rm', 'true'], capture_output=True).returncode == 0
UNSHARE = _unshare_works()
needs_unshare = pytest.mark.skipif(not UNSHARE, reason='unshare -r is not allowed here (no unprivileged user namespaces)')

def py(code: str, *args, namespace: str | None = None, timeout=60) -> subprocess.CompletedProcess:
    "Run Python `code` in a fresh process (inside `unshare`, after the shell line `namespace`, where given)."
    cmd = [sys.executable, '-c', textwrap.dedent(code), *map(str, args)]
    if namespace: cmd = ['unshare', '-rm', 'sh', '-c', f'{namespace} && "$@"; exit $?', 'sh', *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout)

def _claim_file(path, **fields):
    "A claim file as another process would have written it (this process's identity, overridden by `fields`)."
    from dlgn_nb.files import _identity
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**_identity(), 'since': time.time(), 'lease_s': 120.0, 'token': os.urandom(8).hex(), **fields}))
    return path

def _dead_pid() -> int:
    p = subprocess.Popen(['true']); p.wait(); return p.pid

def test_row11_claim_with_a_future_mtime_is_taken_over_after_its_lease(tmp_path):
    path = _claim_file(tmp_path / 'r.claim', host='another-node', lease_s=1.0)
    soon = time.time() + 3600; os.utime(path, (soon, soon))              # a skewed clock, NFS, or copied timestamps
    c = Claim(path, lease_s=1.0)
    assert not c.acquire()                                                # nothing known yet: it may be alive
    deadline = time.time() + 10
    while not c.acquire():
        assert time.time() < deadline, 'a claim with a future mtime is never stale'
        time.sleep(0.2)

def test_row11_renewed_claim_is_not_stale_to_a_successor_whose_clock_runs_ahead(tmp_path, monkeypatch):
    holder = Claim(tmp_path / 'r.claim', lease_s=5.0); assert holder.acquire()
    real = time.time
    monkeypatch.setattr(time, 'time', lambda: real() + 1000)              # the successor's clock is 1000 s ahead
    successor = Claim(holder.path, lease_s=5.0)
    for _ in range(10):
        assert not successor.acquire(), 'a live claim was taken over because of a clock difference'
        holder.refresh(); time.sleep(0.05)
    monkeypatch.undo(); assert holder.held()

def test_row12_full_disk_at_claim_creation_leaves_no_empty_claim(tmp_path):
    if not UNSHARE: pytest.skip('unshare -r is not allowed here: no private tmpfs to fill')
    disk = tmp_path / 'disk'; disk.mkdir()
    r = py('''
        import os, sys
        from pathlib import Path
        from dlgn_nb.files import Claim
        d = Path(sys.argv[1]); (d / 'claims').mkdir()
        fd = os.open(d / 'fill', os.O_CREAT | os.O_WRONLY)               # fill the 64 KiB file system
        try:
            while True: os.write(fd, b'x' * 4096)
        except OSError: os.close(fd)
        try: print('acquired', Claim(d / 'claims' / 'run.claim').acquire())
        except OSError as e: print('error:', e)
        print('left:', sorted(os.listdir(d / 'claims')))''', disk, namespace=f'mount -t tmpfs -o size=64k tmpfs {disk}')
    assert r.returncode == 0, r.stderr
    assert 'No space left on device' in r.stdout and 'run.claim' in r.stdout.split('left:')[0], r.stdout    # the error names the file
    assert r.stdout.strip().endswith('left: []'), r.stdout                                                    # no 0-byte claim

def test_row12_empty_claim_file_does_not_make_the_next_run_wait(tmp_path):
    path = tmp_path / 'r.claim'; path.write_text('')                      # as a full disk left it, 30 s ago
    old = time.time() - 30; os.utime(path, (old, old))
    t = time.time(); assert Claim(path).acquire(); assert time.time() - t < 2

def test_row13_taking_over_a_stale_claim_has_one_winner_every_round(tmp_path):
    code = '''
        import json, multiprocessing as mp, os, sys, uuid
        from pathlib import Path
        from dlgn_nb.files import Claim, _identity
        n, rounds, folder = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
        path = folder / 'run.claim'
        def contender(go, results):
            for _ in range(rounds):
                go.wait(); results.put(Claim(path).acquire()); go.wait()
        if __name__ == '__main__':
            pid = os.fork()
            if pid == 0: os._exit(0)
            os.waitpid(pid, 0)                                           # a pid of this host that no longer runs
            ctx = mp.get_context('fork'); go, results = ctx.Barrier(n + 1), ctx.Queue()
            procs = [ctx.Process(target=contender, args=(go, results)) for _ in range(n)]
            for p in procs: p.start()
            bad = []
            for r in range(rounds):
                for f in folder.iterdir(): f.unlink()
                path.write_text(json.dumps({**_identity(), 'pid': pid, 'started': '', 'since': 0, 'token': uuid.uuid4().hex}))
                go.wait(); wins = sum(results.get() for _ in range(n)); go.wait()
                if wins != 1: bad.append(wins)
            for p in procs: p.join()
            print(len(bad), bad[:10])'''
    for n, rounds in ((2, 500), (4, 300)):
        folder = tmp_path / f'n{n}'; folder.mkdir()
        r = py(code, n, rounds, folder, timeout=120)
        assert r.returncode == 0, r.stderr[-2000:]
        assert r.stdout.startswith('0 '), f'{n} successors: rounds without exactly one winner: {r.stdout}'

def test_row14_claim_of_another_pid_namespace_with_the_same_host_name_is_not_taken(tmp_path):
    path = _claim_file(tmp_path / 'r.claim', pid=_dead_pid(), pid_ns='pid:[4026532999]')   # its pid means nothing here
    assert not Claim(path).acquire()

@needs_unshare
def test_row14_live_claim_of_a_container_sharing_the_host_name_is_not_taken(tmp_path):
    free = next(p for p in range(30000, 32000) if not Path(f'/proc/{p}').exists())  # a pid no process outside has
    holder = subprocess.Popen(['unshare', '-rpf', '--mount-proc', 'sh', '-c', f'echo {free - 1} > /proc/sys/kernel/ns_last_pid && "$@"; exit $?',
                               'sh', sys.executable, '-c', textwrap.dedent('''
        import sys, time
        from dlgn_nb.files import Claim
        c = Claim(sys.argv[1]); assert c.acquire(); print(c.owner()['pid'], flush=True); time.sleep(60)'''), str(tmp_path / 'r.claim')],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        inner = holder.stdout.readline().strip()
        assert inner == str(free), (inner, holder.stderr.read() if holder.poll() is not None else '')
        assert not Path(f'/proc/{free}').exists()                         # seen from here, that pid is dead
        assert not Claim(tmp_path / 'r.claim').acquire(), 'a live claim of a container was taken over'
    finally: holder.kill(); holder.wait()

# === Issue 22: destinations checked before work, nothing lost ===========================================================

def _record_names(folder): return sorted(p.name for p in Path(folder).glob('*.json') if not p.name.endswith('.failed.json'))

def test_row6_save_model_to_a_file_is_refused_before_training(tmp_path):
    (tmp_path / 'f').write_text('')
    t = time.time()
    user_error(cli('run', '--json', *TINY, '--results', tmp_path / 'r', '--save-model', tmp_path / 'f'), f"--save-model folder '{tmp_path / 'f'}' is a file, not a folder")
    assert _record_names(tmp_path / 'r') == [] and time.time() - t < 5

@needs_unshare
def test_row6_save_model_to_a_read_only_folder_is_refused_before_training(tmp_path):
    (tmp_path / 'ro').mkdir()
    r = subprocess.run(['unshare', '-rm', 'sh', '-c', f'mount --bind {tmp_path}/ro {tmp_path}/ro && mount -o remount,bind,ro {tmp_path}/ro && "$@"',
                        'sh', DLGN, 'run', '--json', *TINY, '--results', str(tmp_path / 'r'), '--save-model', str(tmp_path / 'ro')],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    user_error(r, f"--save-model folder '{tmp_path / 'ro'}' is not writable")
    assert _record_names(tmp_path / 'r') == []

@needs_unshare
def test_row6_full_disk_at_save_model_keeps_the_metrics_and_names_the_path(tmp_path):
    disk = tmp_path / 'disk'; disk.mkdir()
    fill = f'mount -t tmpfs -o size=64k tmpfs {disk} && mkdir {disk}/m && (dd if=/dev/zero of={disk}/fill bs=4k 2>/dev/null; true)'
    r = subprocess.run(['unshare', '-rm', 'sh', '-c', f'{fill} && "$@"', 'sh', DLGN, 'run', '--json', *TINY, '--results', str(tmp_path / 'r'),
                        '--save-model', str(disk / 'm')], capture_output=True, text=True, cwd=ROOT, timeout=120)
    user_error(r, f"its model file was not saved: cannot write {disk / 'm'}", code=1)
    assert 'No space left on device' in r.stderr and 'internal error' not in r.stderr
    h = json.loads(r.stdout)['hash']
    assert _record_names(tmp_path / 'r') == [f'{h}.json']                # the metrics are stored

def test_row7_second_quarantine_of_a_run_keeps_the_first(tmp_path):
    import warnings
    store, cfg = ResultsStore(tmp_path), tiny(0)
    rec = run_sweep([cfg], store, progress=False).records[0]
    newer = json.dumps({**rec, 'config': {**rec['config'], 'augment': 'flip'}, 'environment': {**rec['environment'], 'dlgn_nb': '99.1'}})
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        for text in (newer, '{"hash": "trunc'):
            store.path(cfg).write_text(text); assert store.load(cfg) is None
    kept = sorted(p.read_text() for p in tmp_path.glob(f'{cfg.hash}.json.invalid*'))
    assert kept == sorted([newer, '{"hash": "trunc']), 'a set-aside record was overwritten'
    assert 'written by dlgn_nb 99.1, newer than this' in str(w[0].message), w[0].message

def test_row9_processes_setting_aside_one_invalid_record_at_once_never_crash(tmp_path):
    code = '''
        import json, multiprocessing as mp, sys, warnings
        from pathlib import Path
        from dlgn_nb.store import ResultsStore
        folder, rounds = Path(sys.argv[1]), int(sys.argv[2])
        def loader(go, errors):
            store = ResultsStore(folder); warnings.simplefilter('ignore')
            for _ in range(rounds):
                go.wait()
                try: store.load('0123456789ab')
                except Exception as e: errors.put(f'{type(e).__name__}: {e}')
                go.wait()
        if __name__ == '__main__':
            ctx = mp.get_context('fork'); go, errors = ctx.Barrier(3), ctx.Queue()
            procs = [ctx.Process(target=loader, args=(go, errors)) for _ in range(2)]
            for p in procs: p.start()
            for _ in range(rounds):
                (folder / '0123456789ab.json').write_text('{"hash": "trunc'); go.wait(); go.wait()
            for p in procs: p.join()
            print(errors.qsize(), 'errors', errors.get() if errors.qsize() else '')'''
    r = py(code, tmp_path, 300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.startswith('0 errors'), r.stdout
    assert len(list(tmp_path.glob('*.invalid*'))) == 300                  # each set aside once, none lost

def _read_only(folder: Path, *cmd) -> subprocess.CompletedProcess:
    "Run `cmd` with `folder` mounted read-only (in a private mount namespace)."
    return subprocess.run(['unshare', '-rm', 'sh', '-c', f'mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "$@"',
                           'sh', *map(str, cmd)], capture_output=True, text=True, cwd=ROOT, timeout=120)

@needs_unshare
def test_row10_read_only_results_folder_serves_reads(tmp_path):
    res = tmp_path / 'r'
    h = json.loads(cli('run', '--json', *TINY, '--results', res).stdout)['hash']
    r = _read_only(res, sys.executable, '-c', textwrap.dedent(f'''
        import json, sys
        sys.path.insert(0, 'tests')
        from conftest import cli, TINY
        from dlgn_nb.store import ResultsStore
        from dlgn_nb.experiments import RunConfig
        r = cli('run', '--json', *TINY, '--results', {str(res)!r}); print(r.returncode, json.loads(r.stdout)['hash'] if r.stdout else r.stderr[-500:])
        print(ResultsStore({str(res)!r}).frame([RunConfig(n_classes=3, samples_per_class=30, width=32, depth=2, epochs=1)]).loc[0, 'hash'])
        r = cli('run', '--json', *TINY, '--set', 'seed=5', '--results', {str(res)!r}); print(r.returncode, r.stderr.strip().splitlines()[-1])'''))
    assert r.returncode == 0, r.stderr[-2000:]
    served, frame, missing = r.stdout.splitlines()[-3:]
    assert served == f'0 {h}' and frame == h, r.stdout                  # a stored run read back, and what every paper notebook does
    assert missing.startswith(f"2 dlgn: error: the results folder '{res}' is not writable, so it cannot store the 1 runs missing from it"), missing

# === Issue 22: timeouts that are real =====================================================================================

def _worker_processes() -> list:
    "This process's Dask worker processes (children started by multiprocessing's spawn), living ones only."
    import psutil
    out = []
    for p in psutil.Process().children():
        try: cmd = ' '.join(p.cmdline()) if p.status() != psutil.STATUS_ZOMBIE else ''
        except psutil.Error: continue
        if 'spawn_main' in cmd and 'resource_tracker' not in cmd: out.append(p)
    return out

@pytest.mark.parametrize('workers', [1, 2])
def test_row8_run_timeout_on_the_local_executor_ends_the_run(tmp_path, workers):
    slow, quick, store, outcome = tiny(1, epochs=10**6), tiny(0), ResultsStore(tmp_path), {}
    grid, limit = ([slow, quick], 6) if workers > 1 else ([slow], 3)       # one worker: the run would otherwise train in this process
    def sweep():
        try: outcome['report'] = run_sweep(grid, store, workers=workers, run_timeout=limit, progress=False, poll=0.2)
        except Exception as e: outcome['error'] = e
    t = threading.Thread(target=sweep, daemon=True); t.start(); t.join(90)
    assert not t.is_alive(), f'--run-timeout {limit} with {workers} worker(s): the run was not ended'
    e = outcome.get('error')
    assert isinstance(e, SweepError) and list(e.report.failed) == [slow.hash], outcome
    assert e.report.failed[slow.hash].startswith(f'Timeout: the run took longer than run_timeout = {limit} s; its process was ended')
    assert store.load(slow) is None and (workers == 1 or store.load(quick) is not None)
    assert not (tmp_path / 'claims' / f'{slow.hash}.claim').exists()
    assert not [p for p in _worker_processes()], 'a timed-out run still trains'


def test_dask_sweep_whose_workers_are_killed_over_and_over_ends_soon_after_the_kills_stop(tmp_path):
    import psutil, random
    env = {**os.environ, 'DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES': '2'}
    bin_ = Path(sys.executable).parent
    sched = subprocess.Popen([str(bin_ / 'dask'), 'scheduler', '--host', '127.0.0.1', '--port', '0', '--no-dashboard',
                              '--scheduler-file', str(tmp_path / 's.json')], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    nannies = []
    try:
        wait_for(lambda: (tmp_path / 's.json').exists(), 60, 'the scheduler')
        addr = json.loads((tmp_path / 's.json').read_text())['address']
        nannies = [subprocess.Popen([str(bin_ / 'dask'), 'worker', addr, '--nthreads', '1', '--no-dashboard'], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
        grid = [tiny(s, width=128, epochs=300, samples_per_class=60) for s in range(10)]        # a few seconds each: work is left
        store, outcome = ResultsStore(tmp_path / 'r'), {}
        def sweep():
            try: outcome['report'] = run_sweep(grid, store, executor='dask', scheduler=addr, progress=False, no_worker_timeout=6, poll=0.5)
            except Exception as e: outcome['error'] = e
        t = threading.Thread(target=sweep, daemon=True); t.start()
        wait_for(lambda: list((tmp_path / 'r' / 'claims').glob('*.claim')), 90, 'the first runs to start')
        kills, start = 0, time.time()
        while time.time() - start < 8:                                   # a node being pre-empted: kill after kill
            workers = [c for n in nannies for c in psutil.Process(n.pid).children()]
            if workers:
                try: random.choice(workers).kill(); kills += 1
                except psutil.Error: pass
            time.sleep(1.5)
        for n in nannies: n.kill()                                       # and at last the node is gone: no worker process left
        last = time.time()
        t.join(40)
        assert not t.is_alive(), f'the sweep still runs 40 s after the last of {kills} kills, with no worker left'
        assert isinstance(outcome.get('error'), SweepError), outcome                              # failed, naming the runs
        failed, stored = outcome['error'].report.failed, {c.hash for c in grid if store.load(c) is not None}
        assert set(failed) | stored == {c.hash for c in grid} and not set(failed) & stored, (failed, stored)   # every run accounted for
        assert any(v.startswith('NoWorkers: the Dask cluster has had no workers for 6 s') for v in failed.values()), failed
        print(f'{kills} kills; the sweep ended {time.time() - last:.1f} s after the last; {len(stored)} stored, {len(failed)} failed: '
              f'{sorted(set(v.split(":")[0] for v in failed.values()))}')
    finally:
        for p in nannies + [sched]: p.kill(); p.wait()

def test_local_dask_cluster_left_without_workers_gets_fresh_ones(tmp_path, monkeypatch):
    from dlgn_nb import sweeps
    monkeypatch.setattr(sweeps, 'REPLACE_AFTER_S', 1.0, raising=False)
    ex = sweeps.DaskExecutor(workers=1)
    try:
        async def give_up(cluster):                                      # its nanny's restarts were killed: it gives up, as they do
            for name, nanny in list(cluster.workers.items()):
                await nanny.close(reason='nanny-start-failed'); cluster.workers.pop(name, None)
        ex.cluster.sync(give_up, ex.cluster)
        assert not ex.client.scheduler_info().get('workers')
        cfg = tiny(0); ex.submit(cfg)
        done, start = [], time.time()
        while not done and time.time() - start < 60: done = ex.wait(1.0)
        assert [(c.hash, r is not None) for c, r, _, _ in done] == [(cfg.hash, True)], f'no result {time.time() - start:.0f} s later: {done}'
    finally: ex.shutdown()

# === Issue 22: bounded memory and CPU for anything read from outside ==================================================

def _peak_mb(code: str, *args) -> tuple:
    "Run `code` in a fresh process; (its stdout and stderr, how many MB its peak resident memory grew while the code ran)."
    r = py('''
        import resource, sys
        from dlgn_nb import readers, circuit, cli                     # imported first: their memory is not the code's
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
        ''' + textwrap.indent(textwrap.dedent(code), ' ' * 12) + '''
        except SystemExit: pass
        except Exception as e: print(f'{type(e).__name__}: {e}')
        print('peak', (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)''', *args, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout.rsplit('peak', 1)[0] + r.stderr, float(r.stdout.rsplit('peak', 1)[1])

def test_row16_idx_file_with_more_data_than_its_header_is_refused_without_decompressing_it(tmp_path):
    import gzip, zlib
    path = tmp_path / 'train-images-idx3-ubyte.gz'
    with gzip.open(path, 'wb', compresslevel=1) as f:                   # the header says 100 images, the stream holds 300 MB
        f.write(bytes([0, 0, 8, 3]) + b''.join(d.to_bytes(4, 'big') for d in (100, 28, 28)))
        for _ in range(300): f.write(bytes(2**20))
    assert path.stat().st_size < 2 * 2**20
    out, grew = _peak_mb('readers.read_idx(sys.argv[1])', path)
    assert 'more data than its header declares for shape (100, 28, 28)' in out, out
    assert grew < 50, f'reading a {path.stat().st_size:,}-byte file took {grew:.0f} MB more'


def _model_file(path, gates: int, declared: int | None = None):
    "A valid model file of one layer of `gates` constant gates, written in a stream (its arrays declared as `declared` long, if given)."
    import zipfile
    meta = {'format': 'dlgn-discrete', 'version': 1, 'n_inputs': 784, 'n_layers': 1, 'preprocessing': {'type': 'binary'},
            'head': {'type': 'groupsum', 'n_classes': 10, 'group_size': gates // 10, 'tau': 1.0}, 'provenance': {}}
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open('meta.json.npy', 'w') as f: np.lib.format.write_array(f, np.frombuffer(json.dumps(meta).encode(), np.uint8))
        for name, dtype in (('layer0_a', np.int32), ('layer0_b', np.int32), ('layer0_gate', np.uint8)):
            with z.open(f'{name}.npy', 'w', force_zip64=True) as f:
                np.lib.format.write_array_header_1_0(f, {'descr': np.lib.format.dtype_to_descr(np.dtype(dtype)), 'fortran_order': False,
                                                         'shape': (declared or gates,)})
                left, chunk = gates * np.dtype(dtype).itemsize, bytes(2**22)
                while left: f.write(chunk[:min(left, len(chunk))]); left -= min(left, len(chunk))
    return path


def test_row17_model_file_declaring_more_gates_than_the_cap_is_refused_before_loading(tmp_path):
    path = _model_file(tmp_path / 'big.npz', 30_000_000)                  # 30 M gates in a few hundred KB
    np.savez(tmp_path / 'data.npz', bits=np.zeros((20, 784), np.uint8), y=np.arange(20) % 10)
    assert path.stat().st_size < 2 * 2**20
    out, grew = _peak_mb('cli.main(["infer", sys.argv[1], sys.argv[2]])', path, tmp_path / 'data.npz')
    assert 'declares 30,000,000 gates, more than the limit of 20,000,000' in out and '--max-gates' in out, out
    assert grew < 50, f'refusing it took {grew:.0f} MB'

def test_row17_impossible_declared_model_size_is_a_clear_error_not_memory_error(tmp_path):
    path = _model_file(tmp_path / 'lie.npz', 1000, declared=2**40)
    np.savez(tmp_path / 'data.npz', bits=np.zeros((20, 784), np.uint8), y=np.arange(20) % 10)
    for extra in ([], ['--max-gates', str(2**50)]):
        r = cli('infer', path, tmp_path / 'data.npz', *extra)
        assert r.returncode in (1, 2) and 'internal error' not in r.stderr and 'MemoryError' not in r.stderr, r.stderr

def test_row18_configuration_too_large_for_memory_is_refused_before_allocating(tmp_path):
    out, grew = _peak_mb(f'cli.main(["run", "--set", "width=30000000", "--results", {str(tmp_path / "r")!r}])')
    assert 'needs about' in out and 'GiB to train' in out and 'reduce width, depth, out_width or batch_size' in out, out
    assert grew < 100, f'it allocated {grew:.0f} MB before failing'
    assert 'internal error' not in out

def test_row19_c_engine_falls_back_to_numpy_for_a_model_too_large_to_compile(tmp_path):
    from dlgn_nb.circuit import random_discrete, save_discrete
    save_discrete(random_discrete(64, [40] * 400, 2), tmp_path / 'deep.npz')      # 400 layers: ~5,000 loops, ~12 s of gcc
    np.savez(tmp_path / 'data.npz', bits=np.zeros((20, 64), np.uint8), y=np.arange(20) % 2)
    t = time.time()
    r = cli('infer', tmp_path / 'deep.npz', tmp_path / 'data.npz', '--engine', 'c', env={'DLGN_CACHE': tmp_path / 'cache'})
    assert r.returncode == 0 and '(numpy, 1 thread)' in r.stdout, r.stderr
    assert "dlgn: warning: the model's generated C is too large to compile by default" in r.stderr and '--compile-any-size' in r.stderr
    assert 'warnings.warn' not in r.stderr and time.time() - t < 10

def test_row19_compile_is_stopped_at_its_timeout(tmp_path, monkeypatch):
    from dlgn_nb.native import build_library, CompileError
    slow = tmp_path / 'slowcc'
    slow.write_text('#!/bin/sh\n[ "$1" = --version ] && exec gcc --version\nsleep 60\n'); slow.chmod(0o755)
    monkeypatch.setenv('CC', str(slow)); monkeypatch.setenv('DLGN_CACHE', str(tmp_path / 'cache'))
    t = time.time()
    with pytest.raises(CompileError, match='took longer than 1 s and was stopped'): build_library('int f(void){return 1;}', 'slow', ('-O2',), 'c', timeout=1)
    assert time.time() - t < 10

def test_row19_compiled_cache_is_pruned_and_a_large_compile_announced(tmp_path, monkeypatch, capfd):
    from dlgn_nb.native import build_library
    cache = tmp_path / 'cache'; cache.mkdir(mode=0o700)
    monkeypatch.setenv('DLGN_CACHE', str(cache))
    old = time.time() - 200 * 86400
    for i in range(3):
        (cache / f'dlgn_model-{i}.so').write_bytes(b'x' * 100); (cache / f'dlgn_model-{i}.so.sha256').write_text('')
        for p in cache.glob(f'dlgn_model-{i}.so*'): os.utime(p, (old, old))
    build_library('/*' + ' ' * 2**20 + '*/ int f(void){return 1;}', 'big', ('-O0',), 'c')          # a megabyte of source
    assert sorted(p.name for p in cache.glob('*.so')) == [next(cache.glob('big-*.so')).name], 'unused libraries are never pruned'
    assert 'dlgn_nb: compiling big (1.0 MiB of source) with' in capfd.readouterr().err

# === Issue 22: odd inputs ================================================================================================

def test_row20_fifo_as_the_model_is_refused(tmp_path):
    os.mkfifo(tmp_path / 'm.npz')
    r = dlgn('infer', tmp_path / 'm.npz', 'synthetic', timeout=60)        # it used to block for ever
    user_error(r, 'is a FIFO, not a regular file')

def _limited(gb: int):
    "A `preexec_fn`: at most `gb` GB of address space (a runaway read fails instead of taking the machine's memory)."
    import resource
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (gb * 2**30, gb * 2**30))

def test_row20_config_that_is_a_device_or_repeats_a_key_is_refused(tmp_path):
    r = dlgn('run', '--json', '--config', '/dev/zero', '--results', tmp_path / 'r', preexec_fn=_limited(8))     # it used to read until out of memory
    user_error(r, "--config '/dev/zero' is a device, not a regular file")
    (tmp_path / 'c.json').write_text('{"n_classes": 3, "width": 32, "width": 3200000}')
    user_error(cli('run', '--json', '--config', tmp_path / 'c.json', '--results', tmp_path / 'r'), "the key 'width' appears twice in one object")

def test_row20_zero_dimension_idx_file_is_a_clear_error(tmp_path):
    from dlgn_nb.readers import IDX_FILES, write_idx
    (tmp_path / 'data' / 'mnist').mkdir(parents=True)
    for f in IDX_FILES: write_idx(tmp_path / 'data' / 'mnist' / f, np.zeros((20, 28, 28) if 'images' in f else (20,), np.uint8))
    (tmp_path / 'data' / 'mnist' / IDX_FILES[0]).write_bytes(__import__('gzip').compress(bytes([0, 0, 8, 0, 7])))   # the images
    r = cli('run', '--json', '--set', 'dataset=mnist', '--set', 'width=40', '--set', 'depth=1', '--set', 'epochs=1', '--results', tmp_path / 'r',
            env={'DLGN_DATA': tmp_path / 'data'})
    user_error(r, 'the IDX header declares 0 dimensions')

def test_row20_sidecar_with_string_verdicts_is_a_clear_error(tmp_path):
    (tmp_path / 'fig_03.json').write_text(json.dumps({'profile': 'quick', 'n_runs': 1, 'verdicts': 'holds'}))
    user_error(cli('index', '--folder', tmp_path), "cannot index")
    assert 'fig_03.json' in cli('index', '--folder', tmp_path).stderr
