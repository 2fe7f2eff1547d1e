"""The Python API: a trained translation or GEC model in one call.

    from fairseq_plugins.api import load
    model = load("checkpoints/m30k", "data/m30k-de-en/bin", beam=5)
    model.translate(["Ein Mann fährt Fahrrad."])             # ['A man rides a bike.']
    model.translate(sources, n_best=3)                       # three strings a sentence
    model.hypotheses(sources, alignments=True)               # text, score, alignment
    model.translate(sources, fast_decoding="int8")           # the fast path

:func:`load` is fairseq's ``hub_utils.from_pretrained`` (which loads the plugin's
checkpoints as they are) with what it leaves to the caller filled in: the checkpoint file
in a folder, the data folder the model was trained on, the subword model that
``preprocess.prepare`` recorded in ``prepare.json`` beside that folder, and the plugin
imported. :class:`Translator` is fairseq's ``GeneratorHubInterface`` with four changes,
each a way the hub interface differs from ``fairseq-interactive`` for this plugin:

- input goes through the task's ``get_interactive_tokens_and_lengths`` (the ``gec``
  task normalises it first) and the task's tokenizer (``gec``: PTB tokenisation where
  the data is PTB-tokenised), as in ``fairseq-interactive``;
- every sentence is checked as the interactive shell checks a line
  (:mod:`fairseq_plugins.shell.input`: not UTF-8, empty, too many characters or tokens);
  a bad one raises :class:`BadSentence` naming it, before anything is decoded;
- alignments work: the hub interface prepares the decoder without attention, and the
  plugin's alignment search asks its steps for it (its own decoding state: the models are
  never changed by a generator);
- a generator is built once for each set of generation options and kept (a few), because
  building one is slow under ``--fast-decoding`` (int8 copies, the shortlist's table).
"""
import copy
import dataclasses
import json
import logging
import os
import threading
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import List, NamedTuple, Optional, Sequence

import torch
from omegaconf import DictConfig, open_dict

import fairseq_plugins  # noqa: F401  (the fixes, --fast-decoding, the models and tasks)
from fairseq_plugins.shell import input as shell_input
from preprocess.layout import PREPARE_MANIFEST
from preprocess.texttools import edits as text_edits
from preprocess.texttools.errors import InputError

PLUGIN_DIR = Path(fairseq_plugins.__file__).resolve().parent
#: checkpoint files looked for, in this order, when ``load`` is given a folder
CHECKPOINT_NAMES = ("checkpoint_best.pt", "checkpoint_last.pt")
#: ``prepare.json``'s tokenizer -> fairseq's --bpe and the option naming its model
SUBWORD_OPTIONS = {"sentencepiece": ("sentencepiece", "sentencepiece_model"),
                   "bpe": ("subword_nmt", "bpe_codes")}
#: generators kept, one for each set of generation options (the oldest goes first)
GENERATORS_KEPT = 8


#: loggers that write a line for every batch decoded: WARNING unless set otherwise
CHATTY_LOGGERS = ("fairseq.tasks.fairseq_task",)


def quiet_fairseq():
    """The API prints nothing by default: undo the ``logging.basicConfig(level=DEBUG)``
    that importing fairseq calls (the handlers it added to the root logger, so that the
    caller's own ``logging.basicConfig`` takes effect), set fairseq's per-batch loggers to
    WARNING where nobody has set them, and ignore PyTorch's warning that ``pin_memory``
    has no accelerator on a CPU (fairseq's batch iterator asks for it)."""
    root = logging.getLogger()
    added = [h for h in fairseq_plugins.FAIRSEQ_ROOT_HANDLERS if h in root.handlers]
    for handler in added:
        root.removeHandler(handler)
    if added:
        root.setLevel(fairseq_plugins.ROOT_LEVEL_BEFORE_FAIRSEQ)
    for name in CHATTY_LOGGERS:
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*'pin_memory' argument is set as true",
                            category=UserWarning)


quiet_fairseq()


class BadSentence(InputError, ValueError):
    """A sentence the model cannot take; ``index`` is its position in the list."""

    def __init__(self, index: int, reason: str):
        super().__init__(f"sentence {index}: {reason}")
        self.index, self.reason = index, reason


