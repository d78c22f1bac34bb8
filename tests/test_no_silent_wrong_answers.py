"""Issue 13, silent wrong results and late validation: each defect has a test named after it.
Tests drive the `dlgn` command where a user meets the defect, else the library's public API."""
import json, os, stat, subprocess, sys, time
from pathlib import Path
import numpy as np
import pytest
from conftest import dlgn, user_error, TINY, ROOT

# --- 1. `dlgn infer MODEL <dataset name>` thresholded the inputs twice -------------------------------------------

def test_infer_by_dataset_name_does_not_threshold_twice(tmp_path):
    r = dlgn('run', '--json', '--set', 'dataset=mnist5k', '--set', 'n_classes=4', '--set', 'width=200', '--set', 'depth=2',
             '--set', 'epochs=2', '--set', 'lr=0.05', '--save-model', tmp_path / 'm', '--results', tmp_path / 'r')
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)
    out = dlgn('infer', tmp_path / 'm' / f"{rec['hash']}.npz", 'mnist5k')
    assert out.returncode == 0, out.stderr
    printed = float(out.stdout.split('accuracy ')[1].split(' %')[0])
    assert abs(printed - 100 * rec['test_acc']) < 0.01, (printed, rec['test_acc'])      # the same split, the same bits
    assert rec['test_acc'] > 0.4                                                         # a trained model, not chance

# --- 2. engines and the model read inputs that are not bits ------------------------------------------------------

def _model():
    from dlgn_nb.circuit import random_discrete
    return random_discrete(784, [64, 40], 4, seed=0)

def test_compiled_model_rejects_grey_levels_and_large_values():
    from dlgn_nb.codegen import CompiledModel
    cm = CompiledModel(_model())
    x = np.random.default_rng(0).integers(0, 2, (10, 784))
    for bad in (x * 0.2, x * 256):
        with pytest.raises(ValueError, match='input bits must be 0 or 1'): cm.predict(bad)

def test_packed_evaluator_rejects_extra_features_and_non_bits():
    from dlgn_nb.packed import PackedEvaluator
    ev = PackedEvaluator(_model())
    with pytest.raises(ValueError, match=r'expected input bits \[batch, 784\], got shape \(3, 900\)'): ev.predict(np.zeros((3, 900), np.uint8))
    with pytest.raises(ValueError, match='input bits must be 0 or 1'): ev.predict(np.full((3, 784), 7, np.uint8))

def test_dlgn_forward_rejects_raw_bytes_and_nan():
    import torch
    from dlgn_nb.models import DLGN
    from dlgn_nb.heads import GroupSum
    net = DLGN(784, 40, 2, GroupSum(40, 4))
    for bad in (torch.full((2, 784), 255, dtype=torch.uint8), torch.full((2, 784), float('nan'))):
        with pytest.raises(ValueError, match=r'DLGN inputs must lie in \[0, 1\]'): net(bad)

def test_infer_rejects_labels_the_model_does_not_have(tmp_path):
    from dlgn_nb.circuit import save_discrete
    save_discrete(_model(), tmp_path / 'm.npz')
    bits = np.random.default_rng(0).integers(0, 2, (20, 784), dtype=np.uint8)
    np.savez(tmp_path / 'ten.npz', bits=bits, y=np.arange(20) % 10)
    user_error(dlgn('infer', tmp_path / 'm.npz', tmp_path / 'ten.npz'), 'label 4 at sample 4 is outside 0..3')
    np.savez(tmp_path / 'col.npz', bits=bits, y=(np.arange(20) % 4)[:, None])
    user_error(dlgn('infer', tmp_path / 'm.npz', tmp_path / 'col.npz'), 'one per sample (1-D), got shape (20, 1)')

# --- 3. model files ------------------------------------------------------------------------------------------------

@pytest.fixture
def model_file(tmp_path):
    from dlgn_nb.circuit import save_discrete
    p = save_discrete(_model(), tmp_path / 'm.npz')
    bits = np.random.default_rng(0).integers(0, 2, (20, 784), dtype=np.uint8)
    np.savez(tmp_path / 'data.npz', bits=bits, y=np.arange(20) % 4)
    def edit(name, fn=None, meta=None):
        with np.load(p) as z: arrays = dict(z)
        if fn: fn(arrays)
        if meta is not None: arrays['meta.json'] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
        np.savez(tmp_path / name, **arrays)
        return tmp_path / name
    edit.meta = lambda: json.loads(bytes(np.load(p)['meta.json']).decode())
    edit.data = tmp_path / 'data.npz'
    return edit

