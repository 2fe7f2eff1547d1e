"""``--fast-decoding rnn-beam`` (fairseq_plugins.decoding.rnn_beam) on toy models, built
through fairseq's own task.build_generator as fairseq-generate builds it.

Exact: on the fp32 step the search returns fairseq's SequenceGenerator's hypotheses (tokens,
scores, positional scores, attention), every architecture and variant, beams 1, 5 and 12,
with the length penalty, --min-len, --unkpen, --max-len-a/b and --coverage-penalty. The
combinations with int8 and the shortlist return what those modes return under fairseq's
search; what it does not run is refused in one line.
"""
import sys
from argparse import Namespace

import pytest
import torch

from support import SCRIPTS, batch, build

from fairseq_plugins.decoding.options import FastDecodingError
from fairseq_plugins.decoding.rnn_beam import RNNBeamSearch


def gen_args(mode="none", beam=5, **kw):
    args = dict(beam=beam, max_len_a=0, max_len_b=12, min_len=1, fast_decoding=mode,
                shortlist=None, nbest=beam, lenpen=1.0, shortlist_frequent=0, unkpen=0.0,
                coverage_penalty=0.0)
    args.update(kw)
    return Namespace(**args)


def decode(task, model, args, sample):
    gen = task.build_generator([model], args)
    assert isinstance(gen, RNNBeamSearch) == args.fast_decoding.endswith("rnn-beam")
    with torch.no_grad():
        return task.inference_step(gen, [model], sample)


def assert_same(expected, got):
    """The same hypotheses (every one of the beam, in order) with the same scores."""
    assert len(got) == len(expected)
    for sent_e, sent_g in zip(expected, got):
        assert [h["tokens"].tolist() for h in sent_g] == [h["tokens"].tolist() for h in sent_e]
        for e, g in zip(sent_e, sent_g):
            assert float(g["score"]) == pytest.approx(float(e["score"]), abs=1e-5)
            assert torch.allclose(g["positional_scores"], e["positional_scores"], atol=1e-5)
            assert g["attention"].shape == e["attention"].shape
            if e["attention"].numel():
                assert torch.allclose(g["attention"], e["attention"], atol=1e-5)


@pytest.mark.parametrize("beam", [1, 5, 12])
def test_the_rnn_beam_search_returns_fairseqs_hypotheses(variant, beam):
    task, model = variant
    sample = batch(task, range(12))
    assert_same(decode(task, model, gen_args(beam=beam), sample),
                decode(task, model, gen_args("rnn-beam", beam=beam), sample))


@pytest.mark.parametrize("options", [
    dict(lenpen=0.6, min_len=4), dict(lenpen=1.4, unkpen=2.0, max_len_a=1.2, max_len_b=2),
    dict(unnormalized=True, max_len_b=5), dict(coverage_penalty=0.3, temperature=1.7)])
def test_the_search_options_as_fairseq_runs_them(toy_data, options):
    """Length penalty, min/max length, unk penalty, unnormalised scores, coverage penalty
    and temperature (Bahdanau's model: attention for the coverage penalty)."""
    task, model = build(toy_data, "rnn_bahdanau")
    model.eval()
    sample = batch(task, range(10))
    assert_same(decode(task, model, gen_args(**options), sample),
                decode(task, model, gen_args("rnn-beam", **options), sample))


def test_without_attention_asked_for_it_returns_none(toy_data):
    """fairseq-generate prepares the model without attention (make_generation_fast_): the
    hypotheses then carry an empty attention, as fairseq's."""
    task, model = build(toy_data, "rnn_luong")
    model.eval()
    model.decoder.need_attn = False
    sample = batch(task)
    standard = decode(task, model, gen_args(), sample)
    fast = decode(task, model, gen_args("rnn-beam"), sample)
    assert_same(standard, fast)
    assert fast[0][0]["attention"].numel() == 0


@pytest.mark.parametrize("mode", ["int8", "shortlist", "int8-shortlist"])
def test_combined_with_int8_and_the_shortlist(toy_joined_data, mode):
    """``MODE-rnn-beam`` returns what ``MODE`` returns under fairseq's search (the gec
    task's list needs no table: the source tokens and the frequent ones)."""
    task, model = build(toy_joined_data, "rnn_gec", ["--decoder-hidden-size", "24"])
    model.eval()
    task.shortlist_includes_source = True
    sample = batch(task, range(10))
    kw = dict(shortlist_frequent=12, nbest=1)
    expected = decode(task, model, gen_args(mode, **kw), sample)
    got = decode(task, model, gen_args(f"{mode}-rnn-beam", **kw), sample)
    assert_same(expected, got)


@pytest.mark.parametrize("option, value, fragment", [
    ("print_alignment", "hard", "--print-alignment"), ("prefix_size", 1, "--prefix-size"),
    ("sampling", True, "--sampling"), ("no_repeat_ngram_size", 2, "--no-repeat-ngram-size"),
    ("diverse_beam_groups", 2, "--diverse-beam-groups")])
def test_what_it_does_not_run_is_refused_in_one_line(toy_data, option, value, fragment):
    task, model = build(toy_data, "rnn_luong")
    with pytest.raises(FastDecodingError, match=fragment) as err:
        task.build_generator([model], gen_args("rnn-beam", **{option: value}))
    assert "\n" not in str(err.value)


def test_an_ensemble_and_prefix_tokens_are_refused(toy_data):
    task, model = build(toy_data, "rnn_luong")
    model.eval()
    with pytest.raises(FastDecodingError, match="ensemble"):
        task.build_generator([model, model], gen_args("rnn-beam"))
    gen = task.build_generator([model], gen_args("rnn-beam"))
    sample = batch(task, range(2))
    with pytest.raises(FastDecodingError, match="prefix tokens"):
        task.inference_step(gen, [model], sample, prefix_tokens=sample["target"][:, :1])


def test_the_search_records_its_rows_and_the_floor_times_them(toy_data):
    """``step_rows``: one row a sentence at step 0, then k a sentence still searching;
    scripts/_bench_floor.py times the step's dense products for those rows."""
    sys.path.insert(0, str(SCRIPTS))
    import _bench_floor as floor

    task, model = build(toy_data, "rnn_luong")
    model.eval()
    gen = task.build_generator([model], gen_args("rnn-beam", beam=3))
    task.inference_step(gen, [model], batch(task))
    rows = gen.step_rows
    assert rows[0] == 8 and rows[1] == 24 and all(r % 3 == 0 for r in rows[1:])
    d = model.decoder
    assert [tuple(w.shape) for w in floor.step_weights(d)] == [
        (4 * d.hidden_size, d.rnn.input_size + d.hidden_size),
        tuple(d.combine.weight.shape), tuple(d.output_projection.weight.shape)]
    assert floor.floor_seconds(d, rows) > 0
