"""Build the documentation site offline (`make docs`): stage the notebooks, an API page per module, the paper pages and
a gallery into `_docs/src`, then render `_docs/html` with Sphinx and myst-nb. Library notebooks are executed through
jupyter-cache (`_docs/cache`), so a rebuild re-executes only the notebooks whose code changed; paper notebooks are
shown with the results committed in `paper_figures/`. Staged files are rewritten only when their content changes, so
Sphinx re-reads only those."""
import importlib, inspect, json, os, re, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / '_docs'
SRC, HTML = OUT / 'src', OUT / 'html'
FIGURES = ROOT / 'paper_figures'


def write(path: Path, data) -> Path:
    "Write `data` (text or bytes) to `path` unless it already holds exactly that (keeps the time stamp Sphinx reads)."
    raw = data.encode() if isinstance(data, str) else data
    if not (path.exists() and path.read_bytes() == raw):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    return path


def heading(nb: dict) -> tuple[str, str]:
    "A notebook's title and one-line summary: its first markdown cell, `# Title` then `> summary`."
    text = next((''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'markdown'), '')
    title = next((l[2:].strip() for l in text.splitlines() if l.startswith('# ')), '')
    summary = next((l[1:].strip() for l in text.splitlines() if l.startswith('>')), '')
    return title, summary


def exported_module(nb: dict) -> str | None:
    for c in nb['cells']:
        m = re.search(r'^#\|\s*default_exp\s+(\S+)', ''.join(c['source']), re.M)
        if m: return m.group(1)
    return None


# --- notebooks -------------------------------------------------------------------------------------------------------

def public_names() -> dict:
    "`{name: [modules exporting it]}` over the package: what a backticked name in the notebooks links to."
    out = {}
    for p in sorted((ROOT / 'dlgn_nb').glob('*.py')):
        if p.stem.startswith('_'): continue
        for n in getattr(importlib.import_module(f'dlgn_nb.{p.stem}'), '__all__', []): out.setdefault(n, []).append(p.stem)
    return out


def slug(text: str) -> str:
    "The anchor MyST gives a heading (GitHub's rule, `myst_parser.slugs.github_slugify`)."
    return re.sub(r'[^\w\u4e00-\u9fff\- ]', '', text.lower().replace(' ', '-'))


CODE_NAME = re.compile(r'(?<![\[\w`])`([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)`(?![\]`])')


def link_names(text: str, names: dict, own: str | None = None, prefix: str = '../api') -> str:
    """Markdown `text` with each backticked public name (`fit`, `train.fit`) linked to its API entry: outside code blocks
    and headings; a name several modules export links only from its own module's notebook (or as `module.name`)."""
    modules = {m for ms in names.values() for m in ms}
    clash = {n for n in names for m in names[n] if any(o != n and o.lower() == n.lower() and m in names[o] for o in names)}
    def target(word):
        mod, _, n = word.rpartition('.')
        if mod and mod in modules and n in names and mod in names[n]: return mod, n
        if not mod and n in names: return (own if own in names[n] else names[n][0] if len(names[n]) == 1 else None), n
        return None, n
    out, fence = [], False
    for line in text.split('\n'):
        if line.lstrip().startswith(('```', '~~~')): fence = not fence; out.append(line); continue
        if fence or line.lstrip().startswith('#'): out.append(line); continue
        def sub(m):
            mod, n = target(m.group(1))
            return f'[`{m.group(1)}`]({prefix}/{mod}.md#{slug(n)})' if mod and n not in clash else m.group(0)
        out.append(CODE_NAME.sub(sub, line))
    return '\n'.join(out)


def _echoes_string(body: str) -> bool:
    "Whether the cell's last statement is a bare string (an nbdev constant's docstring), which a notebook would echo."
    import ast
    try: tree = ast.parse(body)
    except SyntaxError: return False
    last = tree.body[-1] if tree.body else None
    return isinstance(last, ast.Expr) and isinstance(last.value, ast.Constant) and isinstance(last.value.value, str)


def _defined(body: str, exported: list) -> list:
    "The public functions and classes that a cell defines, in order."
    import ast
    try: tree = ast.parse(body)
    except SyntaxError: return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in exported]