def test_model_file_with_negative_gate_id_is_refused(model_file):
    def neg(a): a['layer0_gate'] = a['layer0_gate'].astype(np.int8); a['layer0_gate'][3] = -1
    for engine in ('c', 'torch', 'numpy'):
        user_error(dlgn('infer', model_file('neg.npz', neg), model_file.data, '--engine', engine), 'gate ids[3] = -1 is outside 0..15')

def test_model_file_with_float_pins_is_refused(model_file):
    def f(a): a['layer1_a'] = a['layer1_a'].astype(np.float64)
    user_error(dlgn('infer', model_file('f.npz', f), model_file.data), 'pins a must be a 1-D array of integers, got float64')

def test_model_file_with_string_n_inputs_is_refused(model_file):
    m = model_file.meta(); m['n_inputs'] = '784'
    user_error(dlgn('infer', model_file('s.npz', meta=m), model_file.data), "n_inputs must be an integer >= 1, got '784'")

def test_model_file_whose_meta_is_a_list_is_refused(model_file):
    user_error(dlgn('infer', model_file('l.npz', meta=[1, 2]), model_file.data), 'meta.json must be a JSON object, got list')

def test_renamed_npy_is_refused_as_a_model_file(tmp_path, model_file):
    np.save(tmp_path / 'x.npy', np.zeros(3)); os.rename(tmp_path / 'x.npy', tmp_path / 'x.npz')
    user_error(dlgn('infer', tmp_path / 'x.npz', model_file.data), 'a single .npy array, not a dlgn-discrete model archive')

def test_model_file_declaring_fewer_layers_than_stored_is_refused(model_file):
    m = model_file.meta(); m['n_layers'] = 1
    user_error(dlgn('infer', model_file('short.npz', meta=m), model_file.data), 'meta.json says 1 layers but the archive holds arrays')

# --- 4. data files and the compiled-library cache ------------------------------------------------------------------

def _mnist_files(root, labels, n_images=100):
    from dlgn_nb.readers import IDX_FILES, write_idx
    (root / 'mnist').mkdir(parents=True)
    imgs = np.random.default_rng(0).integers(0, 256, (n_images, 28, 28), dtype=np.uint8)
    for f in IDX_FILES: write_idx(root / 'mnist' / f, imgs if 'images' in f else (np.arange(n_images) % 10).astype(np.uint8))
    write_idx(root / 'mnist' / IDX_FILES[1], labels.astype(np.uint8))

def _train_on_mnist(root, tmp_path):
    return dlgn('run', '--json', '--set', 'dataset=mnist', '--set', 'n_classes=10', '--set', 'width=32', '--set', 'depth=1', '--set', 'epochs=1',
                '--results', tmp_path / 'r', env={'DLGN_DATA': str(root)})

def test_idx_label_outside_the_classes_is_an_error(tmp_path):
    y = np.arange(100) % 10; y[7] = 200
    _mnist_files(tmp_path / 'data', y)
    user_error(_train_on_mnist(tmp_path / 'data', tmp_path), 'train-labels-idx1-ubyte.gz: label 200 at sample 7 is outside 0..9')

def test_fewer_labels_than_images_is_an_error(tmp_path):
    _mnist_files(tmp_path / 'data', np.arange(90) % 10)
    user_error(_train_on_mnist(tmp_path / 'data', tmp_path), '100 samples but 90 labels')

def test_cifar_label_outside_the_classes_is_an_error(tmp_path):
    from dlgn_nb.readers import write_cifar
    (tmp_path / 'data' / 'cifar10').mkdir(parents=True)
    rng = np.random.default_rng(0)
    y = np.arange(40) % 10; y[5] = 42
    write_cifar(tmp_path / 'data' / 'cifar10' / 'cifar-10-python.tar.gz', 'cifar10',
                {'data_batch_1': (rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8), y),
                 'test_batch': (rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8), np.arange(20) % 10)})
    r = dlgn('run', '--json', '--set', 'dataset=cifar10', '--set', 'n_classes=10', '--set', 'width=32', '--set', 'depth=1', '--set', 'epochs=1',
             '--results', tmp_path / 'r', env={'DLGN_DATA': str(tmp_path / 'data')})
    user_error(r, 'label 42 at sample 5 is outside 0..9')

