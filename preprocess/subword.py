"""Subword models: training on the train split and segmenting text into tokens.

Two tokenisers, chosen with ``--tokenizer``:

- ``sentencepiece`` (default): a unigram model trained directly on the normalised,
  untokenised text; ``OUT/spm/<lang>.model`` per language, or ``OUT/spm/joint.model``.
  ``hard_vocab_limit=False`` lets a small corpus end with a slightly smaller vocabulary
  instead of failing. Decode with fairseq's ``--post-process sentencepiece``.
- ``bpe``: subword-nmt (Sennrich et al. 2016) ``learn_bpe``/``apply_bpe`` on the
  whitespace-split normalised text (no Moses pre-tokenisation, so removing ``"@@ "``
  gives back exactly the raw reference text); codes in ``OUT/bpe/codes.<lang>`` or
  ``OUT/bpe/codes``. ``--vocab-size`` is passed with ``total_symbols=True``, so it
  approximates the final symbol count rather than the number of merges. Decode with
  ``--post-process subword_nmt``.

``--joint`` trains one model on both languages (useful with ``--joined-dictionary`` and
shared embeddings); the default is one model per language.
"""
import contextlib
import io
from pathlib import Path

from preprocess.texttools.errors import InputError

from .progress import bar, stage, track

KINDS = ("sentencepiece", "bpe")
#: lines sentencepiece encodes in one call (a progress bar moves between calls)
ENCODE_CHUNK = 10_000
#: fairseq ``--post-process`` value that undoes each segmentation.
POST_PROCESS = {"sentencepiece": "sentencepiece", "bpe": "subword_nmt"}


def _train_spm(lines, prefix, vocab_size, character_coverage, workers):
    import sentencepiece as spm

    prefix.parent.mkdir(parents=True, exist_ok=True)
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines), model_prefix=str(prefix), vocab_size=vocab_size,
            character_coverage=character_coverage, model_type="unigram",
            hard_vocab_limit=False, num_threads=max(1, workers), minloglevel=2)
    except (RuntimeError, OSError) as e:
        msg = " ".join(str(e).split())
        raise InputError(f"sentencepiece training of {prefix.name} failed: {msg}") from None
    return prefix.with_suffix(".model")


def _train_bpe(lines, path, vocab_size):
    from subword_nmt.learn_bpe import learn_bpe

    path.parent.mkdir(parents=True, exist_ok=True)
    # learn_bpe reports "no pair has frequency >= 2" etc. on stderr: keep the summary clean.
    with open(path, "w", encoding="utf-8") as out, contextlib.redirect_stderr(io.StringIO()):
        learn_bpe(lines, out, vocab_size, min_frequency=2, total_symbols=True)
    # total_symbols: the characters count against --vocab-size, and with fewer symbols
    # than characters no merge is learnt (subword-nmt then refuses its own codes file)
    merges = path.read_text(encoding="utf-8").splitlines()[1:]
    if not merges:
        chars = len({ch for line in lines for ch in line if not ch.isspace()})
        raise InputError(f"--vocab-size {vocab_size} leaves bpe no merges to learn: the "
                         f"training text has {chars} distinct characters; raise --vocab-size")
    return path


def train(kind, texts, out, vocab_size, joint=False, character_coverage=1.0, workers=1):
    """Train subword model(s) on ``texts`` (``{lang: [line, ...]}``, train split only).

    Returns ``{lang: path}`` (absolute); with ``joint`` every language maps to one model.
    """
    out = Path(out)
    if kind not in KINDS:
        raise InputError(f"unknown tokenizer {kind!r} (choose from {', '.join(KINDS)})")
    groups = {"joint": [line for lines in texts.values() for line in lines]} if joint else texts
    models = {}
    for name, lines in groups.items():
        with stage(f"training {kind} {name}", len(lines)):
            if kind == "sentencepiece":
                models[name] = _train_spm(lines, out / "spm" / name, vocab_size,
                                          character_coverage, workers)
            else:
                models[name] = _train_bpe(
                    lines, out / "bpe" / ("codes" if joint else f"codes.{name}"), vocab_size)
    return {lang: models["joint" if joint else lang] for lang in texts}


class Segmenter:
    """Splits normalised text lines into subword tokens with a trained model."""

    def __init__(self, kind, path):
        self.kind, self.path = kind, Path(path)
        if not self.path.is_file():
            raise InputError(f"subword model {self.path} not found")
        if kind == "sentencepiece":
            import sentencepiece as spm

            try:
                self._sp = spm.SentencePieceProcessor(model_file=str(self.path))
            except (RuntimeError, OSError) as e:
                raise InputError(f"cannot load sentencepiece model {self.path}: "
                                   f"{' '.join(str(e).split())}") from None
        elif kind == "bpe":
            from subword_nmt.apply_bpe import BPE

            with open(self.path, encoding="utf-8") as codes:
                self._bpe = BPE(codes)
        else:
            raise InputError(f"unknown tokenizer {kind!r}")

    def encode(self, lines, desc="segmenting"):
        """``[[token, ...], ...]`` for a list of lines (a progress bar, ``desc``, on a long
        list: :mod:`preprocess.progress`)."""
        lines = list(lines)
        if self.kind != "sentencepiece":
            return [self._bpe.segment(line).split() for line in track(lines, desc)]
        tokens = []
        with bar(len(lines), desc) as shown:
            for start in range(0, len(lines), ENCODE_CHUNK):
                chunk = lines[start:start + ENCODE_CHUNK]
                tokens.extend(self._sp.encode(chunk, out_type=str))
                shown.update(len(chunk))
        return tokens
