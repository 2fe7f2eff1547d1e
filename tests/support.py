"""Helpers shared by the unit and integration tests: paths, running the CLIs, small files,
tiny models; pytest's fixtures stay in ``conftest.py``.

``tests/unit`` holds fast tests on toy data written by the tests themselves (no shared
data, no training run; ``bash scripts/run_tests.sh --unit``). ``tests/integration`` runs
the real command-line tools (fairseq-preprocess, fairseq-train, ...) from the same
environment as the interpreter running pytest, on small slices of the corpora in
``../shared/data`` (or ``$SEQ2SEQ_DATA_DIR``). Both import these helpers as
``from support import ...`` (pytest puts ``tests/`` on ``sys.path`` for the top
``conftest.py``). Importing this module imports neither torch nor fairseq.
"""
import os
import random
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGIN_DIR = REPO / "fairseq_plugins"
SCRIPTS = REPO / "scripts"
BIN_DIR = Path(sys.executable).parent
DATA_DIR = Path(os.environ.get("SEQ2SEQ_DATA_DIR", REPO.parent / "shared" / "data"))


def cli(name):
    """Path of a console script installed beside the running interpreter."""
    return str(BIN_DIR / name)


def hydra_train_cmd(config_name, data, save, *overrides):
    """fairseq-hydra-train with a config shipped in fairseq_plugins/config, its RNN at 16 units."""
    return [cli("fairseq-hydra-train"), "--config-dir", PLUGIN_DIR / "config",
            "--config-name", config_name, f"task.data={data}", f"common.user_dir={PLUGIN_DIR}",
            f"checkpoint.save_dir={save}", "model.encoder_embed_dim=16",
            "model.encoder_hidden_size=16", "model.decoder_hidden_size=16", *overrides]


def run(cmd, cwd=None, check=True, input=None, env=None, timeout=900):
    """Run a command, returning CompletedProcess; on failure show its output."""
    full_env = dict(os.environ)
    full_env.setdefault("OMP_NUM_THREADS", "1")
    full_env.setdefault("MKL_NUM_THREADS", "1")
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    if env:
        full_env.update(env)
    proc = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, input=input, env=full_env, timeout=timeout,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"
        )
    return proc


def script(name, *args, check=False):
    """Run ``scripts/NAME`` (a Python script) with the test interpreter; CompletedProcess."""
    return run([sys.executable, SCRIPTS / name, *args], check=check)


def assert_one_line_error(proc, *fragments):
    """Bad input: exit status 2, and stderr is one ``error: ...`` line naming ``fragments``."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def assert_cli_error(proc, *fragments):
    """A fairseq CLI stopped on bad input: non-zero exit, no traceback, and exactly one
    ``<program>: error: ...`` line, the last on stderr (fairseq and hydra log and warn
    there too), holding ``fragments``."""
    program = os.path.basename(proc.args[0])
    assert proc.returncode != 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    errors = [line for line in lines if re.match(r"\S+: error: ", line)]
    assert errors == lines[-1:], proc.stderr[-3000:]
    assert errors[0].startswith(f"{program}: error: "), errors[0]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def _tokenised_slice(path, limit):
    """First ``limit`` lines of a gzipped Multi30k file, lowercased, punctuation split."""
    import gzip
    import re

    with gzip.open(path, "rt", encoding="utf-8") as handle:
        lines = [next(handle) for _ in range(limit)]
    return [" ".join(re.findall(r"\w+|[^\w\s]", line.lower())) + "\n" for line in lines]


def binarise_multi30k(data_dir, dest, train=1000, valid=100, joined=False, threshold=1,
                      src="de", tgt="en", dataset_impl="mmap"):
    """A small word-level Multi30k slice binarised by the real fairseq-preprocess.

    Word-level (no subwords) keeps these fixtures independent of the preprocess package,
    whose own tests cover the subword pipeline; a ``threshold`` above 1 leaves rare words
    out of the vocabulary, so <unk> appears.
    """
    dest = Path(dest)
    raw = dest / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    m30k = Path(data_dir) / "multi30k"
    for lang in (src, tgt):
        for split, name, limit in (("train", "train", train), ("valid", "val", valid),
                                   ("test", "test_2016_flickr", valid)):
            (raw / f"{split}.{lang}").write_text(
                "".join(_tokenised_slice(m30k / f"{name}.{lang}.gz", limit)), encoding="utf-8")
    cmd = [cli("fairseq-preprocess"), "--source-lang", src, "--target-lang", tgt,
           "--trainpref", raw / "train", "--validpref", raw / "valid", "--testpref", raw / "test",
           "--destdir", dest / "bin", "--workers", "1",
           "--thresholdsrc", str(threshold), "--thresholdtgt", str(threshold),
           "--dataset-impl", dataset_impl]
    if joined:
        cmd.append("--joined-dictionary")
    run(cmd)
    return dest / "bin"


def prepare_multi30k_slice(data_dir, out, train=1500, vocab=1000, extra=()):
    """Multi30k de-en slice through the project's own preprocess CLI (sentencepiece)."""
    run([sys.executable, "-m", "preprocess.prepare", "multi30k", "--src", "de", "--tgt", "en",
         "--raw-dir", Path(data_dir) / "multi30k", "--out", out, "--train-limit", str(train),
         "--vocab-size", str(vocab), *extra], cwd=REPO)
    return Path(out)


