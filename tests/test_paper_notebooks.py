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

@pytest.mark.parametrize('nb', PAPER_NBS, ids=lambda p: p.stem)
def test_paper_notebook_smoke(nb, dirs, tmp_path):
    results, figures = dirs
    pm.execute_notebook(str(nb), str(tmp_path / nb.name), parameters=dict(profile='smoke', results_dir=str(results),
                        figures_dir=str(figures)), kernel_name='python3', cwd=str(nb.parent), progress_bar=False)
    stem = nb.stem if nb.stem.startswith('table_') else None
    produced = sorted(p.name for p in figures.glob(f"{nb.stem}*"))
    assert produced, f'{nb.stem} wrote nothing into {figures}'
    for p in figures.glob(f'{nb.stem}*'):
        assert p.stat().st_size > 200, f'{p.name} is suspiciously small'
        if p.suffix == '.json':
            prov = json.loads(p.read_text())
            assert prov['profile'] == 'smoke' and prov['n_runs'] >= 1 and prov['runs']
    if not stem:
        assert {f'{nb.stem}.pdf', f'{nb.stem}.png', f'{nb.stem}.json'} <= set(produced)
