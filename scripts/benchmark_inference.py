#!/usr/bin/env python
"""Decoding speed on trained checkpoints: fairseq's lstm and rnn_luong, each --fast-decoding path.

See docs/speed.md, "Fast decoding". It prepares Multi30k de-en and a GEC corpus from
``SEQ2SEQ_DATA_DIR`` (default ``../shared/data``) into ``--work-dir``, builds the lexical
table (``scripts/build_shortlist.py``), trains fairseq's ``lstm`` and ``rnn_luong`` at equal
sizes on the same data and updates and a small ``rnn_gec`` (side by side; a checkpoint already in
``--work-dir`` is reused), then, in one process holding the three checkpoints, decodes
test2016 and JFLEG test with beam ``--beam`` and greedy on the standard path and every
``--fast-decoding`` path, ``--repeats`` rounds (each round every path once; the best round
is reported): sentences/s, tokens/s, the memory decoding adds, sacreBLEU / GLEU, how many
sentences equal the standard path's. It ends with ``fastest path: <name> <R>x fairseq lstm
sentences/s, BLEU <delta> vs standard path``. ``--quick``: smaller models, fewer updates,
300 test sentences (minutes, for checking; the full run's figures are the documented ones).

    python scripts/benchmark_inference.py --threads 2 --json inference.json
    python scripts/benchmark_inference.py --quick --threads 2

The decoding runs in ``_bench_decode_worker.py``; training and generation speed at equal
sizes is ``benchmark.py``.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _bench import FAST_PATHS, REPO, SYSTEMS, machine_description, path_name, size_args

from preprocess.layout import GEC_MANIFEST, PREPARE_MANIFEST

DECODE_WORKER = Path(__file__).resolve().parent / "_bench_decode_worker.py"


# =========================================================================== --inference
# Decoding speed on trained checkpoints: fairseq's lstm and rnn_luong trained on the same
# data and updates, then the test set decoded through task.build_generator (what
# fairseq-generate and fairseq-interactive call) on the standard path and each
# --fast-decoding path; the same for a small rnn_gec on JFLEG test.
MT_SYSTEMS = ("fairseq lstm", "rnn_luong")
SIZES = {  # (embed, encoder hidden per direction, decoder hidden)
    "full": ("256", "256", "512"),
    "quick": ("128", "128", "256"),
}


def inference_settings(opts):
    quick = opts.quick
    s = dict(
        updates=opts.inference_updates or (150 if quick else 300),
        gec_updates=opts.gec_updates or (150 if quick else 600),
        max_tokens=2000 if quick else 4000,
        train_limit=8000 if quick else 0,
        vocab=4000 if quick else 8000,
        gec_sentences=5000 if quick else 20000,
        test_sentences=opts.test_sentences or (300 if quick else 0),
        repeats=opts.repeats or (1 if quick else 2),
    )
    s["embed"], s["hidden"], s["dec_hidden"] = SIZES["quick" if quick else "full"]
    return s


def shared_data_dir():
    env = os.environ.get("SEQ2SEQ_DATA_DIR")
    return Path(env) if env else REPO.parent / "shared" / "data"


def _run(cmd, log, env=None, what="command"):
    full_env = dict(os.environ, **(env or {}))
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    with open(log, "w") as f:
        proc = subprocess.run([str(c) for c in cmd], stdout=f, stderr=subprocess.STDOUT,
                              env=full_env)
    if proc.returncode != 0:
        tail = Path(log).read_text(errors="replace").splitlines()[-15:]
        sys.exit(f"error: {what} failed (log {log}):\n" + "\n".join(tail))


def bin_dir(name):
    return Path(sys.executable).parent / name


def prepare_inference_data(opts, s, work):
    """Multi30k de-en (joint sentencepiece, joined dictionary), its lexical table, and the
    GEC corpus (synthetic errors on Multi30k English + JFLEG dev, as recipe_gec.sh builds
    it, fewer sentences), each once per work folder."""
    data = shared_data_dir()
    for need in ("multi30k", "jfleg"):
        if not (data / need).is_dir():
            sys.exit(f"error: {data / need} not found (set SEQ2SEQ_DATA_DIR to the folder "
                     f"holding multi30k/ and jfleg/)")
    mt = work / "multi30k"
    if not (mt / PREPARE_MANIFEST).is_file():
        print("preparing Multi30k de-en ...", file=sys.stderr, flush=True)
        cmd = [sys.executable, "-m", "preprocess.prepare", "multi30k", "--src", "de", "--tgt",
               "en", "--raw-dir", data / "multi30k", "--out", mt, "--vocab-size", s["vocab"],
               "--joint", "--joined-dictionary", "--workers", "1"]
        if s["train_limit"]:
            cmd += ["--train-limit", s["train_limit"]]
        _run(cmd, work / "prepare-multi30k.log", what="preparing Multi30k")
    table = mt / "shortlist.de-en.tsv"
    if not table.is_file():
        _run([sys.executable, REPO / "scripts" / "build_shortlist.py", "--data-bin", mt / "bin",
              "--source-lang", "de", "--target-lang", "en", "--out", table],
             work / "build-shortlist.log", what="building the lexical table")
    gec = work / "gec"
    if not (gec / GEC_MANIFEST).is_file():
        print("preparing the GEC corpus ...", file=sys.stderr, flush=True)
        _run([sys.executable, "-m", "preprocess.gec_data", "--out", gec, "--multi30k-dir",
              data / "multi30k", "--jfleg-dir", data / "jfleg", "--jfleg-source",
              "spellchecked-cased", "--jfleg-dev-copies", "4", "--jfleg-dev-holdout", "200",
              "--max-sentences", s["gec_sentences"], "--join-sentences", "3",
              "--vocab-size", "4000", "--workers", "1"],
             work / "prepare-gec.log", what="preparing the GEC corpus")
    return mt, table, gec


def train_args(opts, s, system, data_bin, save_dir):
    updates = s["gec_updates"] if system == "rnn_gec" else s["updates"]
    common = ["--user-dir", REPO / "fairseq_plugins", "--optimizer", "adam", "--clip-norm",
              "1.0", "--max-tokens", s["max_tokens"], "--seed", "1", "--cpu",
              "--max-update", updates, "--save-dir", save_dir, "--no-epoch-checkpoints",
              "--disable-validation", "--num-workers", "0", "--log-format", "simple",
              "--log-interval", "50", "--required-batch-size-multiple", "1"]
    if system == "rnn_gec":
        # gec_rnn.yaml's model and optimiser (recipe_gec.sh), for fewer updates
        return [data_bin, "--task", "gec", "--source-lang", "err", "--target-lang", "cor",
                "--arch", "rnn_gec", "--encoder-embed-dim", s["embed"],
                "--encoder-hidden-size", s["hidden"], "--decoder-hidden-size", s["hidden"],
                "--encoder-layers", "1", "--decoder-layers", "1", "--freeze-embeddings", "0",
                "--dropout", "0.2", "--criterion", "label_smoothed_cross_entropy",
                "--label-smoothing", "0.1", "--adam-betas", "(0.9, 0.98)", "--lr", "0.003",
                "--lr-scheduler", "polynomial_decay", "--warmup-updates", "100",
                "--total-num-update", updates, "--end-learning-rate", "0.0003",
                "--curriculum", "1", *common]   # short sentences first: it learns to copy sooner
    sized = argparse.Namespace(embed=s["embed"], hidden=s["hidden"], dec_hidden=s["dec_hidden"],
                               dropout="0.2")
    arch = (SYSTEMS["fairseq lstm"] if system == "fairseq lstm"
            else ["--arch", "rnn_luong", "--input-feeding", "1"])
    sizes = size_args(sized, "fairseq lstm" if system == "fairseq lstm" else "rnn_luong")
    return ([data_bin, "--task", "translation", "--lr", "0.002", "--criterion",
             "cross_entropy", *common] + arch + [str(a) for a in sizes])


def train_systems(opts, s, jobs, work):
    """Train each (system, data) not trained yet, side by side with the threads split among
    them (training time is not what this benchmark measures); {system: checkpoint}."""
    from concurrent.futures import ThreadPoolExecutor

    ckpts, todo = {}, []
    for system, data_bin in jobs:
        updates = s["gec_updates"] if system == "rnn_gec" else s["updates"]
        save = work / "checkpoints" / f"{system.replace(' ', '_')}-{updates}u"
        ckpts[system] = save / "checkpoint_last.pt"
        if not ckpts[system].is_file():
            todo.append((system, data_bin, save))
    threads = str(max(1, opts.threads // max(1, len(todo))))

    def train(job):
        system, data_bin, save = job
        save.mkdir(parents=True, exist_ok=True)
        _run([bin_dir("fairseq-train"), *train_args(opts, s, system, data_bin, save)],
             save / "train.log", env={"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads},
             what=f"training {system}")

    if todo:
        print(f"training {', '.join(j[0] for j in todo)} side by side ...", file=sys.stderr,
              flush=True)
        with ThreadPoolExecutor(len(todo)) as pool:
            list(pool.map(train, todo))
    return ckpts


def agreement(fast, standard, beam):
    """Share of sentences identical to the standard path's; for a shortlist path also the
    sentences whose standard output is all in the list, and how many of those are the same."""
    f, s = fast[str(beam)], standard[str(beam)]
    same = sum(a == b for a, b in zip(f["tokens"], s["tokens"]))
    out = {"same": same, "n": len(s["tokens"])}
    if "lists" in f:
        covered = [set(toks) <= set(lst) for lst, toks in zip(f["lists"], s["tokens"])]
        out["covered"] = sum(covered)
        out["same_when_covered"] = sum(c and a == b for c, a, b in
                                       zip(covered, f["tokens"], s["tokens"]))
        out["mean_list"] = sum(f["list_sizes"]) / len(f["list_sizes"])
    return out


def inference_main(opts):
    s = inference_settings(opts)
    work = Path(opts.work_dir or REPO / "runs" / ("bench-inference-quick" if opts.quick
                                                  else "bench-inference"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    mt, table, gec = prepare_inference_data(opts, s, work)
    ckpts = train_systems(opts, s, [(system, mt / "bin") for system in MT_SYSTEMS]
                          + [("rnn_gec", gec / "bin")], work)
    train_minutes = (time.time() - t0) / 60
    beams = [opts.beam, 1]
    systems = {name: {"task": "gec" if name == "rnn_gec" else "translation",
                      "data": str((gec if name == "rnn_gec" else mt) / "bin"),
                      "ckpt": str(ckpts[name]), "table": None if name == "rnn_gec" else str(table),
                      "limit": s["test_sentences"]} for name in ckpts}
    runs = [("fairseq lstm", "none")] + [("rnn_luong", p) for p in FAST_PATHS] + [
        ("rnn_gec", p) for p in FAST_PATHS]
    job = work / "decode-job.json"
    job.write_text(json.dumps({"systems": systems, "runs": runs, "beams": beams,
                               "rounds": s["repeats"]}))
    print(f"decoding: {len(runs)} paths x beams {beams} x {s['repeats']} round(s) "
          f"(log {work / 'decode.log'}) ...", file=sys.stderr, flush=True)
    results = run_decode(opts, job, work / "decode.log")
    marian = None
    if opts.marian:   # after the plugin's decoding: no other work beside either's timing
        from _bench_marian import run_marian

        marian = run_marian(Path(opts.marian_venv or REPO / "runs" / "marian-venv"), mt, work,
                            s, beams, s["test_sentences"],
                            opts.threads, opts.gen_batch, s["repeats"])
    report = inference_report(opts, s, results, beams, train_minutes, marian)
    if opts.json:
        slim = {name: {key: ({k: v for k, v in value.items() if k not in ("hyps", "tokens",
                                                                          "lists")}
                             if key in map(str, beams) else value)
                       for key, value in r.items()} for name, r in results.items()}
        Path(opts.json).write_text(json.dumps({"settings": s, "report": report,
                                               "results": slim}, indent=2))


def run_decode(opts, job, log):
    cmd = [sys.executable, DECODE_WORKER, str(job), "--threads", str(opts.threads),
           "--gen-batch", str(opts.gen_batch), "--beam", str(opts.beam)]
    env = dict(os.environ, OMP_NUM_THREADS=str(opts.threads),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with open(log, "w") as err:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        tail = Path(log).read_text(errors="replace")[-3000:]
        sys.exit(f"error: decoding failed (log {log}):\n{tail}")
    return json.loads(line[len("RESULT "):])


def marian_report(marian, results, beam, lstm_rate):
    """Marian's rows beside the plugin's (``--marian``), or the one line saying why not."""
    if marian is None:
        return {}
    if "skipped" in marian:
        print(f"\nmarian: skipped ({marian['skipped']})")
        return {}
    fp32, int8 = marian["fp32"][str(beam)], marian["int8"][str(beam)]
    train = marian["train"]
    print(f"\nMarian s2s (bidirectional LSTM encoder, conditional LSTM decoder, MLP "
          f"attention, tied output; {train['updates']} updates, {train['tok_per_s']:.0f} "
          f"target tok/s in training), test2016 beam {beam}:")
    print("| system / path | sent/s | x lstm | x marian int8 | BLEU |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = [("marian s2s", fp32), ("marian s2s int8 (--optimize --gemm-type packed8)", int8)]
    rows += [(name, results[name][str(beam)]) for name in
             ("rnn_luong", "rnn_luong rnn-beam", "rnn_luong int8-rnn-beam",
              "rnn_luong int8-shortlist-rnn-beam") if name in results]
    for name, x in rows:
        print(f"| {name} | {x['sentences_per_s']:.1f} | {x['sentences_per_s'] / lstm_rate:.2f} "
              f"| {x['sentences_per_s'] / int8['sentences_per_s']:.2f} | {x['bleu']:.2f} |")
    return {"train_tok_per_s": train["tok_per_s"], "fp32": fp32["sentences_per_s"],
            "int8": int8["sentences_per_s"], "bleu": fp32["bleu"], "bleu_int8": int8["bleu"]}


def inference_report(opts, s, results, beams, train_minutes, marian=None):
    lstm = results["fairseq lstm"]
    std = results["rnn_luong"]
    gec_std = results["rnn_gec"]
    print(f"machine: {machine_description('cpu')}; threads {opts.threads}")
    print(f"sizes: embed {s['embed']}, encoder {s['hidden']} x2 (bidirectional), decoder "
          f"{s['dec_hidden']}, 1 layer; {s['updates']} updates of <= {s['max_tokens']} "
          f"tokens each (rnn_gec: {s['gec_updates']}); test sentences: "
          f"{s['test_sentences'] or 'all'}; batches of {opts.gen_batch}; best of "
          f"{s['repeats']} round(s); preparation and training {train_minutes:.1f} min")
    report = {"mt": [], "gec": []}
    for b in beams:
        print(f"\nMulti30k test2016 de->en, beam {b}:")
        print("| system / path | sent/s | x lstm | tok/s | x lstm | decode MB | BLEU | "
              "same as standard | list (mean) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name in ["fairseq lstm"] + [path_name("rnn_luong", p) for p in FAST_PATHS]:
            r = results[name]
            x = r[str(b)]
            same = lst = "-"
            if name.startswith("rnn_luong "):
                a = agreement(r, std, b)
                same = f"{a['same']}/{a['n']}"
                if "covered" in a:
                    same += f" ({a['same_when_covered']}/{a['covered']} in list)"
                    lst = f"{a['mean_list']:.0f}"
            ratio = x["sentences_per_s"] / lstm[str(b)]["sentences_per_s"]
            tratio = x["tokens_per_s"] / lstm[str(b)]["tokens_per_s"]
            print(f"| {name} | {x['sentences_per_s']:.1f} | {ratio:.2f} | "
                  f"{x['tokens_per_s']:.0f} | {tratio:.2f} | {r['decode_mem_mb']:.0f} | "
                  f"{x['bleu']:.2f} | {same} | {lst} |")
            report["mt"].append({"beam": b, "name": name, "x_lstm": ratio,
                                 "bleu_delta": x["bleu"] - std[str(b)]["bleu"]})
        floor(results, "rnn_luong rnn-beam", b, lstm[str(b)]["sentences_per_s"])
    for b in beams:
        print(f"\nJFLEG test (GEC), beam {b}:")
        print("| path | sent/s | x standard | decode MB | GLEU | same as standard |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for p in FAST_PATHS:
            name = path_name("rnn_gec", p)
            r = results[name]
            x = r[str(b)]
            a = agreement(r, gec_std, b)
            same = f"{a['same']}/{a['n']}" + (f" ({a['same_when_covered']}/{a['covered']} in "
                                              f"list)" if "covered" in a else "")
            ratio = x["sentences_per_s"] / gec_std[str(b)]["sentences_per_s"]
            print(f"| {name} | {x['sentences_per_s']:.1f} | {ratio:.2f} | "
                  f"{r['decode_mem_mb']:.0f} | {x['gleu']:.2f} | {same} |")
            report["gec"].append({"beam": b, "name": name, "x_standard": ratio,
                                  "gleu_delta": x["gleu"] - gec_std[str(b)]["gleu"]})
        floor(results, "rnn_gec rnn-beam", b)
    report["marian"] = marian_report(marian, results, opts.beam,
                                     lstm[str(opts.beam)]["sentences_per_s"])
    fastest = max((r for r in report["mt"] if r["beam"] == opts.beam and
                   r["name"].startswith("rnn_luong")), key=lambda r: r["x_lstm"])
    print(f"\nfastest path: {fastest['name']} {fastest['x_lstm']:.2f}x fairseq lstm "
          f"sentences/s, BLEU {fastest['bleu_delta']:+.2f} vs standard path")
    report["fastest"] = fastest
    return report


def floor(results, name, beam, lstm_rate=None):
    """The floor line: the step's dense products alone for the rows ``name`` ran
    (scripts/_bench_floor.py), and how far the search is from it."""
    x = results.get(name, {}).get(str(beam), {})
    if "floor_seconds" not in x:
        return
    rate = x["sentences"] / x["floor_seconds"]
    vs = f", {rate / lstm_rate:.2f}x fairseq lstm" if lstm_rate else ""
    print(f"floor ({x['step_rows']} rows: the step's dense products alone, fp32): "
          f"{rate:.1f} sent/s{vs}; {name} runs at {x['sentences_per_s'] / rate:.0%} of it")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--gen-batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--json", help="also write the results here")
    p.add_argument("--quick", action="store_true",
                   help="small models, few updates, 300 test sentences")
    p.add_argument("--work-dir", help="data and checkpoints (reused when present); default "
                                      "runs/bench-inference[-quick]")
    p.add_argument("--inference-updates", type=int, help="training updates of each MT model")
    p.add_argument("--gec-updates", type=int, help="training updates of rnn_gec")
    p.add_argument("--test-sentences", type=int, help="decode the first N (0: all)")
    p.add_argument("--repeats", type=int, help="decoding rounds; the best is reported")
    p.add_argument("--marian", action="store_true",
                   help="also train and decode Marian's s2s at the same sizes on the same data "
                        "(installs pymarian, a ~600 MB wheel, into --marian-venv on first use; "
                        "skipped with one line when it cannot)")
    p.add_argument("--marian-venv", help="Marian's own environment (default runs/marian-venv)")
    return inference_main(p.parse_args(argv))


if __name__ == "__main__":
    main()
