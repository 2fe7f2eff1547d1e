"""The ``gec`` task: grammatical error correction as translation from ``err`` to ``cor``.

A :class:`~fairseq.tasks.translation.TranslationTask` with these additions.

**GLEU during validation** (``--eval-gleu``), mirroring translation's ``--eval-bleu``:
each validation batch is decoded with the generation options in ``--eval-gleu-args``
(JSON, e.g. ``'{"beam": 5}'``), hypotheses are turned back into text with
``--eval-gleu-remove-bpe`` (default ``sentencepiece``) and the ``--eval-gleu-detok``
tokenizer (default ``space`` = none), and scored against *all* references of the
sentence with JFLEG's GLEU (:mod:`fairseq_plugins.gec_metrics`, statistics from the
PyPI ``gleu`` package).  Per batch only additive statistics are logged (one row per
GLEU iteration: the drawn reference's n-gram counts), so batches and workers simply add
up; ``gleu`` itself is a derived metric computed once per validation, which makes
``--best-checkpoint-metric gleu --maximize-best-checkpoint-metric`` keep the best
checkpoint.

Where the references of the validation set come from (first match wins):

1. ``--eval-gleu-refs``: comma-separated files, a pattern with ``{i}``
   (``/data/dev.ref{i}``), or a glob (``/data/dev.ref*``);
2. ``DATA/<split>.ref0``, ``DATA/<split>.ref1``, ... beside the binarised data;
3. ``DATA/../raw/<split>.ref0``, ... — what ``python -m preprocess.gec_data`` writes;
4. none found: the target side of the validation set is the single reference (warning).

GLEU is computed on the first ``--valid-subset`` only (batches of other subsets are
recognised by their ids and source lengths and are not scored).

The GLEU *source* (GLEU penalises n-grams kept from it) is ``--eval-gleu-source``, else
``<split>.gleu-source`` in the folder the references were found in (the learner's
original sentence, which ``preprocess.gec_data`` writes also when the model reads JFLEG's
spellchecked text), else ``<split>.<source-lang>`` there, else the decoded source tokens.
Reference files must have one line per validation sentence (checked when the split is
loaded).

**Raw-text tokenisation** for ``fairseq-interactive`` / ``fairseq-generate``: input lines
get the training normalisation (:func:`preprocess.text.normalize`: NFKC, whitespace),
then, when the data was built with PTB word tokenisation (``--gec-tokenizer auto`` reads
``gec_data.json`` beside the data; or ``ptb``), the task's default pre-tokenizer is
:class:`PTBTokenizer`, so interactive input is tokenised like the training text and the
``D-`` lines are detokenised (``I don't know.``) after sentencepiece decoding
(``--bpe sentencepiece --sentencepiece-model OUT/spm/joint.model``).  An explicit
``--tokenizer`` wins.

**A forgiving correction shell.**  fairseq-interactive reads its input through
``fairseq_cli.interactive.buffered_read``, i.e. ``fileinput`` with strict UTF-8: one
invalid byte raises ``UnicodeDecodeError`` and kills the shell, an empty line is
"corrected" into garbage, and a line longer than the model's maximum aborts with an
exception.  The task cannot receive the raw bytes any other way, so when it is set up
inside fairseq-interactive (the module ``fairseq_cli.interactive`` is loaded) it
replaces that module's ``buffered_read`` with :func:`tolerant_buffered_read`, which reads
bytes and decodes them with ``surrogateescape`` (same lines, same buffering, nothing
else changes; other tasks and CLIs are untouched because only the gec task installs
it).  :meth:`GECTask.get_interactive_tokens_and_lengths` then prints one line
``E-<id>\\t<reason>; skipped`` for an empty line, a line over ``--max-input-chars``
characters or ``--max-source-positions`` tokens, or a line that is not valid UTF-8, and
:meth:`GECTask.build_dataset_for_inference` leaves those lines out of the batches; the
shell goes on with the next line and the ids of the other lines keep matching their
input line numbers (0-based).

**Decoding options.**  ``--copy-bias B`` outputs the source unchanged unless the best
correction's mean token log-probability beats the source's by more than ``B``
(:func:`prefer_source`).  ``--lm-path LM --lm-weight W`` (fairseq's own generation
options) add ``W`` times a language model's log-probability at every beam-search step,
also in ``fairseq-interactive``, which fairseq itself does not (the plugin's fix 5 in
:mod:`fairseq_plugins.fairseq_fixes`, for every task); the LM must share the target
dictionary (:mod:`fairseq_plugins.lm_fusion` loads and checks it).

(No ``from __future__ import annotations`` here: fairseq reads the config dataclass's
field types at runtime.)
"""
import glob
import json
import logging
import os
import sys
import unicodedata
from argparse import Namespace
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np
import torch
from fairseq import metrics, utils
from fairseq.data import LanguagePairDataset, data_utils, encoders
from fairseq.dataclass import ChoiceEnum
from fairseq.sequence_scorer import SequenceScorer
from fairseq.tasks import register_task
from fairseq.tasks.translation import TranslationConfig, TranslationTask
from omegaconf import II

