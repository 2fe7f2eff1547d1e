"""``--fast-decoding rnn-beam``: a beam search written for the plugin's RNN decoders.

fairseq's ``SequenceGenerator`` decodes any model: each step goes through the ensemble's
``forward_decoder`` (the decoder's incremental state, a dictionary looked up and written
back), reorders the incremental state and the encoder's output through the model's hooks,
and finalises hypotheses in Python loops. :class:`RNNBeamSearch` is that generator with its
``_generate`` replaced by one batched loop over the decoder's own step
(:meth:`RNNDecoder.step`), the same maths:

* the RNN state of every hypothesis (hidden, cell, input feed, coverage) is the search's
  own ``StepState``, reordered by one ``rows`` a step (the rows the beam keeps);
* the encoder's output, the attention keys and the padding mask stay one row a sentence
  (a ``Memory`` whose ``group`` is the beam), copied only when sentences finish;
* step 0 runs one row a sentence (fairseq's k rows of a sentence are equal then);
* finished hypotheses are gathered with tensor operations; Python touches them once, when
  the search builds fairseq's hypotheses (``tokens``, ``score``, ``positional_scores``,
  ``attention``, ``alignment``) at the end.

What it keeps of fairseq's beam search, exactly: the candidates (the top 2k of the k x V
scores), ``<eos>`` among the first k ends a hypothesis, the first k finished hypotheses of
a sentence end it, the length penalty (``--lenpen``, ``--unnormalized``), ``--max-len-a/b``,
``--min-len``, ``--unkpen``, ``--temperature``, ``--nbest`` (the caller takes the best
``nbest`` of the k), ``--coverage-penalty``, copy attention and ``--coverage``.
Refused in one line (:func:`check`): ensembles, a language model, ``--print-alignment``,
prefix tokens, constraints, sampling and the other search strategies,
``--no-repeat-ngram-size``, ``--match-source-len``.

It combines with the other modes: ``int8-rnn-beam`` runs the int8 step layers,
``shortlist-rnn-beam`` and ``int8-shortlist-rnn-beam`` run inside the shortlist's generator
(:class:`fairseq_plugins.decoding.generator.ShortlistSearch`), which searches list
positions and rescores over the whole vocabulary. Like every generator of the plugin it
owns what it decodes with (:mod:`.search`): the step layers and the coverage penalty are
the batch's :class:`~fairseq_plugins.models.rnn_decoder.Decoding` (:func:`decoding_of`),
and the state is the decoder's own :class:`~fairseq_plugins.models.step_inputs.StepState`
and :class:`~fairseq_plugins.models.step_inputs.Memory`; the model is never changed.

Shapes: N sentences in the batch, n still searching, k the beam, g rows a sentence (1 at
step 0, then k), R = n x g rows, C candidates a sentence (2k), S source length, V the
search's vocabulary (the list's K positions under a shortlist), t the step.
"""
import math
from dataclasses import dataclass
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from fairseq import search as fairseq_search
from fairseq.sequence_generator import SequenceGenerator
from torch import Tensor

from fairseq_plugins.decoding import search
from fairseq_plugins.decoding.options import FastDecodingError
from fairseq_plugins.models import copy_attention, coverage
from fairseq_plugins.models.rnn_decoder import Decoding
from fairseq_plugins.models.rnn_encoder import cpu_autocast

RNN_BEAM = "rnn-beam"

#: generation options the search does not run, as (option, whether it is on)
_UNSUPPORTED = (
    ("--print-alignment", lambda a: bool(getattr(a, "print_alignment", None))),
    ("--prefix-size", lambda a: (getattr(a, "prefix_size", 0) or 0) > 0),
    ("--constraints", lambda a: bool(getattr(a, "constraints", None))),
    ("--sampling", lambda a: bool(getattr(a, "sampling", False))),
    ("--diverse-beam-groups", lambda a: (getattr(a, "diverse_beam_groups", -1) or -1) > 0),
    ("--diversity-rate", lambda a: (getattr(a, "diversity_rate", -1) or -1) > -1),
    ("--match-source-len", lambda a: bool(getattr(a, "match_source_len", False))),
    ("--no-repeat-ngram-size", lambda a: (getattr(a, "no_repeat_ngram_size", 0) or 0) > 0),
    ("--lm-path", lambda a: bool(getattr(a, "lm_path", None))),
)


@dataclass(frozen=True)
class RNNBeamOptions:
    """What the search needs beyond fairseq's generator arguments."""

    #: the ``--fast-decoding`` mode (what its one-line errors name)
    mode: str = RNN_BEAM


