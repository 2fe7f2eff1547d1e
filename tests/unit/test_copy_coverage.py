"""Copy attention (--copy-attention), coverage (--coverage, its loss) and the coverage
penalty (--coverage-penalty), on the toy de-en corpus with one joined dictionary, models
built as fairseq-train builds them. The paths every variant runs (padding, incremental =
full forward, reordering, beam 1 = greedy, bf16, gradients, every fast mode) are in
test_model.py and test_fast_decoding.py, whose VARIANTS include copy and coverage."""
import math
from argparse import Namespace

import pytest
import torch
import torch.nn.functional as F
from fairseq import options

from fairseq_plugins.errors import ModelOptionError
from fairseq_plugins.models import copy_attention, coverage
from support import PLUGIN_DIR, SMALL, batch, build

COPY = ["--copy-attention", "1"]
COVERAGE = ["--coverage", "1"]


def full_log_probs(model, sample):
    net_output = model(**sample["net_input"])
    return model.get_normalized_probs(net_output, log_probs=True), net_output


# --------------------------------------------------------------------------- the mixture
def test_mix_puts_each_source_positions_attention_on_its_token():
    """p_gen P_vocab + (1 - p_gen) sum_{i: x_i = w} a_i, a repeated source token summing
    its positions' attention."""
    lprobs = F.log_softmax(torch.tensor([[[0.0, 1.0, 2.0, 3.0, 4.0]]]), dim=-1)  # 1 x 1 x V
    attn = torch.tensor([[[0.5, 0.2, 0.3]]])  # 1 x 1 x S
    index = torch.tensor([[3, 1, 3]])  # source tokens: 3, 1, 3
    gate = torch.tensor([[[0.4]]])
    p_gen = torch.sigmoid(gate)
    mixed = copy_attention.mix(lprobs, copy_attention.copy_input(gate, attn, index)).exp()
    copied = torch.tensor([0.0, 0.2, 0.0, 0.8, 0.0])
    expected = p_gen * lprobs.exp() + (1 - p_gen) * copied
    assert torch.allclose(mixed, expected, atol=1e-6)
    assert math.isclose(float(mixed.sum()), 1.0, abs_tol=1e-6)


def test_mix_keeps_minus_infinity_and_gives_no_nan_gradient():
    """A token outside a shortlist (log 0) that is not copied stays -inf; in training (the
    whole vocabulary) the logarithm of a zero copy mass passes no nan back."""
    listed = torch.tensor([[[0.0, -float("inf"), -float("inf")]]])
    index = torch.tensor([[1, 0]])
    mixed = copy_attention.mix(listed, copy_attention.copy_input(
        torch.tensor([[[0.0]]]), torch.tensor([[[1.0, 0.0]]]), index))
    assert mixed[0, 0, 2] == -float("inf")
    assert math.isclose(float(mixed[0, 0, 1].exp()), 0.5, abs_tol=1e-6)   # copied only
    lprobs = F.log_softmax(torch.tensor([[[0.0, 1.0, 2.0]]]), -1).requires_grad_()
    attn = torch.tensor([[[1.0, 0.0]]], requires_grad=True)   # nothing copied onto token 2
    gate = torch.tensor([[[0.0]]], requires_grad=True)
    copy_attention.mix(lprobs, copy_attention.copy_input(gate, attn, index)).sum().backward()
    for tensor in (lprobs, attn, gate):
        assert not torch.isnan(tensor.grad).any()


@pytest.mark.parametrize("arch,extra", [
    ("rnn_luong", COPY + COVERAGE), ("rnn_bahdanau", COPY), ("rnn_gec", COPY + COVERAGE),
])
def test_copy_probabilities_sum_to_one_in_the_full_and_incremental_forward(toy_joined_data, arch,
                                                                           extra):
    task, model = build(toy_joined_data, arch, ["--decoder-hidden-size", "24", *extra])
    model.eval()
    sample = batch(task)
    lprobs, out = full_log_probs(model, sample)
    real = sample["target"].ne(task.target_dictionary.pad())
    assert torch.allclose(lprobs.exp().sum(-1)[real], torch.ones(int(real.sum())), atol=1e-5)
    gate = torch.sigmoid(out[1]["copy"]["gate"].float())[real]
    assert 0.05 < float(gate.min()) and float(gate.max()) < 0.95   # both parts count
    net = sample["net_input"]
    enc = model.encoder(net["src_tokens"], net["src_lengths"])
    state = {}
    for t in range(3):
        step = model.decoder(net["prev_output_tokens"][:, :t + 1], enc, incremental_state=state)
        sums = model.get_normalized_probs(step, log_probs=False).sum(-1)
        assert torch.allclose(sums, torch.ones_like(sums), atol=1e-5)


