#!/usr/bin/env python
"""Score machine-translation output: sacreBLEU, "tutorial" BLEU and test perplexity.

Two BLEU figures are printed because papers and tutorials report different things:

* ``sacreBLEU``: the standard, comparable number -- detokenised, cased hypotheses against
  detokenised references, sacreBLEU's default 13a tokenisation, printed with its
  signature so that the exact configuration is on record.
* ``BLEU(lc,tok)``: the number classic seq2seq tutorials quote (BLEU on lower-cased,
  tokenised text, as with ``multi-bleu.perl``). Exactly what is done: every hypothesis
  and reference is lower-cased, then split by sacreBLEU's 13a tokeniser, and BLEU is
  computed on those tokens with no further tokenisation (``tokenize='none'``). This is
  numerically the same as ``sacrebleu -lc`` and is usually a few points higher than
  the cased score.

Hypotheses come either from a plain file (``--hyp``, one detokenised sentence per line)
or from ``fairseq-generate`` output (``--generate-output``): its ``D-<id>`` lines (the
detokenised hypotheses, already post-processed when fairseq ran with
``--post-process sentencepiece`` or ``--bpe``/``--tokenizer``) are sorted by id, the
best-scoring one per id is kept, and the ``T-<id>`` lines serve as references unless
``--ref`` is given. ``--post-process NAME`` applies fairseq's own post-processing
(``sentencepiece``, ``subword_nmt``, ...) when the generate run did not.

``--refs-by-source SRC`` (the source side of the test set, aligned with the one
reference file) scores each hypothesis against every reference whose source sentence is
identical to its own: a test set in which one sentence has several translations, as
Tatoeba's, gets multi-reference BLEU instead of a score that penalises a correct but
different translation. The number of references then varies by sentence.

Test perplexity (``--data-bin DIR --path CKPT``) is not recomputed here: the real
``fairseq-validate`` is run on ``--valid-subset`` (default ``test``) and its figures are
parsed. As fairseq logs them, ``loss``/``nll_loss`` are in base 2 (bits) per target
subword token, end-of-sentence included, and ``ppl = 2 ** nll_loss`` (for
``cross_entropy`` training, ``2 ** loss``): a per-subword-token perplexity that is only
comparable between models sharing the same vocabulary/segmentation.

Examples::

    python scripts/evaluate_mt.py --hyp hyp.en --ref test.en
    python scripts/evaluate_mt.py --generate-output gen.out --json
    python scripts/evaluate_mt.py --generate-output gen.out --ref test.fr --refs-by-source test.en
    python scripts/evaluate_mt.py --generate-output gen.out --ref test.en \
        --data-bin data-bin/multi30k --path checkpoints/checkpoint_best.pt
"""
import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_USER_DIR, InputError, read_text, run_main  # noqa: E402

GENERATE_LINE = re.compile(r"^([DT])-(\d+)\t(.*)$")
PPL_NOTE = ("from fairseq-validate: loss in base 2 per target subword token (EOS included); "
            "ppl = 2**nll_loss, or 2**loss when the criterion logs no nll_loss")


# --------------------------------------------------------------------------- inputs
def read_lines(path, what):
    """Lines of a UTF-8 text file without their line ends (Windows' too)."""
    return [line.rstrip("\r") for line in read_text(path, what)]


def parse_generate_output(lines):
    """Extract (hypotheses, references) from fairseq-generate stdout, ordered by id.

    ``D-<id>\\t<score>\\t<text>`` holds a detokenised hypothesis (with ``--nbest`` > 1
    the first, best, one per id is kept); ``T-<id>\\t<text>`` the reference as fairseq
    decoded it from the binarised data. Anything else (S-, H-, P-, log lines) is ignored.
    """
    hyps, refs = {}, {}
    for line in lines:
        match = GENERATE_LINE.match(line)
        if not match:
            continue
        kind, sent_id, rest = match.group(1), int(match.group(2)), match.group(3)
        if kind == "D":
            text = rest.split("\t", 1)[1] if "\t" in rest else ""
            hyps.setdefault(sent_id, text)
        else:
            refs.setdefault(sent_id, rest)
    if not hyps:
        raise InputError("no D-<id> lines found in the fairseq-generate output")
    ids = sorted(hyps)
    return [hyps[i] for i in ids], ([refs[i] for i in ids] if set(refs) >= set(ids) else None)


def fairseq_post_process(lines, name):
    """Apply fairseq's own ``--post-process NAME`` (e.g. sentencepiece) to each line."""
    if not name:
        return lines
    from fairseq.data.data_utils import post_process

    return [post_process(line, name) for line in lines]


