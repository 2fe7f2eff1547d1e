"""Text tools the plugin runs and data preparation shares.

- ``errors``    -- ``InputError``, the one exception every user-facing failure becomes.
- ``normalize`` -- NFKC + invisible/control characters + whitespace, one line at a time.
- ``ptb``       -- the PTB-style word tokenisation of the JFLEG references, and back.
- ``gleu``      -- JFLEG's GLEU as additive statistics (for scripts and the gec task).
- ``files``     -- reading a UTF-8 text file of lines, with one-line errors.

None of them imports torch or fairseq, and importing this package has no side effect:
data preparation starts without fairseq (``tests/unit/test_imports.py``). The plugin
imports them from here; ``fairseq_plugins.text.X`` is the same module under its old name.
"""