PROBE = ("import warnings; warnings.simplefilter('always'); from dlgn_nb.logic import native_available, cpu_kernels; "
         "print(native_available()); print(cpu_kernels())")

def test_corrupt_compiled_library_is_rebuilt(tmp_path):
    env = {**os.environ, 'DLGN_CACHE': str(tmp_path / 'cache')}
    subprocess.run([sys.executable, '-c', PROBE], env=env, check=True, capture_output=True)
    lib = next((tmp_path / 'cache').glob('logic_cpu-*.so'))
    lib.write_bytes(b'')                                                  # a zero-byte library, as a full disk leaves
    r = subprocess.run([sys.executable, '-c', PROBE], env=env, capture_output=True, text=True)
    assert r.stdout.split('\n')[:2] == ['True', 'compiled'], (r.stdout, r.stderr)
    assert 'does not match its checksum' in r.stderr and lib.stat().st_size > 1000

def test_cache_writable_by_others_is_refused_and_the_fallback_recorded(tmp_path):
    cache = tmp_path / 'cache'; cache.mkdir(); os.chmod(cache, 0o777)
    env = {'DLGN_CACHE': str(cache)}
    r = dlgn('run', '--json', *TINY, '--results', tmp_path / 'r', env=env)
    assert r.returncode == 0, r.stderr
    rec = json.loads((tmp_path / 'r' / f"{json.loads(r.stdout)['hash']}.json").read_text())
    assert rec['environment']['cpu_kernels'].startswith('PyTorch fallback: refusing to use'), rec['environment']
    assert any('compiled CPU kernels are unavailable' in w for w in rec['warnings'])
    assert not list(cache.glob('*.so'))

# --- 9. the results store --------------------------------------------------------------------------------------------

def test_empty_or_mismatched_record_is_not_counted_as_done(tmp_path):
    import warnings
    from dlgn_nb.experiments import RunConfig
    from dlgn_nb.store import ResultsStore
    from dlgn_nb.sweeps import run_sweep
    a, b = (RunConfig(n_classes=3, samples_per_class=30, width=32, depth=2, epochs=1, seed=s) for s in (0, 1))
    store = ResultsStore(tmp_path)
    rec_b = run_sweep([b], store, progress=False).records[0]
    store.path(a).write_text('{}')
    store.path(b).write_text(json.dumps({**rec_b, 'config': {**rec_b['config'], 'seed': 5}}))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        assert store.missing([a, b]) == [a, b]
    assert sum('set aside' in str(x.message) for x in w) == 2
    r = run_sweep([a, b], store, progress=False)
    assert r.trained == 2 and len(store.frame([a, b])) == 2                              # no KeyError 'metrics'

# --- 10. late validation -----------------------------------------------------------------------------------------------

def test_results_path_that_is_a_file_fails_before_training(tmp_path):
    (tmp_path / 'f').write_text('')
    user_error(dlgn('run', '--json', *TINY, '--results', tmp_path / 'f'), 'is a file, not a folder')

@pytest.mark.parametrize('sets,message', [
    (['dataset=mnist5k', 'samples_per_class=50'], "dataset 'mnist5k' does not take samples_per_class; it takes: binarize"),
    (['samples_per_class=abc'], "samples_per_class must be an integer >= 5, got 'abc'"),
    (['binarize=true'], "dataset 'synthetic' does not take binarize; it takes: samples_per_class"),
    (['tau=true'], 'tau must be a finite number > 0, got True'),
    (['seed=-1'], 'seed must be an integer >= 0, got -1')],
    ids=['samples_per_class_on_a_real_dataset', 'samples_per_class_abc', 'binarize_on_synthetic', 'tau_true', 'negative_seed'])
def test_run_configuration_is_checked_when_made(tmp_path, sets, message):
    user_error(dlgn('run', '--json', *[a for s in sets for a in ('--set', s)], '--results', tmp_path / 'r'), message)
    assert not (tmp_path / 'r').exists() or not list((tmp_path / 'r').glob('*.json'))

def test_negative_threads_and_workers_are_refused(tmp_path):
    user_error(dlgn('infer', 'm.npz', 'synthetic', '--threads', '-2'), 'expected an integer >= 1, got -2')
    user_error(dlgn('sweep', 'fig_03', '--workers', '-3', '--results', tmp_path), 'expected an integer >= 1, got -3')