def decoding_of(gen: "RNNBeamSearch") -> Decoding:
    """The batch's :class:`Decoding` of the search's one model: the plan's, or the
    batch's list plan a shortlist search sets (``gen.model.plan``)."""
    return gen.model.plan.decodings[0] or Decoding()


def check(args, mode: str) -> None:
    """Refuse, in one line, what :class:`RNNBeamSearch` does not run."""
    for option, on in _UNSUPPORTED:
        if on(args):
            raise FastDecodingError(f"--fast-decoding {mode} does not run {option}; drop it, "
                                    f"or use a mode without rnn-beam")


class RNNBeamSearch(search.PluginSearch, SequenceGenerator):
    """fairseq's generator with :meth:`_generate` the RNN's own loop (see the module's
    docstring); its constructor takes fairseq's arguments, the plan (``plugin_decoding``,
    :class:`~.search.PluginSearch`) and ``rnn_beam``."""

    def __init__(self, models, tgt_dict, rnn_beam: RNNBeamOptions = RNNBeamOptions(),
                 **kwargs):
        super().__init__(models, tgt_dict, **kwargs)
        self.options = rnn_beam
        mode = rnn_beam.mode
        if len(self.model.models) != 1:   # what no option of _UNSUPPORTED says
            raise FastDecodingError(f"--fast-decoding {mode} takes one model, not an ensemble "
                                    f"of {len(self.model.models)}")
        if type(self.search) is not fairseq_search.BeamSearch:
            raise FastDecodingError(f"--fast-decoding {mode} runs fairseq's beam search, not "
                                    f"{type(self.search).__name__}; use a mode without rnn-beam")
        if self.lm_model is not None or self.repeat_ngram_blocker is not None:
            raise FastDecodingError(f"--fast-decoding {mode} runs no language model and no "
                                    "--no-repeat-ngram-size; use a mode without rnn-beam")
        #: rows of every step of the last batch (what scripts/benchmark_inference.py's
        #: floor multiplies)
        self.step_rows: List[int] = []

    def _generate(self, sample: Dict, prefix_tokens: Optional[Tensor] = None,
                  constraints: Optional[Tensor] = None, bos_token: Optional[int] = None):
        mode = self.options.mode
        if prefix_tokens is not None:
            raise FastDecodingError(f"--fast-decoding {mode} does not take prefix tokens "
                                    "(--prefix-size); use a mode without rnn-beam")
        if constraints is not None:
            raise FastDecodingError(f"--fast-decoding {mode} does not take --constraints")
        net_input = sample["net_input"]
        src_tokens = net_input["src_tokens"]
        src_len = src_tokens.size(1)
        max_len = min(int(self.max_len_a * src_len + self.max_len_b), self.max_len - 1)
        if self.min_len > max_len:
            raise FastDecodingError(f"--min-len {self.min_len} is above the longest output "
                                    f"({max_len}): lower it or raise --max-len-a/b")
        encoder_out = self.model.forward_encoder(net_input)[0]
        decoder = self.model.models[0].decoder
        return _Beam(self, decoder, encoder_out, max_len,
                     self.eos if bos_token is None else bos_token).run()