def reader_cells(nb: dict, names: dict | None = None) -> list:
    """The cells a reader sees: nbdev's directive lines dropped, `#| hide` cells executed but not shown, the
    `default_exp` and `nbdev_export` cells left out, `slow`/`cuda`/`notest` cells not executed (as in `nbdev-test`).
    An exported definition shows as its doc card (signature, docstring, parameters) with its source folded behind a
    toggle; an exported cell does not echo its constant's docstring; backticked public names link to the API."""
    module = exported_module(nb)
    mod = importlib.import_module(f'dlgn_nb.{module}') if module else None
    out = []
    for c in nb['cells']:
        text = ''.join(c['source'])
        if c['cell_type'] != 'code':
            out.append({**c, 'source': link_names(text, names, module)} if names and c['cell_type'] == 'markdown' else c); continue
        lines = text.splitlines()
        flags = [l for l in lines if l.startswith('#|')]
        body = '\n'.join(l for l in lines if not l.startswith('#|')).strip('\n')
        if 'nbdev_export' in body or not body: continue
        meta = dict(c.get('metadata', {}))
        tags = set(meta.get('tags', []))
        if any(re.match(r'#\|\s*hide\b', l) for l in flags): tags.add('remove-cell')
        if any(re.match(r'#\|\s*(slow|cuda|notest)\b', l) for l in flags): tags.add('skip-execution')
        exported = mod is not None and any(re.match(r'#\|\s*export\s*$', l) for l in flags)
        cards = _defined(body, getattr(mod, '__all__', [])) if exported else []
        if exported and _echoes_string(body): tags.add('remove-output')
        if cards: tags.add('hide-input')
        if tags: meta['tags'] = sorted(tags)
        out.append({**c, 'source': body, 'metadata': meta})
        if cards:
            md = [l for n in cards for l in doc_card(n, getattr(mod, n), '###')]
            out.append({'cell_type': 'markdown', 'id': f"{c.get('id', 'cell')}-doc", 'metadata': {}, 'source': '\n'.join(md)})
    return out