TINY_RNN = ["--encoder-embed-dim", "32", "--encoder-hidden-size", "32",
            "--decoder-hidden-size", "32", "--dropout", "0.1"]


def train_cmd(data_bin, save_dir, arch="rnn_luong", updates=20, extra=(), max_tokens=3000):
    """A fairseq-train command for a tiny plugin model (Adam, simple log every 5 updates)."""
    return [cli("fairseq-train"), data_bin, "--user-dir", PLUGIN_DIR, "--arch", arch, *TINY_RNN,
            "--optimizer", "adam", "--lr", "0.005", "--max-tokens", str(max_tokens),
            "--max-update", str(updates), "--save-dir", save_dir, "--log-format", "simple",
            "--log-interval", "5", "--seed", "1", "--no-epoch-checkpoints", *extra]


def train_losses(log_text):
    """train_inner losses from a fairseq-train log (``--log-format simple``)."""
    import re

    return [float(m) for m in re.findall(r"train_inner \|.*? loss[= ]([\d.]+)", log_text)]


def small_test_bin(data, n=100, src="de", tgt="en"):
    """A binarised copy of the first ``n`` test sentences of a prepared corpus, with its
    dictionaries: generation tests then decode 100 sentences instead of 1000."""
    data = Path(data)
    small, dest = data / f"tok_test{n}", data / f"bin_test{n}"
    if dest.exists():
        return dest
    small.mkdir()
    for lang in (src, tgt):
        lines = (data / "tok" / f"test.{lang}").read_text(encoding="utf-8").splitlines(True)[:n]
        (small / f"test.{lang}").write_text("".join(lines), encoding="utf-8")
    run([cli("fairseq-preprocess"), "--source-lang", src, "--target-lang", tgt,
         "--testpref", small / "test", "--destdir", dest, "--workers", "1",
         "--srcdict", data / "bin" / f"dict.{src}.txt",
         "--tgtdict", data / "bin" / f"dict.{tgt}.txt"])
    return dest


# --------------------------------------------------------------------------- small files

def write(path, text):
    """Write ``text`` (str as UTF-8, or bytes as they are) to ``path``; return it as str."""
    Path(path).write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(path)


def write_lines(path, lines):
    """Write ``lines``, one a line (UTF-8); return the path."""
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def sacrebleu_cli(ref, hyp, *flags):
    """sacreBLEU's own CLI on two files: the score to compare the project's with."""
    proc = run([cli("sacrebleu"), ref, "-i", hyp, "-b", "-w", "2", *flags])
    return float(proc.stdout.strip())


