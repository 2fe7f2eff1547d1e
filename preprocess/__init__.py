"""Data preparation for the seq2seq fairseq plugin: raw corpora -> cleaned text ->
subword units -> fairseq binary data, with a ``prepare.json`` manifest for later steps.

Entry point: ``python -m preprocess.prepare <corpus> [options]`` (see ``prepare.py``).
One concept per module, so each can be read (and reused) on its own:

- ``text``     -- strict UTF-8 decoding, pair cleaning with per-reason skip counts.
- ``cli``      -- the wrapper every command line runs in (one-line errors, exit 2).
- ``lines``    -- reading gz/zip/plain files as byte lines, aligned parallel reading,
                  writing lines.
- ``download`` -- fetching corpus files into a cache (public or mirror base URL).
- ``corpora``  -- where each known corpus lives and which files make which split.
- ``qa``       -- SQuAD, CoQA, CMU Question-Answer and Twitter support files -> pairs.
- ``split``    -- seeded, leakage-free carving of valid/test sets from one pool.
- ``subword``  -- sentencepiece / subword-nmt BPE training and segmentation.
- ``binarize`` -- running the real ``fairseq-preprocess``.
- ``pipeline`` -- cleaned splits -> subwords -> ``raw/``, ``tok/``, ``bin/``, ``prepare.json``.
- ``frontends`` -- one function per corpus: read, clean, split, hand to the pipeline.
- ``prepare``  -- the command line.

Grammatical error correction data (``python -m preprocess.gec_data``):

- ``noise``    -- seeded synthetic learner errors with a rate per error type.
- ``m2``       -- (erroneous, corrected) pairs from CoNLL-2014 / BEA-2019 M2 files.
- ``ptb``      -- ``python -m preprocess.ptb``: PTB-style (de)tokenisation of stdin.
- ``gec_data`` -- synthetic + user + M2 + JFLEG pairs -> an ``err -> cor`` corpus.
- ``m2score``  -- MaxMatch (M2) P/R/F0.5 as M2Scorer 3.2 computes it (CoNLL-2014).

What the plugin also runs (``InputError``, normalisation, PTB tokenisation, GLEU, the
UTF-8 text reader) is :mod:`preprocess.texttools`, which the plugin imports from here.
Importing this package, or any command's module, loads neither fairseq nor torch (only
``binarize`` runs ``fairseq-preprocess``, as a process).
"""
