"""Input feeding's training loop (``models/input_feeding.py``, which runs only the sentences
still running at each step) computes what the decoder's plain step loop (``RNNDecoder._steps``,
every row every step) computes: the same logits and attention at every real target
position, the same loss and gradients, on a toy model, in training mode with dropout (same
seed, so the same masks) and in evaluation mode.
"""
import pytest
import torch

from fairseq_plugins.models import input_feeding
from support import batch, build

SIZES = ["--encoder-embed-dim", "12", "--encoder-hidden-size", "10",
         "--decoder-hidden-size", "20"]

# every attention that input feeding supports (dot and general), with the encoder and
# bridge options that change the decoder's initial state and memory, both cells, a tied
# output layer (two layers: below)
CASES = {
    "general": [],
    "general_unidirectional_zero_bridge": ["--encoder-bidirectional", "0", "--bridge", "zero"],
    "dot_concat": ["--attention", "dot", "--bridge", "concat"],
    "gru": ["--cell", "gru"],
    "general_tied_output": ["--decoder-embed-dim", "20",
                            "--share-decoder-input-output-embed", "1"],
}


def forward_and_grads(model, net_input, target, lean: bool, seed: int):
    """Logits, attention, loss and every parameter's gradient, from one path."""
    model.zero_grad(set_to_none=True)
    supports = input_feeding.supports
    torch.manual_seed(seed)
    try:
        if not lean:  # the decoder's plain step loop
            input_feeding.supports = lambda decoder: False
        logits, extra = model(**net_input)  # B x T x V
        attn = extra["attn"][0]  # B x T x S
        lprobs = torch.log_softmax(logits, dim=-1)
    finally:
        input_feeding.supports = supports
    real = target.ne(model.decoder.dictionary.pad())  # B x T
    loss = -lprobs.gather(-1, target.unsqueeze(-1)).squeeze(-1)[real].mean()
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return logits, attn, loss, grads


def assert_same(task, model):
    sample = batch(task)
    ref = forward_and_grads(model, sample["net_input"], sample["target"], lean=False, seed=7)
    new = forward_and_grads(model, sample["net_input"], sample["target"], lean=True, seed=7)
    real = sample["target"].ne(task.target_dictionary.pad())
    assert not real.all()  # the batch has padding, which the lean loop does not compute:
    assert (new[0][~real] == 0).all() and (new[1][~real] == 0).all()  # zero there
    for name, a, b in zip(("logits", "attention", "loss"), ref[:3], new[:3]):
        assert a.shape == b.shape, name
        if a.dim() == 3:
            a, b = a[real], b[real]
        assert torch.allclose(a, b, atol=1e-6, rtol=1e-5), (name, (a - b).abs().max())
    assert ref[3].keys() == new[3].keys()
    for name in ref[3]:
        assert torch.allclose(ref[3][name], new[3][name], atol=1e-6, rtol=1e-4), \
            (name, (ref[3][name] - new[3][name]).abs().max())


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_lean_loop_equals_step_loop(toy_data, case, mode):
    task, model = build(toy_data, "rnn_luong", SIZES + CASES[case] + ["--dropout", "0.3"])
    model.train(mode == "train")
    assert input_feeding.supports(model.decoder)
    assert_same(task, model)


def test_two_layers(toy_data):
    """Two decoder layers: the lean loop without dropout (nn.LSTM draws its masks between
    layers inside each step, so with dropout in training the decoder keeps its step loop)."""
    two = ["--encoder-layers", "2", "--decoder-layers", "2"]
    task, model = build(toy_data, "rnn_luong", SIZES + two + ["--dropout", "0.3"])
    assert not input_feeding.supports(model.decoder)  # training, with dropout
    model.eval()
    assert_same(task, model)
    task, model = build(toy_data, "rnn_luong", SIZES + two + ["--dropout", "0"])
    assert input_feeding.supports(model.decoder)
    assert_same(task, model)


def test_dropout_masks_follow_the_seed(toy_data):
    """In training the loss depends on the dropout masks: a different seed changes it (so the
    equality above is not that of two dropout-free runs)."""
    task, model = build(toy_data, "rnn_luong", SIZES + ["--dropout", "0.3"])
    model.train()
    sample = batch(task)
    a = forward_and_grads(model, sample["net_input"], sample["target"], lean=True, seed=7)[2]
    b = forward_and_grads(model, sample["net_input"], sample["target"], lean=True, seed=8)[2]
    assert not torch.allclose(a, b)
