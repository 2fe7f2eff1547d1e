"""The names data preparation writes on disk and the plugin, the scripts and the tests read
back: each in one place. Imports nothing (the plugin imports it too)."""

#: the manifest of a prepared corpus, beside its ``raw/``, ``tok/`` and ``bin/`` folders
#: (:mod:`preprocess.pipeline`): languages, tokenizer, subword models, counts
PREPARE_MANIFEST = "prepare.json"
#: what :mod:`preprocess.gec_data` adds beside ``prepare.json``: sources, counts, seed, rates
GEC_MANIFEST = "gec_data.json"
#: the extension of ``raw/<split>.gleu-source``: the sentences GLEU penalises n-grams kept
#: from (``--task gec --eval-gleu`` and ``scripts/evaluate_gec.py`` find it)
GLEU_SOURCE = "gleu-source"


def gleu_source_file(split: str) -> str:
    """The GLEU source file's name of ``split`` (``valid.gleu-source``)."""
    return f"{split}.{GLEU_SOURCE}"
