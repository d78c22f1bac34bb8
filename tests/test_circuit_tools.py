"""Issue 24: from a trained network to hardware. The simplified circuit of a trained model gives the same counts on
every engine, Yosys/ABC prove it equivalent (and refute a deliberately altered one), `dlgn simplify` and `dlgn synth`
work from the command line with clear errors, and the circuit benchmark runs."""
import os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import torch
from conftest import dlgn, user_error
from dlgn_nb.circuit import export_discrete, save_discrete, load_discrete, evaluate_reference, prune, to_torch
from dlgn_nb.simplify import simplify, depth
from dlgn_nb.packed import PackedEvaluator
from dlgn_nb.codegen import CompiledModel, simulate_verilog
from dlgn_nb.infer import KernelEvaluator
from dlgn_nb.hardware import yosys_command, prove_equivalent, synth_report

def need_yosys():
    if yosys_command() is None:
        if os.environ.get('DLGN_REQUIRE_YOSYS'): pytest.fail('Yosys is required here (DLGN_REQUIRE_YOSYS) but not installed')
        pytest.skip('Yosys not installed (apt-get install yosys, or pip install dlgn_nb[hw])')

@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    "A small DLGN trained on the offline MNIST digits, its model file, and its simplified model file."
    from dlgn_nb.datasets import load_dataset
    from dlgn_nb.models import DLGN
    from dlgn_nb.heads import make_head
    from dlgn_nb.train import fit
    ds = load_dataset('mnist5k', 10, seed=0)
    torch.manual_seed(0)
    model = DLGN(784, 600, 3, make_head('groupsum', 600, 10, tau=10.0))
    fit(model, ds, epochs=2, lr=0.05, progress=False)
    dm = export_discrete(model, ds.info['preprocessing'], {'dataset': 'mnist5k', 'n_classes': 10, 'data_seed': 0})
    d = tmp_path_factory.mktemp('trained')
    sm = simplify(dm)
    bits = ds.x_test.numpy().reshape(len(ds.y_test), -1).astype(np.uint8)
    return dm, sm, save_discrete(dm, d / 'model.npz'), save_discrete(sm, d / 'simplified.npz'), bits

def test_the_simplified_circuit_counts_the_same_on_every_engine(trained):
    dm, sm, _, path, bits = trained
    assert sm.n_gates < 0.7 * prune(dm).n_gates and depth(sm) <= depth(dm)
    sm = load_discrete(path)                                       # through the file (version 2)
    ref = evaluate_reference(dm, bits)
    assert np.array_equal(evaluate_reference(sm, bits), ref)
    assert np.array_equal(PackedEvaluator(sm).counts(bits), ref)
    assert np.array_equal(CompiledModel(sm).counts(bits, threads=2), ref)
    assert np.array_equal(KernelEvaluator(sm, 'cpu').counts(bits[:100]), ref[:100])        # the PyCUDA kernels, emulated
    with torch.no_grad(): assert np.array_equal(to_torch(sm)(torch.from_numpy(bits)).argmax(1).numpy(), ref.argmax(1))
    if os.environ.get('DLGN_REQUIRE_IVERILOG') or __import__('shutil').which('iverilog'):
        assert np.array_equal(simulate_verilog(sm, bits[:64]), ref[:64])

def test_yosys_proves_the_simplified_circuit_and_refutes_an_altered_one(trained):
    need_yosys()
    dm, sm, *_ = trained
    assert prove_equivalent(dm, sm)['equivalent']
    a, b, g = sm.layers[-1]
    j = int(np.flatnonzero((g != 0) & (g != 15))[0])
    g = g.copy(); g[j] ^= 0b1001                                   # one gate: two entries of its truth table flipped
    altered = load_discrete(save_discrete(type(sm)(**{**sm.__dict__, 'layers': sm.layers[:-1] + [(a, b, g)]}), Path(trained[2]).parent / 'altered.npz'))
    r = prove_equivalent(dm, altered)
    assert not r['equivalent'] and r['counterexample'] is not None
    x = r['counterexample'][None]
    assert not np.array_equal(evaluate_reference(dm, x), evaluate_reference(altered, x))   # a real difference

def test_dlgn_simplify_and_synth(trained, tmp_path):
    dm, _, path, *_ = trained
    out = tmp_path / 's.npz'
    r = dlgn('simplify', path, '-o', out)                          # --prove and synth: in nbs/12_cli.ipynb
    assert r.returncode == 0, r.stderr
    assert 'simplified' in r.stdout and 'all' in r.stdout and out.exists()
    assert load_discrete(out).n_gates == simplify(dm).n_gates
    user_error(dlgn('simplify', tmp_path / 'missing.npz', '-o', out), 'missing.npz')
    user_error(dlgn('synth', path, '--target', 'asic'), "invalid choice: 'asic'")
    user_error(dlgn('simplify', path), 'the following arguments are required: -o/--output')

def test_synth_reports_luts_and_depth(trained):
    need_yosys()
    rows = synth_report(trained[1], parts=('logic',))
    assert rows[0]['luts'] > 0 and 0 < rows[0]['depth'] <= depth(trained[1])

def test_bench_circuit_runs(tmp_path):
    r = subprocess.run([sys.executable, str(Path(__file__).parent / 'bench_circuit.py'), '--width', '400', '--depth', '2', '--epochs', '1',
                        '--images', '2000', '--reps', '1', '--no-torchlogix'], capture_output=True, text=True,
                       env={**os.environ, 'DLGN_CACHE': str(tmp_path)})
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'simplified / before' in r.stdout and 'labels identical' in r.stdout

def test_a_broken_version_2_file_is_refused(trained, tmp_path):
    import json
    path = trained[3]
    def edit(name, fn):
        with np.load(path) as z: arrays = dict(z)
        fn(arrays); np.savez(tmp_path / name, **arrays)
        return tmp_path / name
    def past(a): a['head_outputs'][0] = 10**6
    user_error(dlgn('infer', edit('past.npz', past), 'mnist5k'), 'head outputs[0] = 1000000 is outside')
    def v1(a):
        m = json.loads(bytes(a['meta.json']).decode()); m['version'] = 1
        a['meta.json'] = np.frombuffer(json.dumps(m).encode(), np.uint8)
    user_error(dlgn('infer', edit('v1.npz', v1), 'mnist5k'), 'a version 1 file holds the version 2 arrays')
    def offsets(a): a['head_offsets'][0] = 10**4
    user_error(dlgn('infer', edit('off.npz', offsets), 'mnist5k'), 'head offsets[0] = 10000 is outside')