def test_config_file_holding_a_list_is_refused(tmp_path):
    (tmp_path / 'c.json').write_text('[]')
    user_error(dlgn('run', '--json', '--config', tmp_path / 'c.json', '--results', tmp_path / 'r'), 'expected a JSON object of RunConfig fields, got list')

def test_settings_error_names_the_key_and_file(tmp_path):
    (tmp_path / 'settings.ini').write_text('[quick]\nbig_width = wide\n')
    user_error(dlgn('list', cwd=tmp_path), f"setting big_width = 'wide' in [quick] of {tmp_path / 'settings.ini'} is not an integer")

def test_stalled_download_is_a_clear_error(tmp_path):
    import http.server, threading
    class Stall(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            self.send_response(200); self.send_header('Content-Length', '1000000'); self.end_headers()
            self.wfile.write(b'x' * 1000); self.wfile.flush(); time.sleep(3)
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Stall)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    from dlgn_nb.fetch import download
    from dlgn_nb.readers import DataFilesError
    with pytest.raises(DataFilesError, match='stalled after 1000 bytes'):
        download(f'http://127.0.0.1:{server.server_address[1]}/f', tmp_path / 'f', progress=False, timeout=0.5)
    server.shutdown()

def test_unexpected_error_prints_one_line_and_debug_shows_the_traceback(tmp_path):
    r = dlgn('infer', tmp_path / 'nothere.npz', 'synthetic')
    user_error(r, 'unreadable or truncated discrete model file')
    r = dlgn('--debug', 'infer', tmp_path / 'nothere.npz', 'synthetic')
    assert 'Traceback' in r.stderr

# === Issue 22: nothing silently wrong, round 3 ============================================================================
# Each test is named after the row of the table (or the wording defect) it reproduces.
import io, tarfile
from conftest import cli

def _idx_dataset(root, name='mnist', size=28, test_size=None, n=60):
    from dlgn_nb.readers import IDX_FILES, write_idx
    (root / name).mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for f, s in zip(IDX_FILES, (size, None, test_size or size, None)):
        write_idx(root / name / f, rng.integers(0, 256, (n, s, s), dtype=np.uint8) if s else (np.arange(n) % 10).astype(np.uint8))
    return root

SMALL_RUN = ['--set', 'n_classes=10', '--set', 'width=40', '--set', 'depth=1', '--set', 'epochs=1']

@pytest.mark.parametrize('train,test', [(20, 20), (28, 20)], ids=['20x20', 'mixed'])
def test_row4_mnist_files_of_another_image_size_are_refused_before_training(tmp_path, train, test):
    data = _idx_dataset(tmp_path / 'data', size=train, test_size=test)
    r = cli('run', '--json', '--set', 'dataset=mnist', *SMALL_RUN, '--results', tmp_path / 'r', env={'DLGN_DATA': data})
    user_error(r, f"holds items of shape ({test}, {test}), but this dataset's are (28, 28): not its file")
    assert not [p for p in (tmp_path / 'r').glob('*.json') if not p.name.endswith('.failed.json')], 'a record was stored for data that is not MNIST'

def _cifar_archive(path, extra):
    "A CIFAR-10 archive with its declared members, plus `extra` members [(name, batch)]."
    from dlgn_nb.readers import write_cifar
    rng = np.random.default_rng(0)
    batch = lambda n: (rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), np.arange(n) % 10)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_cifar(path, 'cifar10', {'data_batch_1': batch(30), 'test_batch': batch(20)})
    with tarfile.open(path) as src: blobs = {m.name: src.extractfile(m).read() for m in src.getmembers()}
    with tarfile.open(path, 'w:gz') as tar:
        for name, blob in [*blobs.items(), *((name, blobs[copy_of]) for name, copy_of in extra)]:
            m = tarfile.TarInfo(name); m.size = len(blob); tar.addfile(m, io.BytesIO(blob))

@pytest.mark.parametrize('extra', [[('cifar-10-batches-py/test_batch', 'cifar-10-batches-py/test_batch')],
                                   [('other/test_batch', 'cifar-10-batches-py/test_batch'), ('other/data_batch_1', 'cifar-10-batches-py/data_batch_1')]],
                         ids=['duplicated_member', 'other_folder'])
