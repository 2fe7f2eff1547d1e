"""The gec task's test-time options: the spelling step (--spelling; skipped without
symspellpy) and iterative correction (--iterative-rounds)."""
import pytest
import torch
from fairseq import options, tasks

from support import PLUGIN_DIR, SMALL, batch

from fairseq_plugins.tasks.gec_iterative import correct_until_fixed


def _task(data, *extra):
    parser = options.get_training_parser()
    args = options.parse_args_and_arch(parser, [
        str(data), "--user-dir", str(PLUGIN_DIR), "--task", "gec", "--arch", "rnn_gec",
        "--source-lang", "de", "--target-lang", "en", "--dataset-impl", "raw", *SMALL,
        "--decoder-hidden-size", "24", *extra])
    torch.manual_seed(1)
    task = tasks.setup_task(args)
    task.load_dataset("valid")
    return task, args


# ------------------------------------------------------------------ iterative correction

PAD, EOS = 1, 2


def _drop_first_seven(sample):
    """One decoding round of a 'model' that deletes the first token 7 of each source."""
    out = []
    for row in sample["net_input"]["src_tokens"]:
        row = row[row.ne(PAD)].tolist()
        if 7 in row:
            row.remove(7)
        out.append([{"tokens": torch.tensor(row)}])
    return out


def test_iterative_correction_stops_at_a_fixed_point():
    src = [[5, 7, 7, 6, 7, EOS], [PAD, PAD, PAD, 5, 6, EOS]]   # left-padded
    sample = {"id": torch.tensor([0, 1]), "net_input": {
        "src_tokens": torch.tensor(src), "src_lengths": torch.tensor([6, 3])}}
    rounds = []

    def step(again):
        rounds.append(again["id"].tolist())
        return _drop_first_seven(again)

    first = _drop_first_seven(sample)
    hypos = correct_until_fixed(step, sample, first, 10, PAD, EOS, left_pad=True)
    assert hypos[0][0]["tokens"].tolist() == [5, 6, EOS]
    assert hypos[1][0]["tokens"].tolist() == [5, 6, EOS]
    # rounds 2 and 3 remove the other two 7s, round 4 changes nothing: the loop stops
    # there; the second sentence was a fixed point after round 1 and is not decoded again
    assert rounds == [[0], [0], [0]]
    rounds.clear()
    limited = correct_until_fixed(step, sample, _drop_first_seven(sample), 2, PAD, EOS, True)
    assert limited[0][0]["tokens"].tolist() == [5, 6, 7, EOS] and rounds == [[0]]


def test_iterative_rounds_on_a_model_decode_its_own_output_again(toy_joined_data):
    task1, args = _task(toy_joined_data)
    task3, _ = _task(toy_joined_data, "--iterative-rounds", "3")
    model = task1.build_model(args).eval()
    gen_args = options.parse_args_and_arch(options.get_generation_parser(),
                                           [str(toy_joined_data), "--beam", "2"])
    sample = batch(task1, range(4))
    with torch.no_grad():
        once = task1.inference_step(task1.build_generator([model], gen_args), [model], sample)
        thrice = task3.inference_step(task3.build_generator([model], gen_args), [model], sample)
        for i, hyp in enumerate(thrice):   # the same as decoding by hand, round by round
            tokens = once[i][0]["tokens"]
            src = sample["net_input"]["src_tokens"][i]
            current = src[src.ne(task1.src_dict.pad())]
            for _ in range(2):
                if torch.equal(tokens, current):
                    break
                one = {"id": sample["id"][i:i + 1], "net_input": {
                    "src_tokens": tokens[None], "src_lengths": torch.tensor([len(tokens)])}}
                current, tokens = tokens, task1.inference_step(
                    task1.build_generator([model], gen_args), [model], one)[0][0]["tokens"]
            assert torch.equal(hyp[0]["tokens"], tokens)


def test_iterative_rounds_below_one_is_refused(toy_joined_data):
    with pytest.raises(ValueError, match="iterative-rounds"):
        _task(toy_joined_data, "--iterative-rounds", "0")


# ------------------------------------------------------------------ spelling

spelling = pytest.importorskip("preprocess.texttools.spelling")
needs_symspell = pytest.mark.skipif(not spelling.available(), reason="symspellpy is not installed")


@needs_symspell
def test_spelling_corrects_unknown_words_only_and_keeps_their_case():
    sp = spelling.speller()
    assert sp.correct("I like grammer and Acticles .") == "I like grammar and Articles ."
    same = "The children were eating apples , pears and grapes at the table ."
    assert sp.correct(same) == same                          # in the dictionary: untouched
    assert sp.correct("I do n't know , iPod NASA") == "I do n't know , iPod NASA"
    assert sp.correct("Becuase of teh wether") == "Because of the wether"   # a word: stays
    assert sp.correct("  two  spaces\tstay ") == "  two  spaces\tstay "


@needs_symspell
def test_spelling_is_a_task_option_applied_to_raw_input(toy_joined_data):
    seen = []

    def encode(line):   # what the task hands to the tokenizer and subword model
        seen.append(line)
        return line

    plain, _ = _task(toy_joined_data)
    spelled, _ = _task(toy_joined_data, "--spelling")
    plain.get_interactive_tokens_and_lengths(["I like grammer ."], encode)
    spelled.get_interactive_tokens_and_lengths(["I like grammer ."], encode)
    assert seen == ["I like grammer .", "I like grammar ."]
