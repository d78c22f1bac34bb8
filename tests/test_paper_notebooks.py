"""The paper notebooks run end to end through papermill in the smoke profile and write every figure and table;
every LaTeX table compiles; `make fig_03` regenerates one figure alone."""
import json, os, shutil, subprocess
from pathlib import Path
import papermill as pm
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAPER_NBS = sorted((ROOT / 'nbs' / 'paper').glob('[!_]*.ipynb'))
PARAMETERS = {'profile', 'results_dir', 'figures_dir', 'executor', 'workers', 'scheduler'}
TABLES_5_12 = ['table_05_mnist', 'table_06_fashion_mnist', 'table_07_qmnist', 'table_08_kmnist', 'table_09_emnist_letters',
               'table_10_emnist_balanced', 'table_11_cifar10', 'table_12_cifar100']
OUTPUTS = {'table_05_12_appendix': TABLES_5_12 + ['table_05_12_claims']}       # what each notebook writes in the smoke profile
WITHOUT_RUNS = {'fig_02_synthetic_dataset', 'table_01_gates', 'table_03_datasets', 'table_04_configs'}
WITHOUT_NUMBERS = {'fig_02_synthetic_dataset'}

@pytest.fixture(scope='module')
def dirs(tmp_path_factory):
    d = tmp_path_factory.mktemp('paper')
    return d / 'results', d / 'figures'

@pytest.mark.parametrize('nb', PAPER_NBS, ids=lambda p: p.stem)
def test_parameters_cell_survives_cleaning(nb):
    # nbdev-clean must keep the 'parameters' tag, or papermill silently ignores every parameter
    assert set(pm.inspect_notebook(str(nb))) == PARAMETERS

def expected(stem, nb_stem):
    if stem == 'table_05_12_claims': return {'.json'}
    if stem.startswith('table_'): return {'.json', '.md', '.tex'}
    return {'.json', '.pdf', '.png'} | (set() if nb_stem in WITHOUT_NUMBERS else {'.md', '.csv'})

@pytest.mark.parametrize('nb', PAPER_NBS, ids=lambda p: p.stem)
def test_paper_notebook_smoke(nb, dirs, tmp_path):
    results, figures = dirs
    pm.execute_notebook(str(nb), str(tmp_path / nb.name), parameters=dict(profile='smoke', results_dir=str(results),
                        figures_dir=str(figures)), kernel_name='python3', cwd=str(nb.parent), progress_bar=False)
    for stem in OUTPUTS.get(nb.stem, [nb.stem]):
        produced = {p.suffix for p in figures.glob(f'{stem}.*')}
        assert expected(stem, nb.stem) <= produced, f'{stem}: wrote {sorted(produced)}, expected {sorted(expected(stem, nb.stem))}'
        for p in figures.glob(f'{stem}.*'): assert p.stat().st_size > (200 if p.suffix in ('.png', '.pdf', '.json') else 40), f'{p.name} is suspiciously small'
        prov = json.loads((figures / f'{stem}.json').read_text())
        assert prov['profile'] == 'smoke'
        if nb.stem not in WITHOUT_RUNS: assert prov['n_runs'] >= 1 and prov['runs']
    from dlgn_nb.report import write_index
    assert f'{OUTPUTS.get(nb.stem, [nb.stem])[0]}' in write_index(figures).read_text()         # the index lists it

def test_the_smoke_profile_writes_every_figure_and_table(dirs):
    _, figures = dirs
    names = {p.stem for p in figures.iterdir()}
    figs = [f'fig_{i:02d}' for i in range(1, 12)]
    tables = [f'table_{i:02d}' for i in range(1, 13)]
    missing = [n for n in figs + tables if not any(s.startswith(n + '_') for s in names)]
    assert not missing, f'not written in the smoke profile: {missing}'

def test_every_smoke_verdict_is_recomputed_from_its_folder(dirs):
    from dlgn_nb.report import write_index, all_verdicts
    from dlgn_nb.reproduce import recheck
    _, figures = dirs
    write_index(figures)
    rows = all_verdicts(figures)
    assert len({v.claim for _, v in rows}) >= 30 and {v.side for _, v in rows} == {'paper', 'ours'}
    assert recheck(figures) == []

@pytest.mark.skipif(not shutil.which('pdflatex') and not os.environ.get('DLGN_REQUIRE_PDFLATEX'), reason='pdflatex not installed')
def test_every_latex_table_compiles(dirs):
    from dlgn_nb.plots import compile_tex
    _, figures = dirs
    texs = sorted(figures.glob('*.tex'))
    assert len(texs) >= 12
    for t in texs: compile_tex(t)

def test_make_regenerates_one_figure_alone(tmp_path):
    env = {**os.environ, 'DLGN_RESULTS': str(tmp_path / 'r'), 'DLGN_FIGURES': str(tmp_path / 'f')}
    r = subprocess.run(['make', 'fig_03', 'PROFILE=smoke', f'EXECUTED={tmp_path / "x"}'], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / 'f').iterdir()) == sorted(['README.md', 'verdicts.csv', 'verdicts.json'] + [
        f'fig_03_synthetic_scaling{s}' for s in ('.csv', '.json', '.md', '.pdf', '.png', '_accuracy.csv', '_ladder.csv', '_runs.csv')])
    assert (tmp_path / 'x' / 'fig_03_synthetic_scaling.ipynb').exists()
