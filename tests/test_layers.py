"""Issue 14: the package stands on its own. Its imports form layers (no circle, every import goes down), the bare
library needs none of the reproduction tools, and `dlgn` works from an empty folder outside the checkout."""
import ast, json, os, subprocess, sys, zipfile
from pathlib import Path
import pytest
from conftest import ROOT, dlgn, TINY

PKG = ROOT / 'dlgn_nb'
REPRO_ONLY = ('papermill', 'ipykernel', 'dask', 'distributed', 'mlxtend', 'sklearn', 'PIL', 'matplotlib', 'seaborn', 'fastcore')

def imports():
    "`{module: (top-level dlgn_nb imports, function-local dlgn_nb imports)}`."
    out = {}
    for p in sorted(PKG.glob('*.py')):
        if p.stem in ('__init__', '_modidx'): continue
        tree, top, local = ast.parse(p.read_text()), set(), set()
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom): continue
            if node.level and not node.module:                                   # `from . import threads`
                for a in node.names: (top if node.col_offset == 0 else local).add(a.name)
                continue
            if not node.module: continue
            if node.level: name = node.module                                    # `from .gates import ...` (nbdev's export)
            elif node.module.startswith('dlgn_nb.'): name = node.module.removeprefix('dlgn_nb.')
            else: continue
            (top if node.col_offset == 0 else local).add(name.split('.')[0])
        out[p.stem] = (top, local)
    return out

def needs_extras() -> set:
    "The package's modules that import a reproduction tool at their top (matplotlib, ...): the ones a bare install cannot import."
    out = set()
    for p in PKG.glob('*.py'):
        for node in ast.parse(p.read_text()).body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ''] if isinstance(node, ast.ImportFrom) and not node.level else []
            if any(n.split('.')[0] in REPRO_ONLY for n in names): out.add(p.stem)
    return out

PRELUDE = {'threads'}   # every module imports it first (the process's OpenMP policy); it imports nothing of the package
LAZY = {'cli'}   # imports each command's modules when the command runs, so that `dlgn --help` and `dlgn list` need no PyTorch

def floors() -> dict:
    "Each module's floor: 0 for a module importing none of the package, else one above the highest it imports (at its top, or lazily for LAZY)."
    deps, done = {m: (t | (l if m in LAZY else set())) - PRELUDE for m, (t, l) in imports().items()}, {}
    def floor(m, path=()):
        assert m not in path, f"import circle: {' -> '.join(path + (m,))}"
        if m not in done: done[m] = 1 + max((floor(d, path + (m,)) for d in deps[m]), default=-1)
        return done[m]
    for m in deps: floor(m)
    return done

def test_imports_form_layers_without_a_circle():
    f = floors()
    for m, (top, local) in imports().items():
        assert all(f[d] < f[m] for d in (top | (local if m in LAZY else set())) - PRELUDE), m
        if m in LAZY: continue
        assert local <= (extras := needs_extras()), f'{m} imports {local - extras} inside a function: only modules that need an optional extra ({sorted(extras)}) may be imported there'
    print('\n'.join(f'floor {k}: ' + ', '.join(sorted(m for m, v in f.items() if v == k)) for k in range(max(f.values()) + 1)))
    assert f['gates'] == 0 and f['config'] <= 1 and f['cli'] == max(f.values())
    assert f['datasets'] < f['experiments'] < f['figures'] and f['readers'] < f['datasets']

def test_every_module_sets_the_thread_policy_before_anything_else():
    for p in sorted(PKG.glob('*.py')):
        if p.stem in ('__init__', '_modidx', 'threads'): continue
        first = next(n for n in ast.parse(p.read_text()).body if isinstance(n, (ast.Import, ast.ImportFrom)))
        assert isinstance(first, ast.ImportFrom) and first.level == 1 and [a.name for a in first.names] == ['threads'], \
            f'{p.name}: its first import must be `from dlgn_nb import threads` (OMP_WAIT_POLICY before PyTorch loads), not line {first.lineno}'
    for m in ('checks', 'data', 'gates', 'cli'):
        code = f"import dlgn_nb.{m}, os, sys; print(os.environ.get('OMP_WAIT_POLICY'))"
        env = {k: v for k, v in os.environ.items() if k != 'OMP_WAIT_POLICY'}
        assert subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env).stdout.strip() == 'PASSIVE', m
    code = "import os; os.environ['OMP_WAIT_POLICY'] = 'ACTIVE'; import dlgn_nb.gates; print(os.environ['OMP_WAIT_POLICY'])"
    assert subprocess.run([sys.executable, '-c', code], capture_output=True, text=True).stdout.strip() == 'ACTIVE'   # a user's choice stands

BLOCK = f"import sys\nfor m in {REPRO_ONLY!r}: sys.modules[m] = None          # as if not installed\n"

def test_the_bare_library_needs_none_of_the_reproduction_tools(tmp_path):
    code = BLOCK + ("import dlgn_nb.cli, dlgn_nb.infer, dlgn_nb.sweeps, dlgn_nb.figures\n"
                    "from dlgn_nb.cli import main\n"
                    f"main(['run', '--json', '--set', 'n_classes=3', '--set', 'samples_per_class=30', '--set', 'width=32', '--set', 'depth=2', '--set', 'epochs=1', '--results', {str(tmp_path / 'r')!r}])\n"
                    "main(['list']); main(['data', 'list'])\n")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=tmp_path, env={**os.environ, 'DLGN_HOME': str(tmp_path / 'h')})
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'fig_03' in r.stdout and 'test_acc' in r.stdout and 'data_dir' in r.stdout

def test_installing_the_library_does_not_pull_the_reproduction_tools(tmp_path):
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    whl = next(tmp_path.glob('dlgn_nb-*.whl'))
    meta = zipfile.ZipFile(whl).read(next(n for n in zipfile.ZipFile(whl).namelist() if n.endswith('METADATA'))).decode()
    required = [l.split(':', 1)[1].strip() for l in meta.splitlines() if l.startswith('Requires-Dist:') and 'extra ==' not in l]
    names = {r.split(';')[0].split('[')[0].split('>')[0].split('<')[0].split('=')[0].strip().lower() for r in required}
    assert not names & {'papermill', 'ipykernel', 'dask', 'mlxtend', 'scikit-learn', 'pillow', 'fastcore', 'seaborn', 'matplotlib'}, names
    assert {'torch', 'numpy'} <= names

def test_dlgn_works_from_an_empty_folder_outside_the_checkout(tmp_path):
    env = {'DLGN_HOME': str(tmp_path / 'home')}
    empty = tmp_path / 'empty'; empty.mkdir()
    r = dlgn('list', cwd=empty, env=env); assert r.returncode == 0 and 'fig_03' in r.stdout, r.stderr
    r = dlgn('run', '--json', *TINY, cwd=empty, env=env); assert r.returncode == 0, r.stderr
    assert Path(json.loads(r.stdout)['path']).is_relative_to(tmp_path / 'home' / 'results')
    r = dlgn('data', 'list', cwd=empty, env=env); assert r.returncode == 0, r.stderr
    assert f"data_dir: {tmp_path / 'home' / 'data'} (set by [paths] of the packaged defaults" in r.stdout
    assert list(empty.iterdir()) == []                                   # nothing scattered into the working folder
