"""``fairseq-interactive --lm-path LM --lm-weight W`` fuses the language model.

fairseq-interactive parses both options (they are generation options) but, unlike
``fairseq-generate``, never loads the LM, and says nothing. Every task's
``build_generator`` now loads it (:func:`fairseq_plugins.lm_fusion.load_language_model`,
which also checks that the LM predicts the target dictionary entry by entry) when it is
asked for a generator with ``--lm-path`` and no LM: exactly that case, since
``fairseq-generate`` passes its own. That one fairseq builds on ``DATA/dict.txt``
whatever the LM was trained with, so the wrapper runs the same dictionary check on it
(an error in one line, not a fusion of unrelated words).
"""
import logging

from fairseq.tasks import FairseqTask

logger = logging.getLogger(__name__)

PROBLEM = "fairseq-interactive parses --lm-path/--lm-weight and decodes without the LM"
FAIRSEQ_VERSIONS = ("0.12.0", "0.13")
TEST = ("tests/integration/test_gec.py::"
        "test_lm_fusion_adds_the_weighted_lm_log_probability_at_every_step")

_original_build_generator = FairseqTask.build_generator


def build_generator_with_lm(self, models, args, seq_gen_cls=None, extra_gen_cls_kwargs=None,
                            prefix_allowed_tokens_fn=None):
    extra = dict(extra_gen_cls_kwargs or {})
    lm_path = getattr(args, "lm_path", None)
    if lm_path:
        from fairseq_plugins import lm_fusion

        if extra.get("lm_model") is not None:   # fairseq-generate's, built on DATA/dict.txt
            lm_fusion.check_language_model(lm_path, self.target_dictionary)
        else:   # fairseq-interactive's case: parsed, then ignored
            first = next(models[0].parameters())
            lm = lm_fusion.load_language_model(lm_path, self.target_dictionary, first.device)
            extra["lm_model"], extra["lm_weight"] = lm.to(first.dtype), args.lm_weight
        if not args.lm_weight:
            logger.warning("--lm-path without --lm-weight (0): the LM changes nothing")
    return _original_build_generator(self, models, args, seq_gen_cls, extra,
                                     prefix_allowed_tokens_fn)


def apply():
    FairseqTask.build_generator = build_generator_with_lm
