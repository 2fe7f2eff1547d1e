"""The RNN encoder-decoder, exercised in-process through fairseq's own task and generator.

Models are built exactly as fairseq-train builds them (``options.parse_args_and_arch``,
``task.build_model``), on a toy de-en corpus that the fixtures of ``tests/unit/conftest.py``
write (24 sentence pairs of 3 to 14 words, 42 German and 40 English words); nothing is
mocked. The tests
check the model's mechanics (padding, incremental decoding, beam search, embeddings,
options), which do not depend on what the sentences say.
"""
import pytest
import torch
from fairseq.sequence_generator import SequenceGenerator

from support import VARIANTS, batch, build, needs_joined


@pytest.fixture(scope="module", params=list(VARIANTS))
def variant(request, toy_data, toy_joined_data):
    arch, extra = VARIANTS[request.param]
    bin_dir = toy_joined_data if needs_joined(arch, extra) else toy_data
    task, model = build(bin_dir, arch, extra)
    model.eval()
    return task, model


def log_probs(model, net_input):
    out = model(**net_input)
    return model.get_normalized_probs(out, log_probs=True), out[1]["attn"][0]


def test_extra_padding_changes_no_output(variant):
    task, model = variant
    sample = batch(task)
    pad = task.source_dictionary.pad()
    net = sample["net_input"]
    lp, _ = log_probs(model, net)
    extra = 5
    bsz = net["src_tokens"].size(0)
    padded = {
        "src_tokens": torch.cat([net["src_tokens"].new_full((bsz, extra), pad),
                                 net["src_tokens"]], 1),
        "src_lengths": net["src_lengths"],
        "prev_output_tokens": torch.cat(
            [net["prev_output_tokens"], net["prev_output_tokens"].new_full((bsz, extra), pad)], 1),
    }
    lp_padded, _ = log_probs(model, padded)
    tgt_len = net["prev_output_tokens"].size(1)
    assert torch.allclose(lp, lp_padded[:, :tgt_len], atol=1e-5)

    # and a sentence scores the same alone as inside the padded batch
    for i in (0, bsz - 1):
        alone = batch(task, [sample["id"][i].item()])
        lp_alone, _ = log_probs(model, alone["net_input"])
        n = lp_alone.size(1)
        assert torch.allclose(lp_alone[0], lp[i, :n], atol=1e-5)

    # the per-sentence loss agrees too (target padding is ignored)
    target = sample["target"]
    nll = -lp.gather(-1, target.unsqueeze(-1)).squeeze(-1).masked_fill(target.eq(pad), 0).sum(1)
    tgt_padded = torch.cat([target, target.new_full((bsz, extra), pad)], 1)
    nll_padded = -lp_padded.gather(-1, tgt_padded.unsqueeze(-1)).squeeze(-1).masked_fill(
        tgt_padded.eq(pad), 0).sum(1)
    assert torch.allclose(nll, nll_padded, atol=1e-4)


def test_incremental_decoding_matches_full_forward(variant):
    task, model = variant
    sample = batch(task)
    net = sample["net_input"]
    lp_full, attn_full = log_probs(model, net)
    enc = model.encoder(net["src_tokens"], net["src_lengths"])
    prev = net["prev_output_tokens"]
    state = {}
    for t in range(prev.size(1)):
        out = model.decoder(prev[:, : t + 1], enc, incremental_state=state)
        lp_t = model.get_normalized_probs(out, log_probs=True)
        real = real_rows(task, prev, t)
        assert torch.allclose(lp_t[real, 0], lp_full[real, t], atol=1e-5), f"step {t}"
        if attn_full is not None:
            assert torch.allclose(out[1]["attn"][0][real, 0], attn_full[real, t], atol=1e-5)


def real_rows(task, prev, t):
    """Rows whose step t is a real target position: the input-fed forward does not compute
    padding positions (their logits are zero; no criterion reads them)."""
    return prev[:, t].ne(task.target_dictionary.pad())


def test_reorder_incremental_state(variant):
    """Reordering mid-sentence, as beam search does, continues the right hypotheses."""
    task, model = variant
    sample = batch(task)
    net = sample["net_input"]
    lp_full, _ = log_probs(model, net)
    prev = net["prev_output_tokens"]
    bsz = prev.size(0)
    new_order = torch.tensor([bsz - 1 - i for i in range(bsz)][: bsz - 1] + [0])
    enc = model.encoder(net["src_tokens"], net["src_lengths"])
    state = {}
    switch = 3
    for t in range(prev.size(1)):
        if t == switch:
            enc = model.encoder.reorder_encoder_out(enc, new_order)
            model.decoder.reorder_incremental_state_scripting(state, new_order)
            prev = prev.index_select(0, new_order)
            lp_full = lp_full.index_select(0, new_order)
        out = model.decoder(prev[:, : t + 1], enc, incremental_state=state)
        lp_t = model.get_normalized_probs(out, log_probs=True)
        real = real_rows(task, prev, t)
        assert torch.allclose(lp_t[real, 0], lp_full[real, t], atol=1e-5), f"step {t}"


