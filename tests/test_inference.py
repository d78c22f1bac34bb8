"""Inference paths that need outside tools: the Verilog export under Icarus Verilog, the inference benchmark harness."""
import os, shutil, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from dlgn_nb.circuit import random_discrete, evaluate_reference
from dlgn_nb.packed import PackedEvaluator
from dlgn_nb.codegen import CompiledModel, simulate_verilog

def test_verilog_matches_every_engine():
    if not shutil.which('iverilog'):
        if os.environ.get('DLGN_REQUIRE_IVERILOG'): pytest.fail('iverilog is required here (DLGN_REQUIRE_IVERILOG) but not installed')
        pytest.skip('iverilog not installed')
    dm = random_discrete(50, [90, 90, 77], 7, seed=21)                 # 77 outputs, 7 classes of 11
    x = np.random.default_rng(21).integers(0, 2, (131, 50), dtype=np.uint8)
    ref = evaluate_reference(dm, x)
    assert (simulate_verilog(dm, x) == ref).all()
    assert (PackedEvaluator(dm, chunk_words=1).counts(x) == ref).all()
    assert (CompiledModel(dm).counts(x, threads=2) == ref).all()

def test_bench_inference_runs():
    out = subprocess.run([sys.executable, str(Path(__file__).parent / 'bench_inference.py'), '--images', '3000',
                          '--width', '300', '--depth', '3', '--reps', '1'], check=True, capture_output=True, text=True).stdout
    assert 'labels identical across the three engines' in out and 'generated C' in out
