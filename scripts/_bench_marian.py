"""Marian (C++, ``pymarian``) as a peer in ``benchmark.py`` and ``benchmark_inference.py``.

``pymarian`` (PyPI, a ~600 MB wheel) is never a dependency of the plugin: :func:`pymarian_python`
installs it on demand into its own virtual environment (``runs/marian-venv`` by default,
git-ignored) and returns its Python, or None with the reason when it cannot; the
benchmarks then skip Marian's row with one line.

The model: Marian's ``--type s2s`` at the benchmark's sizes, the closest to ``rnn_luong``
that Marian has: a bidirectional LSTM encoder (``--dim-rnn`` a direction), a conditional
LSTM decoder (two cells: one before the attention, one after it, Marian's default
``--dec-cell-base-depth 2``), MLP (additive) attention, tied target embeddings and output
layer; Marian's decoder hidden size is its encoder's (``--dim-rnn``), where ``rnn_luong``'s
is twice it. Marian reads the raw text and applies the same sentencepiece model
(``spm/joint.model``, given to Marian as ``joint.spm``), so both see the same pieces.

Run with the Marian environment's Python, this file is also the decoding worker::

    runs/marian-venv/bin/python scripts/_bench_marian.py JOB.json

(the job: model, vocabulary, source file, beams, threads, int8 or not, rounds); it prints
``RESULT <json>`` (sentences/s of the best round, the hypotheses). Model loading is not
timed.
"""
import json
import re
import subprocess
import sys
import time
from pathlib import Path

PYMARIAN = "pymarian==1.12.42"