class Hypothesis(NamedTuple):
    """One output: the detokenised text, fairseq's score (mean log-probability a token
    after the length penalty), the log-probability of each token, and the alignment as
    (source position, target position) pairs of subword tokens (None unless asked)."""
    text: str
    score: float
    positional_scores: List[float]
    alignment: Optional[List[tuple]]


def _checkpoint(path) -> Path:
    path = Path(path)
    if path.is_dir():
        for name in CHECKPOINT_NAMES:
            if (path / name).is_file():
                return path / name
        raise InputError(f"no {' or '.join(CHECKPOINT_NAMES)} in {path}")
    if not path.is_file():
        raise InputError(f"checkpoint not found: {path}")
    return path


def _trained_data(checkpoint: Path) -> str:
    """The data folder recorded in the checkpoint (``cfg.task.data``)."""
    from fairseq import checkpoint_utils

    state = checkpoint_utils.load_checkpoint_to_cpu(str(checkpoint))
    cfg = state.get("cfg") or {}
    data = (cfg.get("task") or {}).get("data") if cfg else getattr(state.get("args"), "data",
                                                                    None)
    if not data:
        raise InputError(f"{checkpoint} records no data folder: pass the one it was trained on")
    return str(data).split(":")[0]


def subword_options(data, src_lang: Optional[str] = None) -> dict:
    """fairseq's --bpe options for the subword model ``prepare.json`` records beside the
    binarised folder ``data`` (its parent folder); {} where there is none."""
    manifest = Path(data).parent / PREPARE_MANIFEST
    if not manifest.is_file():
        return {}
    info = json.loads(manifest.read_text(encoding="utf-8"))
    kind = SUBWORD_OPTIONS.get(info.get("tokenizer"))
    models = info.get("subword_models") or {}
    lang = src_lang or info.get("src_lang")
    if kind is None or lang not in models:
        return {}
    bpe, option = kind
    return {"bpe": bpe, option: str(manifest.parent / models[lang])}


def load(path, data=None, *, beam: int = 5, fast_decoding: Optional[str] = None,
         device: str = "cpu", **options) -> "Translator":
    """A :class:`Translator` for the checkpoint ``path`` (a file, or a folder holding
    ``checkpoint_best.pt`` or ``checkpoint_last.pt``).

    ``data``: the binarised folder with the dictionaries (default: the one the model was
    trained on). The subword model is the one ``prepare.json`` beside ``data`` names,
    unless ``bpe=``/``sentencepiece_model=``/``bpe_codes=`` are given. ``beam`` and
    ``fast_decoding`` (``lean``, ``int8``, ``shortlist``, ``int8-shortlist``) are the
    default generation options; every other keyword is a task, model or generation
    option under its fairseq name (``copy_bias=0.5``, ``lenpen=1.2``, ``max_len_b=100``).
    """
    from fairseq import hub_utils

    checkpoint = _checkpoint(path)
    data = str(data) if data is not None else _trained_data(checkpoint)
    if not Path(data).is_dir():
        raise InputError(f"data folder not found: {data}")
    overrides = dict(options)
    if "bpe" not in overrides:
        overrides.update(subword_options(data, overrides.get("source_lang")))
    loaded = hub_utils.from_pretrained(str(checkpoint.parent), checkpoint_file=checkpoint.name,
                                       data_name_or_path=data, user_dir=str(PLUGIN_DIR),
                                       **overrides)
    task = _apply_missing_options(loaded["args"], loaded["task"], loaded["models"], options)
    # the checkpoint as it is named in the folder given, never a path of this machine
    translator = Translator(loaded["args"], task, loaded["models"],
                            beam=beam, fast_decoding=fast_decoding,
                            checkpoint=checkpoint.name)
    return translator.to(device).prepare()


#: ``load`` keywords that name the subword model (fairseq's hub reads them itself)
SUBWORD_KEYWORDS = ("bpe", "sentencepiece_model", "bpe_codes")


