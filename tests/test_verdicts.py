"""Issue 20: the verdicts a reader consumes. Every claim can reach each of its outcomes; every verdict in the committed
`paper_figures/` is a typed row with one of the four outcomes, recomputed here from the folder's own files; captions
quote the paper's own settings (`reference.PAPER`), not our paper profile; data labels belong to each claim."""
import re, json
from pathlib import Path
import pandas as pd
import pytest
from dlgn_nb.claims import Claim, OUTCOMES, check_examples, example, judge
from dlgn_nb.figures import FIGURES
from dlgn_nb.paper_claims import PAPER_CLAIMS
from dlgn_nb.reference import PAPER
from dlgn_nb.report import all_verdicts
from dlgn_nb.reproduce import recheck

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / 'paper_figures'
RECORD_CLAIMS = {c.id: c for f in FIGURES.values() for c in f.claims}


@pytest.mark.parametrize('cid', sorted(RECORD_CLAIMS))
def test_every_claim_holds_fails_and_is_inconclusive_where_it_must(cid):
    c = RECORD_CLAIMS[cid]
    assert {'holds', 'fails', 'inconclusive'} <= set(c.examples), f'{cid} lacks a constructed table for an outcome'
    assert check_examples(c) == {o: o for o in c.examples}


def test_a_claim_that_cannot_hold_is_caught():
    capped = lambda r: (r('a') - r('b')).clip(max=0)                         # min(a - b, 0) > 0 is unreachable
    bad = Claim('x.capped', 'a beats b', 't', 'accuracy', ('m',), capped,
                examples={'holds': example('m', {'a': 99, 'b': 50}), 'fails': example('m', {'a': 50, 'b': 99})})
    assert check_examples(bad)['holds'] != 'holds'


def test_every_record_claim_is_a_paper_claim_with_its_table_named():
    assert set(RECORD_CLAIMS) <= set(PAPER_CLAIMS)
    for c in RECORD_CLAIMS.values(): assert c.table and c.keys and (c.statistic or c.evaluate), c.id


def committed_rows() -> pd.DataFrame:
    if not (COMMITTED / 'verdicts.json').exists(): pytest.fail('paper_figures/verdicts.json is missing: run make figures (quick)')
    return pd.read_json(COMMITTED / 'verdicts.json')


def test_committed_verdicts_are_typed_rows_with_four_outcomes():
    rows = committed_rows()
    assert set(rows['outcome']) <= set(OUTCOMES)
    assert {('ours')} <= set(rows['side']) and set(rows['side']) <= {'paper', 'ours'}
    for r in rows.itertuples():                 # an estimate beside an interval that excludes it only for a null range
        if pd.notna(r.statistic) and pd.notna(r.low) and r.interval != 'null range': assert r.low <= r.statistic <= r.high, r
    csv = pd.read_csv(COMMITTED / 'verdicts.csv')
    assert len(csv) == len(rows)


def test_every_committed_verdict_is_recomputed_from_the_folder_alone():
    assert committed_rows() is not None
    assert recheck(COMMITTED) == []


def test_captions_quote_the_papers_own_settings():
    texts = {s.text() for s in PAPER.values()}
    found = 0
    for side in COMMITTED.glob('*.json'):
        prov = json.loads(side.read_text())
        if not isinstance(prov, dict): continue
        for quoted in re.findall(r'\(paper: ([^()]*(?:\([^()]*\))?[^()]*)\)', prov.get('caption', '')):
            found += 1
            assert quoted in texts, f'{side.name}: "(paper: {quoted})" is not a setting of reference.PAPER'
    assert found > 20
    fig10 = json.loads((COMMITTED / 'fig_10_codebook.json').read_text())['caption']
    assert '(paper: 1,600, 6,400)' in fig10                     # the paper's dimensions, not our paper profile's 1,280 / 5,120


def test_data_labels_belong_to_each_claim():
    rows = committed_rows()
    ours = rows[rows['side'] == 'ours'].set_index('claim')
    assert 'stand-in' not in ours.loc['fig_05.best_tau_grows', 'data']              # Fig. 5 right is synthetic
    assert 'stand-in' in ours.loc['fig_05.low_rates_large_tau', 'data']             # Fig. 5 left is the MNIST stand-in offline
    assert ours.loc['fig_05.best_tau_grows', 'data'].startswith('synthetic')
