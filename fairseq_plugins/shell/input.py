"""fairseq-interactive reports each line it cannot use and goes on, for every task.

fairseq-interactive (``fairseq_cli.interactive``) reads its input in buffers of
``--buffer-size`` lines with strict UTF-8 (``buffered_read``), and ``make_batches`` hands
each buffer to the task to encode and batch under ``max_positions``. So one byte that is
not UTF-8 ends the shell with a traceback (sentencepiece cannot take the string, or the
reader raises) and the lines after it are lost; so does one line over the source limit
(``Size of sample #0 is invalid``); and an empty line is "translated" into whatever the
model makes of the end-of-sentence token alone, as if the user had written something.

This module replaces both functions of that module, whatever the task:

- :func:`tolerant_buffered_read` reads bytes and decodes them with ``surrogateescape``:
  the same lines in the same buffers, a bad byte becomes a lone surrogate;
- :func:`make_batches` checks each line of a buffer, prints one line
  ``E-<id>\\t<reason>; skipped`` for each line it cannot use and batches the others as
  fairseq does (the task's ``get_interactive_tokens_and_lengths``,
  ``build_dataset_for_inference`` and ``get_batch_iterator``; ``--constraints`` too). The
  batch ids are the lines' positions in their buffer, so ``main``'s ids
  (``start_id + id``) stay the 0-based input line numbers, across buffers.

A line is skipped, in the order of these checks, when it is not valid UTF-8, empty, over
the character limit, empty once the task and ``--tokenizer``/``--bpe`` have encoded it
(only special tokens; the ``gec`` task normalises first), or over the token limit.
The token limit is the source side of the ``max_positions`` fairseq-interactive resolves
from the task and the models (``--max-source-positions`` when the task's is the smaller).
The character limit is the task's ``--max-input-chars`` where it has one (``gec``), else
:data:`CHARS_PER_POSITION` per source position: far above any line that fits the token
limit, low enough that a runaway line is refused before the tokenizer and BPE see it.

``fairseq_cli.interactive.main`` looks both functions up as module globals when it uses
them, and the plugin is imported (``--user-dir``) while ``cli_main`` parses the options,
after the module was loaded; other CLIs are not touched. A program that imports the
plugin before ``fairseq_cli.interactive`` calls :func:`install` itself.
"""
import math
import sys
import weakref
from collections import namedtuple
from typing import Dict, List, NamedTuple, Optional

import torch

#: characters allowed per source position where the task has no ``--max-input-chars``
#: (subword pieces and words average well under 10 characters with their space)
CHARS_PER_POSITION = 10
#: positions assumed when neither the task nor the models give a source limit
#: (fairseq's default ``--max-source-positions``)
DEFAULT_POSITIONS = 1024

#: the fields of fairseq-interactive's ``Batch``; its ``main`` reads them by name
Batch = namedtuple("Batch", "ids src_tokens src_lengths constraints")

# lines each task has been given so far: the id of its next line
_lines_seen: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


# --------------------------------------------------------------------------- reading

def tolerant_buffered_read(input, buffer_size):
    """Drop-in for ``fairseq_cli.interactive.buffered_read`` that never dies on bad bytes.

    Reads bytes (stdin or a file) and decodes each line as UTF-8 with
    ``surrogateescape``: invalid bytes become lone surrogates U+DC80..U+DCFF.  Lines are
    stripped and buffered exactly like the original.
    """
    stream = sys.stdin.buffer if input == "-" else open(input, "rb")
    buffer = []
    try:
        for raw in stream:
            buffer.append(raw.decode("utf-8", errors="surrogateescape").strip())
            if len(buffer) >= buffer_size:
                yield buffer
                buffer = []
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if buffer:
        yield buffer


def invalid_utf8(line: str) -> Optional[str]:
    """The reason ``line`` (read with ``surrogateescape``) is not UTF-8, or None."""
    for pos, ch in enumerate(line):
        if "\udc80" <= ch <= "\udcff":
            return f"not valid UTF-8 (byte 0x{ord(ch) - 0xDC00:02x} at character {pos})"
    return None


# --------------------------------------------------------------------------- limits

class Limits(NamedTuple):
    """The longest line the shell takes, and how its E- lines name each limit."""
    chars: int
    chars_name: str
    tokens: Optional[int]
    tokens_name: str


def source_positions(max_positions) -> Optional[int]:
    """The source side of fairseq-interactive's resolved ``max_positions``, if finite."""
    if isinstance(max_positions, (tuple, list)):
        max_positions = max_positions[0] if max_positions else None
    if isinstance(max_positions, (int, float)) and math.isfinite(max_positions):
        return int(max_positions)
    return None   # none given, or one per language pair (multilingual tasks)