def test_row5_cifar_archive_with_extra_batches_does_not_double_a_split(tmp_path, extra):
    from dlgn_nb.readers import read_cifar, DataFilesError
    archive = tmp_path / 'data' / 'cifar10' / 'cifar-10-python.tar.gz'
    _cifar_archive(archive, extra)
    with pytest.raises(DataFilesError, match='appears twice|unexpected member'): read_cifar(archive)
    r = cli('run', '--json', '--set', 'dataset=cifar10', *SMALL_RUN, '--results', tmp_path / 'r', env={'DLGN_DATA': tmp_path / 'data'})
    user_error(r, str(archive))

def _tiny_run(results, *extra, env=None):
    r = cli('run', '--json', *TINY, '--results', results, *extra, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout), r

def test_row1_force_never_returns_the_old_record_while_another_process_holds_the_claim(tmp_path):
    import socket, threading
    from dlgn_nb.store import ResultsStore
    res = tmp_path / 'r'
    old, _ = _tiny_run(res)
    store = ResultsStore(res)
    other = store.claim(old['hash']); assert other.acquire()             # another process is training it again
    newer = {**store.load(old['hash'])}; newer['metrics'] = {**newer['metrics'], 'test_acc': 0.123456}
    threading.Timer(3.0, lambda: (store.save(newer), other.release())).start()
    t = time.time()
    new, r = _tiny_run(res, '--force')
    assert new['test_acc'] == 0.123456, f'--force returned the record it was asked to replace: {new}'   # the other's new record
    assert time.time() - t > 2.5
    assert f"run {old['hash']} is claimed by pid {os.getpid()} on {socket.gethostname()}" in r.stderr, r.stderr   # the wait says who
    assert 'taken over if it is not renewed by' in r.stderr

def test_row1_save_model_trains_when_the_claim_holder_leaves_no_model_file(tmp_path):
    import threading
    from dlgn_nb.store import ResultsStore
    res, models = tmp_path / 'r', tmp_path / 'm'
    old, _ = _tiny_run(res)
    other = ResultsStore(res).claim(old['hash']); assert other.acquire()
    threading.Timer(3.0, other.release).start()                           # it ends without a record or a model file
    new, r = _tiny_run(res, '--save-model', models)
    assert (models / f"{old['hash']}.npz").exists(), f'exit 0 without the model file: {r.stderr[-1000:]}'

def test_row2_broken_settings_file_found_by_discovery_is_an_error_naming_file_and_line(tmp_path, home):
    for text, line, what in [('[paths]\nresults_dir = r\nresults_dir = s\n', 3, "the key 'results_dir' appears twice in [paths]"),
                             ('results_dir = r\n[paths]\n', 1, "'results_dir = r' comes before the first [section]")]:
        (tmp_path / 'settings.ini').write_text(text)
        r = cli('data', 'list', cwd=tmp_path)
        user_error(r, f"{tmp_path / 'settings.ini'}, line {line}: {what}")
        assert str(home) not in r.stdout                                  # nothing silently goes to $DLGN_HOME

def test_row3_infer_with_another_data_seed_refuses_another_class_subset(tmp_path):
    r = cli('run', '--json', '--set', 'dataset=mnist5k', '--set', 'n_classes=4', '--set', 'width=64', '--set', 'depth=2', '--set', 'epochs=1',
            '--results', tmp_path / 'r', '--save-model', tmp_path / 'm')
    rec = json.loads(r.stdout)
    model = tmp_path / 'm' / f"{rec['hash']}.npz"
    assert cli('infer', model, 'mnist5k').returncode == 0
    user_error(cli('infer', model, 'mnist5k', '--data-seed', '1'), 'select classes')
    user_error(cli('infer', model, 'mnist5k', '--classes', '3'), 'its labels would mean other classes')

def test_row15_equal_head_params_are_one_run(tmp_path):
    base = ['--set', 'head=groupsum_dropout', '--results', tmp_path / 'r']
    first, _ = _tiny_run(tmp_path / 'r', '--set', 'head=groupsum_dropout', '--set', 'head_params=[["p", 0]]')
    again = cli('run', '--json', *TINY, *base, '--set', 'head_params=[["p", 0.0]]')
    assert json.loads(again.stdout)['hash'] == first['hash'], 'p = 0 and p = 0.0 trained twice'
    from dataclasses import asdict
    from dlgn_nb.experiments import RunConfig
    from dlgn_nb.figures import figure_grid
    grid = [c for c in figure_grid('fig_11', 'smoke') if c.head_params]
    assert all(RunConfig.from_dict({**asdict(c), 'head_params': [[k, int(v) if float(v).is_integer() else v] for k, v in c.head_params]}).hash == c.hash
               for c in grid)                                             # a grid built from other number types finds the same runs