def load_hypotheses_and_references(args):
    """Return (hypotheses, list of reference streams), checking all have equal length."""
    if args.generate_output:
        hyps, gen_refs = parse_generate_output(read_lines(args.generate_output, "generate output"))
        if args.ref:
            refs = [read_lines(path, "reference file") for path in args.ref]
        elif gen_refs is not None:
            print("note: references taken from the T- lines (rebuilt from binarised data, "
                  "unknown words shown as <<unk>>); pass --ref for the raw references",
                  file=sys.stderr)
            refs = [fairseq_post_process(gen_refs, args.post_process)]
        else:
            raise InputError("the generate output has no T- lines for every D- line; pass --ref")
        hyps = fairseq_post_process(hyps, args.post_process)
        hyp_name = args.generate_output
    else:
        if not args.ref:
            raise InputError("--hyp needs --ref")
        hyps = fairseq_post_process(read_lines(args.hyp, "hypothesis file"), args.post_process)
        refs = [read_lines(path, "reference file") for path in args.ref]
        hyp_name = args.hyp
    if not hyps:
        raise InputError(f"no hypotheses in {hyp_name}")
    for path, stream in zip(args.ref or ["T- lines"], refs):
        if len(stream) != len(hyps):
            raise InputError(
                f"line count mismatch: {len(hyps)} hypotheses in {hyp_name} "
                f"but {len(stream)} references in {path}")
    if args.refs_by_source:
        refs = references_by_source(read_lines(args.refs_by_source, "source file"), refs,
                                    args.refs_by_source)
    return hyps, refs


def references_by_source(sources, refs, src_name):
    """Turn one reference stream into several: sentence i gets every reference whose source
    equals source i (its own first). Streams are padded with None, sacreBLEU's marker for a
    sentence with fewer references."""
    if len(refs) != 1:
        raise InputError("--refs-by-source takes exactly one reference file")
    (stream,) = refs
    if len(sources) != len(stream):
        raise InputError(f"line count mismatch: {len(sources)} sources in {src_name} "
                         f"but {len(stream)} references")
    keys = [src.strip() for src in sources]
    if "" in keys:  # empty sources would all share one another's references
        raise InputError(f"{src_name} line {keys.index('') + 1} is empty: "
                         "references cannot be grouped by an empty source")
    groups = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    per_sentence = [[stream[i]] + [stream[j] for j in groups[key] if j != i]
                    for i, key in enumerate(keys)]
    width = max(len(r) for r in per_sentence)
    print(f"note: references grouped by source: {len(groups)} distinct sources for "
          f"{len(sources)} sentences, up to {width} references each", file=sys.stderr)
    return [[r[k] if k < len(r) else None for r in per_sentence] for k in range(width)]


# --------------------------------------------------------------------------- BLEU
def sacrebleu_score(hyps, refs):
    """Standard sacreBLEU: cased, detokenised input, default 13a tokenisation."""
    from sacrebleu.metrics import BLEU

    bleu = BLEU()
    return bleu.corpus_score(hyps, refs), str(bleu.get_signature())


def tutorial_tokenise(line):
    """Lower-case, then tokenise with sacreBLEU's 13a tokeniser (punctuation split off)."""
    from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

    return Tokenizer13a()(line.lower().strip())


def tutorial_bleu(hyps, refs):
    """BLEU on lower-cased, 13a-tokenised text, with no further tokenisation."""
    from sacrebleu.metrics import BLEU

    bleu = BLEU(tokenize="none", force=True)
    score = bleu.corpus_score([tutorial_tokenise(h) for h in hyps],
                              [[None if r is None else tutorial_tokenise(r) for r in stream]
                               for stream in refs])
    # Sign it as the equivalent sacreBLEU configuration (``sacrebleu -lc``), which is
    # what the signature's readers know: case:lc|tok:13a.
    equivalent = BLEU(lowercase=True, tokenize="13a")
    equivalent.corpus_score(hyps, refs)  # sets nrefs (a number, or "var")
    return score, str(equivalent.get_signature())


