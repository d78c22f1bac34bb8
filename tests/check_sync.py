"""Fail if `nbdev-export` or `nbdev-clean` would change any file: notebooks clean, library generated from them.
Compares file contents before and after, so it works on a tree with uncommitted changes too."""
import subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
bin_ = Path(sys.executable).parent

def snapshot():
    files = [*root.glob('nbs/**/*.ipynb'), *root.glob('dlgn_nb/**/*.py')]
    return {p.relative_to(root): p.read_bytes() for p in files if '_executed' not in p.parts}

before = snapshot()
for cmd in ('nbdev-export', 'nbdev-clean'):
    subprocess.run([str(bin_ / cmd)], cwd=root, check=True)
after = snapshot()
changed = sorted(str(p) for p in before.keys() | after.keys() if before.get(p) != after.get(p))
if changed:
    print('nbdev-export / nbdev-clean changed these files (now fixed in your tree; commit them):')
    print('\n'.join(f'  {p}' for p in changed))
    sys.exit(1)
print(f'in sync: {len(after)} notebooks and modules')