#: a small M2 file: two annotators, a noop, alternatives, deletions, a sentence without edits
M2_TEXT = """S This are a sentence .
A 1 2|||R:VERB:SVA|||is|||REQUIRED|||-NONE-|||0
A 3 3|||M:ADJ|||good|||REQUIRED|||-NONE-|||0
A 1 2|||R:VERB:SVA|||was|||REQUIRED|||-NONE-|||1

S I like it very much much .
A 5 6|||U:ADV||||||REQUIRED|||-NONE-|||0
A -1 -1|||noop|||-NONE-|||REQUIRED|||-NONE-|||1

S He go to school in the morning .
A 1 2|||Vform|||goes||went|||REQUIRED|||-NONE-|||0
A 4 5|||Prep|||-NONE-|||REQUIRED|||-NONE-|||0
A 5 6|||ArtOrDet|||-NONE-|||REQUIRED|||-NONE-|||0

S Nothing wrong here .
"""


# --------------------------------------------------------------------------- a toy model

SMALL = ["--encoder-embed-dim", "24", "--encoder-hidden-size", "24", "--dropout", "0"]

# every named architecture, plus the variants that switch the decoder between its
# all-steps and step-by-step paths
VARIANTS = {
    "sutskever": ("rnn_sutskever", []),
    "cho": ("rnn_cho", []),
    "bahdanau": ("rnn_bahdanau", []),
    "luong": ("rnn_luong", []),
    "luong_no_feed": ("rnn_luong", ["--input-feeding", "0"]),
    "dot": ("rnn_luong", ["--attention", "dot", "--bridge", "concat", "--input-feeding", "0"]),
    "gec": ("rnn_gec", ["--decoder-hidden-size", "24"]),
    "gru_sum_2layer": ("rnn_seq2seq", ["--cell", "gru", "--encoder-layers", "2",
                                       "--encoder-bidirectional", "1", "--bridge", "sum",
                                       "--decoder-layers", "1"]),
    # copy attention and coverage (a joined dictionary) on each path: input fed, additive
    # (both step by step), Luong without input feeding (all steps at once without coverage)
    "luong_copy_coverage": ("rnn_luong", ["--copy-attention", "1", "--coverage", "1"]),
    "bahdanau_copy_coverage": ("rnn_bahdanau", ["--copy-attention", "1", "--coverage", "1"]),
    "general_copy": ("rnn_luong", ["--input-feeding", "0", "--copy-attention", "1"]),
    "general_coverage": ("rnn_luong", ["--input-feeding", "0", "--coverage", "1"]),
}


def needs_joined(arch, extra) -> bool:
    """Whether a VARIANTS entry needs the toy corpus's joined dictionary."""
    return arch == "rnn_gec" or "--copy-attention" in extra


DE_WORDS = ("ein eine der die das mann frau kind hund katze ball haus park straße wasser "
            "fahrrad auto baum tisch buch sitzt steht läuft spielt fährt liest trinkt isst "
            "schläft auf im in mit vor unter neben und rot blau groß klein .").split()
EN_WORDS = ("a an the man woman child dog cat ball house park street water bike car tree "
            "table book sits stands runs plays rides reads drinks eats sleeps on in at with "
            "before under beside and red blue big small .").split()


def write_toy_corpus(folder, joined):
    """Raw-text ``valid`` split of 24 random de-en pairs (``--dataset-impl raw``), lengths 3
    to 14, with a dictionary per language or one joined dictionary for both."""
    from fairseq.data import Dictionary

    rng = random.Random(0)
    lines = {"de": [], "en": []}
    for i in range(24):
        n = 3 + i % 12
        lines["de"].append(" ".join(rng.choice(DE_WORDS) for _ in range(n)))
        lines["en"].append(" ".join(rng.choice(EN_WORDS) for _ in range(n + rng.randint(-1, 1))))
    words = {"de": DE_WORDS, "en": EN_WORDS}
    if joined:
        words = dict.fromkeys(words, DE_WORDS + EN_WORDS)
    for lang in ("de", "en"):
        (folder / f"valid.de-en.{lang}").write_text("\n".join(lines[lang]) + "\n",
                                                    encoding="utf-8")
        dictionary = Dictionary()
        for word in words[lang]:
            dictionary.add_symbol(word)
        dictionary.save(str(folder / f"dict.{lang}.txt"))
    return folder