def test_copy_moves_probability_onto_the_source_tokens(toy_joined_data):
    """With the gate shut (p_gen = 0) the distribution is the attention over the source
    tokens; open (p_gen = 1) it is the output layer's."""
    task, model = build(toy_joined_data, "rnn_luong", COPY)
    model.eval()
    sample = batch(task)
    logits_only = F.log_softmax(model(**sample["net_input"])[0].float(), dim=-1)
    with torch.no_grad():
        model.decoder.copy_gate.weight.zero_()
        model.decoder.copy_gate.bias.fill_(-50.0)   # p_gen ~ 0: copy only
        copied, out = full_log_probs(model, sample)
        model.decoder.copy_gate.bias.fill_(50.0)   # p_gen ~ 1: the output layer only
        generated, _ = full_log_probs(model, sample)
    assert torch.allclose(generated, logits_only, atol=1e-5)
    src = sample["net_input"]["src_tokens"]
    attn = out[1]["attn"][0]
    for b in range(src.size(0)):
        probs = copied[b, 0].exp()
        on_source = probs[src[b].unique()].sum()
        assert math.isclose(float(on_source), 1.0, abs_tol=1e-5)
        token = int(src[b, attn[b, 0].argmax()])
        expected = attn[b, 0][src[b] == token].sum()
        assert math.isclose(float(probs[token]), float(expected), abs_tol=1e-5)


# --------------------------------------------------------------------------- errors
def test_copy_needs_a_joined_dictionary_and_attention(toy_data, toy_joined_data):
    with pytest.raises(ModelOptionError, match="--joined-dictionary"):
        build(toy_data, "rnn_luong", COPY)
    for option in (COPY, COVERAGE):
        with pytest.raises(ModelOptionError, match="needs attention"):
            build(toy_joined_data, "rnn_sutskever", option)
    with pytest.raises(ModelOptionError, match="--coverage-loss-weight must be >= 0"):
        build(toy_joined_data, "rnn_luong", COVERAGE + ["--coverage-loss-weight", "-1"])


def test_models_without_the_options_have_the_same_parameters(toy_joined_data):
    """No new parameter, so that the checkpoints of models without copy or coverage load
    as they were (test_checkpoints_without_the_options_load_and_decode_unchanged loads one)."""
    _, plain = build(toy_joined_data, "rnn_luong")
    _, both = build(toy_joined_data, "rnn_luong", COPY + COVERAGE)
    new = set(both.state_dict()) - set(plain.state_dict())
    assert new == {"decoder.copy_gate.weight", "decoder.copy_gate.bias",
                   "decoder.attention.coverage_weight"}


# --------------------------------------------------------------------------- coverage
def test_coverage_loss_is_the_sum_of_min_attention_coverage():
    attn = torch.tensor([[[0.6, 0.4], [0.5, 0.5], [0.1, 0.9]]])   # 1 x T=3 x S=2
    real = torch.tensor([[True, True, False]])
    # step 1: c = 0; step 2: c = (0.6, 0.4), min = (0.5, 0.4); step 3 is padding
    assert math.isclose(float(coverage.coverage_loss(attn, real)), 0.9, abs_tol=1e-6)


