"""Shared helpers: run the `dlgn` command as a user would, in a clean environment."""
import os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
DLGN = str(Path(sys.executable).parent / 'dlgn')
TINY = ['--set', 'n_classes=3', '--set', 'samples_per_class=30', '--set', 'width=32', '--set', 'depth=2', '--set', 'epochs=1']

def dlgn(*args, cwd=None, env=None, timeout=300, **kw) -> subprocess.CompletedProcess:
    "Run `dlgn args...`; returns the completed process (stdout, stderr as text)."
    e = {**os.environ, **(env or {})}
    return subprocess.run([DLGN, *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT, env=e, timeout=timeout, **kw)

def user_error(r: subprocess.CompletedProcess, text: str, code: int = 2):
    "Assert `r` failed as a user error: exit `code`, `text` in its message, no traceback."
    assert r.returncode == code, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    assert text in r.stderr, r.stderr[-2000:]
    assert 'Traceback' not in r.stderr, r.stderr[-2000:]

@pytest.fixture
def home(tmp_path, monkeypatch):
    "A private DLGN_HOME, so runs outside the project never touch the user's folders."
    monkeypatch.setenv('DLGN_HOME', str(tmp_path / 'home'))
    return tmp_path / 'home'

def cli(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    "Run `dlgn args...` in this process (no interpreter start-up): exit code, stdout and stderr as `dlgn` would give them."
    import contextlib, io
    from dlgn_nb.cli import main
    from dlgn_nb.experiments import _dataset
    old_env, old_cwd, out, err, code = {k: os.environ.get(k) for k in (env or {})}, os.getcwd(), io.StringIO(), io.StringIO(), 0
    os.environ.update({k: str(v) for k, v in (env or {}).items()}); os.chdir(cwd or ROOT); _dataset.cache_clear()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try: main(list(map(str, args)))
            except SystemExit as e: code = e.code if isinstance(e.code, int) else 1
    finally:
        os.chdir(old_cwd); _dataset.cache_clear()
        for k, v in old_env.items():
            if v is None: os.environ.pop(k, None)
            else: os.environ[k] = v
    return subprocess.CompletedProcess(['dlgn', *map(str, args)], code, out.getvalue(), err.getvalue())
