#!/usr/bin/env python
"""Translate one sentence with a fairseq checkpoint and plot its attention as a heatmap.

Everything model-related goes through fairseq's own machinery, so the picture shows
what ``fairseq-interactive`` would really produce: the arguments are parsed by
fairseq's interactive parser (so ``--bpe sentencepiece --sentencepiece-model M``,
``--tokenizer moses``, ``--source-lang`` ... work as there), the plugin is imported
from ``--user-dir`` *before* the checkpoint is loaded (it allow-lists the globals that
fairseq checkpoints need under ``torch.load(weights_only=True)``), the sentence is
encoded as ``fairseq-interactive`` encodes it, and the task's ``SequenceGenerator``
runs beam search. The best hypothesis's ``hypo['attention']`` (source positions x
generated positions, end-of-sentence included on both sides) is drawn with the source
tokens along the x axis and the generated tokens down the y axis: row *j* is the
attention distribution used to emit target token *j*.

Example::

    python scripts/plot_attention.py --data-bin data-bin/multi30k --path ckpt/checkpoint_best.pt \
        --sentence "Ein Mann fährt Fahrrad." --bpe sentencepiece --sentencepiece-model spm.model \
        --out attention.png
"""
import argparse
import ast
import logging
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    DEFAULT_USER_DIR, InputError, import_fairseq_plugin, run_main, use_agg_backend)


