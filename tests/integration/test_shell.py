"""The translation shell (fairseq-interactive, task translation) reports each bad line and
goes on: one ``E-<id>\\t<reason>; skipped`` line for an empty line, bytes that are not
UTF-8, a line over the character or the token limit; the other lines keep their ids
(0-based input line numbers), with one line a buffer and with several.
The gec task's shell goes through the same code: tests/integration/test_gec.py.
"""
import os
import re
import subprocess

import pytest
import sentencepiece

from support import PLUGIN_DIR, REPO, cli

GOOD = ["Ein Hund läuft über die Wiese .", "Eine Katze schläft .", "Ein Mann fährt Fahrrad ."]
RUNAWAY = " ".join(["Hund"] * 3000)   # 14,999 characters: over 10 per source position
LONG = " ".join(["Hund"] * 1100)      # 5,499 characters, over 1,024 tokens
#: the shell's input, one line each: good, bad bytes, good, empty, too long twice, good
LINES = [GOOD[0].encode(), b"\xff\xfe kaputt", GOOD[1].encode(), b"", RUNAWAY.encode(),
         LONG.encode(), GOOD[2].encode()]


@pytest.fixture(scope="module")
def model(tiny_checkpoint):
    """A translation checkpoint after 20 updates (what it says does not matter here)."""
    return tiny_checkpoint


def shell(model, lines, *extra):
    """fairseq-interactive on ``lines`` (bytes, one a line); its stdout as text."""
    data, ckpt = model
    cmd = [cli("fairseq-interactive"), data / "bin", "--user-dir", PLUGIN_DIR, "--path", ckpt,
           "--source-lang", "de", "--target-lang", "en", "--bpe", "sentencepiece",
           "--sentencepiece-model", data / "spm" / "joint.model", "--cpu", "--beam", "2",
           "--max-len-a", "0", "--max-len-b", "5", *extra]
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([str(c) for c in cmd], input=b"".join(x + b"\n" for x in lines),
                          env=env, timeout=300, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 0, out[-3000:] + proc.stderr.decode("utf-8", "replace")[-3000:]
    return out


def tagged(out, tags="ES"):
    """(tag-id, text) of each output line whose tag is in ``tags``, in output order."""
    return [(f"{m.group(1)}-{m.group(2)}", m.group(3)) for m in
            re.finditer(rf"^([{tags}])-(\d+)\t(.*)$", out, re.M)]


def pieces_to_text(pieces):
    return "".join(pieces.split()).replace("\u2581", " ").strip()


def tokens(model, text):
    """How many source tokens the shell makes of ``text``: its pieces and </s>."""
    processor = sentencepiece.SentencePieceProcessor(model_file=str(model[0] / "spm" /
                                                                    "joint.model"))
    return len(processor.encode(text)) + 1


@pytest.mark.parametrize("buffer_size, order", [
    (1, ["S-0", "E-1", "S-2", "E-3", "E-4", "E-5", "S-6"]),
    # a buffer's E- lines come first, then its translations in input order
    (4, ["E-1", "E-3", "S-0", "S-2", "E-4", "E-5", "S-6"]),
])
def test_each_bad_line_is_reported_and_skipped(model, buffer_size, order):
    out = shell(model, LINES, "--buffer-size", str(buffer_size))
    lines = tagged(out)
    assert [tag for tag, _ in lines] == order, out[-3000:]
    errors = {tag: text for tag, text in lines if tag.startswith("E")}
    assert errors == {
        "E-1": "not valid UTF-8 (byte 0xff at character 0); skipped",
        "E-3": "empty line; skipped",
        "E-4": "line too long (14999 characters, at most 10240: 10 per source position); "
               "skipped",
        "E-5": f"line too long ({tokens(model, LONG)} tokens, --max-source-positions 1024); "
               "skipped",
    }
    # each translation is of the line its id names
    sources = {tag: pieces_to_text(text) for tag, text in lines if tag.startswith("S")}
    assert sources == {"S-0": GOOD[0], "S-2": GOOD[1], "S-6": GOOD[2]}
    assert [tag for tag, _ in tagged(out, "D")] == ["D-0", "D-2", "D-6"]


def test_the_smaller_limit_of_model_and_task_is_the_one_named(model):
    """The model's limit (here overridden to 50) or the task's --max-source-positions."""
    short = " ".join(["Hund"] * 60)    # 299 characters, over 50 tokens
    words = " ".join(["Hund"] * 110)   # 549 characters: over 500 (10 per position)
    lines = [GOOD[0].encode(), short.encode(), words.encode()]
    errors = dict(tagged(shell(model, lines, "--model-overrides",
                               "{'max_source_positions': 50}"), "E"))
    assert errors == {
        "E-1": f"line too long ({tokens(model, short)} tokens, the model's max source "
               "positions 50); skipped",
        "E-2": "line too long (549 characters, at most 500: 10 per source position); skipped",
    }
    out = shell(model, lines, "--max-source-positions", "40")
    assert dict(tagged(out, "E"))["E-1"] == (f"line too long ({tokens(model, short)} tokens, "
                                             "--max-source-positions 40); skipped")
    assert [tag for tag, _ in tagged(out, "D")] == ["D-0"]