def limits(task, max_positions) -> Limits:
    cfg = getattr(task, "cfg", None)
    tokens = source_positions(max_positions)
    if tokens is not None and tokens == getattr(cfg, "max_source_positions", None):
        tokens_name = f"--max-source-positions {tokens}"
    else:
        tokens_name = f"the model's max source positions {tokens}"
    chars = getattr(cfg, "max_input_chars", None)
    if chars:
        return Limits(chars, f"--max-input-chars {chars}", tokens, tokens_name)
    chars = CHARS_PER_POSITION * (tokens or DEFAULT_POSITIONS)
    return Limits(chars, f"at most {chars}: {CHARS_PER_POSITION} per source position",
                  tokens, tokens_name)


def text_problem(line: str, source: str, limit: Limits) -> Optional[str]:
    """Why a raw line (``source``: its part before any constraints) cannot be used."""
    bad = invalid_utf8(line)
    if bad:
        return bad
    if not source.strip():
        return "empty line"
    if len(source) > limit.chars:
        return f"line too long ({len(source)} characters, {limit.chars_name})"
    return None


def token_problem(ids: torch.Tensor, special: torch.Tensor, limit: Limits) -> Optional[str]:
    """Why an encoded line cannot be used: nothing but special tokens, or too many."""
    if not (~torch.isin(ids, special)).any():
        return "empty line (after normalisation)"
    if limit.tokens is not None and ids.numel() > limit.tokens:
        return f"line too long ({ids.numel()} tokens, {limit.tokens_name})"
    return None


# --------------------------------------------------------------------------- batching

def _split_constraints(lines: List[str], cfg):
    """(sources, constraint strings per line), as fairseq splits tab-separated constraints."""
    if not cfg.generation.constraints:
        return list(lines), None
    parts = [line.split("\t") for line in lines]
    return [p[0] for p in parts], [p[1:] for p in parts]


def _pack_constraints(task, constraints, encode_fn):
    from fairseq.token_generation_constraints import pack_constraints

    return pack_constraints([
        [task.target_dictionary.encode_line(encode_fn(c), append_eos=False,
                                            add_if_not_exist=False) for c in line]
        for line in constraints])


def _special_tokens(dictionary) -> torch.Tensor:
    if dictionary is None:
        return torch.LongTensor([])
    return torch.LongTensor([dictionary.bos(), dictionary.pad(), dictionary.eos()])


def _usable(lines, sources, task, limit, encode_fn):
    """{buffer position: token ids} of the usable lines; prints an E- line for the others."""
    start = _lines_seen.get(task, 0)
    _lines_seen[task] = start + len(lines)
    problems: Dict[int, str] = {}
    for i, (line, source) in enumerate(zip(lines, sources)):
        problem = text_problem(line, source, limit)
        if problem is not None:
            problems[i] = problem
    kept = [i for i in range(len(lines)) if i not in problems]
    tokens = {}
    if kept:
        encoded, _ = task.get_interactive_tokens_and_lengths([sources[i] for i in kept],
                                                             encode_fn)
        special = _special_tokens(task.source_dictionary)
        for i, ids in zip(kept, encoded):
            problem = token_problem(ids, special, limit)
            if problem is None:
                tokens[i] = ids
            else:
                problems[i] = problem
    for i in sorted(problems):
        print(f"E-{start + i}\t{problems[i]}; skipped", flush=True)
    return tokens


def make_batches(lines, cfg, task, max_positions, encode_fn):
    """``fairseq_cli.interactive.make_batches`` that reports and skips unusable lines.

    Yields fairseq-interactive's batches of the usable lines of one buffer; their ids
    are positions in ``lines``.
    """
    sources, constraints = _split_constraints(lines, cfg)
    tokens = _usable(lines, sources, task, limits(task, max_positions), encode_fn)
    if not tokens:
        return
    positions = sorted(tokens)
    packed = None
    if constraints is not None:
        packed = _pack_constraints(task, [constraints[i] for i in positions], encode_fn)
    src = [tokens[i] for i in positions]
    itr = task.get_batch_iterator(
        dataset=task.build_dataset_for_inference(src, [t.numel() for t in src],
                                                 constraints=packed),
        max_tokens=cfg.dataset.max_tokens,
        max_sentences=cfg.dataset.batch_size,
        max_positions=max_positions,
        ignore_invalid_inputs=cfg.dataset.skip_invalid_size_inputs_valid_test,
    ).next_epoch_itr(shuffle=False)
    index = torch.LongTensor(positions)
    for batch in itr:
        yield Batch(ids=index[batch["id"]], src_tokens=batch["net_input"]["src_tokens"],
                    src_lengths=batch["net_input"]["src_lengths"],
                    constraints=batch.get("constraints", None))


# --------------------------------------------------------------------------- install

def _interactive_module():
    """``fairseq_cli.interactive`` if loaded (also run as ``python -m``), else None."""
    mod = sys.modules.get("fairseq_cli.interactive")
    if mod is None:
        main = sys.modules.get("__main__")
        spec = getattr(main, "__spec__", None)
        if spec is not None and spec.name == "fairseq_cli.interactive":
            mod = main
    return mod


def install():
    """Replace fairseq-interactive's two functions, if it is loaded; safe to call again."""
    mod = _interactive_module()
    if mod is not None:
        mod.buffered_read = tolerant_buffered_read
        mod.make_batches = make_batches
