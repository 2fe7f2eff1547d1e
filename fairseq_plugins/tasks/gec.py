"""The ``gec`` task: grammatical error correction as translation from ``err`` to ``cor``.

A :class:`~fairseq.tasks.translation.TranslationTask` with these additions; each concern
beyond the task and its config has a module of its own beside this one.

**GLEU during validation** (``--eval-gleu``), mirroring translation's ``--eval-bleu``:
each validation batch is decoded with the generation options in ``--eval-gleu-args``
(JSON, e.g. ``'{"beam": 5}'``), hypotheses are turned back into text with
``--eval-gleu-remove-bpe`` (default ``sentencepiece``) and the ``--eval-gleu-detok``
tokenizer (default ``space`` = none), and scored against *all* references of the
sentence with JFLEG's GLEU (:mod:`preprocess.texttools.gleu`, statistics from the PyPI ``gleu``
package).  Per batch only additive statistics are logged (one row per GLEU iteration:
the drawn reference's n-gram counts), so batches and workers simply add up; ``gleu``
itself is a derived metric computed once per validation, which makes
``--best-checkpoint-metric gleu --maximize-best-checkpoint-metric`` keep the best
checkpoint. Where the references and the GLEU source come from:
:mod:`fairseq_plugins.tasks.gec_references`. GLEU is computed on the first
``--valid-subset`` only (batches of other subsets are recognised by their ids and source
lengths and are not scored).

**Raw-text tokenisation** for ``fairseq-interactive`` / ``fairseq-generate``: input lines
get the training normalisation (:func:`preprocess.texttools.normalize.normalize`: NFKC,
whitespace), then, when the data was built with PTB word tokenisation (``--gec-tokenizer
auto`` reads ``gec_data.json`` beside the data; or ``ptb``), the task's default
pre-tokenizer is
:class:`PTBTokenizer`, so interactive input is tokenised like the training text and the
``D-`` lines are detokenised (``I don't know.``) after sentencepiece decoding
(``--bpe sentencepiece --sentencepiece-model OUT/spm/joint.model``).  An explicit
``--tokenizer`` wins.

**A forgiving correction shell.**  fairseq-interactive reports and skips each line it
cannot correct (``E-<id>\\t<reason>; skipped``: empty, also after normalisation, over
``--max-input-chars`` characters or ``--max-source-positions`` tokens, not UTF-8) and goes
on; the ids of the other lines keep matching their input line numbers. The plugin does
this for every task (:mod:`fairseq_plugins.shell.input`); ``gec`` adds the
``--max-input-chars`` option it reads.

**Source-word dropout** (``--source-word-dropout P``, training only):
:mod:`fairseq_plugins.tasks.gec_source_dropout`.

**Spelling before the model** (``--spelling``): out-of-dictionary words of each raw input
line are corrected (:mod:`preprocess.texttools.spelling`, symspellpy's English
dictionary, case kept) after the normalisation, in fairseq-interactive and the API; the
training data and ``fairseq-generate``'s binarised input never are.

**Decoding options.**  ``--iterative-rounds N`` corrects the output again until it no
longer changes, at most N rounds (:mod:`fairseq_plugins.tasks.gec_iterative`).
``--copy-bias B`` outputs the source unchanged unless the best
correction's mean token log-probability beats the source's by more than ``B``
(:mod:`fairseq_plugins.tasks.gec_copy_bias`).  ``--lm-path LM --lm-weight W``
(fairseq's own generation options) add ``W`` times a language model's log-probability
at every beam-search step, also in ``fairseq-interactive``, which fairseq itself does
not (:func:`fairseq_plugins.lm_fusion.generator_hook`, for every task); the LM must share
the target dictionary (:mod:`fairseq_plugins.lm_fusion` loads and checks it).

(No ``from __future__ import annotations`` here: fairseq reads the config dataclass's
field types at runtime.)
"""
import json
import logging
import os
from argparse import Namespace
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import torch
from fairseq import metrics, utils
from fairseq.data import encoders
from fairseq.dataclass import ChoiceEnum
from fairseq.tasks import register_task
from fairseq.tasks.translation import TranslationConfig, TranslationTask
from omegaconf import II