# --------------------------------------------------------------------------- perplexity
def fairseq_cli(name):
    """A fairseq console script installed beside the running interpreter (else on PATH)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def validate_command(args):
    """The fairseq-validate command line measuring loss/ppl on ``--valid-subset``."""
    return [
        fairseq_cli("fairseq-validate"), args.data_bin,
        "--path", args.path,
        "--valid-subset", args.valid_subset,
        "--user-dir", str(args.user_dir),
        "--task", args.task,
        "--max-tokens", str(args.max_tokens),
        "--log-format", "json",
        *args.validate_arg,
    ]


def parse_validate_output(text, subset):
    """Find fairseq-validate's end-of-subset JSON stats line and return its figures.

    With ``--log-format json`` fairseq prints ``... | <subset> | {"<subset>_loss": ...}``;
    values are strings such as ``"6.923"``.
    """
    key = f"{subset}_loss"
    for line in reversed(text.splitlines()):
        start = line.find("{")
        if start < 0 or key not in line:
            continue
        try:
            stats = json.loads(line[start:])
        except json.JSONDecodeError:
            continue
        wanted = ("loss", "nll_loss", "ppl")
        return {name: float(stats[f"{subset}_{name}"]) for name in wanted
                if f"{subset}_{name}" in stats}
    raise InputError(f"no '{key}' statistics found in fairseq-validate output")


def run_fairseq_validate(args):
    """Run the real fairseq-validate and return {'loss', 'nll_loss', 'ppl'} (base 2)."""
    if not Path(args.path).is_file():
        raise InputError(f"checkpoint not found: {args.path}")
    if not Path(args.data_bin).is_dir():
        raise InputError(f"data directory not found: {args.data_bin}")
    cmd = validate_command(args)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        last = [line for line in proc.stdout.splitlines() if line.strip()][-1:] or ["?"]
        raise InputError(f"fairseq-validate failed ({proc.returncode}): {last[0]}")
    return parse_validate_output(proc.stdout, args.valid_subset)


# --------------------------------------------------------------------------- main
def build_parser():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--hyp", help="hypotheses, detokenised, one sentence per line")
    src.add_argument("--generate-output", help="fairseq-generate stdout (D-/T- lines used)")
    parser.add_argument("--ref", nargs="+", default=[],
                        help="reference file(s), detokenised, one sentence per line")
    parser.add_argument("--refs-by-source", metavar="SRC",
                        help="source file aligned with --ref: sentences with identical sources "
                             "share their references (multi-reference BLEU)")
    parser.add_argument("--post-process", default=None, metavar="NAME",
                        help="apply fairseq's post-processing (sentencepiece, subword_nmt, ...) "
                             "to the hypotheses (and T- references) first")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    ppl = parser.add_argument_group("test perplexity (runs fairseq-validate)")
    ppl.add_argument("--data-bin", help="binarised data directory (fairseq-preprocess output)")
    ppl.add_argument("--path", help="checkpoint to evaluate")
    ppl.add_argument("--valid-subset", default="test", help="subset to score (default test)")
    ppl.add_argument("--task", default="translation", help="fairseq task (default translation)")
    ppl.add_argument("--user-dir", default=str(DEFAULT_USER_DIR), help="plugin directory")
    ppl.add_argument("--max-tokens", type=int, default=4096)
    ppl.add_argument("--validate-arg", action="append", default=[], metavar="ARG",
                     help="extra argument for fairseq-validate (repeatable), "
                          "e.g. --validate-arg=--source-lang=de")
    return parser


def check_args(parser, args):
    """Require at least one thing to compute, and both halves of the perplexity option."""
    if bool(args.data_bin) != bool(args.path):
        parser.error("--data-bin and --path go together")
    if not (args.hyp or args.generate_output or args.data_bin):
        parser.error("give --hyp/--ref, --generate-output, or --data-bin/--path")


def compute(args):
    """Compute every requested figure and return them as a flat dict."""
    result = {}
    if args.hyp or args.generate_output:
        hyps, refs = load_hypotheses_and_references(args)
        sacre, sacre_sig = sacrebleu_score(hyps, refs)
        tut, tut_sig = tutorial_bleu(hyps, refs)
        result.update(sentences=len(hyps),
                      sacrebleu=round(sacre.score, 2), sacrebleu_signature=sacre_sig,
                      bleu_lc_tok=round(tut.score, 2), bleu_lc_tok_signature=tut_sig)
    if args.data_bin:
        stats = run_fairseq_validate(args)
        for name, value in stats.items():
            result[f"{args.valid_subset}_{name}"] = value
        result["ppl_note"] = PPL_NOTE
    return result


def format_text(result, subset):
    """Human-readable lines, e.g. ``sacreBLEU 34.21`` and ``BLEU(lc,tok) 36.00``."""
    lines = []
    if "sacrebleu" in result:
        lines += [f"sentences {result['sentences']}",
                  f"sacreBLEU {result['sacrebleu']:.2f}",
                  f"sacreBLEU signature {result['sacrebleu_signature']}",
                  f"BLEU(lc,tok) {result['bleu_lc_tok']:.2f}",
                  f"BLEU(lc,tok) signature {result['bleu_lc_tok_signature']}"]
    for name in ("loss", "nll_loss", "ppl"):
        key = f"{subset}_{name}"
        if key in result:
            lines.append(f"{subset} {name} {result[key]:.2f}")
    if "ppl_note" in result:
        lines.append(f"({result['ppl_note']})")
    return "\n".join(lines)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    result = compute(args)
    print(json.dumps(result, indent=1) if args.json else format_text(result, args.valid_subset))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