def _apply_missing_options(cfg, task, models, options: dict):
    """The task of ``cfg``, with each option of ``options`` that fairseq's overrides could
    not set applied, or refused in one line: fairseq sets an override only where the
    checkpoint's saved configuration has the key, so an option added after the model was
    trained (``spelling=True`` of the gec task on an older checkpoint) or a misspelt one
    would be dropped without a word. A task option the saved configuration lacks is added
    and the task set up again (its dictionaries, its spelling step); a generation option is
    added; a model option cannot change a built model and, like an unknown name, raises
    :class:`InputError`."""
    from fairseq import tasks

    from fairseq_plugins.decoding.options import GenerationConfig

    def fields(dc) -> set:
        return {f.name for f in dataclasses.fields(dc)} if dc is not None else set()

    sections = [name for name in cfg.keys() if isinstance(cfg.get(name), DictConfig)]
    task_fields = fields(tasks.TASK_DATACLASS_REGISTRY.get(cfg.task._name))
    model_fields = set().union(*(fields(getattr(type(m), "__dataclass", None)) for m in models))
    new_task = {}
    for name, value in options.items():
        if name in SUBWORD_KEYWORDS or any(name in cfg[s] for s in sections):
            continue
        if name in task_fields:
            new_task[name] = value
        elif name in fields(GenerationConfig):
            with open_dict(cfg.generation):
                cfg.generation[name] = value
        elif name in model_fields:
            raise InputError(f"option {name}: the checkpoint's model was saved without it "
                             "(trained before the option existed) and cannot take it at load")
        else:
            raise InputError(f"unknown option {name}: not an option of the checkpoint's "
                             f"task ({cfg.task._name}), model or generation")
    if not new_task:
        return task
    with open_dict(cfg.task):
        for name, value in new_task.items():
            cfg.task[name] = value
    return tasks.setup_task(cfg.task)