from fairseq_plugins import gec_metrics

logger = logging.getLogger(__name__)

GEC_MANIFEST = "gec_data.json"
GLEU_KEY = "_gleu_stats"


# --------------------------------------------------------------------------- text helpers

def _normalize(line: str) -> str:
    """The training normalisation (``preprocess.text.normalize``; NFKC + whitespace)."""
    try:
        from preprocess.text import normalize
    except ImportError:   # plugin used without the repository's preprocess package
        return " ".join(unicodedata.normalize("NFKC", line).split())
    return normalize(line)


class PTBTokenizer:
    """fairseq-style pre-tokenizer (``encode``/``decode``) for PTB-tokenised GEC data."""

    def __init__(self):
        from preprocess.ptb import detokenize, tokenize

        self._tok, self._detok = tokenize, detokenize

    def encode(self, x: str) -> str:
        return self._tok(x)

    def decode(self, x: str) -> str:
        return self._detok(x)


def tolerant_buffered_read(input, buffer_size):
    """Drop-in for ``fairseq_cli.interactive.buffered_read`` that never dies on bad bytes.

    Reads bytes (stdin or a file) and decodes each line as UTF-8 with
    ``surrogateescape``: invalid bytes become lone surrogates U+DC80..U+DCFF, which
    :meth:`GECTask.get_interactive_tokens_and_lengths` reports and skips.  Lines are
    stripped and buffered exactly like the original.
    """
    stream = sys.stdin.buffer if input == "-" else open(input, "rb")
    buffer = []
    try:
        for raw in stream:
            buffer.append(raw.decode("utf-8", errors="surrogateescape").strip())
            if len(buffer) >= buffer_size:
                yield buffer
                buffer = []
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if buffer:
        yield buffer


tolerant_buffered_read._gec_tolerant = True


def _install_tolerant_reader():
    """Swap fairseq-interactive's reader for :func:`tolerant_buffered_read` (see module doc).

    Only acts inside fairseq-interactive: ``fairseq_cli.interactive.main`` looks the
    reader up as a module global *after* ``tasks.setup_task``, so replacing it here is
    enough and touches no other CLI.
    """
    mod = sys.modules.get("fairseq_cli.interactive")
    if mod is None or getattr(getattr(mod, "buffered_read", None), "_gec_tolerant", False):
        return False
    mod.buffered_read = tolerant_buffered_read
    return True


def _invalid_utf8(line: str) -> Optional[str]:
    for pos, ch in enumerate(line):
        if "\udc80" <= ch <= "\udcff":
            return f"not valid UTF-8 (byte 0x{ord(ch) - 0xDC00:02x} at character {pos})"
    return None