def test_beam_one_equals_greedy(variant):
    """Beam 1 through the incremental path picks, at every step, the token that the full
    forward pass ranks first given the same prefix: greedy decoding (up to exact ties)."""
    task, model = variant
    sample = batch(task)
    tgt = task.target_dictionary
    eos, pad = tgt.eos(), tgt.pad()
    max_len = 12
    gen = SequenceGenerator([model], tgt, beam_size=1, max_len_b=max_len, max_len_a=0)
    hypos = gen.generate([model], sample)
    net = sample["net_input"]
    for i, hypo in enumerate(hypos):
        tokens = hypo[0]["tokens"]  # ends with eos
        prev = torch.cat([tokens.new_tensor([eos]), tokens[:-1]]).unsqueeze(0)
        one = {"src_tokens": net["src_tokens"][i:i + 1], "src_lengths": net["src_lengths"][i:i + 1],
               "prev_output_tokens": prev}
        lp, _ = log_probs(model, one)
        lp = lp[0].clone()  # T x V
        lp[:, pad] = float("-inf")
        lp[0, eos] = float("-inf")  # SequenceGenerator's min_len=1
        steps = len(tokens) - 1 if len(tokens) > max_len else len(tokens)  # eos forced at max_len
        chosen = lp[torch.arange(steps), tokens[:steps]]
        assert (chosen >= lp[:steps].max(-1).values - 1e-5).all(), f"sentence {i}"
        # and the hypothesis score is the sum of those log-probabilities
        if steps == len(tokens):
            assert abs(chosen.sum().item() - hypo[0]["score"].item() * len(tokens)) < 1e-3
    gen5 = SequenceGenerator([model], tgt, beam_size=5, max_len_b=max_len, max_len_a=0)
    assert all(len(h) == 5 for h in gen5.generate([model], sample))


def test_shared_and_tied_embeddings_are_one_tensor(toy_joined_data):
    _, model = build(toy_joined_data, "rnn_gec", ["--decoder-hidden-size", "40",
                                                  "--bridge", "linear"])
    enc, dec = model.encoder.embed_tokens, model.decoder.embed_tokens
    assert enc.weight is dec.weight
    assert dec.weight.data_ptr() == enc.weight.data_ptr()
    assert model.decoder.output_projection is None  # output uses the embedding matrix
    # hidden (40) differs from the embedding size (24): a projection bridges them
    assert model.decoder.out_proj.out_features == 24
    names = [n for n, _ in model.named_parameters()]
    assert sum("embed_tokens" in n for n in names) == 1
    # the logits really are features @ E^T: moving E moves them
    feats = torch.randn(2, 3, 40)
    before = model.decoder.output_layer(feats)
    with torch.no_grad():
        enc.weight[5] += 1.0
    after = model.decoder.output_layer(feats)
    changed = (after - before).abs().sum(dim=(0, 1)) > 0
    assert changed.nonzero().flatten().tolist() == [5]


def test_shared_embeddings_need_joined_dictionary(toy_data):
    with pytest.raises(ValueError, match="joined dictionary"):
        build(toy_data, "rnn_gec")


def test_frozen_embeddings_get_no_gradient_until_unfrozen(toy_data):
    task, model = build(toy_data, "rnn_luong", ["--freeze-embeddings", "1",
                                                "--unfreeze-embeddings-after", "2"])
    model.train()
    sample = batch(task)

    def grads():
        model.zero_grad()
        lp, _ = log_probs(model, sample["net_input"])
        lp.sum().backward()
        return model.encoder.embed_tokens.weight.grad, model.decoder.rnn.weight_ih_l0.grad

    emb_grad, rnn_grad = grads()
    assert emb_grad is None and rnn_grad is not None
    model.set_num_updates(1)
    assert grads()[0] is None
    model.set_num_updates(2)
    emb_grad, _ = grads()
    assert emb_grad is not None and emb_grad.abs().sum() > 0