class Translator:
    """A loaded model: :meth:`translate` (``correct`` for GEC) and :meth:`hypotheses`.

    Built by :func:`load`. Safe to call from several threads: each generator (one for each
    set of generation options) decodes one batch at a time, as fairseq's generators do;
    calls with different options decode side by side over the same models.
    """

    def __init__(self, cfg, task, models, beam: int = 5, fast_decoding: Optional[str] = None,
                 checkpoint: Optional[str] = None):
        from fairseq.hub_utils import GeneratorHubInterface

        self.hub = GeneratorHubInterface(cfg, task, models)
        self.cfg, self.task, self.models = cfg, task, self.hub.models
        self.checkpoint = checkpoint
        # as fairseq-interactive: the task's tokenizer (gec: PTB where the data is PTB), where
        # the hub builds fairseq's registry's; its subword model (task.build_bpe's) stays
        self.hub.tokenizer = task.build_tokenizer(cfg.tokenizer)
        self.defaults = {"beam": beam, "fast_decoding": fast_decoding or "none"}
        self.limits = shell_input.limits(task, self.hub.max_positions)
        self._generators: "OrderedDict[tuple, tuple]" = OrderedDict()   # key -> (gen, lock)
        self._building = threading.Lock()

    def to(self, device) -> "Translator":
        self.hub.to(device)
        return self

    @property
    def device(self):
        return self.hub.device

    # ---------------------------------------------------------------- input
    def _encode_text(self, sentence: str) -> str:
        return self.hub.apply_bpe(self.hub.tokenize(sentence))

    def _decode_text(self, sentence: str) -> str:
        return self.hub.detokenize(self.hub.remove_bpe(sentence))

    def encode(self, sentences: Sequence[str]) -> List[torch.Tensor]:
        """The source token ids of each sentence; :class:`BadSentence` for the first bad."""
        if isinstance(sentences, str):
            raise TypeError("give a list of sentences, not one string")
        for i, sentence in enumerate(sentences):
            if not isinstance(sentence, str):
                raise BadSentence(i, f"not a string ({type(sentence).__name__})")
            problem = shell_input.text_problem(sentence, sentence, self.limits) or \
                _not_text(sentence)
            if problem is not None:
                raise BadSentence(i, problem)
        ids, _ = self.task.get_interactive_tokens_and_lengths(list(sentences),
                                                              self._encode_text)
        special = shell_input._special_tokens(self.task.source_dictionary)
        for i, tokens in enumerate(ids):
            problem = shell_input.token_problem(tokens, special, self.limits)
            if problem is not None:
                raise BadSentence(i, problem)
        return ids

    # ---------------------------------------------------------------- decoding
    def _generator_for(self, options: dict):
        """The generator of ``options`` and its lock (built the first time, then kept)."""
        key = tuple(sorted(options.items()))
        with self._building:
            if key in self._generators:
                self._generators.move_to_end(key)
                return self._generators[key]
            gen_args = copy.deepcopy(self.cfg.generation)
            with open_dict(gen_args):
                for name, value in options.items():
                    setattr(gen_args, name, value)
            kept = self._generators[key] = (self.task.build_generator(self.models, gen_args),
                                            threading.Lock())
            while len(self._generators) > GENERATORS_KEPT:
                self._generators.popitem(last=False)
            return kept

    def _options(self, n_best=None, alignments=None, **options) -> dict:
        options = {**self.defaults, **options}
        if n_best is not None:
            options["nbest"] = n_best
        options["nbest"] = max(int(options.get("nbest") or 1), 1)
        options["beam"] = max(int(options["beam"]), options["nbest"])
        if alignments:
            options["print_alignment"] = "hard"
        elif alignments is not None:
            options.pop("print_alignment", None)
        return options

    def prepare(self) -> "Translator":
        """Build the generator of the default options now: a ``--fast-decoding`` mode the
        model cannot run (e.g. int8 with a ``cpu_bf16`` model) fails here, in one line
        (:class:`~fairseq_plugins.decoding.options.FastDecodingError`), not at the first
        sentence. :func:`load` and the server call it; call it again after changing
        ``defaults``."""
        self._generator_for(self._options())
        return self

    def generate_ids(self, ids: List[torch.Tensor], n_best: Optional[int] = None,
                     alignments: Optional[bool] = None, **options) -> List[List[dict]]:
        """fairseq's hypotheses (dicts of tensors) for encoded sentences, best first;
        ``n_best`` and ``alignments`` default to the translator's ``defaults``."""
        options = self._options(n_best, alignments, **options)
        generator, lock = self._generator_for(options)
        with lock, torch.no_grad():
            results = {}
            for batch in self.hub._build_batches(ids, False):
                batch = _to(batch, self.device)
                hypos = self.task.inference_step(generator, self.models, batch)
                for i, hypo in zip(batch["id"].tolist(), hypos):
                    results[i] = hypo[:options["nbest"]]
        return [results[i] for i in range(len(ids))]

    def _hypothesis(self, hypo: dict, alignments: bool) -> Hypothesis:
        text = self.task.target_dictionary.string(hypo["tokens"].int().cpu(), None)
        alignment = None
        if alignments and hypo.get("alignment") is not None:
            pairs = hypo["alignment"]
            pairs = pairs.tolist() if torch.is_tensor(pairs) else pairs
            alignment = [(int(s), int(t)) for s, t in pairs]
        return Hypothesis(self._decode_text(text), float(hypo["score"]),
                          [float(x) for x in hypo["positional_scores"].tolist()], alignment)

    def hypotheses(self, sentences: Sequence[str], n_best: int = 1, alignments: bool = False,
                   **options) -> List[List[Hypothesis]]:
        """The ``n_best`` best :class:`Hypothesis` of each sentence, best first.

        ``options``: generation options under their fairseq names (``beam``, ``lenpen``,
        ``fast_decoding``, ``max_len_b``, ...), for this call only.
        """
        hypos = self.generate_ids(self.encode(sentences), n_best, alignments, **options)
        return [[self._hypothesis(h, alignments) for h in one] for one in hypos]

    def translate(self, sentences: Sequence[str], n_best: int = 1, **options):
        """The best output of each sentence (a string), or with ``n_best`` > 1 a list of
        the ``n_best`` best strings a sentence."""
        hypos = self.hypotheses(sentences, n_best, **options)
        if n_best > 1:
            return [[h.text for h in one] for one in hypos]
        return [one[0].text for one in hypos]

    def correct(self, sentences: Sequence[str], n_best: int = 1, edits: bool = False,
                **options):
        """GEC models correct what translation models translate: as :meth:`translate`;
        with ``edits=True`` each item is a text (a paragraph: split into sentences,
        line breaks kept) and the answer a :class:`~preprocess.texttools.edits.Corrected`
        a text: the corrected text, and each edit as a character span of the ORIGINAL
        text (``offset``, ``length``, ``replacement``, ``original``, ``type``)."""
        if not edits:
            return self.translate(sentences, n_best, **options)
        if n_best != 1:
            raise ValueError("edits=True gives the best correction only: n_best=1")
        return self.correct_texts(sentences, **options)

    def correct_texts(self, texts: Sequence[str], **options) -> List[text_edits.Corrected]:
        """Each text corrected sentence by sentence (one decoding call for all), with its
        edits as spans of the text; :class:`BadSentence` names the text (its index) and
        its sentence."""
        if isinstance(texts, str):
            raise TypeError("give a list of texts, not one string")
        spans, flat = [], []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise BadSentence(i, f"not a string ({type(text).__name__})")
            spans.append(text_edits.split_sentences(text))
            flat += [(i, k, text[s:e]) for k, (s, e) in enumerate(spans[-1])]
        try:
            corrected = self.translate([x for _, _, x in flat], **options) if flat else []
        except BadSentence as bad:
            i, k, _ = flat[bad.index]
            raise BadSentence(i, f"sentence {k + 1}: {bad.reason}") from None
        out, done = [], iter(corrected)
        for text, text_spans in zip(texts, spans):
            out.append(text_edits.corrected_text(text, text_spans,
                                                 [next(done) for _ in text_spans]))
        return out

    def describe(self) -> dict:
        """What is served: the checkpoint, the task, the architecture and its options."""
        model_cfg = self.cfg.model
        arch = getattr(model_cfg, "arch", None) or getattr(model_cfg, "_name", None)
        task_cfg = self.cfg.task
        return {
            "checkpoint": self.checkpoint,
            "task": getattr(task_cfg, "_name", None),
            "arch": arch,
            "source_lang": getattr(task_cfg, "source_lang", None),
            "target_lang": getattr(task_cfg, "target_lang", None),
            "data": _name(getattr(task_cfg, "data", None)),
            "bpe": getattr(self.cfg.bpe, "_name", None) if self.cfg.bpe else None,
            "generation": dict(self.defaults),
            "limits": {"chars": self.limits.chars, "tokens": self.limits.tokens},
            "model": {k: _name(v) for k, v in _plain(model_cfg).items()},
            "parameters": sum(p.numel() for m in self.models for p in m.parameters()),
        }


