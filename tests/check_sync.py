"""Fail if `nbdev-export` or `nbdev-clean` would change any file: notebooks clean, library generated from them.
Read-only: runs both on a copy of the project and compares, so the working tree is never touched (`make sync` writes)."""
import shutil, subprocess, sys, tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
bin_ = Path(sys.executable).parent

def snapshot(base: Path) -> dict:
    files = [*base.glob('nbs/**/*.ipynb'), *base.glob('dlgn_nb/**/*.py')]
    return {p.relative_to(base): p.read_bytes() for p in files if '_executed' not in p.parts and '.ipynb_checkpoints' not in p.parts}

with tempfile.TemporaryDirectory() as tmp:
    copy = Path(tmp) / 'project'
    copy.mkdir()
    for name in ('nbs', 'dlgn_nb'): shutil.copytree(root / name, copy / name, ignore=shutil.ignore_patterns('_executed', '__pycache__'))
    for name in ('pyproject.toml', 'settings.ini', 'README.md'): shutil.copy2(root / name, copy / name)
    before = snapshot(copy)
    for cmd in ('nbdev-export', 'nbdev-clean'):
        subprocess.run([str(bin_ / cmd)], cwd=copy, check=True, capture_output=True)
    after = snapshot(copy)
changed = sorted(str(p) for p in before.keys() | after.keys() if before.get(p) != after.get(p))
if changed:
    print('nbdev-export / nbdev-clean would change these files (run `make sync`, then commit them):')
    print('\n'.join(f'  {p}' for p in changed))
    sys.exit(1)
print(f'in sync: {len(after)} notebooks and modules')
