"""The Dask executor on a LocalCluster bound to 127.0.0.1: a worker killed mid-sweep loses nothing."""
import os, signal, threading, time
from dask.distributed import Client, LocalCluster
from dlgn_nb.experiments import RunConfig
from dlgn_nb.store import ResultsStore
from dlgn_nb.sweeps import run_sweep

def test_sweep_survives_a_killed_worker(tmp_path):
    grid = [RunConfig(n_classes=3, samples_per_class=60, width=400, depth=3, epochs=4, seed=s) for s in range(6)]
    store = ResultsStore(tmp_path / 'results')
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host='127.0.0.1', dashboard_address=None) as cluster, \
         Client(cluster) as client:
        done = threading.Event()
        errors = []
        def sweep():
            try: run_sweep(grid, store, executor='dask', scheduler=cluster.scheduler_address, progress=False)
            except Exception as e: errors.append(e)
            finally: done.set()
        threading.Thread(target=sweep, daemon=True).start()
        deadline = time.time() + 300
        while time.time() < deadline and not list(store.root.glob('*.json')): time.sleep(0.05)
        pids = client.run(os.getpid)                      # {worker address: pid}
        os.kill(next(iter(pids.values())), signal.SIGKILL)  # the nanny restarts it; its runs are rescheduled
        assert done.wait(300), 'the sweep did not finish'
    assert not errors, errors
    assert store.missing(grid) == []
    assert len(list(store.root.glob('*.json'))) == len(grid)
