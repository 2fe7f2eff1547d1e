"""--source-word-dropout: source tokens become <unk> in training steps only."""
import pytest
import torch
from fairseq import optim, options, tasks

from support import PLUGIN_DIR, SMALL, batch


def _setup(data, p):
    parser = options.get_training_parser()
    args = options.parse_args_and_arch(parser, [
        str(data), "--user-dir", str(PLUGIN_DIR), "--task", "gec", "--arch", "rnn_gec",
        "--source-lang", "de", "--target-lang", "en", "--dataset-impl", "raw", *SMALL,
        "--decoder-hidden-size", "24", "--source-word-dropout", str(p),
        "--criterion", "label_smoothed_cross_entropy", "--optimizer", "sgd", "--lr", "0.01"])
    torch.manual_seed(1)
    task = tasks.setup_task(args)
    task.load_dataset("valid")
    model = task.build_model(args)
    criterion = task.build_criterion(args)
    optimizer = optim.build_optimizer(args, [p for p in model.parameters() if p.requires_grad])
    seen = []
    model.encoder.register_forward_pre_hook(   # what the encoder is given
        lambda m, args, kwargs: seen.append(kwargs.get("src_tokens", args[0] if args else None)),
        with_kwargs=True)
    return task, model, criterion, optimizer, seen


def test_source_words_are_dropped_in_training_only(toy_joined_data):
    task, model, criterion, optimizer, seen = _setup(toy_joined_data, 0.5)
    sample = batch(task)
    src = sample["net_input"]["src_tokens"].clone()
    d = task.source_dictionary
    task.train_step(sample, model, criterion, optimizer, 0)
    trained, n = seen[-1], lambda x, tok: int((x == tok).sum())
    real = int(((src != d.pad()) & (src != d.eos())).sum())
    assert n(src, d.unk()) == 0 and 0.3 * real < n(trained, d.unk()) < 0.7 * real
    assert n(trained, d.pad()) == n(src, d.pad()) and n(trained, d.eos()) == n(src, d.eos())
    assert torch.equal(sample["net_input"]["src_tokens"], src)   # the batch is not changed

    def same(x):   # the same tokens as the source, however laid out
        return torch.equal(x.flatten().sort().values, src.flatten().sort().values)

    task.valid_step(sample, model, criterion)
    assert same(seen[-1])
    generator = task.build_generator([model], options.parse_args_and_arch(
        options.get_generation_parser(), [str(toy_joined_data)]))
    with torch.no_grad():   # the same hypotheses as the generator's on the batch as it is
        hypos = task.inference_step(generator, [model.eval()], sample)
        plain = generator.generate([model], sample)
    assert [h[0]["tokens"].tolist() for h in hypos] == [h[0]["tokens"].tolist() for h in plain]


def test_no_source_word_dropout_by_default_and_a_bad_rate_is_refused(toy_joined_data):
    task, model, criterion, optimizer, seen = _setup(toy_joined_data, 0)
    sample = batch(task)
    task.train_step(sample, model, criterion, optimizer, 0)
    src = sample["net_input"]["src_tokens"]
    assert torch.equal(seen[-1].flatten().sort().values, src.flatten().sort().values)
    with pytest.raises(ValueError, match="source-word-dropout"):
        _setup(toy_joined_data, 1.0)