def build(bin_dir, arch, extra=(), seed=1):
    """A fairseq task on ``bin_dir`` (its ``valid`` split loaded) and a model of ``arch``,
    built as fairseq-train builds them, with ``SMALL`` sizes and ``seed``."""
    import torch
    from fairseq import options, tasks

    parser = options.get_training_parser()
    args = options.parse_args_and_arch(parser, [
        str(bin_dir), "--user-dir", str(PLUGIN_DIR), "--task", "translation", "--arch", arch,
        "--dataset-impl", "raw", *SMALL, *extra])
    torch.manual_seed(seed)
    task = tasks.setup_task(args)
    task.load_dataset("valid")
    model = task.build_model(args)
    attention = getattr(model.decoder, "attention", None)
    if getattr(attention, "coverage_weight", None) is not None:
        # an untrained toy model's attention is almost uniform, so is the coverage, and a
        # uniform coverage changes no softmax: attention's weights 20 times larger make it
        # peaked, so that a path that mishandles the coverage fails the tests
        with torch.no_grad():
            for param in attention.parameters():
                param.mul_(20.0)
    return task, model


def batch(task, indices=range(8)):
    """A collated batch of the ``valid`` sentences at ``indices``."""
    ds = task.dataset("valid")
    return ds.collater([ds[i] for i in indices])


# --------------------------------------------------------------------------- a toy GEC model

def write_gec_corpus(folder, pairs=600, seed=0):
    """A word-level GEC corpus of ``pairs`` template sentences (``train``: all but the last
    40, ``valid``: those) with four kinds of error: subject-verb agreement (``She have``),
    a singular after a number (``two cat``) with a lower-cased first word, a missing full
    stop, and none; PTB-tokenised (``gec_data.json``), so that the server detokenises."""
    rng = random.Random(seed)
    subjects = ["She", "He", "Tom", "Anna"]
    nouns = ["cat", "dog", "book", "car", "house", "apple", "friend", "bike"]
    err, cor = [], []
    for _ in range(pairs):
        subject, noun = rng.choice(subjects), rng.choice(nouns)
        rest = f"{rng.choice(['two', 'three', 'many'])} " \
               f"{rng.choice(['big', 'small', 'red', 'new', 'old'])}"
        good = f"{subject} has {rest} {noun}s ."
        kind = rng.random()
        if kind < 0.3:
            bad = f"{subject} have {rest} {noun}s ."
        elif kind < 0.6:
            bad = f"{subject.lower()} has {rest} {noun} ."
        elif kind < 0.8:
            bad = good[:-2]
        else:
            bad = good
        err.append(bad)
        cor.append(good)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for split, part in (("train", slice(0, pairs - 40)), ("valid", slice(pairs - 40, None))):
        write_lines(folder / f"{split}.err", err[part])
        write_lines(folder / f"{split}.cor", cor[part])
    return folder


def train_gec_model(folder):
    """(data bin folder, checkpoint) of a tiny ``rnn_luong`` with copy attention trained
    400 updates (about 10 s) on :func:`write_gec_corpus`: it corrects the corpus's
    errors (``she have two big cat`` -> ``She has two big cats.``)."""
    raw = write_gec_corpus(Path(folder) / "raw")
    data = Path(folder) / "bin"
    run([cli("fairseq-preprocess"), "--source-lang", "err", "--target-lang", "cor",
         "--trainpref", raw / "train", "--validpref", raw / "valid", "--destdir", data,
         "--joined-dictionary", "--workers", "1"])
    (data / "gec_data.json").write_text('{"tokenize": "ptb"}\n', encoding="utf-8")
    save = Path(folder) / "checkpoints"
    run(train_cmd(data, save, updates=400, max_tokens=400, extra=[
        "--task", "gec", "--copy-attention", "1", "--dropout", "0", "--lr", "0.01",
        "--clip-norm", "1", "--cpu", "--num-workers", "0", "--validate-interval", "1000"]))
    return data, save / "checkpoint_last.pt"