# --- wording defects ------------------------------------------------------------------------------------------------------

def _small_model(folder, seed):
    "A small model file (unique per `seed`, so its C is compiled afresh) and data for it."
    from dlgn_nb.circuit import random_discrete, save_discrete
    folder.mkdir(parents=True, exist_ok=True)
    save_discrete(random_discrete(64, [40, 20], 2, seed=seed), folder / 'm.npz')
    np.savez(folder / 'd.npz', bits=np.zeros((8, 64), np.uint8), y=np.arange(8) % 2)
    return folder / 'm.npz', folder / 'd.npz'

def test_wording_disk_error_names_the_path(tmp_path):
    from test_faults import UNSHARE, DLGN
    if not UNSHARE: pytest.skip('unshare -r is not allowed here: no private tmpfs to fill')
    disk = tmp_path / 'disk'; disk.mkdir()
    fill = f'mount -t tmpfs -o size=64k tmpfs {disk} && mkdir {disk}/r && (dd if=/dev/zero of={disk}/fill bs=4k 2>/dev/null; true)'
    r = subprocess.run(['unshare', '-rm', 'sh', '-c', f'{fill} && "$@"', 'sh', DLGN, 'run', '--json', *TINY, '--results', str(disk / 'r')],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    user_error(r, f"dlgn: error: {disk / 'r'}", code=1)
    assert 'No space left on device' in r.stderr and 'internal error' not in r.stderr, r.stderr

def test_wording_user_and_environment_errors_are_not_internal(tmp_path):
    import torch
    user_error(cli('run', '--json', *TINY, '--set', 'device=cuda:99', '--results', tmp_path / 'r'),
               "device 'cuda:99' requested but " + ('this machine has' if torch.cuda.is_available() else 'PyTorch sees no CUDA GPU'))
    model, data = _small_model(tmp_path / 'm', 1)
    cache = tmp_path / 'cache'; cache.mkdir(); os.chmod(cache, 0o777)
    user_error(cli('infer', model, data, '--engine', 'c', env={'DLGN_CACHE': cache}), 'writable by other users', code=1)

def test_wording_save_model_with_a_tilde_goes_home(tmp_path):
    work = tmp_path / 'work'; work.mkdir()
    r = cli('run', '--json', *TINY, '--results', tmp_path / 'r', '--save-model=~/models', cwd=work, env={'HOME': tmp_path})
    assert r.returncode == 0, r.stderr
    assert (tmp_path / 'models' / f"{json.loads(r.stdout)['hash']}.npz").exists() and not (work / '~').exists()

def test_wording_dlgn_cache_with_a_tilde_goes_home(tmp_path):
    model, data = _small_model(tmp_path / 'm', 2)
    work = tmp_path / 'work'; work.mkdir()
    r = cli('infer', model, data, '--engine', 'c', cwd=work, env={'HOME': tmp_path, 'DLGN_CACHE': '~/cache'})
    assert r.returncode == 0, r.stderr
    assert list((tmp_path / 'cache').glob('dlgn_model-*.so')) and not (work / '~').exists()

def test_wording_invalid_setting_is_named_with_its_key_and_file_before_any_output(tmp_path):
    (tmp_path / 'settings.ini').write_text('[design]\nfig03_taus = nan, 10\n')
    r = cli('list', cwd=tmp_path)
    user_error(r, f"setting fig03_taus = 'nan, 10' in [design] of {tmp_path / 'settings.ini'} is not a list of finite numbers")
    assert r.stdout == '', 'half a table, then the error'

def test_wording_unusable_dlgn_cache_is_said_before_training(tmp_path):
    (tmp_path / 'f').write_text('')
    r = cli('run', '--json', *TINY, '--results', tmp_path / 'r', env={'DLGN_CACHE': tmp_path / 'f'})
    assert r.returncode == 0 and f"dlgn: warning: DLGN_CACHE='{tmp_path / 'f'}' is a file, not a folder" in r.stderr, r.stderr

def test_wording_dlgn_cache_pointing_at_a_file_says_so(tmp_path):
    (tmp_path / 'f').write_text('')
    model, data = _small_model(tmp_path / 'm', 3)
    r = cli('infer', model, data, '--engine', 'c', env={'DLGN_CACHE': tmp_path / 'f'})
    user_error(r, f"DLGN_CACHE='{tmp_path / 'f'}' is a file, not a folder", code=1)
    assert '--debug' not in r.stderr

def test_wording_cc_with_a_launcher_is_a_compiler(tmp_path):
    import shutil
    model, data = _small_model(tmp_path / 'm', 4)
    r = cli('infer', model, data, '--engine', 'c', env={'CC': f"env {shutil.which('gcc')}", 'DLGN_CACHE': tmp_path / 'cache'})
    assert r.returncode == 0 and '(c, 1 thread)' in r.stdout, r.stderr

def test_wording_claim_wait_names_the_holder_its_host_and_the_lease_end(tmp_path, capsys):
    import socket, threading
    from dlgn_nb.experiments import RunConfig
    from dlgn_nb.store import ResultsStore
    from dlgn_nb.sweeps import run_sweep
    store, cfg = ResultsStore(tmp_path), RunConfig(n_classes=3, samples_per_class=30, width=32, depth=2, epochs=1)
    other = store.claim(cfg); assert other.acquire()
    threading.Timer(1.0, other.release).start()
    assert run_sweep([cfg], store, poll=0.2).trained == 1
    err = capsys.readouterr().err
    assert f'run {cfg.hash} is claimed by pid {os.getpid()} on {socket.gethostname()} (since ' in err, err
    assert 'taken over if it is not renewed by' in err and '(lease 120 s)' in err

def test_wording_model_file_that_needs_unpickling_is_refused_without_suggesting_allow_pickle(tmp_path):
    model, data = _small_model(tmp_path / 'm', 5)
    with np.load(model) as z: arrays = dict(z)
    arrays['layer0_gate'] = np.array([None] * len(arrays['layer0_gate']), dtype=object)
    np.savez(tmp_path / 'pickled.npz', **arrays)
    r = cli('infer', tmp_path / 'pickled.npz', data)
    user_error(r, 'layer0_gate: holds Python objects (object), which would have to be unpickled')
    assert 'allow_pickle' not in r.stderr

def test_wording_data_list_says_corrupt_for_a_file_failing_its_checksum(tmp_path):
    from dlgn_nb.readers import IDX_FILES
    (tmp_path / 'kmnist').mkdir()
    for f in IDX_FILES: (tmp_path / 'kmnist' / f).write_bytes(b'not the published file')
    r = cli('data', 'list', env={'DLGN_DATA': tmp_path})
    line = next(l for l in r.stdout.splitlines() if l.strip().startswith('kmnist'))
    assert 'present: corrupt' in line and 'wrong MD5' in line, line

def test_wording_index_of_a_folder_typo_creates_nothing(tmp_path):
    user_error(cli('index', '--folder', tmp_path / 'paper_figuers'), 'is not a folder')
    assert not (tmp_path / 'paper_figuers').exists()

def test_wording_run_output_prints_paths_as_they_are(tmp_path):
    res = tmp_path / 'résultats ü'
    r = cli('run', '--json', *TINY, '--results', res)
    assert r.returncode == 0 and f'"path": "{res}' in r.stdout, r.stdout

def test_wording_warning_shows_its_message_not_a_source_line(tmp_path):
    from dlgn_nb.codegen import c_source, C_FLAGS
    from dlgn_nb.native import build_library
    from dlgn_nb.circuit import load_discrete
    model, data = _small_model(tmp_path / 'm', 6)
    lib = build_library(c_source(load_discrete(model)), 'dlgn_model', C_FLAGS, 'c')
    lib.write_bytes(b'')                                                  # a corrupt cached library: rebuilt, with a warning
    r = subprocess.run([str(Path(sys.executable).parent / 'dlgn'), 'infer', str(model), str(data), '--engine', 'c'], capture_output=True,
                       text=True, cwd=ROOT, env={**os.environ, 'DLGN_CACHE': str(lib.parent)}, timeout=120)
    assert r.returncode == 0 and 'dlgn: warning: the cached library' in r.stderr, r.stderr
    assert 'warnings.warn' not in r.stderr and 'RuntimeWarning' not in r.stderr, r.stderr
