"""Issue 16, the GPU check runs first time: the one-shot script runs end to end on the CPU emulation, stops with the
real cause where a piece is missing, and the emulated kernels are clean under AddressSanitizer."""
import os, subprocess, sys
from pathlib import Path
import pytest
import torch

HERE = Path(__file__).resolve().parent
LIBASAN = subprocess.run(['gcc', '-print-file-name=libasan.so'], capture_output=True, text=True).stdout.strip() if os.path.exists('/usr/bin/gcc') else ''
asan = pytest.mark.skipif(not os.path.isabs(LIBASAN) and not os.environ.get('DLGN_REQUIRE_ASAN'), reason='gcc has no libasan here')

def run(*args, env=None, timeout=900):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})

def test_the_gpu_check_runs_end_to_end_on_the_emulation():
    r = run(HERE / 'gpu_check.py', '--emulate')
    assert r.returncode == 0 and 'correctness (emulation): ALL OK' in r.stdout, r.stdout[-3000:] + r.stderr[-3000:]
    assert r.stdout.count(' OK') >= 5 and r.stdout.count('exact') == 4 + 8      # the packed network, then engine 'cuda' from model files
    assert r.stdout.count('from a model file') == 8

@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is here: the preflight passes')
def test_without_a_gpu_the_check_names_the_cause():
    r = run(HERE / 'gpu_check.py')
    assert r.returncode == 2 and 'FAILED ' in r.stdout and 'Traceback' not in r.stdout + r.stderr, r.stdout + r.stderr
    assert 'no CUDA support' in r.stdout or 'sees no CUDA GPU' in r.stdout

@asan
def test_the_emulated_kernels_are_clean_under_addresssanitizer():
    env = {'LD_PRELOAD': LIBASAN, 'ASAN_OPTIONS': 'detect_leaks=0'}
    r = run(HERE / 'asan_emulation.py', env=env)
    assert r.returncode == 0 and 'ASAN OK' in r.stdout, r.stdout[-2000:] + r.stderr[-4000:]
    bad = run(HERE / 'asan_emulation.py', '--overflow', env=env)         # and it does catch an overflow
    assert bad.returncode != 0 and 'heap-buffer-overflow' in bad.stderr and 'ASAN OK' not in bad.stdout, bad.stderr[-3000:]
