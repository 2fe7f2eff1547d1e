"""``--coverage-penalty BETA``: Wu et al. (2016)'s coverage penalty in the beam search.

:func:`coverage_penalty_hook`, one of the generator hooks
(:data:`fairseq_plugins.decoding.generator.HOOKS`), puts the beta into each plugin decoder's
``Decoding`` in the plan of the generator being built (:mod:`.search`; the model is not
changed); the decoder's steps then carry the coverage in their incremental state and add
each step's change of the penalty to that step's log-probabilities
(:mod:`fairseq_plugins.models.coverage`), so that fairseq's beam ranks and finishes
hypotheses by log P(Y|X) + cp(X; Y), divided by the length penalty as fairseq divides every
score.
"""
from fairseq_plugins.decoding import search
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
    if beta:
        extra[search.PLAN] = search.plan_of(extra, models).with_decodings(
            lambda i, d: d._replace(coverage_penalty=beta))
    return seq_gen_cls, extra
