"""Issue 17, τ as an optimisation target: a learned τ stays positive and finds a known optimum, `tau='auto'` is the fitted
rule, `tau='search'` spends less than the grid, and each is reachable from a run configuration and the command line."""
import json, math
import numpy as np
import pytest
import torch
from conftest import dlgn, user_error, TINY
from dlgn_nb.heads import GroupSum
from dlgn_nb.experiments import RunConfig, run_config
from dlgn_nb.models import build_model
from dlgn_nb.tau import PAPER_TAU_RULE, auto_tau

def overlapping_counts(n=4000, k=4, g=50, p_in=0.55, p_out=0.45, seed=0):
    "Binary outputs whose own-class group fires a little more often than the others: the best τ is finite and known."
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, k, (n,), generator=gen)
    p = torch.full((n, k, g), p_out); p[torch.arange(n), y] = p_in
    return torch.bernoulli(p, generator=gen).reshape(n, k * g), y

def best_tau(x, y, head):
    "The τ that minimises the cross-entropy of Group-Sum on (x, y), by a fine grid over log τ."
    counts = head.group_sums(x)
    taus = np.exp(np.linspace(np.log(0.05), np.log(200), 2001))
    ce = [torch.nn.functional.cross_entropy(counts / t, y).item() for t in taus]
    return float(taus[int(np.argmin(ce))])

def train_tau(x, y, tau0, steps=300, lr=0.05):
    head = GroupSum(x.shape[1], 4, tau=tau0, tau_mode='learned')
    opt = torch.optim.Adam(head.parameters(), lr=lr)
    taus = []
    for _ in range(steps):
        loss = head.loss(x, y)
        opt.zero_grad(); loss.backward(); opt.step()
        taus.append(head.tau)
    return head, taus

def test_learned_tau_moves_to_the_known_optimum_from_either_side():
    x, y = overlapping_counts()
    target = best_tau(x, y, GroupSum(200, 4))
    assert 1 < target < 30, target                               # an interior optimum, between the two starts
    for tau0 in (0.1, 30.0):
        _, taus = train_tau(x, y, tau0)
        assert abs(math.log(taus[-1] / target)) < 0.05, (tau0, taus[-1], target)      # within 5 %
        assert abs(math.log(taus[-1] / target)) < abs(math.log(tau0 / target))

def test_learned_tau_stays_positive_and_finite_under_any_step():
    x, y = overlapping_counts(n=500)
    for lr in (1.0, 5.0):                                        # 20 to 100 times the usual step
        head, taus = train_tau(x, y, 1.0, steps=40, lr=lr)
        assert all(t > 0 and math.isfinite(t) for t in taus), (lr, min(taus), max(taus))
    pc = GroupSum(200, 4, tau=3.0, tau_mode='per_class')
    with torch.no_grad(): pc.log_tau.copy_(torch.tensor([-30.0, 0.0, 5.0, 30.0]))
    assert all(t > 0 and math.isfinite(t) for t in pc.taus())

def test_a_single_learned_tau_leaves_the_discrete_prediction_alone():
    x, y = overlapping_counts(n=300)
    a, b = GroupSum(200, 4, tau=0.3, tau_mode='learned'), GroupSum(200, 4, tau=80.0)
    assert torch.equal(a(x).argmax(-1), b(x).argmax(-1))

def test_auto_tau_is_the_fitted_rule_for_a_dlgn_and_a_clgn():
    d = RunConfig(n_classes=4, samples_per_class=30, width=64, out_width=32, depth=2, epochs=1, tau='auto')
    assert run_config(d)['metrics']['tau_used'] == PAPER_TAU_RULE(8, 4) == auto_tau(32, 4)
    c = RunConfig(dataset='glyphs', n_classes=4, samples_per_class=10, model='clgn', width=1, epochs=1, tau='auto')
    m = build_model(c, (28, 28), 4)
    assert m.head.tau == auto_tau(m.head.in_features, 4) and m.head.tau_mode == 'fixed'
    assert RunConfig(tau='auto').hash != RunConfig(tau=auto_tau(8000, 10)).hash      # the rule is part of the run's identity

def test_search_spends_less_than_the_grid_and_reports_it():
    cfg = RunConfig(n_classes=3, samples_per_class=40, width=48, depth=2, epochs=4, tau='search', tau_grid=(0.3, 3, 30, 300))
    rec = run_config(cfg)
    s = rec['tau_search']
    assert (s['epochs_spent'], s['grid_epochs']) == (4 * 1 + 2 * 1 + 1 * 2, 16)
    assert rec['metrics']['epochs_trained'] == 8 and rec['metrics']['epochs_run'] == 4
    assert rec['metrics']['tau_used'] == s['tau'] in cfg.tau_grid

def test_per_class_tau_trains_evaluates_and_is_not_exported(tmp_path):
    rec = run_config(RunConfig(n_classes=3, samples_per_class=30, width=48, depth=2, epochs=2, tau_mode='per_class'), model_dir=tmp_path)
    assert 0 <= rec['metrics']['test_acc'] <= 1 and len(rec['history'][-1]['tau']) == 3
    assert rec['metrics']['model_file'].startswith('not saved') and not list(tmp_path.iterdir())

def test_the_command_line_takes_auto_search_and_learned_tau(tmp_path, home):
    r = dlgn('run', '--json', *TINY, '--set', 'tau=auto', '--results', tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)['tau_used'] == auto_tau(32, 3)
    r = dlgn('run', '--json', *TINY, '--set', 'tau=search', '--set', 'tau_grid=[1, 10]', '--results', tmp_path)
    assert r.returncode == 0 and json.loads(r.stdout)['epochs_trained'] == 2, r.stderr[-2000:]
    user_error(dlgn('run', '--json', *TINY, '--set', 'tau=best', '--results', tmp_path), "tau must be a number > 0, 'auto' or 'search', got 'best'")
    user_error(dlgn('run', '--json', *TINY, '--set', 'tau_mode=learned', '--set', 'head=binary_logit', '--results', tmp_path), "head 'binary_logit' has no learned τ")
