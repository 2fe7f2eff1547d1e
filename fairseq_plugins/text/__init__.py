"""Text tools the plugin runs and data preparation shares.

- ``errors``    -- ``InputError``, the one exception every user-facing failure becomes.
- ``normalize`` -- NFKC + invisible/control characters + whitespace, one line at a time.
- ``ptb``       -- the PTB-style word tokenisation of the JFLEG references, and back.
- ``gleu``      -- JFLEG's GLEU as additive statistics (for scripts and the gec task).
- ``files``     -- reading a UTF-8 text file of lines, with one-line errors.

None of them imports torch or fairseq, but importing any of them runs
``fairseq_plugins/__init__.py`` (fairseq, torch, the fixes and registration) like every
``fairseq_plugins`` module.
"""
