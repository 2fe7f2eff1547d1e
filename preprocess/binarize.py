"""Binarisation with the real ``fairseq-preprocess``.

The console script installed beside the running interpreter is used (so the venv's
fairseq is the one that wrote the data), falling back to ``python -m
fairseq_cli.preprocess``. It builds ``dict.<lang>.txt`` from the tokenised train split
and writes ``<split>.<src>-<tgt>.<lang>.{bin,idx}``; its own log is ``OUT/bin/preprocess.log``.
"""
import os
import subprocess
import sys
from pathlib import Path

from preprocess.texttools.errors import InputError

FAIRSEQ_PREFIX_ARGS = {"train": "--trainpref", "valid": "--validpref", "test": "--testpref"}


def fairseq_preprocess_command():
    script = Path(sys.executable).parent / "fairseq-preprocess"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "fairseq_cli.preprocess"]


def binarize(src_lang, tgt_lang, prefixes, destdir, joined_dictionary=False, workers=1):
    """Run fairseq-preprocess on ``prefixes`` (``{"train": "OUT/tok/train", ...}``).

    Returns ``{lang: dictionary size}`` read back from ``destdir/dict.<lang>.txt``
    (fairseq adds 4 special symbols on top of these entries).
    """
    cmd = fairseq_preprocess_command() + [
        "--source-lang", src_lang, "--target-lang", tgt_lang,
        "--destdir", str(destdir), "--workers", str(max(1, workers)),
    ]
    for split, prefix in prefixes.items():
        cmd += [FAIRSEQ_PREFIX_ARGS[split], str(prefix)]
    if joined_dictionary:
        cmd.append("--joined-dictionary")
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, env=env)
    except OSError as e:
        raise InputError(f"cannot run fairseq-preprocess ({cmd[0]}): {e}") from None
    if proc.returncode != 0:
        lines = [line for line in proc.stdout.splitlines() if line.strip()]
        last = lines[-1].strip() if lines else "no output"
        raise InputError(f"fairseq-preprocess failed (exit {proc.returncode}): {last}")
    sizes = {}
    for lang in (src_lang, tgt_lang):
        with open(Path(destdir) / f"dict.{lang}.txt", encoding="utf-8") as f:
            sizes[lang] = sum(1 for _ in f)
    return sizes