def test_coverage_changes_the_attention_and_its_loss_reaches_the_criterion(toy_joined_data):
    task, model = build(toy_joined_data, "rnn_luong", COVERAGE + ["--coverage-loss-weight", "0.5"])
    sample = batch(task)
    model.eval()
    _, out = full_log_probs(model, sample)
    attn = out[1]["attn"][0]
    with torch.no_grad():
        model.decoder.attention.coverage_weight.zero_()
        _, out_zero = full_log_probs(model, sample)
    assert (attn - out_zero[1]["attn"][0]).abs().max() > 1e-4   # it is an input

    model.train()   # dropout 0: training differs only by the loss
    parser = options.get_training_parser()
    args = options.parse_args_and_arch(parser, [
        str(toy_joined_data), "--user-dir", str(PLUGIN_DIR), "--arch", "rnn_luong",
        "--criterion", "label_smoothed_cross_entropy", "--label-smoothing", "0.1", *SMALL])
    criterion = task.build_criterion(args)
    torch.manual_seed(0)
    loss, _, log = criterion(model, sample)
    net_output = model(**sample["net_input"])
    real = sample["net_input"]["prev_output_tokens"].ne(task.target_dictionary.pad())
    expected = 0.5 * coverage.coverage_loss(net_output[1]["attn"][0], real)
    assert math.isclose(log["coverage_loss"], float(expected), rel_tol=1e-5)
    model.decoder.coverage_loss_weight = 0.0
    loss_without, _, log_without = criterion(model, sample)
    assert "coverage_loss" not in log_without
    assert math.isclose(float(loss - loss_without), float(expected), rel_tol=1e-4)
    loss.backward()
    assert model.decoder.attention.coverage_weight.grad.abs().sum() > 0


# --------------------------------------------------------------------------- the penalty
def beam_args(**kw):
    options = dict(beam=4, max_len_a=0, max_len_b=12, min_len=1, nbest=4, lenpen=0.0,
                   fast_decoding="none", shortlist=None, shortlist_frequent=0)
    return Namespace(**{**options, **kw})


def decode(task, model, sample, **kw):
    generator = task.build_generator([model], beam_args(**kw))
    with torch.no_grad():
        return task.inference_step(generator, [model], sample)


@pytest.mark.parametrize("arch,extra", [("rnn_luong", []), ("rnn_bahdanau", COPY + COVERAGE)])
def test_coverage_penalty_is_wus_cp_added_to_each_hypothesis_score(toy_joined_data, arch, extra):
    """Each hypothesis's score (--lenpen 0: the plain sum) is its log-probability, from the
    full forward pass of its tokens, plus beta sum_i log(min(sum_t a_ti, 1))."""
    task, model = build(toy_joined_data, arch, extra)
    model.eval()
    sample = batch(task, range(4))
    beta = 0.4
    hypos = decode(task, model, sample, coverage_penalty=beta)
    net = sample["net_input"]
    pad, eos = task.target_dictionary.pad(), task.target_dictionary.eos()
    checked = 0
    for i, nbest in enumerate(hypos):
        for hyp in nbest:
            tokens = hyp["tokens"].unsqueeze(0)
            prev = torch.cat([tokens.new_full((1, 1), eos), tokens[:, :-1]], dim=1)
            src = net["src_tokens"][i:i + 1]
            with torch.no_grad():
                out = model(src, net["src_lengths"][i:i + 1], prev)
                lp = model.get_normalized_probs(out, log_probs=True)
            log_p = lp[0].gather(1, tokens[0].unsqueeze(1)).sum()
            covered = out[1]["attn"][0][0].sum(0)   # S
            cp = coverage.penalty(covered.unsqueeze(0), src.eq(pad), beta)[0]
            assert math.isclose(float(hyp["score"]), float(log_p + cp), abs_tol=1e-3)
            checked += 1
    assert checked == 16
    plain = decode(task, model, sample, coverage_penalty=0.0)   # 0: fairseq's own scores
    assert [h[0]["tokens"].tolist() for h in plain] == [
        h[0]["tokens"].tolist() for h in decode(task, model, sample)]


def test_coverage_penalty_refuses_a_model_without_attention_and_a_negative_beta(toy_joined_data):
    from fairseq_plugins.decoding.options import FastDecodingError

    task, model = build(toy_joined_data, "rnn_sutskever")
    with pytest.raises(FastDecodingError, match="--coverage-penalty needs attention"):
        task.build_generator([model], beam_args(coverage_penalty=0.2))
    task, model = build(toy_joined_data, "rnn_luong")
    with pytest.raises(FastDecodingError, match="must be >= 0"):
        task.build_generator([model], beam_args(coverage_penalty=-1.0))


