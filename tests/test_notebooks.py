"""Every library notebook runs as a test (cells flagged `slow` or `cuda` are skipped, as in `nbdev-test`)."""
import json
from pathlib import Path
import pytest
from nbdev.test import test_nb as run_nb   # aliased: pytest would collect `test_nb` itself

ROOT = Path(__file__).resolve().parent.parent
LIBRARY_NBS = sorted((ROOT / 'nbs').glob('[!_]*.ipynb'))

@pytest.mark.parametrize('nb', LIBRARY_NBS, ids=lambda p: p.name)
def test_notebook(nb):
    ok, _ = run_nb(nb, skip_flags=['slow', 'cuda', 'notest'])
    assert ok, f'{nb.name} failed (see the traceback above)'

def test_every_module_has_a_notebook():
    modules = {p.stem for p in (ROOT / 'dlgn_nb').glob('*.py')} - {'__init__', '_modidx'}
    exported = set()
    for nb in LIBRARY_NBS:
        for cell in json.loads(nb.read_text())['cells']:
            for line in ''.join(cell['source']).splitlines():
                if line.startswith('#| default_exp'): exported.add(line.split()[-1])
    assert modules == exported, f'modules without a notebook: {modules - exported}; notebooks without a module: {exported - modules}'