def stage_notebook(nb: dict, cells: list, dst: Path) -> Path:
    nb = {**nb, 'cells': cells}
    nb['metadata'] = {**nb.get('metadata', {}), 'kernelspec': {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'}}
    return write(dst, json.dumps(nb, indent=1, ensure_ascii=False) + '\n')


# --- paper pages and gallery ---------------------------------------------------------------------------------------

def sidecars() -> list[tuple[str, dict]]:
    "The committed figures and tables: `(stem, provenance)`, the paper's first, then our extensions."
    out = []
    for p in sorted(FIGURES.glob('*.json')):
        try: prov = json.loads(p.read_text())
        except json.JSONDecodeError: continue
        if isinstance(prov, dict) and 'profile' in prov: out.append((p.stem, prov))
    return sorted(out, key=lambda i: (bool(i[1].get('extension')), i[0]))


def md_escape(text) -> str: return str(text).replace('|', '\\|').replace('\n', ' ')


def result_block(stem: str, prov: dict, level: str = '###', figures: str = '../figures') -> str:
    "A committed figure or table as markdown: image, caption, verdicts, numbers (`figures`: the images' folder, relative to the page)."
    lines = [f"{level} {prov.get('figure') or stem}", '']
    if (FIGURES / f'{stem}.png').exists():                    # a scaled image links to the full-size one: click to enlarge
        lines += ['```{image} ' + f'{figures}/{stem}.png', f':alt: {stem}', ':width: 100%', ':class: paper-figure', '```', '']
    if prov.get('caption'): lines += [f"*{md_escape(prov['caption'])}*", '']
    verdicts = prov.get('verdicts') or []
    if verdicts:                                   # rendered by the package's one renderer of verdict rows
        from dlgn_nb.report import verdict_from_dict, verdicts_markdown
        statements = {c['claim']: c for c in prov.get('claims', [])}
        try: lines += [*verdicts_markdown([(stem, verdict_from_dict(v)) for v in verdicts], statements), '']
        except (ValueError, TypeError):                 # a sidecar written as summary rows (an older index): shown as they are
            keys = list(dict.fromkeys(k for v in verdicts for k in v))
            lines += ['| ' + ' | '.join(keys) + ' |', '|' + '---|' * len(keys),
                      *['| ' + ' | '.join(md_escape(v.get(k, '')) for k in keys) + ' |' for v in verdicts], '']
    table = FIGURES / f'{stem}.md'
    if table.exists():
        body = table.read_text().split('\n\n', 1)               # the caption comes first; the table after it
        if len(body) == 2 and '|' in body[1]: lines += [body[1].strip(), '']
    files = ', '.join('{download}' + f'`{stem}{e} <{figures}/{stem}{e}>`' for e in FILE_KINDS if (FIGURES / f'{stem}{e}').exists())
    lines += [f"Files in `paper_figures/`: {files or 'none'}; profile `{prov['profile']}`, {prov.get('n_runs', 0)} runs, "
              f"{prov.get('compute_seconds', 0) / 60:.1f} min of compute.", '']
    return '\n'.join(lines)


FILE_KINDS = ('.png', '.pdf', '.md', '.csv', '.tex')
"The files of a figure or table that its pages link to (downloads)."


def paper_results(nb_stem: str, items) -> list:
    "The committed outputs of paper notebook `nb_stem` (the figure ids its sidecars name)."
    return [(s, p) for s, p in items if p.get('figure_id') and nb_stem.startswith(p['figure_id'])]


def stage_paper(src: Path, items) -> tuple[Path, list]:
    nb = json.loads(src.read_text())
    cells = reader_cells(nb)
    found = paper_results(src.stem, items)
    note = ('## Results (committed)\n\nWhat `make figures` wrote into `paper_figures/` from this notebook, as committed. '
            'The code below makes them; it is shown, not executed, here (run `make ' + '_'.join(src.stem.split('_')[:2]) +
            '` or open it with `make lab`).\n\n' + '\n'.join(result_block(s, p) for s, p in found)) if found else \
           '## Results\n\nNo committed output of this notebook: run `make figures`.'
    first_md = next(i for i, c in enumerate(cells) if c['cell_type'] == 'markdown')
    cells.insert(first_md + 1, {'cell_type': 'markdown', 'id': 'committed-results', 'metadata': {}, 'source': note})
    cells.insert(first_md + 2, {'cell_type': 'markdown', 'id': 'the-notebook', 'metadata': {}, 'source': '## The notebook'})
    return stage_notebook(nb, cells, SRC / 'paper' / src.name), found


def gallery(items, pages: dict) -> str:
    lines = ['# Gallery', '', 'Every figure and table in `paper_figures/`, as committed, with its caption and verdicts; '
             'the paper\'s first, then our extensions. Each links to the notebook that makes it; a thumbnail leads to its '
             'section, and a figure there opens at full size.', '', ':::{container} gallery-grid']
    for stem, prov in items:
        if (FIGURES / f'{stem}.png').exists():
            title = prov.get('figure') or stem
            lines += [f'[![{stem}](figures/{stem}.png)](#{slug(title)})', '']      # a paragraph each: one cell of the grid
    lines += [':::', '']
    for stem, prov in items:
        page = pages.get(stem)
        lines.append(result_block(stem, prov, '##', 'figures'))
        if page: lines += [f'Made by [{page}](paper/{page}.ipynb).', '']
    return '\n'.join(lines)


# --- API pages -------------------------------------------------------------------------------------------------------

def type_name(t) -> str:
    if t is inspect.Parameter.empty: return ''
    return getattr(t, '__name__', None) or str(t).replace('typing.', '')


def parameters_table(obj) -> str:
    "nbdev `show_doc` style: each parameter with its type, default and the comment beside it in the source."
    import dataclasses
    from fastcore.docments import docments
    if inspect.isclass(obj) and not dataclasses.is_dataclass(obj) and '__init__' not in vars(obj): return ''   # inherited: no own parameters
    try: d = docments(obj, full=True, args_kwargs=True)
    except Exception: return ''
    for base in (obj.__mro__[1:] if inspect.isclass(obj) else ()):          # a dataclass field documented in the base it comes from
        if dataclasses.is_dataclass(base):
            for n, v in docments(base, full=True).items():
                if n in d and not d[n]['docment']: d[n]['docment'] = v['docment']
    rows = [(n, v) for n, v in d.items() if n not in ('self', 'return')]
    if not rows: return ''
    out = ['| parameter | type | default | meaning |', '|---|---|---|---|']
    for n, v in rows:
        default = '' if v['default'] is inspect.Parameter.empty else f"`{v['default']!r}`"
        out.append(f"| `{n}` | {md_escape(type_name(v['anno']))} | {md_escape(default)} | {md_escape(v['docment'] or '')} |")
    return '\n'.join(out) + '\n'


def constant_docs(module) -> dict:
    "nbdev's docstrings of module constants: the string literal right after an assignment."
    import ast
    tree, out = ast.parse(Path(module.__file__).read_text()), {}
    for a, b in zip(tree.body, tree.body[1:]):
        if isinstance(a, (ast.Assign, ast.AnnAssign)) and isinstance(b, ast.Expr) and isinstance(getattr(b, 'value', None), ast.Constant) \
                and isinstance(b.value.value, str):
            for t in (a.targets if isinstance(a, ast.Assign) else [a.target]):
                if isinstance(t, ast.Name): out[t.id] = b.value.value
    return out


def describe(value) -> str:
    "A constant in a line or a few: its type and size, and its first entries."
    short = lambda v: (r := repr(v)) if len(r := repr(v)) <= 60 else r[:57] + '...'
    if isinstance(value, dict):
        return f'dict of {len(value)}: ' + ', '.join(f'{k!r}: {short(v)}' for k, v in list(value.items())[:6]) + (', ...' if len(value) > 6 else '')
    if isinstance(value, (tuple, list)) and len(repr(value)) > 200:
        return f'{type(value).__name__} of {len(value)}: ' + ', '.join(short(v) for v in value[:6]) + (', ...' if len(value) > 6 else '')
    if hasattr(value, 'shape') and hasattr(value, 'dtype'): return f'{type(value).__name__} of shape {tuple(value.shape)}, {value.dtype}'
    text = repr(value)
    return text if len(text) <= 400 else text[:400] + ' ...'


def signature(name, obj, width: int = 88) -> str:
    "`name(params) -> ret`, one parameter a line when it is longer than `width` (a page never cuts a signature)."
    try: sig = inspect.signature(obj)
    except (TypeError, ValueError): return name
    text = f'{name}{sig}'
    if len(text) <= width or not sig.parameters: return text
    ret = '' if sig.return_annotation is inspect.Signature.empty else f' -> {inspect.formatannotation(sig.return_annotation)}'
    params = [str(p) for p in sig.parameters.values()]
    return f'{name}(\n' + ''.join(f'    {p},\n' for p in params) + f'){ret}'


def doc_card(name: str, obj, level: str = '##') -> list:
    "nbdev's `show_doc` card of `obj` as markdown lines: heading, signature, docstring, the parameter table, public methods."
    kind = 'class' if inspect.isclass(obj) else 'def'
    lines = [f'{level} `{name}`', '', '```python', f'{kind} {signature(name, obj)}', '```', '', inspect.getdoc(obj) or '', '', parameters_table(obj)]
    if inspect.isclass(obj):
        methods = [(m, f) for m, f in vars(obj).items() if not m.startswith('_') and (inspect.isfunction(f) or isinstance(f, property))
                   and (f.__doc__ or '').strip()]
        for m, f in methods:
            sig = m if isinstance(f, property) else signature(m, f, width=10**6)
            lines += [f'- `{sig}`: {md_escape(inspect.getdoc(f))}']
        if methods: lines.append('')
    return lines


def api_page(module: str, notebook: str) -> str:
    mod = importlib.import_module(f'dlgn_nb.{module}')
    lines = [f'# `dlgn_nb.{module}`', '', (mod.__doc__ or '').strip(), '',
             f'Defined, explained and tested in the notebook [{notebook}](../library/{notebook}.ipynb).', '']
    consts = constant_docs(mod)
    for name in getattr(mod, '__all__', []):
        obj = getattr(mod, name)
        index = ['```{index} single: ' + f'{name} (dlgn_nb.{module})', '```', '']          # the general index's entry
        if inspect.isclass(obj) or inspect.isfunction(obj): lines += doc_card(name, obj)[:1] + [''] + index + doc_card(name, obj)[1:]
        else:
            lines += [f'## `{name}`', '', *index, '```text', f'{name} = {describe(obj)}', '```', '', consts.get(name, ''), '']
    return '\n'.join(lines)


# --- the site --------------------------------------------------------------------------------------------------------

def stage() -> dict:
    "Write `_docs/src`; returns what was staged."
    library, modules, names = [], [], public_names()
    for src in sorted((ROOT / 'nbs').glob('[!_]*.ipynb')):
        nb = json.loads(src.read_text())
        stage_notebook(nb, reader_cells(nb, names), SRC / 'library' / src.name)
        library.append((src.stem, *heading(nb)))
        if (m := exported_module(nb)): modules.append((m, src.stem))
    items = sidecars()
    for e in FILE_KINDS:
        for p in FIGURES.glob(f'*{e}'): write(SRC / 'figures' / p.name, p.read_bytes())
    paper, pages = [], {}
    for src in sorted((ROOT / 'nbs' / 'paper').glob('[!_]*.ipynb'), key=lambda p: (p.stem.startswith('ext_'), p.stem)):
        _, found = stage_paper(src, items)
        paper.append((src.stem, *heading(json.loads(src.read_text()))))
        pages.update({s: src.stem for s, _ in found})
    for m, nb in modules: write(SRC / 'api' / f'{m}.md', api_page(m, nb))
    write(SRC / 'gallery.md', gallery(items, pages))
    write(SRC / 'index.md', index_page(library, paper, modules))
    return {'library': library, 'paper': paper, 'modules': modules, 'figures': items}


PAPER_URL = 'https://arxiv.org/abs/2509.25933'
GROUPS = (('Gates and layers', ('00_', '00f', '01_', '02_', '05_')), ('Heads and τ', ('03',)), ('Models and data', ('04', '06')),
          ('Training and search', ('07', '08', '10')), ('Inference and circuits', ('09',)), ('Reproduction', ('11', '12')),
          ('Foundations', ('00a', '00b', '00c', '00d', '00e')))
"The sidebar's groups of library notebooks, by layer: a notebook goes to the first group with a prefix of its name (the longest first)."


def group_of(stem: str) -> str:
    best = max(((len(p), g) for g, ps in GROUPS for p in ps if stem.startswith(p)), default=(0, 'Foundations'))
    return best[1]


def readme_section(title: str) -> str:
    "The text of the README's section `title` (up to the next `## `), so that the home page says what the README says."
    text = (ROOT / 'README.md').read_text()
    i = text.index(f'## {title}\n')
    body = text[i + len(title) + 4:]
    return body[:body.find('\n## ')] if '\n## ' in body else body


def readme_block(section: str, lang: str, n: int = 0) -> str:
    "The `n`-th fenced block of language `lang` in README section `section`, with its fences."
    blocks = re.findall(rf'```{lang}\n.*?```', readme_section(section), re.S)
    return blocks[n]


def repository() -> str:
    m = re.search(r'^Repository\s*=\s*"([^"]+)"', (ROOT / 'pyproject.toml').read_text(), re.M)
    return m.group(1) if m else ''


def index_page(library, paper, modules) -> str:
    toc = lambda caption, entries: ['```{toctree}', ':hidden:', f':caption: {caption}', '', *entries, '```', '']
    repo = repository()
    lib = readme_section('Using the library')
    output = re.search(r'```\n(epoch 1/.*?)```', lib, re.S)
    lines = ['# dlgn_nb: differentiable logic gate networks at scale', '',
             'A differentiable logic gate network (DLGN) is a network of two-input logic gates whose gate choices are '
             'learned: during training each neuron mixes all 16 gates through a softmax, a relaxation gradient descent can '
             'follow. Its class scores are counts of output bits per class (Group-Sum), divided by a temperature τ. Once '
             'trained, each neuron keeps its most likely gate, and the network is a Boolean circuit that runs on '
             'bit-packed words (68 to 244 times PyTorch\'s throughput in our benchmark) or in hardware. This package is a literate library of DLGNs in notebooks and a '
             f'reproduction of *From MNIST to ImageNet: Understanding the Scalability Boundaries of Differentiable '
             f'Logic Gate Networks* (Brändle, Aczel, Plesner, Wattenhofer, 2025; [arXiv:2509.25933]({PAPER_URL})), which '
             'asks how far DLGNs scale in classes and what τ does.', '',
             f'[The paper]({PAPER_URL}) · ' + (f'[Source]({repo}) · [Issues]({repo}/issues) · ' if repo else '')
             + '[Gallery of figures](gallery.md) · {ref}`General index <genindex>`', '',
             '## Install', '', 'Two commands on a fresh machine with Python 3.11 or 3.12 (`make install` creates `.venv` with '
             'PyTorch 2.13 for the CPU, then the package with its reproduction and docs tools, and says each stage):', '',
             '```bash', f'git clone {repo or "<repository>"} && cd dlgn_nb', 'make install', '```', '',
             '## The library in a few lines', '', readme_block('Using the library', 'python'), '',
             'Run as a script, it prints something like this (the wiring and initial weights are random):', '', '```text', output.group(1).rstrip() if output else '', '```', '',
             '## The command line', '', 'Runs are stored by the hash of their configuration; nothing trains twice.', '',
             readme_block('Using the library', 'bash'), '',
             '## The profiles', '', '`make figures PROFILE=...` makes every figure and table of the paper at one of four scales '
             '(`dlgn plan --profile P` prints the bill of runs, memory and hours before anything trains):', '',
             re.search(r'\| profile \|.*?(?=\n\n)', readme_section('Profiles').rstrip() + '\n\n', re.S).group(0), '',
             '## Where to go next', '',
             '- [The 16 logic gates](library/00_gates.ipynb), [the logic layer](library/01_logic.ipynb) and '
             '[Group-Sum and τ](library/03_heads.ipynb): the ideas, each proven by cells that run.',
             '- [Training](library/07_train.ipynb) and [runs](library/10_experiments.ipynb): `fit`, `RunConfig`, the results store.',
             '- [From network to circuit](library/09_circuit.ipynb): model files, bit-packed and compiled inference.',
             '- [The gallery](gallery.md): every figure and table of the paper, with its caption and verdicts.',
             '- The API: one page per module, every parameter explained (below, and in the sidebar).', '',
             '## The library notebooks', '']
    for group, _ in GROUPS:
        rows = [(s, t, m) for s, t, m in library if group_of(s) == group]
        if rows: lines += [f'**{group}**', '', '| notebook | what it holds |', '|---|---|',
                           *[f'| [{t or s}](library/{s}.ipynb) | {md_escape(m)} |' for s, t, m in rows], '']
    lines += ['## The paper', '', f'Every figure and table, with its caption and verdicts: the [gallery](gallery.md).', '',
              '| notebook | what it makes |', '|---|---|']
    lines += [f'| [{t or s}](paper/{s}.ipynb) | {md_escape(summary)} |' for s, t, summary in paper]
    lines += ['', '## The API', '', 'One page per module: every exported name with its signature, parameters and docstring.', '',
              ', '.join(f'[`{m}`](api/{m}.md)' for m, _ in modules), '']
    for group, _ in GROUPS:
        entries = [f'library/{s}' for s, _, _ in library if group_of(s) == group]
        if entries: lines += toc(group, entries)
    lines += toc('Paper', ['gallery'] + [f'paper/{s}' for s, _, _ in paper])
    lines += toc('API', [f'api/{m}' for m, _ in modules])
    return '\n'.join(lines)


# --- outputs back into the notebooks ----------------------------------------------------------------------------------

MAX_TEXT, MAX_HTML, MAX_LINES = 4000, 20000, 40


def small_outputs(outputs: list) -> list:
    "The outputs worth committing: text and small tables (long text cut); images are left to the site."
    out = []
    for o in outputs:
        o = {k: v for k, v in o.items() if k != 'execution_count'}
        if o['output_type'] == 'stream' and o.get('name') == 'stderr': continue   # warnings and progress: the site shows them
        if o['output_type'] == 'stream':
            lines = ''.join(o['text']).splitlines(keepends=True)
            o['text'] = ''.join(lines[:MAX_LINES]) + ('…\n' if len(lines) > MAX_LINES else '')
            if len(o['text']) <= MAX_TEXT: out.append(o)
        elif o['output_type'] in ('execute_result', 'display_data'):
            data = {k: v for k, v in o.get('data', {}).items()
                    if (k == 'text/plain' and len(''.join(v)) <= MAX_TEXT) or (k == 'text/html' and len(''.join(v)) <= MAX_HTML)}
            if data and any(k != 'text/plain' for k in o.get('data', {})) and set(data) == {'text/plain'} and \
                    any(k.startswith('image/') for k in o['data']): continue          # a figure's text stand-in: the site shows the figure
            if data: out.append({**o, 'data': data, 'metadata': {}, **({'execution_count': None} if o['output_type'] == 'execute_result' else {})})
    return out


def write_outputs() -> list[str]:
    "Copy the small outputs of the executed library notebooks (`_docs/jupyter_execute`) into `nbs/` by cell id."
    changed = []
    for src in sorted((ROOT / 'nbs').glob('[!_]*.ipynb')):
        done = OUT / 'jupyter_execute' / 'library' / src.name
        if not done.exists(): continue
        executed = {c.get('id'): c.get('outputs', []) for c in json.loads(done.read_text())['cells'] if c['cell_type'] == 'code'}
        nb = json.loads(src.read_text())
        for c in nb['cells']:
            if c['cell_type'] == 'code': c['outputs'] = small_outputs(executed.get(c.get('id'), []))
        text = json.dumps(nb, indent=1, ensure_ascii=False) + '\n'
        if text != src.read_text(): src.write_text(text); changed.append(src.name)
    return changed


class Progress:
    "Turns Sphinx's and myst-nb's log lines into `make docs`'s progress: each library notebook as it is executed (or taken from the cache), N of M."
    def __init__(self, notebooks: list):
        self.notebooks, self.total, self.failing = list(notebooks), len(notebooks), False

    def __call__(self, line: str) -> str | None:
        "What to print for Sphinx's output `line` (None: nothing)."
        if self.failing or any(w in line for w in ('ERROR', 'Traceback', 'Exception')):
            self.failing = True; return line                      # an error: everything after it, as Sphinx wrote it
        if 'WARNING' in line: return line
        doc = Path(line.split(': ', 1)[0]).stem if ': ' in line else ''
        if 'Executing notebook' in line or 'Using cached notebook' in line:
            n = self.notebooks.index(doc) + 1 if doc in self.notebooks else '?'
            how = 'executing' if 'Executing' in line else 'unchanged, from the cache'
            return f"docs: notebook {n} of {self.total}: {doc} ({how})"
        if 'Executed notebook in' in line: return f"docs:   {doc} executed in {line.rsplit(' in ', 1)[1].split(' seconds')[0]} s"
        if line.startswith('writing output...') and line.rstrip().endswith('index'): return 'docs: writing the pages'
        return None


def main(argv=None) -> int:
    t0 = time.perf_counter()
    staged = stage()
    print(f"staged {len(staged['library'])} library notebooks, {len(staged['paper'])} paper notebooks, "
          f"{len(staged['modules'])} API pages, {len(staged['figures'])} committed figures and tables into {SRC.relative_to(ROOT)}", flush=True)
    cmd = [sys.executable, '-m', 'sphinx', '-b', 'html', '-c', str(ROOT / 'docs'), '--keep-going', str(SRC), str(HTML)]
    env = {k: v for k, v in os.environ.items() if k != 'MPLBACKEND'}      # the kernels' own inline backend: figures are shown
    print(f"docs: Sphinx reads the pages; the {len(staged['library'])} library notebooks run where their code changed", flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    progress = Progress([s for s, _, _ in staged['library']])
    for raw in proc.stdout:                          # every kernel says it runs over TCP without encryption: on localhost, noise
        for line in raw.replace('\r', '\n').splitlines():
            if 'Kernel is running over TCP' in line or not line.strip(): continue
            if (note := progress(line)) is not None: print(note, file=sys.stderr if note is line else sys.stdout, flush=True)
    r = proc.wait()
    if r: print(f'docs: sphinx-build failed (exit {r}); see the messages above', file=sys.stderr); return r
    print(f'docs: built in {time.perf_counter() - t0:.0f} s -> {(HTML / "index.html").relative_to(ROOT)}\n'
          f'open it: xdg-open {(HTML / "index.html").relative_to(ROOT)}   (or: python -m http.server -d {HTML.relative_to(ROOT)} 8000, '
          f'then http://127.0.0.1:8000)')
    if '--outputs' in (argv if argv is not None else sys.argv[1:]):
        changed = write_outputs()
        print(f"outputs written into {len(changed)} notebooks in nbs/ (text and small tables; figures stay on the site)")
    return 0


if __name__ == '__main__':
    sys.exit(main())
