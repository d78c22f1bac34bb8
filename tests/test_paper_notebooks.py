"""The paper notebooks run end to end through papermill in the smoke profile and write their figures."""
import json
from pathlib import Path
import papermill as pm
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAPER_NBS = sorted((ROOT / 'nbs' / 'paper').glob('[!_]*.ipynb'))
PARAMETERS = {'profile', 'results_dir', 'figures_dir', 'executor', 'workers', 'scheduler'}

@pytest.fixture(scope='module')
def dirs(tmp_path_factory):
    d = tmp_path_factory.mktemp('paper')
    return d / 'results', d / 'figures'

@pytest.mark.parametrize('nb', PAPER_NBS, ids=lambda p: p.stem)
def test_parameters_cell_survives_cleaning(nb):
    # nbdev-clean must keep the 'parameters' tag, or papermill silently ignores every parameter
    assert set(pm.inspect_notebook(str(nb))) == PARAMETERS

# what each notebook writes in the smoke profile (the appendix notebook: one table per dataset of the profile)
OUTPUTS = {'table_05_12_appendix': ['table_05_mnist', 'table_11_cifar10']}
WITHOUT_RUNS = {'fig_02_synthetic_dataset', 'table_01_gates', 'table_03_datasets', 'table_04_configs'}

@pytest.mark.parametrize('nb', PAPER_NBS, ids=lambda p: p.stem)
def test_paper_notebook_smoke(nb, dirs, tmp_path):
    results, figures = dirs
    pm.execute_notebook(str(nb), str(tmp_path / nb.name), parameters=dict(profile='smoke', results_dir=str(results),
                        figures_dir=str(figures)), kernel_name='python3', cwd=str(nb.parent), progress_bar=False)
    for stem in OUTPUTS.get(nb.stem, [nb.stem]):
        produced = {p.suffix for p in figures.glob(f'{stem}.*')}
        expected = {'.json', '.md', '.tex'} if stem.startswith('table_') else {'.json', '.pdf', '.png'}
        assert expected <= produced, f'{stem}: wrote {sorted(produced)}, expected {sorted(expected)}'
        for p in figures.glob(f'{stem}.*'): assert p.stat().st_size > 200, f'{p.name} is suspiciously small'
        prov = json.loads((figures / f'{stem}.json').read_text())
        assert prov['profile'] == 'smoke'
        if nb.stem not in WITHOUT_RUNS: assert prov['n_runs'] >= 1 and prov['runs']
    from dlgn_nb.report import write_index
    assert f'{OUTPUTS.get(nb.stem, [nb.stem])[0]}' in write_index(figures).read_text()         # the index lists it

def test_make_regenerates_one_figure_alone(tmp_path):
    import os, subprocess
    env = {**os.environ, 'DLGN_RESULTS': str(tmp_path / 'r'), 'DLGN_FIGURES': str(tmp_path / 'f')}
    r = subprocess.run(['make', 'fig_03', 'PROFILE=smoke', f'EXECUTED={tmp_path / "x"}'], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / 'f').iterdir()) == ['README.md'] + [f'fig_03_synthetic_scaling{s}' for s in ('.json', '.md', '.pdf', '.png', '.tex')]
    assert (tmp_path / 'x' / 'fig_03_synthetic_scaling.ipynb').exists()