class _Beam:
    """One batch's search: the state of its hypotheses and of its finished ones."""

    def __init__(self, gen: RNNBeamSearch, decoder, encoder_out, max_len: int, bos: int):
        self.gen, self.decoder, self.max_len = gen, decoder, max_len
        decoding = decoding_of(gen)
        self.k, self.beta = gen.beam_size, float(decoding.coverage_penalty)
        self.layers = decoder._layers(decoding)
        need_attn = decoder.need_attn if decoding.need_attn is None else decoding.need_attn
        self.need_attn = bool(need_attn) and decoder.attention is not None
        # one row a sentence (group 0), each sentence's summary and source with it
        memory = decoder._memory(encoder_out, None)
        if memory.src is not None and self.layers.positions:   # source ids -> list positions
            memory = memory._replace(src=torch.searchsorted(
                self.layers.output_ids.to(memory.src.device), memory.src))
        self.memory = memory
        # N rows; coverage and cp(X; Y) so far when the model or the penalty needs them
        self.state = decoder._initial_state(encoder_out, self.beta)
        n = encoder_out["encoder_out"][0].size(0)
        device = self.state.hidden.device
        self.sentences = torch.arange(n, device=device)   # n: original index of each
        self.rows_per_sentence(1)
        self.tokens = torch.full((n, 1), bos, dtype=torch.long, device=device)  # R x (t + 1)
        self.scores = torch.zeros(n, 0, device=device)   # R x t: cumulative scores
        self.attn: Optional[Tensor] = None   # R x S x t
        self.ignore = torch.zeros(n, self.k, dtype=torch.bool, device=device)   # n x k
        self.done = torch.zeros(n, dtype=torch.long, device=device)   # finished, a sentence
        self.finished: List[tuple] = []   # (sentences, tokens, positional, scores, attn)

    def rows_per_sentence(self, g: int):
        """Lay the memory out for ``g`` rows a sentence (one row a sentence when 1)."""
        self.g = g
        memory = self.memory

        def rows(x: Optional[Tensor]) -> Optional[Tensor]:   # n x ... -> R x ...
            return x.repeat_interleave(g, dim=0) if x is not None and g > 1 else x

        # values, keys and mask stay one row a sentence (the attention reads them by group)
        self.step_memory = memory._replace(group=g if g > 1 else 0, summary=rows(memory.summary),
                                           src=rows(memory.src))
        self.mask_rows = rows(memory.mask)   # R x S, for the coverage penalty

    def keep_sentences(self, keep: Tensor):
        """Drop the finished sentences: keep the sentences ``keep`` (n')."""
        self.memory = self.memory.rows(keep)
        self.sentences = self.sentences.index_select(0, keep)
        self.ignore, self.done = self.ignore.index_select(0, keep), self.done.index_select(0, keep)
        self.g = 0   # the rows' layout is laid out again after the reorder

    # ------------------------------------------------------------------ the step
    def step(self, prev: Tensor):
        """The log-probabilities R x V of the next token after ``prev`` (R), and the
        attention R x S (None unless the caller asked for it)."""
        decoder, layers, gen = self.decoder, self.layers, self.gen
        ids = layers.output_ids[prev] if layers.positions else prev
        with cpu_autocast(decoder.cpu_bf16):
            emb = decoder.embed_tokens(ids.unsqueeze(1))   # R x 1 x E
            feat, attn, self.state = decoder.step(emb, self.state, self.step_memory, layers)
            x = layers.project(feat) if layers.project is not None else feat
            logits = layers.output(x)   # R x 1 x V
            gate = decoder.copy_gate(feat) if decoder.copy else None
        if gen.temperature != 1.0:
            logits = logits / gen.temperature
        lprobs = F.log_softmax(logits.float(), dim=-1)
        if layers.output_ids is not None and not layers.positions:   # list -> vocabulary
            full = lprobs.new_full(lprobs.shape[:-1] + (len(decoder.dictionary),), -math.inf)
            lprobs = full.index_copy_(2, layers.output_ids.to(lprobs.device), lprobs)
        if gate is not None:
            lprobs = copy_attention.mix(lprobs, copy_attention.copy_input(
                gate, attn, self.step_memory.src))
        lprobs = lprobs.squeeze(1)   # R x V
        if self.beta:   # the change of Wu et al.'s cp(X; Y) this step
            penalty = coverage.penalty(self.state.coverage, self.mask_rows, self.beta)
            lprobs = lprobs + (penalty - self.state.penalty).unsqueeze(1)
            self.state = self.state._replace(penalty=penalty)
        return lprobs, (attn.squeeze(1) if self.need_attn and attn is not None else None)

    def constrain(self, lprobs: Tensor, t: int):
        """fairseq's rules on a step's log-probabilities, in place."""
        gen = self.gen
        lprobs.nan_to_num_(nan=-math.inf, posinf=math.inf, neginf=-math.inf)   # one pass
        lprobs[:, gen.pad] = -math.inf
        if gen.unk_penalty:
            lprobs[:, gen.unk] -= gen.unk_penalty
        if t >= self.max_len:
            lprobs[:, :gen.eos] = -math.inf
            lprobs[:, gen.eos + 1:] = -math.inf
        elif t < gen.min_len:
            lprobs[:, gen.eos] = -math.inf
        if gen.token_indices_to_suppress is not None:
            lprobs[:, gen.token_indices_to_suppress] = -math.inf

    # ------------------------------------------------------------------ the loop
    def run(self) -> List[List[Dict[str, Tensor]]]:
        k, eos, n_all = self.k, self.gen.eos, self.sentences.numel()
        self.gen.step_rows = rows = []
        cand_size = 2 * k
        for t in range(self.max_len + 1):
            lprobs, attn = self.step(self.tokens[:, -1])
            rows.append(lprobs.size(0))
            self.constrain(lprobs, t)
            vocab = lprobs.size(1)
            n = self.sentences.numel()
            if attn is not None:   # R x S x (t + 1), this step's included
                attn = attn.float().unsqueeze(2)
                self.attn = attn if self.attn is None else torch.cat([self.attn, attn], 2)
            # candidates: the top 2k of the g x V scores of each sentence (BeamSearch.step)
            lp = lprobs.view(n, self.g, vocab)
            if t > 0:   # in place: the step's log-probabilities are the search's own
                lp.add_(self.scores[:, -1].view(n, self.g, 1))
            flat = lp.view(n, -1)
            cand_scores, cand = torch.topk(flat, k=min(cand_size, flat.size(1) - 1))  # n x C
            cand_tokens = cand.fmod(vocab)
            offsets = torch.arange(n, device=cand.device).unsqueeze(1) * self.g
            cand_rows = torch.div(cand, vocab, rounding_mode="trunc") + offsets   # n x C
            eos_mask = cand_tokens.eq(eos) & cand_scores.ne(-math.inf)
            eos_mask[:, :k] &= ~self.ignore
            ending = eos_mask[:, :k]   # n x k
            if t == self.max_len or bool(ending.any()):
                done = self.finish(t, ending, cand_rows[:, :k], cand_scores[:, :k])
                if t == self.max_len:
                    break
                if bool(done.any()):
                    keep = (~done).nonzero().squeeze(1)
                    if keep.numel() == 0:
                        break
                    self.keep_sentences(keep)
                    cand_scores, cand_tokens = cand_scores[keep], cand_tokens[keep]
                    cand_rows, eos_mask = cand_rows[keep], eos_mask[keep]
            # the k hypotheses to go on with: the first k candidates that do not end
            # (fairseq's active_mask, cands_to_ignore)
            eos_mask[:, :k] |= self.ignore
            order = torch.arange(eos_mask.size(1), device=cand.device)
            active = eos_mask.long() * cand_size + order
            new_ignore, chosen = torch.topk(active, k=k, dim=1, largest=False)   # n' x k
            self.ignore = new_ignore.ge(cand_size)
            index = cand_rows.gather(1, chosen).view(-1)   # R': rows of the current state
            self.tokens = torch.cat([self.tokens.index_select(0, index),
                                     cand_tokens.gather(1, chosen).view(-1, 1)], 1)
            self.scores = torch.cat([self.scores.index_select(0, index),
                                     cand_scores.gather(1, chosen).view(-1, 1)], 1)
            if self.attn is not None:
                self.attn = self.attn.index_select(0, index)
            self.state = self.state.rows(index)
            if self.g != k:
                self.rows_per_sentence(k)
        return self.hypotheses(n_all)

    def finish(self, t: int, ending: Tensor, rows: Tensor, scores: Tensor) -> Tensor:
        """Keep the hypotheses ending at step ``t`` (``ending`` n x k, their state rows and
        cumulative scores n x k) up to k a sentence; which sentences are done (n)."""
        gen, k = self.gen, self.k
        slot = self.done.unsqueeze(1) + ending.long().cumsum(1) - 1   # n x k
        kept = ending & slot.lt(k)
        count = kept.sum(1)
        self.done = self.done + count
        if bool(kept.any()):
            row = rows[kept]   # m, in fairseq's order (sentence, then rank)
            eos_scores = scores[kept]
            tokens = self.tokens.index_select(0, row)[:, 1:]
            tokens = torch.cat([tokens, tokens.new_full((row.numel(), 1), gen.eos)], 1)
            cum = torch.cat([self.scores.index_select(0, row), eos_scores.unsqueeze(1)], 1)
            positional = torch.cat([cum[:, :1], cum[:, 1:] - cum[:, :-1]], 1)   # m x (t + 1)
            if gen.normalize_scores:
                eos_scores = eos_scores / (t + 1) ** gen.len_penalty
            attn = self.attn.index_select(0, row) if self.attn is not None else None
            sentence = self.sentences.unsqueeze(1).expand_as(kept)[kept]
            self.finished.append((sentence, tokens, positional, eos_scores, attn))
        return self.done.ge(k) | (t >= self.max_len)

    def hypotheses(self, n_all: int) -> List[List[Dict[str, Tensor]]]:
        """fairseq's hypotheses of each sentence, best first."""
        out: List[List[Dict[str, Tensor]]] = [[] for _ in range(n_all)]
        empty = torch.empty(0)
        for sentence, tokens, positional, scores, attn in self.finished:
            for i, s in enumerate(sentence.tolist()):
                out[s].append({"tokens": tokens[i], "score": scores[i],
                               "attention": attn[i] if attn is not None else empty,
                               "alignment": empty, "positional_scores": positional[i]})
        for s, hypos in enumerate(out):
            if len(hypos) > 1:
                order = torch.sort(torch.tensor([float(h["score"]) for h in hypos]),
                                   descending=True).indices
                out[s] = [hypos[i] for i in order.tolist()]
        return out
