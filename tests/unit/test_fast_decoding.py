"""``--fast-decoding`` (fairseq_plugins.decoding) on toy models, through fairseq's own
task.build_generator and SequenceGenerator, as fairseq-generate builds them.

What is exact is tested for equality with the standard path: the fast step over the whole
vocabulary (hypotheses and scores, every architecture), the score of every sentence a
shortlist returns, and greedy search with a shortlist holding the standard output. What
approximates (int8) is tested for closeness; the bad combinations for their one error.
"""
from argparse import Namespace

import pytest
import torch
import torch.nn.functional as F
from fairseq import options, tasks
from fairseq.sequence_generator import SequenceGenerator

from support import PLUGIN_DIR, SMALL, VARIANTS, batch, build

from fairseq_plugins import lm_fusion
from fairseq_plugins.decoding import beam_layout, generator, int8, search
from fairseq_plugins.decoding.options import FastDecodingError
from fairseq_plugins.decoding.shortlist import list_output
from fairseq_plugins.models.rnn_decoder import Decoding, RNNDecoder
from fairseq_plugins.models.step_inputs import SENTENCE_ROWS


def gen_args(mode="none", beam=5, **kw):
    return Namespace(beam=beam, max_len_a=0, max_len_b=12, min_len=1, fast_decoding=mode,
                     shortlist=kw.pop("shortlist", None), nbest=1, lenpen=1.0,
                     shortlist_frequent=kw.pop("shortlist_frequent", 0), **kw)


def decode(task, model, args, sample):
    gen = task.build_generator([model], args)
    with torch.no_grad():
        hypos = task.inference_step(gen, [model], sample)
    return [h[0] for h in hypos]


def forward_score(model, sample, i, tokens):
    """The standard model's score of ``tokens`` for sentence ``i``: the full forward pass,
    teacher-forced (no incremental step involved), length-normalised as fairseq does."""
    eos = model.decoder.dictionary.eos()
    net = sample["net_input"]
    prev = torch.cat([tokens.new_tensor([eos]), tokens[:-1]]).unsqueeze(0)
    with torch.no_grad():
        out = model(net["src_tokens"][i:i + 1], net["src_lengths"][i:i + 1], prev)
        lp = model.get_normalized_probs(out, log_probs=True)[0]
    pos = lp.gather(1, tokens.unsqueeze(1)).squeeze(1)
    return pos, pos.sum() / len(tokens)


