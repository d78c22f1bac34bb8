"""Issue 21: `dlgn plan` prints a profile's bill before anything trains, and the workstation profile runs end to end on
a slice (`dlgn sweep --limit`), here at smoke size through a project settings file."""
import json
from pathlib import Path
from conftest import dlgn, user_error

TINY_WORKSTATION = '''[workstation]
depth = 2
small_width = 512
big_width = 1024
big_out_width = 512
tables_width = 64
imagenet_width = 64
fig05_width = 64
fig09_width = 64
fig11_width = 64
dlgn_epochs = 1
min_steps = 1
synthetic_samples_per_class = 30
synthetic_classes = 2, 9, 43
small_classes = 2, 9
synthetic_grid_samples_per_class = 30
glyph_samples_per_class = 15
mlp_epochs = 1
mlp_hidden = 32
mlp_sizes = 16, 32
s1_widths = 64, 128
s1_seed_width = 64
s1_out_widths = 64, 128
clgn_k = 1
'''


def test_plan_bills_every_figure_before_training(tmp_path, home):
    r = dlgn('plan', '--profile', 'smoke', '--workers', '2', '--results', tmp_path / 'r')
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.splitlines()
    assert "plan of profile 'smoke': 2 workers" in lines[0] and 'GPU hours' in lines[0]
    for name in ('fig_01', 'fig_03', 'table_05_12', 'ext_tau', 'all'): assert any(l.split()[0] == name for l in lines[2:]), name
    assert not (tmp_path / 'r').exists() or not list((tmp_path / 'r').glob('*.json'))          # nothing trained
    assert list((home / 'calibration').glob('*.json'))                                          # the calibration is kept
    user_error(dlgn('plan', 'fig_99'), "unknown figure 'fig_99'; did you mean 'fig_09'")


def test_the_workstation_profile_runs_a_slice_end_to_end(tmp_path, home):
    settings = tmp_path / 'settings.ini'; settings.write_text(TINY_WORKSTATION)
    env = {'DLGN_SETTINGS': str(settings)}
    r = dlgn('sweep', 'fig_03', '--profile', 'workstation', '--limit', '3', '--results', tmp_path / 'r', env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'the first 3 of them now (--limit)' in r.stdout
    assert len([p for p in (tmp_path / 'r').glob('*.json')]) == 3
    r = dlgn('plan', 'fig_03', '--profile', 'workstation', '--results', tmp_path / 'r', env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    row = next(l.split() for l in r.stdout.splitlines() if l.split()[:1] == ['fig_03'])
    assert int(row[2]) == 3 and int(row[1]) > 3                                  # 3 of the figure's runs stored, the rest to come


def test_plan_prices_the_paper_mlp_where_a_profile_departs(tmp_path, home):
    r = dlgn('plan', 'fig_01', 'fig_04', '--profile', 'quick', '--results', tmp_path / 'r')
    assert r.returncode == 0, r.stderr[-2000:]
    head, _, bill = r.stdout.partition("the MLP where profile 'quick' departs from the paper's schedule")
    rows = {l.split()[0]: l.split()[1:] for l in bill.splitlines()[2:] if l.strip()}
    assert list(rows) == ['fig_04'], bill                                        # Fig. 1 trains the paper's MLP in 'quick'
    runs, as_trained, as_paper = int(rows['fig_04'][0]), float(rows['fig_04'][1]), float(rows['fig_04'][2])
    assert runs > 0 and as_paper > 5 * as_trained                                 # 100 epochs at batch 128 against 6
