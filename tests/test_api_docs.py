"""Every public parameter of the library explains itself where it is defined: a `# comment` after it in the signature
(nbdev's docments, which the API pages show in their parameter tables). Counted with `fastcore.docments` over the
exported functions, classes (their constructor, or their fields for a dataclass) and the public methods each class
defines (`*args` and `**kwargs` included: the API tables list them); `self` and `cls` are not counted.

    python tests/test_api_docs.py        # the coverage per module, and every undocumented parameter
"""
import dataclasses, importlib, inspect, sys
from pathlib import Path
import pytest

fastcore_docments = pytest.importorskip('fastcore.docments') if 'pytest' in sys.modules else importlib.import_module('fastcore.docments')
PKG = Path(__file__).resolve().parent.parent / 'dlgn_nb'
GOAL = 0.95
# the modules a user touches first: none of their public parameters may go without a description
CORE = ('gates', 'logic', 'heads', 'tau', 'models', 'train', 'experiments', 'infer', 'circuit', 'config', 'claims', 'reproduce', 'plan')
SKIP = {'self', 'cls', 'return'}

def _params(f) -> dict:
    "`{parameter: its docment or None}` of callable `f` (the counted ones)."
    try: d = fastcore_docments.docments(f, full=True, args_kwargs=True)
    except (TypeError, ValueError, OSError): return {}
    return {k: v['docment'] for k, v in d.items() if k not in SKIP}

def public_parameters(module: str) -> dict:
    "`{'name.parameter': docment or None}` of every public parameter that `dlgn_nb.<module>` defines."
    m = importlib.import_module(f'dlgn_nb.{module}')
    out = {}
    for name in getattr(m, '__all__', []):
        obj = getattr(m, name)
        if getattr(obj, '__module__', None) != m.__name__: continue              # re-exported, or a constant
        if inspect.isfunction(obj): out.update({f'{name}.{p}': d for p, d in _params(obj).items()})
        elif inspect.isclass(obj):
            if dataclasses.is_dataclass(obj) or '__init__' in vars(obj):
                own = _params(obj)
                for base in obj.__mro__[1:]:                   # a field a dataclass inherits is documented in its base
                    if dataclasses.is_dataclass(base):
                        own.update({p: d for p, d in _params(base).items() if p in own and not own[p] and d})
                out.update({f'{name}.{p}': d for p, d in own.items()})
            for meth, f in vars(obj).items():
                if meth.startswith('_'): continue
                f = f.__func__ if isinstance(f, (classmethod, staticmethod)) else f
                if inspect.isfunction(f): out.update({f'{name}.{meth}.{p}': d for p, d in _params(f).items()})
    return out

def modules() -> list:
    return sorted(p.stem for p in PKG.glob('*.py') if not p.stem.startswith('_'))

def coverage() -> tuple:
    "`(documented, total, {module: [undocumented parameters]})` over the whole package."
    missing, total, done = {}, 0, 0
    for mod in modules():
        ps = public_parameters(mod)
        total += len(ps); done += sum(1 for d in ps.values() if d)
        missing[mod] = sorted(k for k, d in ps.items() if not d)
    return done, total, missing

def report(done, total, missing) -> str:
    lines = [f"documented public parameters: {done} of {total} ({100 * done / max(total, 1):.1f} %; goal {100 * GOAL:.0f} %)"]
    lines += [f"  {m}: {len(v)} undocumented: {', '.join(v)}" for m, v in missing.items() if v]
    return '\n'.join(lines)

def test_public_parameters_are_documented_where_they_are_defined():
    done, total, missing = coverage()
    print(report(done, total, missing))
    assert total > 500, f'only {total} public parameters found: the counting is broken'
    bad = {m: v for m, v in missing.items() if m in CORE and v}
    assert not bad, f'undocumented parameters in core modules: {bad}'
    assert done / total >= GOAL, report(done, total, missing)

def test_the_count_sees_a_missing_comment(tmp_path, monkeypatch):
    (tmp_path / 'probe_mod.py').write_text('__all__ = ["f", "C"]\n'
                                           'def f(a: int,  # explained\n      b: int = 2): pass\n'
                                           'class C:\n    def __init__(self, x): pass\n    def go(self, y,  # the y\n           *rest): pass\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(importlib, 'import_module', lambda name, _real=importlib.import_module: _real(name.replace('dlgn_nb.', '')))
    got = public_parameters('probe_mod')
    assert got == {'f.a': 'explained', 'f.b': None, 'C.x': None, 'C.go.y': 'the y', 'C.go.rest': None}, got

if __name__ == '__main__': print(report(*coverage()))