def write_table(path, src_dict, tgt_dict, targets):
    """A lexical table giving every source word the same ``targets`` (target ids)."""
    words = " ".join(tgt_dict[t] for t in targets)
    lines = [f"{src_dict[s]}\t{words}" for s in range(src_dict.nspecial, len(src_dict))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------- exact
def test_fast_step_over_the_whole_vocabulary_equals_the_standard_path(variant, tmp_path):
    """A shortlist of every entry (also <s> and <pad>, which fairseq's normaliser counts):
    the fast step, its shortlist normalisation and the rescoring change nothing
    (hypotheses equal, scores equal to rounding), beam 5."""
    task, model = variant
    sample = batch(task)
    standard = decode(task, model, gen_args(), sample)
    tgt = task.target_dictionary
    table = write_table(tmp_path / "all.tsv", task.source_dictionary, tgt, range(len(tgt)))
    fast = decode(task, model, gen_args("shortlist", shortlist=table), sample)
    for s, f in zip(standard, fast):
        assert f["tokens"].tolist() == s["tokens"].tolist()
        assert torch.allclose(f["positional_scores"], s["positional_scores"], atol=1e-5)
        assert float(f["score"]) == pytest.approx(float(s["score"]), abs=1e-5)


def test_an_output_layer_over_a_list_scores_its_tokens_as_the_whole_layer(toy_data):
    """The step's layers with a list's output layer: logits over the list equal the whole
    vocabulary's logits of those tokens, step by step, whether the search passes target ids
    (and normalises over the list, -inf elsewhere) or positions in the list."""
    task, model = build(toy_data, "rnn_luong")
    model.eval()
    sample = batch(task, range(3))
    net, tgt = sample["net_input"], task.target_dictionary
    ids = torch.tensor(sorted(
        set(range(tgt.nspecial)) | set(range(tgt.nspecial + 2, len(tgt), 3))))
    outside = torch.ones(len(tgt), dtype=torch.bool)
    outside[ids] = False
    seeded = torch.Generator().manual_seed(0)
    prev_ids = ids[torch.randint(tgt.nspecial, len(ids), (3, 6), generator=seeded)]
    prev_ids[:, 0] = tgt.eos()
    d = model.decoder
    output = list_output(ids, d.output_projection.weight, d.output_projection.bias)
    with torch.no_grad():
        enc = model.encoder(net["src_tokens"], net["src_lengths"])
        for positions in (False, True):
            prev = torch.searchsorted(ids, prev_ids) if positions else prev_ids
            full_state, list_state = {}, {}
            d.set_decoding(list_state, Decoding(d.own_layers()._replace(
                output=output, output_ids=ids, positions=positions)))
            for t in range(prev.size(1)):
                full, _ = d(prev_ids[:, :t + 1], enc, incremental_state=full_state)
                listed, extra = d(prev[:, :t + 1], enc, incremental_state=list_state)
                assert torch.allclose(listed, full[..., ids], atol=1e-5)
                assert ("output_ids" in extra) == (not positions)
                if not positions:
                    lp = d.get_normalized_probs((listed, extra), log_probs=True)
                    assert lp.size(-1) == len(tgt) and torch.isinf(lp[..., outside]).all()
                    assert torch.allclose(lp[..., ids].exp().sum(-1), torch.ones(3, 1))


EOS_BONUS = 0.5


def test_lean_equals_the_standard_path_with_one_encoder_row_a_sentence(variant, monkeypatch):
    """``lean``: the same hypotheses and scores as ``none`` (beam 5), while beam search
    keeps one encoder row a sentence: k = 5 hypotheses a sentence, and rows dropped as
    sentences finish, never one a hypothesis. (An untrained model rarely ends a sentence
    before the length limit; a bonus on <eos> that differs from sentence to sentence, the
    same on both paths, makes them end at different steps.)"""
    task, model = variant
    sample = batch(task)
    eos, normalized = task.target_dictionary.eos(), model.decoder.get_normalized_probs

    def eos_bonus(net_output, log_probs, sample=None):
        lp = normalized(net_output, log_probs, sample)   # R x 1 x V, rows a sentence's 5
        sentence = torch.arange(lp.size(0)) // 5
        lp[:, :, eos] += EOS_BONUS * (sentence % 4).unsqueeze(1)
        return lp

    monkeypatch.setattr(model.decoder, "get_normalized_probs", eos_bonus)
    seen = []
    original = beam_layout.by_sentence

    def recording(encoder_out, new_order, select_rows):
        out = original(encoder_out, new_order, select_rows)
        rows = out.get(SENTENCE_ROWS)
        seen.append((rows and rows.group, out["encoder_out"][0].size(0), new_order.numel()))
        return out

    monkeypatch.setattr(beam_layout, "by_sentence", recording)
    standard = decode(task, model, gen_args(), sample)
    lean = decode(task, model, gen_args("lean"), sample)
    for s, f in zip(standard, lean):
        assert f["tokens"].tolist() == s["tokens"].tolist()
        assert torch.allclose(f["positional_scores"], s["positional_scores"], atol=1e-5)
        assert float(f["score"]) == pytest.approx(float(s["score"]), abs=1e-5)
    assert seen and all(group == 5 and rows * 5 == hyps for group, rows, hyps in seen)
    sentences = [rows for _, rows, _ in seen]
    assert sentences[0] == len(standard) and sentences[-1] < sentences[0]   # some finished


def test_an_order_across_sentences_gets_a_row_a_hypothesis(toy_data):
    """No search of fairseq's moves a hypothesis to another sentence; an order that does
    gets the encoder's own output, one row a hypothesis."""
    task, model = build(toy_data, "rnn_luong")
    net = batch(task, range(3))["net_input"]
    with torch.no_grad():
        enc = model.encoder(net["src_tokens"], net["src_lengths"])
    expand = torch.arange(3).repeat_interleave(2)
    rows = model.encoder.select_rows
    grouped = beam_layout.by_sentence(enc, expand, rows)
    assert grouped[SENTENCE_ROWS].group == 2 and grouped["encoder_out"][0].size(0) == 3
    across = torch.tensor([0, 2, 1, 3, 4, 5])   # rows 1 and 2 swap sentences
    mixed = beam_layout.by_sentence(grouped, across, rows)
    own = model.encoder.reorder_encoder_out(enc, expand[across])
    assert SENTENCE_ROWS not in mixed and set(mixed) == set(own)
    assert all(torch.equal(a, b) for key in own for a, b in zip(mixed[key], own[key]))
    dropped = beam_layout.by_sentence(grouped, torch.tensor([4, 5]), rows)
    assert dropped[SENTENCE_ROWS].group == 2
    assert torch.equal(dropped["encoder_out"][0], enc["encoder_out"][0][2:])


def test_attention_reaches_the_search_only_when_asked(toy_data):
    """As fairseq-generate prepares models: without --print-alignment no step returns its
    attention (the search then copies none); with it, lean returns the standard one."""
    task, model = build(toy_data, "rnn_luong")
    model.eval()
    sample = batch(task)
    model.prepare_for_inference_(Namespace(generation=Namespace(print_alignment=False)))
    assert model.decoder.need_attn is False
    for mode in ("none", "lean"):
        assert all(h["attention"].numel() == 0 for h in decode(task, model, gen_args(mode),
                                                              sample))
    model.decoder.make_generation_fast_(need_attn=True)
    standard, lean = (decode(task, model, gen_args(mode), sample) for mode in ("none", "lean"))
    for s, f in zip(standard, lean):
        assert s["attention"].numel() > 0
        assert torch.allclose(f["attention"], s["attention"], atol=1e-5)


@pytest.mark.parametrize("mode", ["none", "lean"])
def test_an_alignment_search_asks_for_attention_without_changing_the_model(toy_data, mode):
    """A model prepared without attention (as fairseq's hub interface prepares it) aligns
    under a --print-alignment generator, which asks its own steps for the attention: the
    model's need_attn stays False, and a generator without alignments still gets none."""
    task, model = build(toy_data, "rnn_luong")
    model.eval()
    sample = batch(task)
    model.prepare_for_inference_(Namespace(generation=Namespace(print_alignment=False)))
    aligned = decode(task, model, gen_args(mode, print_alignment="hard"), sample)
    assert all(len(h["alignment"]) > 0 for h in aligned)
    assert model.decoder.need_attn is False
    assert all(h["attention"].numel() == 0 for h in decode(task, model, gen_args(mode), sample))


def test_shortlist_with_a_prefix_or_alignments_equals_the_standard_path(toy_data, tmp_path):
    """The list-position search takes prefix tokens (mapped to positions), and with
    --print-alignment (whose generator feeds tokens back to the model) the search runs
    over the whole vocabulary: greedy, with a list of the standard output's tokens and a
    few more, both give the standard hypotheses."""
    task, model = build(toy_data, "rnn_luong")
    model.eval()
    sample = batch(task)
    tgt = task.target_dictionary
    prefix = sample["target"][:, :1]
    assert not torch.equal(prefix.squeeze(1), torch.full_like(prefix.squeeze(1), tgt.eos()))

    def run(mode, table=None, **kw):
        gen = task.build_generator([model], gen_args(mode, beam=1, shortlist=table, **kw))
        with torch.no_grad():
            hypos = task.inference_step(gen, [model], sample, prefix_tokens=kw.get("prefix"))
        return [h[0] for h in hypos], gen

    for kw in ({"prefix": prefix}, {"print_alignment": "hard"}):
        standard, _ = run("none", **kw)
        used = {t for h in standard for t in h["tokens"].tolist()}
        targets = sorted(used | set(range(tgt.nspecial, tgt.nspecial + 3)))
        assert len(targets) < len(tgt) - 6
        table = write_table(tmp_path / "t.tsv", task.source_dictionary, tgt, targets)
        fast, gen = run("shortlist", table, **kw)
        assert gen.searches_the_list() == ("prefix" in kw)
        for s, f in zip(standard, fast):
            assert f["tokens"].tolist() == s["tokens"].tolist()
            assert float(f["score"]) == pytest.approx(float(s["score"]), abs=1e-5)
            if "print_alignment" in kw:
                assert len(f["alignment"]) > 0 and f["alignment"] == s["alignment"]


def test_greedy_shortlist_holding_the_standard_output_gives_the_same_sentence_and_score(
        toy_data, tmp_path):
    task, model = build(toy_data, "rnn_luong")
    model.eval()
    sample = batch(task)
    standard = decode(task, model, gen_args(beam=1), sample)
    tgt = task.target_dictionary
    used = {t for h in standard for t in h["tokens"].tolist()}
    unused = [t for t in range(tgt.nspecial, len(tgt)) if t not in used]
    # the standard output's tokens and a few others: most of the vocabulary is left out
    targets = sorted(used | set(unused[:3]))
    assert len(targets) + 2 < len(tgt) - 6
    table = write_table(tmp_path / "t.tsv", task.source_dictionary, tgt, targets)
    fast = decode(task, model, gen_args("shortlist", beam=1, shortlist=table), sample)
    for s, f in zip(standard, fast):
        assert f["tokens"].tolist() == s["tokens"].tolist()
        assert float(f["score"]) == pytest.approx(float(s["score"]), abs=1e-5)
    # and the list really restricted the search: leave out one output token, and the
    # sentences that held it change
    dropped = standard[0]["tokens"][0].item()
    table = write_table(tmp_path / "t2.tsv", task.source_dictionary, tgt,
                        [t for t in targets if t != dropped])
    fewer = decode(task, model, gen_args("shortlist", beam=1, shortlist=table), sample)
    assert all(dropped not in f["tokens"].tolist() for f in fewer)


@pytest.mark.parametrize("mode", ["shortlist", "int8-shortlist"])
def test_every_sentence_a_shortlist_returns_has_its_exact_score(toy_data, tmp_path, mode):
    """Beam 5, a list of half the vocabulary: whatever sentence comes out, its score and
    positional scores are the ones the whole-vocabulary model gives it (the standard model
    for shortlist; for int8-shortlist, the int8 model, checked against the standard one
    loosely)."""
    task, model = build(toy_data, "rnn_luong")
    model.eval()
    sample = batch(task)
    tgt = task.target_dictionary
    table = write_table(tmp_path / "half.tsv", task.source_dictionary, tgt,
                        range(tgt.nspecial, len(tgt), 2))
    fast = decode(task, model, gen_args(mode, shortlist=table), sample)
    for i, hyp in enumerate(fast):
        pos, score = forward_score(model, sample, i, hyp["tokens"])
        tol = 1e-5 if mode == "shortlist" else 0.05
        assert torch.allclose(hyp["positional_scores"], pos, atol=tol)
        assert float(hyp["score"]) == pytest.approx(float(score), abs=tol)
        assert set(hyp["tokens"].tolist()) <= set(range(tgt.nspecial, len(tgt), 2)) | {tgt.eos()}


def test_gec_shortlist_is_the_source_tokens_and_the_frequent_ones(toy_joined_data):
    """--task gec needs no table: the list is the batch's source tokens, the first
    --shortlist-frequent entries of the dictionary and the special symbols."""
    parser = options.get_training_parser()
    args = options.parse_args_and_arch(parser, [
        str(toy_joined_data), "--user-dir", str(PLUGIN_DIR), "--task", "gec", "--arch", "rnn_gec",
        "--source-lang", "de", "--target-lang", "en", "--dataset-impl", "raw",
        *SMALL, "--decoder-hidden-size", "24"])
    task = tasks.setup_task(args)
    task.load_dataset("valid")
    model = task.build_model(args).eval()
    sample = batch(task, range(2))
    fast = task.build_generator([model], gen_args("shortlist", shortlist_frequent=5))
    ids = fast.shortlist.select(sample["net_input"]["src_tokens"]).tolist()
    d = task.target_dictionary
    src = set(sample["net_input"]["src_tokens"].flatten().tolist()) - {d.pad()}
    assert set(ids) == src | set(range(d.nspecial + 5))
    assert len(ids) < len(d) - 10
    with torch.no_grad():
        hypos = task.inference_step(fast, [model], sample)
    assert all(set(h[0]["tokens"].tolist()) <= set(ids) for h in hypos)


# --------------------------------------------------------------------------- approximate
@pytest.mark.parametrize("name", ["luong", "gec", "gru_sum_2layer"])   # LSTM, tied, GRU
def test_int8_step_stays_close_to_the_standard_step(toy_data, toy_joined_data, name):
    arch, extra = VARIANTS[name]
    task, model = build(toy_joined_data if arch == "rnn_gec" else toy_data, arch, extra)
    model.eval()
    sample = batch(task)
    net = sample["net_input"]
    prev = sample["net_input"]["prev_output_tokens"]
    with torch.no_grad():
        full = model.get_normalized_probs(model(**net), log_probs=True)
        enc = model.encoder(net["src_tokens"], net["src_lengths"])
        state, lps = {}, []
        model.decoder.set_decoding(state, Decoding(int8.int8_layers(model.decoder)))
        for t in range(prev.size(1)):
            logits, _ = model.decoder(prev[:, :t + 1], enc, incremental_state=state)
            lps.append(F.log_softmax(logits, dim=-1))
    lp = torch.cat(lps, dim=1)
    mask = sample["target"] != task.target_dictionary.pad()
    diff = (lp - full).abs()[mask]
    assert 1e-4 < diff.max() < 0.05   # int8 (fp32 rounding alone is below 1e-5)


def attributes(model):
    """Every module's own attributes but its parameters, buffers and submodules (a
    generator that set one on the model would show here)."""
    return {name: {k: v for k, v in vars(m).items()
                   if k not in ("_parameters", "_buffers", "_modules")}
            for name, m in model.named_modules()}


def test_preparing_leaves_the_checkpoint_weights_alone(toy_data):
    task, model = build(toy_data, "rnn_luong")
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    decode(task, model, gen_args("int8"), batch(task))
    after = model.state_dict()
    assert list(after) == list(before)
    assert all(torch.equal(after[k], before[k]) for k in before)


@pytest.mark.parametrize("one,other", [
    (dict(mode="none"), dict(mode="int8-shortlist", coverage_penalty=0.3)),
    (dict(mode="none", coverage_penalty=0.3, print_alignment="hard"),
     dict(mode="int8-shortlist", nbest=2)),
    (dict(mode="lean", coverage_penalty=0.2), dict(mode="shortlist", print_alignment="hard")),
    (dict(mode="none"), dict(mode="int8-shortlist-rnn-beam", coverage_penalty=0.3)),
    (dict(mode="rnn-beam", coverage_penalty=0.2), dict(mode="shortlist-rnn-beam", nbest=2))])
def test_two_generators_over_one_model_used_alternately_give_what_each_gives_alone(
        toy_joined_data, one, other):
    """A generator's decoding state is its own: two generators of different modes built
    over one model, used in turn, give exactly (tokens, scores, alignments) what each
    gives alone over a model of its own, and the model (state_dict, attributes) is the
    same after as before."""
    arch, extra = VARIANTS["luong_copy_coverage"]   # copies: its shortlist needs no table
    sample = batch(task_of := build(toy_joined_data, arch, extra)[0])

    def args(options):
        options = dict(options)
        namespace = gen_args(options.pop("mode"), beam=4, shortlist_frequent=5)
        vars(namespace).update(options)
        return namespace

    def outputs(gen, model):
        with torch.no_grad():
            hypos = task_of.inference_step(gen, [model], sample)
        return [[(h["tokens"].tolist(), float(h["score"]), h["positional_scores"].tolist(),
                  None if h.get("alignment") is None else [list(map(int, pair))
                                                           for pair in h["alignment"]])
                 for h in sent] for sent in hypos]

    alone = []
    for mode in (one, other):
        task, model = build(toy_joined_data, arch, extra)
        model.eval()
        alone.append(outputs(task.build_generator([model], args(mode)), model))
    assert alone[0] != alone[1]
    task, model = build(toy_joined_data, arch, extra)
    model.eval()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    before = attributes(model)
    gens = [task.build_generator([model], args(mode)) for mode in (one, other)]
    assert attributes(model) == before
    for _ in range(2):
        for gen, expected in zip(gens, alone):
            assert outputs(gen, model) == expected
    assert attributes(model) == before
    assert all(torch.equal(model.state_dict()[k], v) for k, v in weights.items())


# --------------------------------------------------------------------------- bad input
def test_unsupported_combinations_are_one_error_each(toy_data, tmp_path):
    task, model = build(toy_data, "rnn_luong")
    model.eval()

    def error(args, models=(model,)):
        with pytest.raises(FastDecodingError) as e:
            task.build_generator(list(models), args)
        return str(e.value)

    assert "needs a lexical table, --shortlist FILE" in error(gen_args("shortlist"))
    assert "no such file" in error(gen_args("int8-shortlist", shortlist=str(tmp_path / "x")))
    (tmp_path / "other.tsv").write_text("Haus\thouse\n", encoding="utf-8")
    assert "none of its 1 source tokens" in error(
        gen_args("shortlist", shortlist=str(tmp_path / "other.tsv")))
    (tmp_path / "bad.tsv").write_text("no tab here\n", encoding="utf-8")
    assert "line 1 is not 'source<TAB>targets'" in error(
        gen_args("shortlist", shortlist=str(tmp_path / "bad.tsv")))
    assert "not an ensemble of 2" in error(gen_args("shortlist"), models=(model, model))
    assert "choose one of" in error(gen_args("fp4"))
    meta = build(toy_data, "rnn_luong")[1].to("meta")
    assert "int8 runs on a CPU only and the model is on meta" in error(gen_args("int8"),
                                                                        models=(meta,))
    bf16 = build(toy_data, "rnn_luong", ["--cpu-bf16", "1"])[1]
    assert "--cpu-bf16 1 model" in error(gen_args("int8"), models=(bf16,))
    # fairseq's own lstm: the plugin's step cannot run it, and says so
    _, lstm = build(toy_data, "lstm",
                    ["--decoder-embed-dim", "24", "--decoder-out-embed-dim", "24"])
    assert "for the plugin's RNN models" in error(gen_args("int8"), models=(lstm,))


def test_constraints_with_a_shortlist_are_refused(toy_data, tmp_path):
    task, model = build(toy_data, "rnn_luong")
    model.eval()
    tgt = task.target_dictionary
    table = write_table(tmp_path / "t.tsv", task.source_dictionary, tgt, [tgt.nspecial])
    gen = task.build_generator([model], gen_args("shortlist", shortlist=table))
    with pytest.raises(FastDecodingError, match="--constraints"):
        gen.generate([model], batch(task), constraints=torch.zeros(8, 1).long())


def test_default_none_builds_fairseqs_own_generator_with_the_models_own_layers(toy_data, tmp_path):
    """``none`` is fairseq's generator and the model's own layers and layout; a fast mode
    is fairseq's generator with the plan of its layers and layout (the model unchanged)."""
    task, model = build(toy_data, "rnn_luong")
    model.eval()
    tgt = task.target_dictionary
    table = write_table(tmp_path / "t.tsv", task.source_dictionary, tgt, [tgt.nspecial])
    for mode in ("int8", "shortlist", "none"):
        gen = task.build_generator([model], gen_args(mode, shortlist=table))
        if mode == "none":
            assert type(gen) is SequenceGenerator
            continue
        assert isinstance(gen, SequenceGenerator) and isinstance(gen, search.PluginSearch)
        assert gen.plan.by_sentence and isinstance(gen.model, search.PluginEnsemble)
        assert gen.plan.decodings[0].layers is not None


def test_every_path_runs_the_decoders_one_step(toy_data, tmp_path, monkeypatch):
    """Training's whole-target loop with input feeding, incremental decoding and each fast
    mode all run RNNDecoder.step, with the layers each mode swaps in."""
    task, model = build(toy_data, "rnn_luong")
    sample = batch(task)
    calls = []
    original = RNNDecoder.step

    def counting(self, emb, state, memory, layers=None, out_mask=None):
        calls.append(layers)
        return original(self, emb, state, memory, layers, out_mask)

    monkeypatch.setattr(RNNDecoder, "step", counting)
    model.train()
    model(**sample["net_input"])
    assert calls and all(layers is None for layers in calls)   # its own
    model.eval()
    tgt = task.target_dictionary
    table = write_table(tmp_path / "t.tsv", task.source_dictionary, tgt, range(len(tgt)))
    for mode in ("none", "lean", "int8", "shortlist", "int8-shortlist"):
        calls.clear()
        decode(task, model, gen_args(mode, shortlist=table), sample)
        assert calls, mode
        rnn = {type(layers.rnn).__name__ for layers in calls}
        assert rnn == ({"Int8RNN"} if mode.startswith("int8") else {"method"}), mode


def test_build_generator_runs_the_plugins_hooks_in_their_stated_order():
    from fairseq.tasks import FairseqTask

    assert FairseqTask.build_generator is generator.build_generator
    assert generator.HOOKS == (lm_fusion.generator_hook, generator.coverage_penalty_hook,
                               generator.fast_decoding_hook)
