"""The parts of ``python -m fairseq_plugins.serve`` that do not decode: reading request
bodies (:mod:`.bodies`), LanguageTool's API shape (:mod:`.languagetool`) and the web
page (``index.html``, served at ``/``). Nothing here imports fairseq, torch or Starlette.
"""
from pathlib import Path

#: the web page served at ``/`` (plain HTML and JavaScript, no build step)
PAGE = Path(__file__).resolve().parent / "index.html"