from fairseq_plugins.errors import ModelOptionError
from fairseq_plugins.tasks import gec_references
from fairseq_plugins.tasks.gec_copy_bias import prefer_source
from fairseq_plugins.tasks.gec_iterative import correct_until_fixed
from fairseq_plugins.tasks.gec_source_dropout import drop_source_words
from preprocess.layout import GEC_MANIFEST
from preprocess.texttools import gleu, ptb
from preprocess.texttools.normalize import normalize

logger = logging.getLogger(__name__)

GLEU_KEY = "_gleu_stats"


class PTBTokenizer:
    """fairseq-style pre-tokenizer (``encode``/``decode``) for PTB-tokenised GEC data."""

    def encode(self, x: str) -> str:
        return ptb.tokenize(x)

    def decode(self, x: str) -> str:
        return ptb.detokenize(x)


# --------------------------------------------------------------------------- config

@dataclass
class GECConfig(TranslationConfig):
    eval_gleu: bool = field(
        default=False, metadata={"help": "evaluate with GLEU (JFLEG, all references) on the "
                                         "validation set"})
    eval_gleu_args: Optional[str] = field(
        default="{}", metadata={"help": 'generation args for GLEU scoring as JSON, e.g. '
                                        '\'{"beam": 5, "lenpen": 1.0}\''})
    eval_gleu_remove_bpe: Optional[str] = field(
        default="sentencepiece",
        metadata={"help": "post-processing that undoes the subword segmentation before "
                          "scoring (fairseq --post-process names: sentencepiece, subword_nmt, "
                          "'@@ ')", "argparse_const": "sentencepiece"})
    eval_gleu_detok: str = field(
        default="space", metadata={"help": "detokenizer applied after --eval-gleu-remove-bpe "
                                           "('space' = none; see fairseq.data.encoders)"})
    eval_gleu_detok_args: Optional[str] = field(
        default="{}", metadata={"help": "args for the --eval-gleu-detok tokenizer, as JSON"})
    eval_gleu_refs: Optional[str] = field(
        default=None, metadata={"help": "reference files of the validation set: comma "
                                        "separated, a pattern with {i}, or a glob; default "
                                        "DATA/<split>.ref* then DATA/../raw/<split>.ref*"})
    eval_gleu_source: Optional[str] = field(
        default=None, metadata={"help": "raw source text of the validation set for GLEU "
                                        "(default <split>.<src-lang> beside the references)"})
    eval_gleu_iterations: int = field(
        default=gleu.ITERATIONS,
        metadata={"help": "GLEU reference-sampling iterations (JFLEG: 500)"})
    eval_gleu_print_samples: bool = field(
        default=False, metadata={"help": "log one hypothesis per validation batch"})
    gec_tokenizer: ChoiceEnum(["auto", "ptb", "none"]) = field(
        default="auto", metadata={"help": "word tokenisation of raw input / detokenisation of "
                                          "D- lines when no --tokenizer is given; auto: as "
                                          "recorded in gec_data.json beside the data"})
    copy_bias: Optional[float] = field(
        default=None, metadata={"help": "conservative decoding: output the source unchanged "
                                        "unless the best correction's mean token "
                                        "log-probability beats the source's (scored by the "
                                        "same model) by more than this many nats; default "
                                        "off. Tune it on held-out data (recipe_gec.sh)"})
    source_word_dropout: float = field(
        default=0.0, metadata={"help": "training only: replace each source token by <unk> "
                                       "with this probability (e.g. 0.2); never in "
                                       "validation or generation"})
    spelling: bool = field(
        default=False, metadata={"help": "correct out-of-dictionary words (symspellpy's "
                                         "English dictionary, case kept) in raw input before "
                                         "the model: fairseq-interactive and the API, never "
                                         "the training data"})
    iterative_rounds: int = field(
        default=1, metadata={"help": "correct the output again until it no longer changes, "
                                     "at most this many rounds in all (1: one pass)"})
    max_input_chars: int = field(
        default=1000, metadata={"help": "fairseq-interactive: longer input lines are reported "
                                        "and skipped"})
    valid_subset: str = II("dataset.valid_subset")


# --------------------------------------------------------------------------- task