def pymarian_python(venv: Path):
    """(the Marian venv's Python, None) once pymarian imports there, installing it first
    when needed; (None, reason) when it cannot be installed."""
    python = venv / "bin" / "python"
    if python.is_file() and _imports(python):
        return python, None
    try:
        if not python.is_file():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True,
                           capture_output=True)
        print(f"installing {PYMARIAN} into {venv} (a ~600 MB wheel, once) ...",
              file=sys.stderr, flush=True)
        proc = subprocess.run([str(python), "-m", "pip", "install", "-q", PYMARIAN],
                              capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as err:
        return None, f"cannot create {venv}: {err}"
    if proc.returncode != 0 or not _imports(python):
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        return None, f"cannot install {PYMARIAN}: {last}"
    return python, None


def _imports(python: Path) -> bool:
    return subprocess.run([str(python), "-c", "import pymarian"],
                          capture_output=True).returncode == 0


def spm_vocab(spm_model: Path, folder: Path) -> Path:
    """The sentencepiece model under the name Marian recognises (``*.spm``)."""
    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "joint.spm"
    if not vocab.exists():
        vocab.symlink_to(spm_model.resolve())
    return vocab


def train_args(model: Path, vocab: Path, src: Path, tgt: Path, embed, hidden, updates,
               threads, max_tokens, dropout="0.2"):
    """``pymarian`` (Marian's trainer) options: s2s at these sizes, Adam lr 0.002, clip 1,
    seed 1, batches of about ``max_tokens`` target tokens, ``updates`` updates."""
    return ["--type", "s2s", "--model", model, "--train-sets", src, tgt,
            "--vocabs", vocab, vocab, "--dim-emb", embed, "--dim-rnn", hidden,
            "--enc-type", "bidirectional", "--enc-cell", "lstm", "--enc-depth", "1",
            "--dec-cell", "lstm", "--dec-depth", "1", "--tied-embeddings",
            "--dropout-rnn", dropout, "--optimizer", "adam", "--learn-rate", "0.002",
            "--clip-norm", "1", "--seed", "1", "--cpu-threads", threads,
            "--mini-batch-words", max_tokens, "--after", f"{updates}u", "--disp-freq", "5",
            "--workspace", "2000", "--max-length", "100", "--no-restore-corpus",
            "--valid-freq", "0", "--save-freq", f"{updates}u", "--overwrite"]


def train(python: Path, args, log: Path) -> dict:
    """Run Marian's trainer; its target tokens/s over the displayed intervals after the
    first (Marian's ``words/s`` counts target labels), and the updates done."""
    marian = Path(python).parent / "pymarian"
    start = time.perf_counter()
    with open(log, "w") as f:
        proc = subprocess.Popen([str(marian), *map(str, args)], stdout=f,
                                stderr=subprocess.STDOUT)
        finished = None
        while proc.poll() is None:
            time.sleep(1)
            if finished is None and "Training finished" in Path(log).read_text(errors="replace"):
                finished = time.perf_counter()
            if finished is not None and time.perf_counter() - finished > 30:
                # with several --cpu-threads, pymarian 1.12.42 can hang after saving the
                # model; its work is done by then
                proc.terminate()
                proc.wait()
                break
    seconds = time.perf_counter() - start
    text = Path(log).read_text(errors="replace")
    if proc.returncode != 0 and finished is None:
        tail = "\n".join(text.splitlines()[-8:])
        raise RuntimeError(f"Marian's training failed (log {log}):\n{tail}")
    rates = [float(x.replace(",", "")) for x in re.findall(r"([\d,.]+) words/s", text)]
    updates = [int(x.replace(",", "")) for x in re.findall(r"Up\. ([\d,]+)", text)]
    steady = rates[1:] or rates
    return {"tok_per_s": sum(steady) / len(steady) if steady else float("nan"),
            "updates": max(updates) if updates else 0, "seconds": seconds}


def decode(python: Path, job: dict, job_file: Path, log: Path) -> dict:
    """Decode with the worker below in the Marian environment; its RESULT."""
    job_file.write_text(json.dumps(job))
    with open(log, "w") as err:
        proc = subprocess.run([str(python), __file__, str(job_file)], stdout=subprocess.PIPE,
                              stderr=err, text=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        tail = Path(log).read_text(errors="replace")[-2000:]
        raise RuntimeError(f"Marian's decoding failed (log {log}):\n{tail}")
    return json.loads(line[len("RESULT "):])


def decode_options(job: dict, beam: int) -> dict:
    """Translator options: beam, batches of ``gen_batch`` sentences, length-normalised
    scores (as fairseq's --lenpen 1), output up to 1.2 x source + 10 pieces as
    benchmark_inference.py's paths (Marian: a factor only), int8 on request."""
    options = dict(models=job["model"], vocabs=[job["vocab"], job["vocab"]], beam_size=beam,
                   mini_batch=job["gen_batch"], maxi_batch=1, cpu_threads=job["threads"],
                   normalize=1.0, max_length_factor=2.0, workspace=2000, quiet="",
                   quiet_translation="")
    if job.get("int8"):
        options.update(optimize="", gemm_type="packed8")
    return options


def run_marian(venv: Path, data: Path, work: Path, sizes: dict, beams, limit: int, threads: int,
               gen_batch: int, rounds: int) -> dict:
    """Marian trained and decoding on ``data`` (a ``preprocess.prepare`` folder: raw/,
    spm/joint.model) as benchmark_inference.py's models: ``{"skipped": reason}`` or
    ``{"train": ..., "fp32": {beam: ...}, "int8": {beam: ...}, "bleu": {...}}``."""
    python, reason = pymarian_python(venv)
    if python is None:
        return {"skipped": reason}
    folder = work / "marian"
    vocab = spm_vocab(data / "spm" / "joint.model", folder)
    save = folder / f"s2s-{sizes['updates']}u"
    save.mkdir(parents=True, exist_ok=True)
    model = save / "model.npz"
    out = {}
    train_json = save / "train.json"
    if not model.is_file() or not train_json.is_file():
        for stale in save.glob("model.npz*"):   # a run cut short: Marian would resume it
            stale.unlink()
        print("training Marian s2s ...", file=sys.stderr, flush=True)
        train_json.write_text(json.dumps(train(python, train_args(
            model, vocab, data / "raw" / "train.de", data / "raw" / "train.en", sizes["embed"],
            sizes["hidden"], sizes["updates"], threads, sizes["max_tokens"]),
            save / "train.log")))
    out["train"] = json.loads(train_json.read_text())
    refs = (data / "raw" / "test.en").read_text(encoding="utf-8").splitlines()
    refs = refs[:limit] if limit else refs
    import sacrebleu

    for kind in ("fp32", "int8"):
        print(f"decoding with Marian ({kind}) ...", file=sys.stderr, flush=True)
        job = {"model": str(model), "vocab": str(vocab), "source": str(data / "raw" / "test.de"),
               "limit": limit, "beams": list(beams), "threads": threads, "rounds": rounds,
               "gen_batch": gen_batch, "int8": kind == "int8"}
        result = decode(python, job, folder / f"decode-{kind}.json", folder / f"decode-{kind}.log")
        for beam, x in result.items():
            x["bleu"] = sacrebleu.corpus_bleu(x.pop("hyps"), [refs]).score
        out[kind] = result
    return out


def _worker(job_file: str):
    from pymarian import Translator

    job = json.loads(Path(job_file).read_text())
    lines = Path(job["source"]).read_text(encoding="utf-8").splitlines()
    if job.get("limit"):
        lines = lines[:job["limit"]]
    out = {}
    for beam in job["beams"]:
        translator = Translator(**decode_options(job, beam))
        best, cpu, hyps = float("inf"), float("inf"), None
        for _ in range(job.get("rounds", 1)):
            start, start_cpu = time.perf_counter(), time.process_time()
            result = translator.translate(lines)
            best = min(best, time.perf_counter() - start)
            cpu = min(cpu, time.process_time() - start_cpu)   # Marian's threads included
            hyps = result
        out[str(beam)] = {"seconds": best, "cpu_seconds": cpu,
                          "sentences_per_s": len(lines) / best, "hyps": list(hyps)}
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    _worker(sys.argv[1])
