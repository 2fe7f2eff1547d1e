"""Data preparation for the seq2seq fairseq plugin: raw corpora -> cleaned text ->
subword units -> fairseq binary data, with a ``prepare.json`` manifest for later steps.

Entry point: ``python -m preprocess.prepare <corpus> [options]`` (see ``prepare.py``).
One concept per module, so each can be read (and reused) on its own:

- ``errors``   -- ``InputError``, the one exception every user-facing failure becomes.
- ``text``     -- strict UTF-8 decoding, NFKC + whitespace normalisation, pair cleaning
                  with per-reason skip counts.
- ``cli``      -- the wrapper every command line runs in (one-line errors, exit 2).
- ``lines``    -- reading gz/zip/plain files as byte lines, aligned parallel reading,
                  UTF-8 text files, writing lines.
- ``download`` -- fetching corpus files into a cache (public or mirror base URL).
- ``corpora``  -- where each known corpus lives and which files make which split.
- ``qa``       -- SQuAD, CoQA, CMU Question-Answer and Twitter support files -> pairs.
- ``split``    -- seeded, leakage-free carving of valid/test sets from one pool.
- ``subword``  -- sentencepiece / subword-nmt BPE training and segmentation.
- ``binarize`` -- running the real ``fairseq-preprocess``.
- ``prepare``  -- the pipeline, its Python API and the command line.

Grammatical error correction data (``python -m preprocess.gec_data``):

- ``noise``    -- seeded synthetic learner errors with a rate per error type.
- ``m2``       -- (erroneous, corrected) pairs from CoNLL-2014 / BEA-2019 M2 files.
- ``ptb``      -- the PTB-style word tokenisation of the JFLEG references, and back.
- ``gec_data`` -- synthetic + user + M2 + JFLEG pairs -> an ``err -> cor`` corpus.
- ``gleu``     -- JFLEG's GLEU as additive statistics (for scripts and the gec task).
- ``m2score``  -- MaxMatch (M2) P/R/F0.5 as M2Scorer 3.2 computes it (CoNLL-2014).

Nothing heavy is imported here: other packages (e.g. the GEC data tools) import
``preprocess.text`` without pulling in fairseq or torch.
"""
