"""Shallow fusion with a language model: ``--lm-path`` / ``--lm-weight`` in fairseq-interactive.

fairseq's ``SequenceGenerator`` adds ``lm_weight * log p_LM(y_t | y_<t)`` to the model's
log-probabilities at every beam-search step when it is given a language model.
``fairseq-generate`` loads one from ``--lm-path``, built on ``DATA/dict.txt`` without
comparing that with the LM's own dictionary; ``fairseq-interactive`` parses the same two
options and decodes without them. :func:`generator_hook`, which every task's
``build_generator`` runs (:mod:`fairseq_plugins.decoding.generator`), checks fairseq-generate's
LM (:func:`check_language_model`) and loads one (:func:`load_language_model`) when the
generator it is asked for has none: ``--lm-path`` works in the shell, for ``translation``
as for ``gec``.

The LM must predict the GEC model's target vocabulary index for index. Train it with
``fairseq-train --task language_modeling`` on text binarised by ``fairseq-preprocess
--only-source --srcdict DATA/bin/dict.cor.txt``. That is checked here, symbol by symbol,
against the LM's ``dict.txt`` (beside the checkpoint file, else in the data folder it was
trained on): two dictionaries of one size but another order would otherwise fuse
unrelated words without any error.
"""
import logging
import os

import torch
from fairseq import checkpoint_utils, tasks
from fairseq.data import Dictionary

from fairseq_plugins.errors import ModelOptionError

logger = logging.getLogger(__name__)


class LanguageModelError(ModelOptionError):
    """An LM that cannot be fused with this model (reported in one line)."""


def _lm_dictionary_file(path: str, state: dict) -> str:
    candidates = [os.path.join(os.path.dirname(os.path.abspath(path)), "dict.txt")]
    data = getattr(state["cfg"].task, "data", None)
    if data:
        candidates.append(os.path.join(str(data).split(os.pathsep)[0], "dict.txt"))
    for candidate in candidates:
        if os.path.isfile(candidate):
            return candidate
    raise LanguageModelError(
        f"--lm-path {path}: cannot check its vocabulary: no dict.txt beside it or in its "
        f"training data folder; copy the dict.txt it was binarised with next to it")


def _check_same_symbols(lm_dict: Dictionary, target_dict: Dictionary, where: str):
    if lm_dict.symbols != target_dict.symbols:
        first = next((i for i, (a, b) in enumerate(zip(lm_dict.symbols, target_dict.symbols))
                      if a != b), min(len(lm_dict), len(target_dict)))
        raise LanguageModelError(
            f"--lm-path: the language model's dictionary ({where}, {len(lm_dict)} entries) "
            f"differs from the target dictionary ({len(target_dict)} entries) at entry "
            f"{first}; binarise the LM's text with --srcdict set to the target dictionary")


def _checked_state(path: str, target_dict: Dictionary) -> dict:
    """The LM checkpoint at ``path``, once its task and vocabulary are known to fit."""
    if not os.path.isfile(path):
        raise LanguageModelError(f"--lm-path {path}: no such file")
    state = checkpoint_utils.load_checkpoint_to_cpu(path)
    cfg = state.get("cfg")
    if cfg is None or cfg.task is None or cfg.task._name != "language_modeling":
        name = None if cfg is None or cfg.task is None else cfg.task._name
        raise LanguageModelError(f"--lm-path {path}: not a language model (its task is "
                                 f"{name!r}, not 'language_modeling')")
    dict_file = _lm_dictionary_file(path, state)
    _check_same_symbols(Dictionary.load(dict_file), target_dict, dict_file)
    return state


def check_language_model(path: str, target_dict: Dictionary):
    """Raise :class:`LanguageModelError` unless ``path`` is an LM of ``target_dict``'s
    vocabulary (for an LM that fairseq-generate loaded its own way: see
    :func:`generator_hook`)."""
    _checked_state(path, target_dict)


def load_language_model(path: str, target_dict: Dictionary, device: torch.device):
    """The fairseq language model at ``path``, checked against ``target_dict``, in eval mode."""
    state = _checked_state(path, target_dict)
    cfg = state["cfg"]
    # the LM task is built around the target dictionary, so nothing is read from the
    # folder the LM was trained in (it may be gone)
    lm_task = tasks.TASK_REGISTRY["language_modeling"](cfg.task, target_dict)
    model = lm_task.build_model(cfg.model)
    try:
        model.load_state_dict(state["model"], strict=True, model_cfg=cfg.model)
    except RuntimeError as e:   # e.g. an LM trained with --output-dictionary-size
        lines = [line.strip() for line in str(e).strip().splitlines()]
        first = lines[1] if len(lines) > 1 else lines[0]   # lines[0]: "Error(s) in loading"
        raise LanguageModelError(f"--lm-path {path}: its weights do not fit an LM of the "
                                 f"target dictionary's {len(target_dict)} entries ({first})")
    logger.info("shallow fusion with language model %s (%s, %d parameters)", path,
                cfg.model._name, sum(p.numel() for p in model.parameters()))
    return model.to(device).eval()


def generator_hook(task, models, args, seq_gen_cls, extra):
    """``build_generator``'s LM: fairseq-generate's checked, fairseq-interactive's loaded."""
    lm_path = getattr(args, "lm_path", None)
    if lm_path:
        if extra.get("lm_model") is not None:   # fairseq-generate's, built on DATA/dict.txt
            check_language_model(lm_path, task.target_dictionary)
        else:   # fairseq-interactive's case: parsed, then ignored
            first = next(models[0].parameters())
            lm = load_language_model(lm_path, task.target_dictionary, first.device)
            extra["lm_model"], extra["lm_weight"] = lm.to(first.dtype), args.lm_weight
        if not args.lm_weight:
            logger.warning("--lm-path without --lm-weight (0): the LM changes nothing")
    return seq_gen_cls, extra