def _plain(cfg) -> dict:
    from omegaconf import OmegaConf

    try:
        out = OmegaConf.to_container(cfg, resolve=True)
    except Exception:   # an argparse Namespace (old checkpoints) or an unresolvable field
        out = dict(vars(cfg)) if hasattr(cfg, "__dict__") else {}
    return {k: v for k, v in out.items() if isinstance(v, (str, int, float, bool, type(None)))}


def _not_text(sentence: str) -> Optional[str]:
    """Why ``sentence`` is not text the tokenisers take: a lone surrogate (JSON's
    ``"\\ud800"``; the bytes of invalid UTF-8, U+DC80..U+DCFF, are named before) or a
    control character other than white space; None where it is fine."""
    for pos, ch in enumerate(sentence):
        if "\ud800" <= ch <= "\udfff":
            return f"not text: a lone surrogate U+{ord(ch):04X} at character {pos}"
        if ord(ch) < 32 and ch not in "\t\n\r" or ch == "\x7f":
            return f"not text: control character U+{ord(ch):04X} at character {pos}"
    return None


def _name(value):
    """A path's last part (a folder's or a file's name): what is served never shows the
    machine's paths. Other values as they are."""
    if isinstance(value, str) and os.path.isabs(value.split(":")[0]):
        return os.path.basename(value.split(":")[0].rstrip("/\\")) or value
    return value


def _to(batch, device):
    from fairseq import utils

    return utils.apply_to_sample(lambda t: t.to(device), batch)
