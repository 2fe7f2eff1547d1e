"""``--coverage-penalty BETA``: Wu et al. (2016)'s coverage penalty in the beam search.

:func:`coverage_penalty_hook`, one of the generator hooks
(:data:`fairseq_plugins.decoding.generator.HOOKS`), gives each model's decoder the beta of
the generator being built (0, the default, turns it off again); the decoder then carries the
coverage in its incremental state and adds each step's change of the penalty to that step's
log-probabilities (:mod:`fairseq_plugins.models.coverage`), so that fairseq's beam ranks and
finishes hypotheses by log P(Y|X) + cp(X; Y), divided by the length penalty as fairseq
divides every score.
"""
from fairseq_plugins.decoding.options import FastDecodingError, is_plugin_rnn, not_plugin_rnn


def coverage_penalty_hook(task, models, args, seq_gen_cls, extra):
    beta = float(getattr(args, "coverage_penalty", 0.0) or 0.0)
    if beta < 0:
        raise FastDecodingError(f"--coverage-penalty must be >= 0, got {beta:g}")
    for model in models:
        if not is_plugin_rnn(model):
            if beta:
                raise not_plugin_rnn("--coverage-penalty", model)
            continue
        decoder = model.decoder
        if beta and decoder.attention is None:
            raise FastDecodingError(
                f"--coverage-penalty needs attention, and this model has none (--attention "
                f"{decoder.attention_type}); drop --coverage-penalty")
        decoder.coverage_penalty = beta
    return seq_gen_cls, extra
