# Sphinx configuration of the documentation site; `make docs` (docs/build.py) stages the sources into _docs/src.
import os
from pathlib import Path
import dlgn_nb

ROOT = Path(__file__).resolve().parent.parent
project = 'dlgn_nb'
author = 'the dlgn_nb developers'
release = version = dlgn_nb.__version__
extensions = ['myst_nb', 'sphinx-mathjax-offline']
exclude_patterns = ['_build', '**.ipynb_checkpoints', 'figures/**']   # figures/: downloads and images, not pages
html_theme = 'sphinx_book_theme'
html_title = f'dlgn_nb {version}'
html_favicon = 'favicon.svg'
html_theme_options = {'show_toc_level': 2, 'use_download_button': True, 'use_fullscreen_button': False}
html_last_updated_fmt = None
html_context = {'default_mode': 'light'}
myst_enable_extensions = ['colon_fence', 'dollarmath']
myst_heading_anchors = 3
suppress_warnings = ['myst.header', 'mystnb.unknown_mime_type']
# Library notebooks run through jupyter-cache: a rebuild re-executes only the notebooks whose code changed.
# Paper notebooks are not executed here (they train for minutes to hours); their pages show the committed results.
nb_execution_mode = os.environ.get('DLGN_DOCS_EXECUTE', 'cache')
nb_execution_cache_path = str(ROOT / '_docs' / 'cache')
nb_execution_excludepatterns = ['paper/*']
nb_execution_timeout = 1200
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
# Our styles (docs/static/dlgn.css): code blocks wrap inside their box, the gallery is a grid of thumbnails.
html_static_path = [str(ROOT / 'docs' / 'static')]
html_css_files = ['dlgn.css']
# Search results without page summaries: a summary is fetched from each page, which a browser refuses under file://;
# without them search works from `_docs/html/index.html` opened directly, with no console error.
html_show_search_summary = False