class _SkippingLanguagePairDataset(LanguagePairDataset):
    """Inference dataset whose batches leave out the lines in ``skip`` (ids unchanged)."""

    def __init__(self, *args, skip=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.skip = np.asarray(sorted(skip), dtype=np.int64)

    def ordered_indices(self):
        indices = super().ordered_indices()
        if len(self.skip):
            indices = indices[~np.isin(indices, self.skip)]
        return indices


# --------------------------------------------------------------------------- copy bias

def prefer_source(models, sample, hypos, tgt_dict, bias: float):
    """Put the unchanged source first wherever the model does not clearly prefer a change.

    Most of a GEC output copies its input, and a wrong "correction" costs GLEU twice (the
    new n-grams miss the references, the removed ones were often right).  So the source
    itself is scored as a hypothesis by the same models (teacher-forced, fairseq's
    SequenceScorer) and wins unless ``best - copy > bias``, both scores being mean token
    log-probabilities (fairseq's own score with ``--lenpen 1``).  Needs a joined dictionary
    (source token ids are target token ids), which ``preprocess.gec_data`` builds.
    """
    src = sample["net_input"]["src_tokens"]                        # B x S, padded
    pad, eos = tgt_dict.pad(), tgt_dict.eos()
    copies = [row[row.ne(pad)] for row in src]                     # each ends with </s>
    target = data_utils.collate_tokens(copies, pad, eos, left_pad=False)          # B x S'
    prev = data_utils.collate_tokens(copies, pad, eos, left_pad=False,
                                     move_eos_to_beginning=True)                  # B x S'
    copy_sample = {"target": target, "nsentences": len(copies),
                   "ntokens": int(target.ne(pad).sum()),
                   "net_input": {**sample["net_input"], "prev_output_tokens": prev}}
    with torch.no_grad():
        scored = SequenceScorer(tgt_dict, compute_alignment=True).generate(models, copy_sample)
    for i, (nbest, (copy,)) in enumerate(zip(hypos, scored)):
        best = nbest[0]["positional_scores"].mean() if nbest else None
        copy_score = copy["positional_scores"].mean()
        if best is None or best - copy_score <= bias:
            if copy["attention"] is not None:   # scorer: T x S; generator hypos: S x T
                copy["attention"] = copy["attention"].t()
            others = [h for h in nbest if not torch.equal(h["tokens"], copy["tokens"])]
            hypos[i] = [copy] + others
    return hypos


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
        default=gec_metrics.ITERATIONS,
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
    max_input_chars: int = field(
        default=1000, metadata={"help": "fairseq-interactive: longer input lines are reported "
                                        "and skipped"})
    valid_subset: str = II("dataset.valid_subset")


# --------------------------------------------------------------------------- task

@register_task("gec", dataclass=GECConfig)
class GECTask(TranslationTask):
    """Grammatical error correction (``err`` -> ``cor``) with GLEU validation."""

    cfg: GECConfig

    def __init__(self, cfg: GECConfig, src_dict, tgt_dict):
        super().__init__(cfg, src_dict, tgt_dict)
        self._gleu = None                 # references etc. of the validation split
        self._interactive_seen = 0        # lines read so far by fairseq-interactive
        self._pending_skip: set = set()
        self.gleu_tokenizer = None
        self.gleu_generator = None

    @classmethod
    def setup_task(cls, cfg: GECConfig, **kwargs):
        task = super().setup_task(cfg, **kwargs)
        if _install_tolerant_reader():
            logger.info("gec: tolerant input reader installed (bad lines are reported "
                        "and skipped)")
        return task

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

    # ---------------------------------------------------------------- validation refs
    def _find_refs(self, split: str) -> List[str]:
        spec = self.cfg.eval_gleu_refs
        if spec:
            if "{i}" in spec:
                files, i = [], 0
                while os.path.isfile(spec.format(i=i)):
                    files.append(spec.format(i=i))
                    i += 1
            elif "," in spec or os.path.isfile(spec):
                files = [p.strip() for p in spec.split(",") if p.strip()]
            else:
                files = sorted(glob.glob(spec))
            missing = [p for p in files if not os.path.isfile(p)]
            if not files or missing:
                raise FileNotFoundError(f"--eval-gleu-refs {spec}: no such reference file(s) "
                                        f"{missing or ''}".rstrip())
            return files
        for folder in (self._data_dir(), os.path.join(self._data_dir(), os.pardir, "raw")):
            files, i = [], 0
            while os.path.isfile(os.path.join(folder, f"{split}.ref{i}")):
                files.append(os.path.normpath(os.path.join(folder, f"{split}.ref{i}")))
                i += 1
            if files:
                return files
        return []

    def _load_gleu_refs(self, split: str):
        n = len(self.datasets[split])
        ref_files = self._find_refs(split)
        refs = None
        if ref_files:
            columns = [gec_metrics.read_lines(p) for p in ref_files]
            for path, col in zip(ref_files, columns):
                if len(col) != n:
                    raise ValueError(f"GLEU reference {path} has {len(col)} lines but the "
                                     f"{split} set has {n} sentences")
            refs = list(zip(*columns))
        else:
            logger.warning(f"gec: no reference files for {split} (looked for "
                           f"{split}.ref0 in DATA and DATA/../raw); GLEU uses the single "
                           "target of each sentence")
        source = None
        src_path = self.cfg.eval_gleu_source
        if not src_path and ref_files:
            folder = os.path.dirname(ref_files[0])
            cands = [os.path.join(folder, f"{split}.{ext}")
                     for ext in ("gleu-source", self.cfg.source_lang)]
            src_path = next((c for c in cands if os.path.isfile(c)), None)
        if src_path:
            source = gec_metrics.read_lines(src_path)
            if len(source) != n:
                raise ValueError(f"GLEU source {src_path} has {len(source)} lines but the "
                                 f"{split} set has {n} sentences")
        num_refs = len(ref_files) if ref_files else 1
        iters = self.cfg.eval_gleu_iterations if num_refs > 1 else 1
        self._gleu = {
            "split": split, "refs": refs, "source": source,
            "rindex": gec_metrics.ref_indices(n, num_refs, iters),
        }
        logger.info(f"gec: GLEU on {split} with {num_refs} reference(s)"
                    + (f" from {', '.join(ref_files)}" if ref_files else "")
                    + (f", source {src_path}" if src_path else ", decoded source"))

    def load_dataset(self, split, epoch=1, combine=False, **kwargs):
        super().load_dataset(split, epoch=epoch, combine=combine, **kwargs)
        first_valid = str(self.cfg.valid_subset).split(",")[0]
        if self.cfg.eval_gleu and split == first_valid:
            self._load_gleu_refs(split)

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
            try:
                return PTBTokenizer()
            except ImportError:
                logger.warning("gec: preprocess.ptb not importable; no word tokenisation")
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
        ds = self.datasets.get(self._gleu["split"])
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
            if info["refs"] is not None:
                refs = info["refs"][d]
            else:
                refs = [self._decode(self.tgt_dict,
                                     utils.strip_pad(sample["target"][i], self.tgt_dict.pad()),
                                     "UNKNOWNTOKENINREF")]
            if info["source"] is not None:
                src = info["source"][d]
            else:
                src = self._decode(self.src_dict, utils.strip_pad(
                    sample["net_input"]["src_tokens"][i], self.src_dict.pad()), "UNKNOWNTOKENINSRC")
            ids.append(d)
            rows.append(gec_metrics.sentence_stats(src, refs, hyp))
            if self.cfg.eval_gleu_print_samples and i == 0:
                logger.info(f"example source: {src}")
                logger.info(f"example hypothesis: {hyp}")
                logger.info(f"example reference: {refs[0]}")
        stats = gec_metrics.iteration_stats(ids, rows, info["rindex"])
        gec_metrics.clear_caches()
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
            return round(gec_metrics.gleu_from_iteration_stats(meters[GLEU_KEY].sum), 2)

        metrics.log_derived("gleu", compute_gleu)

    # ---------------------------------------------------------------- decoding

    def inference_step(self, generator, models, sample, prefix_tokens=None, constraints=None):
        hypos = super().inference_step(generator, models, sample, prefix_tokens=prefix_tokens,
                                       constraints=constraints)
        if self.cfg.copy_bias is None or prefix_tokens is not None:
            return hypos
        return prefer_source(models, sample, hypos, self.target_dictionary, self.cfg.copy_bias)

    # ---------------------------------------------------------------- interactive input
    def _input_problem(self, line: str) -> Optional[str]:
        bad = _invalid_utf8(line)
        if bad:
            return bad
        if not line.strip():
            return "empty line"
        if len(line) > self.cfg.max_input_chars:
            return (f"line too long ({len(line)} characters, --max-input-chars "
                    f"{self.cfg.max_input_chars})")
        return None

    def get_interactive_tokens_and_lengths(self, lines, encode_fn):
        """Encode raw input lines; report and skip the ones that cannot be corrected."""
        start = self._interactive_seen
        self._interactive_seen += len(lines)
        tokens, skip = [], set()
        eos = torch.LongTensor([self.source_dictionary.eos()])
        for i, line in enumerate(lines):
            problem = self._input_problem(line)
            ids = None
            if problem is None:
                text = _normalize(line)
                if not text:
                    problem = "empty line (after normalisation)"
                else:
                    ids = self.source_dictionary.encode_line(
                        encode_fn(text), add_if_not_exist=False).long()
                    if ids.numel() > self.cfg.max_source_positions:
                        problem = (f"line too long ({ids.numel()} tokens, "
                                   f"--max-source-positions {self.cfg.max_source_positions})")
            if problem is not None:
                print(f"E-{start + i}\t{problem}; skipped", flush=True)
                skip.add(i)
                ids = eos
            tokens.append(ids)
        self._pending_skip = skip
        return tokens, [t.numel() for t in tokens]

    def build_dataset_for_inference(self, src_tokens, src_lengths, constraints=None):
        skip, self._pending_skip = self._pending_skip, set()
        return _SkippingLanguagePairDataset(
            src_tokens, src_lengths, self.source_dictionary,
            tgt_dict=self.target_dictionary, constraints=constraints, skip=skip)
