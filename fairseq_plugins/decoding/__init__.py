"""Faster decoding for the plugin's RNN models: ``--fast-decoding MODE``.

fairseq's beam search (``SequenceGenerator``) asks the decoder for one step at a time, and
on a CPU most of a step is matrix products: the output layer (readout x vocabulary), the
decoder RNN and, for Luong's attention, the combine layer. The modes, set with the
generation option ``--fast-decoding`` (:mod:`.options` adds it to ``fairseq-generate``,
``fairseq-interactive`` and every task's generator):

``none`` (default)
    the model's own step, unchanged.
``lean``
    the model's own weights and arithmetic, with less copying: beam search keeps the
    encoder's output and the attention keys one row a sentence instead of one per
    hypothesis, so that no step copies them (:mod:`.beam_layout`). Exact: the
    same hypotheses and scores as ``none`` (to float rounding). Every mode below does
    this too.
``int8`` (CPU only)
    the decoder's matrix products in int8: the output layer (and a tied output's
    projection), the combine layer and the RNN's gates (LSTM: one product of ``[x; h]`` per
    layer; GRU: one of ``x`` and one of ``h``) as dynamically quantised linear layers
    (``torch.ao``: weights int8 per output row, activations quantised per step); the
    encoder and the attention stay fp32. Approximate: log-probabilities move a little, and
    some sentences change (docs/speed.md measures how many).
``shortlist``
    the output layer over a list of target tokens per batch instead of the whole
    vocabulary: the most frequent ``--shortlist-frequent`` tokens, ``<eos>`` and ``<unk>``,
    the source tokens themselves where source and target share a dictionary (GEC), and, for
    each source token, its targets in ``--shortlist FILE`` (a lexical table,
    ``scripts/build_shortlist.py`` builds one from the training data; required except for
    the ``gec`` task). The search's log-probabilities are normalised over the list;
    every hypothesis returned is then scored again with the whole vocabulary, so its
    score (and each positional score) is the one the standard path gives that sentence.
``int8-shortlist``
    both. Weights are quantised per output row, so a shortlisted logit is exactly the int8
    model's logit for that token, and the exact rescoring uses the int8 model.
``rnn-beam``, ``int8-rnn-beam``, ``shortlist-rnn-beam``, ``int8-shortlist-rnn-beam``
    ``lean``'s step (or the mode before ``-rnn-beam``) under a beam search written for the
    RNN decoders instead of fairseq's ``SequenceGenerator`` (:mod:`.rnn_beam`): one batched
    loop over the decoder's step, the hypotheses' state kept as the search's own tensors.
    Exact: fairseq's beam search, the same hypotheses and scores (``rnn-beam`` against
    ``none``, ``int8-rnn-beam`` against ``int8``, ...). Ensembles, ``--print-alignment``,
    prefix tokens, constraints, a language model and the other search strategies are
    refused in one line.

What equality holds, and what is tested (``tests/unit/test_fast_decoding.py``):

* any sentence a shortlist mode returns has the score the standard path (``shortlist``)
  or the ``int8`` path (``int8-shortlist``) gives that sentence (up to float rounding);
* greedy search (``--beam 1``): whenever every token the standard path outputs is in the
  list, the shortlist outputs the same sentence, hence with the same score (the argmax over
  the whole vocabulary is in the list, so it is the argmax over the list, step by step);
* beam search: the same sentence is likely but not guaranteed, because normalising over
  the list raises the scores of different prefixes by different amounts, which can change
  which prefixes the beam keeps. ``scripts/benchmark_inference.py`` measures how often.

How it plugs in (each through the model's or fairseq's own hook):

* every mode gives the generator a plan (:mod:`.search`): one encoder row a sentence
  (its ensemble's ``reorder_encoder_out`` follows :mod:`.beam_layout`) and the layers the
  decoder's incremental steps run (a ``Decoding`` in the batch's incremental state:
  :mod:`.int8`, :mod:`.shortlist`); the model is never changed, so ``none`` and every
  other generator over the same model run the model's own;
* a shortlist mode builds its generator class through ``build_generator``'s ``seq_gen_cls``
  (:mod:`.generator`), which sets each batch's list and rescores what the search returns;
  an ``*-rnn-beam`` mode's class is :class:`.rnn_beam.RNNBeamSearch` (the shortlist's
  wrapped around it for ``*shortlist-rnn-beam``);
* whether the list holds the source tokens is the task's
  ``shortlist_includes_source`` attribute (the ``gec`` task sets it);
* :func:`install` adds the options and the plugin's one hook on ``build_generator``, which
  runs the generator hooks in a stated order (:data:`.generator.HOOKS`).

The quantised layers live in plain objects beside the decoder, not in its modules:
``state_dict()`` is unchanged, and a checkpoint saved from a model prepared here is the
checkpoint that was loaded. Nothing is quantised before decoding.

Bad combinations end in one line (:class:`.options.FastDecodingError`): a model that is not the
plugin's RNN, ``int8`` on CUDA, a shortlist without its table (or with a table that does
not fit the dictionaries), ``--cpu-bf16`` with int8, constraints.
"""

#: the fairseq versions whose code the replacements below were written for
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}
#: the fairseq globals :func:`install` replaces (docs/architecture.md has why): the generation
#: options' class where fairseq reads it (its parser, ``FairseqConfig``'s ``generation``
#: field) and every task's ``build_generator``
REPLACES = ("fairseq.options.GenerationConfig",
            "fairseq.dataclass.configs.FairseqConfig.generation",
            "fairseq.tasks.FairseqTask.build_generator")


def install():
    """Add the generation options and the build_generator hook (once per process)."""
    from fairseq_plugins.decoding import generator, options

    options.install()
    generator.install()
