"""The Makefile's long steps say what they do, and `make lab` works for root and takes extra arguments (dry runs: `make -n`)."""
import os, re, subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def dry(*args) -> str:
    r = subprocess.run(['make', '-n', *args], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout

def test_install_prints_its_stages_and_is_not_silent():
    out = dry('-B', 'install')
    stages = re.findall(r'^echo "== install (\d) of 3: ', out, re.M)
    assert stages == ['1', '2', '3'] and 'echo "== installed: ' in out, out
    assert 'pip install' in out and ' -q ' not in out and '--quiet' not in out, out

def test_lab_allows_root_and_passes_extra_arguments():
    out = dry('lab', 'LAB_ARGS=--no-browser --port 8890')
    line = next(l for l in out.splitlines() if 'jupyter lab' in l)
    assert line.endswith('--no-browser --port 8890'), line
    assert ('--allow-root' in line) == (os.getuid() == 0), line

def test_serve_names_the_address():
    out = dry('serve', 'PORT=8123')
    assert 'http.server' in out and '8123' in out and '127.0.0.1' in out, out