@register_task("gec", dataclass=GECConfig)
class GECTask(TranslationTask):
    """Grammatical error correction (``err`` -> ``cor``) with GLEU validation."""

    cfg: GECConfig
    #: --fast-decoding's shortlist holds the source tokens: a correction mostly copies them
    shortlist_includes_source = True

    def __init__(self, cfg: GECConfig, src_dict, tgt_dict):
        super().__init__(cfg, src_dict, tgt_dict)
        if not 0.0 <= cfg.source_word_dropout < 1.0:
            raise ModelOptionError(f"--source-word-dropout must be in [0, 1), "
                             f"got {cfg.source_word_dropout}")
        if cfg.iterative_rounds < 1:
            raise ModelOptionError(f"--iterative-rounds must be at least 1, "
                                   f"got {cfg.iterative_rounds}")
        if cfg.iterative_rounds > 1 and src_dict.symbols != tgt_dict.symbols:
            raise ModelOptionError("--iterative-rounds needs a joined dictionary (the output "
                                   "is read back as a source)")
        self.speller = None
        if cfg.spelling:
            from preprocess.texttools.spelling import speller
            self.speller = speller()
        self._gleu: Optional[gec_references.GleuReferences] = None   # of the valid split
        self.gleu_tokenizer = None
        self.gleu_generator = None

    # ---------------------------------------------------------------- data folders
    def _data_dir(self) -> str:
        return utils.split_paths(self.cfg.data)[0]

    def _gec_manifest(self) -> dict:
        for folder in (self._data_dir(), os.path.join(self._data_dir(), os.pardir)):
            path = os.path.join(folder, GEC_MANIFEST)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as f:
                    return json.load(f)
        return {}

    def _pretokenization(self) -> str:
        mode = str(self.cfg.gec_tokenizer)
        if mode == "auto":
            mode = self._gec_manifest().get("tokenize", "none")
        return mode

    def train_step(self, sample, model, criterion, optimizer, update_num, ignore_grad=False):
        sample = drop_source_words(sample, self.cfg.source_word_dropout, self.src_dict.unk(),
                                   self.src_dict.pad(), self.src_dict.eos())
        return super().train_step(sample, model, criterion, optimizer, update_num, ignore_grad)

    # ---------------------------------------------------------------- validation refs
    def load_dataset(self, split, epoch=1, combine=False, **kwargs):
        super().load_dataset(split, epoch=epoch, combine=combine, **kwargs)
        first_valid = str(self.cfg.valid_subset).split(",")[0]
        if self.cfg.eval_gleu and split == first_valid:
            self._gleu = gec_references.load(
                split, len(self.datasets[split]), self._data_dir(), self.cfg.eval_gleu_refs,
                self.cfg.eval_gleu_source, self.cfg.source_lang, self.cfg.eval_gleu_iterations)

    # ---------------------------------------------------------------- model / generation
    def build_model(self, cfg, from_checkpoint=False):
        model = super().build_model(cfg, from_checkpoint)
        if self.cfg.eval_gleu:
            detok_args = json.loads(self.cfg.eval_gleu_detok_args or "{}")
            self.gleu_tokenizer = encoders.build_tokenizer(
                Namespace(tokenizer=self.cfg.eval_gleu_detok, **detok_args))
            gen_args = json.loads(self.cfg.eval_gleu_args or "{}")
            self.gleu_generator = self.build_generator([model], Namespace(**gen_args))
        return model

    def build_tokenizer(self, args):
        tokenizer = super().build_tokenizer(args)
        if tokenizer is None and self._pretokenization() == "ptb":
            return PTBTokenizer()
        return tokenizer

    def _decode(self, dictionary, toks, unk):
        s = dictionary.string(toks.int().cpu(), self.cfg.eval_gleu_remove_bpe, unk_string=unk)
        if self.gleu_tokenizer is not None:
            s = self.gleu_tokenizer.decode(s)
        return s

    def _from_gleu_split(self, sample) -> bool:
        """Whether ``sample`` comes from the split the references belong to.

        ``valid_step`` is not told the subset; with ``--valid-subset valid,valid1`` the
        other subsets are recognised by their ids/source lengths and get no GLEU.
        """
        ds = self.datasets.get(self._gleu.split)
        if ds is None:
            return False
        ids = sample["id"].tolist()
        lengths = sample["net_input"]["src_lengths"].tolist()
        return all(0 <= d < len(ds) and int(ds.src_sizes[d]) == n for d, n in zip(ids, lengths))

    def _gleu_stats(self, sample, model) -> Optional[torch.Tensor]:
        if not self._from_gleu_split(sample):
            return None
        gen_out = self.inference_step(self.gleu_generator, [model], sample, prefix_tokens=None)
        info = self._gleu
        ids, rows = [], []
        for i, hypos in enumerate(gen_out):
            d = int(sample["id"][i])
            hyp = self._decode(self.tgt_dict, hypos[0]["tokens"], "UNKNOWNTOKENINHYP")
            if info.refs is not None:
                refs = info.refs[d]
            else:
                refs = [self._decode(self.tgt_dict,
                                     utils.strip_pad(sample["target"][i], self.tgt_dict.pad()),
                                     "UNKNOWNTOKENINREF")]
            if info.source is not None:
                src = info.source[d]
            else:
                src = self._decode(self.src_dict, utils.strip_pad(
                    sample["net_input"]["src_tokens"][i], self.src_dict.pad()), "UNKNOWNTOKENINSRC")
            ids.append(d)
            rows.append(gleu.sentence_stats(src, refs, hyp))
            if self.cfg.eval_gleu_print_samples and i == 0:
                logger.info(f"example source: {src}")
                logger.info(f"example hypothesis: {hyp}")
                logger.info(f"example reference: {refs[0]}")
        stats = gleu.iteration_stats(ids, rows, info.rindex)
        gleu.clear_caches()
        # a tensor (not an ndarray): fairseq's multi-worker sync zeroes dummy batches with
        # zeros_like, which keeps the shape identical on every worker
        return torch.from_numpy(stats.astype(np.float64))

    def valid_step(self, sample, model, criterion):
        loss, sample_size, logging_output = super().valid_step(sample, model, criterion)
        if self.cfg.eval_gleu:
            if self._gleu is None:
                raise RuntimeError("--eval-gleu: the validation references were not loaded "
                                   f"(is {self.cfg.valid_subset} the validation subset?)")
            stats = self._gleu_stats(sample, model)
            if stats is not None:
                logging_output[GLEU_KEY] = stats
        return loss, sample_size, logging_output

    def reduce_metrics(self, logging_outputs, criterion):
        super().reduce_metrics(logging_outputs, criterion)
        if not self.cfg.eval_gleu:
            return
        parts = [log[GLEU_KEY] for log in logging_outputs if GLEU_KEY in log]
        parts = [p.detach().cpu().double().numpy() if torch.is_tensor(p) else np.asarray(p)
                 for p in parts]
        parts = [p for p in parts if p.ndim == 2]
        if not parts:
            return
        total = np.sum(parts, axis=0)
        if total[:, -1].max() <= 0 and total[:, -2].max() <= 0:
            return   # nothing scored (dummy batches only)
        # log_scalar sums numpy arrays over batches (meters[...].sum), like eval_bleu's counts
        metrics.log_scalar(GLEU_KEY, total)

        def compute_gleu(meters):
            if GLEU_KEY not in meters:
                return 0.0
            return round(gleu.gleu_from_iteration_stats(meters[GLEU_KEY].sum), 2)

        metrics.log_derived("gleu", compute_gleu)

    # ---------------------------------------------------------------- decoding

    def inference_step(self, generator, models, sample, prefix_tokens=None, constraints=None):
        hypos = self._one_round(generator, models, sample, prefix_tokens, constraints)
        if self.cfg.iterative_rounds <= 1 or prefix_tokens is not None or constraints is not None:
            return hypos
        return correct_until_fixed(
            lambda again: self._one_round(generator, models, again, None, None), sample, hypos,
            self.cfg.iterative_rounds, self.src_dict.pad(), self.src_dict.eos(),
            self.cfg.left_pad_source)

    def _one_round(self, generator, models, sample, prefix_tokens, constraints):
        hypos = super().inference_step(generator, models, sample, prefix_tokens=prefix_tokens,
                                       constraints=constraints)
        if self.cfg.copy_bias is None or prefix_tokens is not None:
            return hypos
        return prefer_source(models, sample, hypos, self.target_dictionary, self.cfg.copy_bias)

    # ---------------------------------------------------------------- interactive input
    def get_interactive_tokens_and_lengths(self, lines, encode_fn):
        """Encode raw input lines after the training normalisation (NFKC, whitespace) and,
        with ``--spelling``, the spelling step."""
        lines = [normalize(x) for x in lines]
        if self.speller is not None:
            lines = [self.speller.correct(x) for x in lines]
        return super().get_interactive_tokens_and_lengths(lines, encode_fn)
