"""What a search owns: each decoder's step layers and coverage penalty, and the beam layout.

Building or running a generator never changes the model: two generators over one model
(the API with a per-call ``fast_decoding=``, the server's per-request options) do not see
each other. What a generator decodes with is its :class:`SearchPlan`, which the generator
hooks (:data:`fairseq_plugins.decoding.generator.HOOKS`) fill in
``extra_gen_cls_kwargs[PLAN]``; the generator's class is then fairseq's (or the one a hook
chose through ``seq_gen_cls``) with :class:`PluginSearch` mixed in (:func:`search_class`).
``PluginSearch`` puts its own ensemble (:class:`PluginEnsemble`, over the same models) in
fairseq's ``self.model``, and that ensemble

* gives each plugin decoder its :class:`~fairseq_plugins.models.rnn_decoder.Decoding`
  (the step layers, the coverage penalty) through the batch's incremental state
  (``RNNDecoder.set_decoding``) before each step (``forward_decoder``);
* follows the beam with one encoder row a sentence when the plan says so
  (``reorder_encoder_out``: :func:`.beam_layout.by_sentence`), else with the encoder's own
  ``reorder_encoder_out``;
* keeps the batch's encoder output (``last_encoder_outs``) for a search that scores again
  what it returns (the shortlist's).

A new search (a ``seq_gen_cls`` of a hook) gets all of this by subclassing fairseq's
generator and being mixed by :func:`search_class`: it reads ``self.plan`` and, to change a
batch's layers, sets ``self.model.plan`` for that batch (as ``ShortlistSearch`` does). A
search that calls a decoder itself passes the plan's ``Decoding`` with
``decoder.set_decoding(incremental_state, decoding)`` before the first step.
"""
from typing import Dict, NamedTuple, Optional, Tuple

from fairseq.sequence_generator import SequenceGenerator, SequenceGeneratorWithAlignment

from fairseq_plugins.decoding import beam_layout
from fairseq_plugins.decoding.options import is_plugin_rnn
from fairseq_plugins.models.rnn_decoder import Decoding

#: the key of the plan in ``extra_gen_cls_kwargs`` (the generator's keyword argument)
PLAN = "plugin_decoding"


class SearchPlan(NamedTuple):
    """What one generator decodes with (see the module's docstring)."""

    #: each model's :class:`Decoding` (None: a model that is not the plugin's RNN)
    decodings: Tuple[Optional[Decoding], ...]
    #: one encoder row a sentence (every ``--fast-decoding`` mode), not one a hypothesis
    by_sentence: bool = False

    def is_default(self) -> bool:
        """Whether the plan decodes as fairseq's own generator does."""
        return not self.by_sentence and all(d in (None, Decoding()) for d in self.decodings)

    def with_decodings(self, change) -> "SearchPlan":
        """The plan with ``change(model_index, decoding)`` as each plugin model's decoding."""
        return self._replace(decodings=tuple(
            None if d is None else change(i, d) for i, d in enumerate(self.decodings)))


def plan_of(extra: dict, models) -> SearchPlan:
    """The plan being built in ``extra`` (a hook's ``extra_gen_cls_kwargs``), else the
    default one for ``models``."""
    plan = extra.get(PLAN)
    if plan is None:
        plan = SearchPlan(tuple(Decoding() if is_plugin_rnn(m) else None for m in models))
    return plan


def default_class(args, extra: dict) -> type:
    """What fairseq's ``build_generator`` would choose without a ``seq_gen_cls`` (its
    ``print_alignment`` keyword added to ``extra``, as fairseq adds it)."""
    if getattr(args, "print_alignment", False):
        extra["print_alignment"] = args.print_alignment
        return SequenceGeneratorWithAlignment
    return SequenceGenerator


class PluginEnsemble:
    """Mixed into fairseq's ensemble class (``EnsembleModel``, or the alignment one): the
    plan's decodings and beam layout (see the module's docstring)."""

    plan: SearchPlan
    last_encoder_outs = None

    def forward_encoder(self, net_input):
        self.last_encoder_outs = super().forward_encoder(net_input)
        return self.last_encoder_outs

    def reorder_encoder_out(self, encoder_outs, new_order):
        if not self.plan.by_sentence or encoder_outs is None:
            return super().reorder_encoder_out(encoder_outs, new_order)
        return [beam_layout.by_sentence(out, new_order, model.encoder.reorder_encoder_out)
                for model, out in zip(self.models, encoder_outs)]

    def forward_decoder(self, tokens, encoder_outs, incremental_states, temperature: float = 1.0):
        for model, state, decoding in zip(self.models, incremental_states, self.plan.decodings):
            if decoding is not None:
                model.decoder.set_decoding(state, decoding)
        return super().forward_decoder(tokens, encoder_outs, incremental_states, temperature)


class PluginSearch:
    """Mixed into a fairseq generator class by :func:`search_class`: its ensemble is a
    :class:`PluginEnsemble` of the same models, with the plan ``plugin_decoding``."""

    def __init__(self, models, tgt_dict, plugin_decoding: SearchPlan, **kwargs):
        super().__init__(models, tgt_dict, **kwargs)
        self.plan = plugin_decoding
        base = type(self.model)   # fairseq's ensemble (the alignment generator builds its own)
        ensemble = _mixed(PluginEnsemble, base, _ENSEMBLES)(list(self.model.models))
        ensemble.plan = plugin_decoding
        self.model = ensemble.eval()


_ENSEMBLES: Dict[type, type] = {}
_SEARCHES: Dict[type, type] = {}


def _mixed(mixin: type, base: type, cache: Dict[type, type]) -> type:
    if issubclass(base, mixin):
        return base
    if base not in cache:
        cache[base] = type(f"Plugin{base.__name__}", (mixin, base), {"__module__": __name__})
    return cache[base]


def search_class(base: type) -> type:
    """``base`` (a fairseq generator class) with :class:`PluginSearch` mixed in (once a class)."""
    return _mixed(PluginSearch, base, _SEARCHES)