# --------------------------------------------------------------------------- a shortlist
@pytest.mark.parametrize("mode", ["shortlist", "int8-shortlist"])
def test_a_search_over_list_positions_copies_onto_the_source_tokens_positions(
        toy_joined_data, mode):
    """Over a list smaller than the vocabulary, a step whose tokens are list positions (the
    shortlist's own search) gives each listed token the log-probability the step over target
    ids gives it (the copied attention moved to the token's position in the list)."""
    from fairseq_plugins.decoding.generator import DecoderLayers
    from fairseq_plugins.decoding.shortlist import Shortlist
    from fairseq_plugins.models.rnn_decoder import Decoding

    task, model = build(toy_joined_data, "rnn_luong", COPY + COVERAGE)
    model.eval()
    sample = batch(task)
    d = task.target_dictionary
    net = sample["net_input"]
    ids = Shortlist(d, d, None, 3, include_source=True).select(net["src_tokens"])
    assert len(ids) < len(d) - 10 and ids[-1] > len(ids)   # positions are not ids
    layers = DecoderLayers(model.decoder, mode)
    prev = net["prev_output_tokens"][:, :3]
    prev = torch.where(torch.isin(prev, ids), prev, torch.full_like(prev, d.eos()))
    results = []
    with torch.no_grad():
        for positions in (False, True):
            tokens = torch.searchsorted(ids, prev) if positions else prev
            enc = model.encoder(net["src_tokens"], net["src_lengths"])
            state = {}
            model.decoder.set_decoding(state, Decoding(layers.for_list(ids, positions)))
            for t in range(prev.size(1)):
                step = model.decoder(tokens[:, :t + 1], enc, incremental_state=state)
            results.append(model.get_normalized_probs(step, log_probs=True))
    over_ids, over_positions = results
    assert over_positions.size(-1) == len(ids)
    assert torch.allclose(over_positions, over_ids[..., ids], atol=1e-5)
    assert torch.allclose(over_positions.exp().sum(-1), torch.ones(prev.size(0), 1), atol=1e-5)


def test_scheduled_sampling_feeds_the_mixtures_prediction(toy_joined_data):
    """With the gate shut (copy only), every prediction scheduled sampling feeds back is a
    token of the sentence's source: the mixture's argmax, not the output layer's."""
    task, model = build(toy_joined_data, "rnn_luong", COPY + ["--teacher-forcing-ratio", "0"])
    with torch.no_grad():
        model.decoder.copy_gate.weight.zero_()
        model.decoder.copy_gate.bias.fill_(-50.0)
    fed = []
    embed = model.decoder._embed
    model.decoder._embed = lambda tokens: fed.append(tokens) or embed(tokens)
    model.train()
    sample = batch(task)
    model(**sample["net_input"])
    src = sample["net_input"]["src_tokens"]
    assert len(fed) == sample["net_input"]["prev_output_tokens"].size(1)
    for tokens in fed[1:]:   # the first input is <eos>, the rest predictions
        for b in range(src.size(0)):
            assert int(tokens[b, 0]) in set(src[b].tolist())


@pytest.mark.parametrize("mode", ["lean", "int8", "shortlist", "int8-shortlist", "rnn-beam",
                                  "shortlist-rnn-beam", "int8-shortlist-rnn-beam"])
def test_every_fast_mode_decodes_under_the_coverage_penalty(toy_joined_data, tmp_path, mode):
    """lean (and rnn-beam, its own search) gives the standard path's hypotheses and scores
    under the penalty; a shortlist over the whole vocabulary too (its rescoring adds the
    penalty as the search did); int8 stays close (test_fast_decoding.py bounds its step)."""
    task, model = build(toy_joined_data, "rnn_bahdanau", COPY + COVERAGE)
    model.eval()
    sample = batch(task, range(6))
    d = task.target_dictionary
    table = tmp_path / "all.tsv"
    words = " ".join(d[t] for t in range(len(d)))
    table.write_text("".join(f"{d[s]}\t{words}\n" for s in range(d.nspecial, len(d))),
                     encoding="utf-8")
    standard = decode(task, model, sample, coverage_penalty=0.4)
    fast = decode(task, model, sample, coverage_penalty=0.4, fast_decoding=mode,
                  shortlist=str(table))
    for s, f in zip(standard, fast):
        if mode.startswith("int8"):
            assert abs(float(f[0]["score"]) - float(s[0]["score"])) < 0.5
            continue
        assert f[0]["tokens"].tolist() == s[0]["tokens"].tolist()
        assert float(f[0]["score"]) == pytest.approx(float(s[0]["score"]), abs=1e-4)