def build_parser():
    """Our own options; anything else is handed to fairseq's interactive parser."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Any other fairseq-interactive option (--bpe, --sentencepiece-model, "
               "--tokenizer, --source-lang, --target-lang, --lenpen, ...) is passed on.")
    parser.add_argument("--data-bin", required=True, help="binarised data dir (dictionaries)")
    parser.add_argument("--path", required=True, help="checkpoint file")
    parser.add_argument("--sentence", required=True, help="raw source sentence")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--user-dir", default=str(DEFAULT_USER_DIR),
                        help="fairseq plugin directory (default: fairseq_plugins)")
    parser.add_argument("--beam", type=int, default=5, help="beam size (default 5)")
    parser.add_argument("--tsv", default=None,
                        help="also write the matrix as TSV (rows: generated tokens, "
                             "columns: source tokens)")
    return parser


def fairseq_config(args, extra):
    """Parse the fairseq side exactly as fairseq-interactive does, as an omegaconf cfg."""
    from fairseq import options
    from fairseq.dataclass.utils import convert_namespace_to_omegaconf

    argv = [args.data_bin, "--path", args.path, "--user-dir", args.user_dir,
            "--beam", str(args.beam), "--nbest", "1", *extra]
    parser = options.get_interactive_generation_parser()
    namespace = options.parse_args_and_arch(parser, argv)
    with warnings.catch_warnings():  # hydra's deprecation chatter about fairseq's configs
        warnings.simplefilter("ignore", UserWarning)
        return convert_namespace_to_omegaconf(namespace)


def load_for_generation(cfg):
    """Set up the task, load the checkpoint(s) and build the generator, as interactive does.

    The one difference: models are prepared with ``need_attn=True`` (interactive only
    asks for attention with ``--print-alignment``), otherwise decoders such as fairseq's
    LSTM drop it for speed.
    """
    from fairseq import checkpoint_utils, tasks, utils

    task = tasks.setup_task(cfg.task)
    models, _ = checkpoint_utils.load_model_ensemble(
        utils.split_paths(cfg.common_eval.path),
        arg_overrides=ast.literal_eval(cfg.common_eval.model_overrides),
        task=task)
    for model in models:
        model.make_generation_fast_(beamable_mm_beam_size=cfg.generation.beam, need_attn=True)
        model.eval()
    generator = task.build_generator(models, cfg.generation)
    return task, models, generator


def make_codec(task, cfg):
    """The (encode, decode) pair of fairseq-interactive: tokenizer, then BPE."""
    tokenizer, bpe = task.build_tokenizer(cfg.tokenizer), task.build_bpe(cfg.bpe)

    def encode(text):
        text = tokenizer.encode(text) if tokenizer is not None else text
        return bpe.encode(text) if bpe is not None else text

    def decode(text):
        text = bpe.decode(text) if bpe is not None else text
        return tokenizer.decode(text) if tokenizer is not None else text

    return encode, decode


def translate(task, models, generator, sentence, encode):
    """Encode one sentence like fairseq-interactive and return (src_tokens, best hypo)."""
    tokens, lengths = task.get_interactive_tokens_and_lengths([sentence], encode)
    dataset = task.build_dataset_for_inference(tokens, lengths)
    sample = dataset.collater([dataset[0]])
    hypos = task.inference_step(generator, models, sample)
    return sample["net_input"]["src_tokens"][0], hypos[0][0]


def attention_matrix(hypo, src_tokens, pad):
    """The best hypothesis's attention as a (target x source) numpy array.

    fairseq stores ``hypo['attention']`` as src_len x tgt_len; rows of padded source
    positions (none for a single sentence, but cheap to guard) are dropped.
    """
    attn = hypo.get("attention")
    if attn is None or attn.numel() == 0:
        raise InputError("the model returned no attention for this hypothesis "
                         "(its decoder has no attention, or does not expose it to "
                         "SequenceGenerator); nothing to plot")
    keep = src_tokens.ne(pad)
    if attn.size(0) == keep.numel():
        attn = attn[keep]
    return attn.float().t().cpu().numpy()


def token_labels(dictionary, token_ids):
    """Dictionary symbols (subword pieces, ``</s>``) for a tensor of token ids."""
    return [dictionary[int(i)] for i in token_ids]


def draw_heatmap(matrix, src_labels, tgt_labels, out, title):
    """Save the attention heatmap: source tokens along x, generated tokens down y."""
    use_agg_backend()
    import matplotlib.pyplot as plt

    width = min(2.5 + 0.45 * len(src_labels), 30)
    height = min(2.0 + 0.40 * len(tgt_labels), 30)
    fig, ax = plt.subplots(figsize=(width, height))
    image = ax.imshow(matrix, cmap="viridis", aspect="auto", vmin=0.0, vmax=max(matrix.max(), 1e-9))
    ax.set_xticks(range(len(src_labels)), labels=src_labels, rotation=60, ha="right")
    ax.set_yticks(range(len(tgt_labels)), labels=tgt_labels)
    ax.set_xlabel("source tokens")
    ax.set_ylabel("generated tokens")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)


def write_tsv(matrix, src_labels, tgt_labels, path):
    """Write the matrix with a header of source tokens and one row per generated token."""
    with open(path, "w", encoding="utf-8") as f:
        f.write("\t".join(["target\\source", *src_labels]) + "\n")
        for label, row in zip(tgt_labels, matrix):
            f.write("\t".join([label, *(f"{x:.6f}" for x in row)]) + "\n")


def check_inputs(args):
    """Fail early, in one line, on the mistakes fairseq would report with a traceback."""
    if not args.sentence.strip():
        raise InputError("--sentence is empty")
    if not Path(args.path).is_file():
        raise InputError(f"checkpoint not found: {args.path}")
    if not Path(args.data_bin).is_dir():
        raise InputError(f"data directory not found: {args.data_bin}")


def main(argv=None):
    args, extra = build_parser().parse_known_args(argv)
    check_inputs(args)
    import_fairseq_plugin(args.user_dir)  # before any checkpoint is loaded
    logging.getLogger().setLevel(logging.WARNING)  # fairseq's import turns on DEBUG logs
    cfg = fairseq_config(args, extra)
    task, models, generator = load_for_generation(cfg)
    encode, decode = make_codec(task, cfg)
    src_tokens, hypo = translate(task, models, generator, args.sentence, encode)
    matrix = attention_matrix(hypo, src_tokens, task.source_dictionary.pad())
    src_dict = task.source_dictionary
    src_labels = token_labels(src_dict, src_tokens[src_tokens.ne(src_dict.pad())])
    tgt_labels = token_labels(task.target_dictionary, hypo["tokens"])
    hypothesis = decode(task.target_dictionary.string(hypo["tokens"], cfg.common_eval.post_process))
    draw_heatmap(matrix, src_labels, tgt_labels, args.out, f"{args.sentence}\n-> {hypothesis}")
    if args.tsv:
        write_tsv(matrix, src_labels, tgt_labels, args.tsv)
    print(f"S\t{' '.join(src_labels)}")
    print(f"H\t{' '.join(tgt_labels)}")
    print(f"D\t{hypothesis}")
    print(f"attention {matrix.shape[0]} generated x {matrix.shape[1]} source tokens")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