def write_vectors(path, words, dim, header=False, bad_line=None):
    lines = [f"{len(words)} {dim}"] if header else []
    for i, w in enumerate(words):
        lines.append(w + " " + " ".join(f"{(i + 1) * 0.01 + j * 0.001:.4f}" for j in range(dim)))
    if bad_line is not None:
        lines.insert(1, bad_line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("header", [False, True], ids=["glove", "word2vec"])
def test_pretrained_vectors_initialise_embeddings(toy_data, tmp_path, header, caplog):
    words = ["ein", "mann", "frau", "kein-solches-wort"]
    path = write_vectors(tmp_path / "vec.txt", words, 24, header=header)
    with caplog.at_level("INFO"):
        task, model = build(toy_data, "rnn_luong", ["--encoder-embed-path", str(path)])
    src = task.source_dictionary
    emb = model.encoder.embed_tokens.weight
    assert torch.allclose(emb[src.index("mann")][:3], torch.tensor([0.02, 0.021, 0.022]))
    assert any("found 3 of" in r.getMessage() for r in caplog.records)


def test_bad_vector_files_get_clear_errors(toy_data, tmp_path):
    from fairseq_plugins.models.embeddings import PretrainedEmbeddingError

    wrong_dim = write_vectors(tmp_path / "dim.txt", ["ein", "mann"], 10)
    with pytest.raises(PretrainedEmbeddingError,
                       match=r"dim.txt line 1: expected a word and 24 numbers, found 10"):
        build(toy_data, "rnn_luong", ["--encoder-embed-path", str(wrong_dim)])
    header_dim = write_vectors(tmp_path / "hdr.txt", ["ein"], 10, header=True)
    with pytest.raises(PretrainedEmbeddingError, match="dimension 10 .* embedding dimension is 24"):
        build(toy_data, "rnn_luong", ["--encoder-embed-path", str(header_dim)])
    malformed = write_vectors(tmp_path / "bad.txt", ["ein", "mann"], 24,
                              bad_line="frau " + " ".join(["0.1"] * 23 + ["abc"]))
    with pytest.raises(PretrainedEmbeddingError,
                       match="bad.txt line 2: a vector field is not a number"):
        build(toy_data, "rnn_luong", ["--encoder-embed-path", str(malformed)])
    with pytest.raises(PretrainedEmbeddingError, match="cannot read"):
        build(toy_data, "rnn_luong", ["--encoder-embed-path", str(tmp_path / "missing.txt")])


def test_scheduled_sampling_feeds_predictions_in_training_only(toy_data):
    task, model = build(toy_data, "rnn_luong", ["--teacher-forcing-ratio", "0.0"])
    sample = batch(task)
    model.eval()
    lp_eval, _ = log_probs(model, sample["net_input"])
    model.train()  # dropout is 0, so only scheduled sampling can make a difference
    lp_train, _ = log_probs(model, sample["net_input"])
    assert torch.allclose(lp_eval[:, 0], lp_train[:, 0], atol=1e-6)  # step 0 input is eos
    assert not torch.allclose(lp_eval[:, 1:], lp_train[:, 1:], atol=1e-3)


def rnn_and_linear_params(model):
    return {name: p for name, p in model.named_parameters() if "embed_tokens" not in name}


@pytest.mark.parametrize("arch,extra,scale", [
    ("rnn_luong", [], 0.1),  # the default: fairseq's lstm / Luong et al.
    ("rnn_sutskever", [], 0.08),  # the paper's U(-0.08, 0.08)
    ("rnn_bahdanau", ["--init-scale", "0.05"], 0.05),
])
def test_init_scale_draws_rnn_and_linear_parameters_uniformly(toy_data, arch, extra, scale):
    # hidden 200 (not SMALL's 24) so that PyTorch's fan-in bound 1/sqrt(200) = 0.071
    # is below every scale tested: a skipped re-initialisation shows
    sizes = ["--encoder-hidden-size", "200", "--decoder-hidden-size", "200"]
    _, model = build(toy_data, arch, sizes + extra)
    params = rnn_and_linear_params(model)
    assert any(".rnn." in n for n in params) and any("bias" in n for n in params)
    for name, p in params.items():
        assert p.abs().max() <= scale, name
        # 1,000+ draws of U(-s, s) all inside 0.9 s: probability 0.9^1000, under 1e-45
        if p.numel() >= 1000:
            assert p.abs().max() > 0.9 * scale, name
    emb = model.encoder.embed_tokens.weight
    assert 0.09 < emb.abs().max() <= 0.1  # embeddings keep their own U(-0.1, 0.1)


def test_init_scale_zero_keeps_pytorch_defaults(toy_data):
    sizes = ["--encoder-hidden-size", "200", "--decoder-hidden-size", "200"]
    _, model = build(toy_data, "rnn_luong", sizes + ["--init-scale", "0"])
    rnn = model.decoder.rnn.weight_hh_l0
    assert rnn.abs().max() <= 1 / 200 ** 0.5  # nn.LSTM's U(+-1/sqrt(hidden))
    assert model.decoder.output_projection.weight.abs().max() <= 1 / 200 ** 0.5
    with pytest.raises(ValueError, match="--init-scale must be >= 0"):
        build(toy_data, "rnn_luong", ["--init-scale", "-0.1"])


def test_bad_option_combinations(toy_data):
    with pytest.raises(ValueError, match="dot attention needs"):
        build(toy_data, "rnn_luong", ["--attention", "dot"])  # 24 vs 2x24
    with pytest.raises(ValueError, match="bridge 'concat' needs"):
        build(toy_data, "rnn_luong", ["--bridge", "concat", "--decoder-hidden-size", "30"])
    with pytest.raises(ValueError, match="context-every-step"):
        build(toy_data, "rnn_cho", ["--attention", "general"])


def test_grouped_and_packed_encoder_agree(variant):
    """Equal-length groups (fused kernels) and a packed sequence compute the same thing."""
    task, model = variant
    sample = batch(task, range(16))
    assert len(sample["net_input"]["src_lengths"].unique()) > 1
    enc = model.encoder
    grouped = enc(sample["net_input"]["src_tokens"])
    enc.max_length_groups = 0  # force packing
    try:
        packed = enc(sample["net_input"]["src_tokens"])
    finally:
        enc.max_length_groups = 8
    for key in ("encoder_out", "final_hidden", "final_cell"):
        for a, b in zip(grouped[key], packed[key]):
            assert torch.allclose(a, b, atol=1e-5), key


def test_runs_under_bf16_autocast(variant):
    """Mixed precision (torch.autocast, as benchmark.py --autocast-bf16 uses) runs every
    path, forward and backward, and stays near the fp32 loss."""
    task, model = variant
    sample = batch(task)
    target = sample["target"].unsqueeze(-1)  # B x T x 1

    def nll(lprobs):
        return -lprobs.float().gather(-1, target).mean()

    with torch.no_grad():
        ref = nll(log_probs(model, sample["net_input"])[0])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(**sample["net_input"])
        loss = nll(model.get_normalized_probs(out, log_probs=True))
    # the caller's autocast reached the output layer (the model's own --cpu-bf16 is off)
    assert out[0].dtype == torch.bfloat16
    try:
        loss.backward()
        assert torch.isfinite(loss) and abs(loss - ref) < 0.05 * ref, (loss, ref)
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        assert grads and all(torch.isfinite(g).all() for g in grads)
    finally:
        model.zero_grad(set_to_none=True)


def test_every_parameter_gets_a_gradient_unless_ddp_is_told(variant):
    """What DDP needs without --find-unused-parameters: one backward pass reaches every
    parameter. Frozen embeddings (detached in forward) are the plugin's one exception,
    and the model says so (``ddp_find_unused_parameters``, read by distributed.ddp)."""
    task, model = variant
    model.train()
    try:
        model.zero_grad(set_to_none=True)
        lp, _ = log_probs(model, batch(task)["net_input"])
        lp.sum().backward()
        unused = {name for name, p in model.named_parameters() if p.grad is None}
    finally:
        model.zero_grad(set_to_none=True)
        model.eval()
    if model.ddp_find_unused_parameters:
        assert unused and all("embed_tokens" in name for name in unused), unused
    else:
        assert not unused


@pytest.mark.parametrize("name", ["sutskever", "cho"])
def test_print_alignment_without_attention_is_one_error(toy_data, name):
    """fairseq-generate --print-alignment prepares the model with need_attn: a model without
    attention says so, instead of fairseq's alignment generator failing on it."""
    from argparse import Namespace

    from fairseq_plugins.errors import ModelOptionError

    arch, extra = VARIANTS[name]
    _, model = build(toy_data, arch, extra)
    with pytest.raises(ModelOptionError, match="no attention to align with"):
        model.prepare_for_inference_(Namespace(generation=Namespace(print_alignment="hard")))
    _, model = build(toy_data, arch, extra)
    model.prepare_for_inference_(Namespace(generation=Namespace(print_alignment=None)))
    assert not model.decoder.need_attn
