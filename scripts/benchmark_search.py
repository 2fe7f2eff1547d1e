#!/usr/bin/env python
"""The beam searches side by side on a loaded machine: CPU time, not only wall time.

On the checkpoints ``benchmark_inference.py`` trained (``--work-dir``), decodes the first
``--sentences`` of test2016 at beam ``--beam`` in one thread, ``--rounds`` times, each round
every path once (fairseq's ``lstm``; ``rnn_luong`` on the standard path, ``lean``,
``rnn-beam``, ``int8``, ``int8-rnn-beam``), and prints each path's best wall time and best
process CPU time with the ratios against ``lstm`` and the standard path, then the floor
(``_bench_floor.py``: the step's dense fp32 products alone for the rows ``rnn-beam`` ran).
Process CPU time moves far less than wall time when other work shares the cores, which is
why this exists beside ``benchmark_inference.py``; it asserts nothing.

    python scripts/benchmark_search.py --work-dir runs/bench-inference-quick --rounds 3
"""
import argparse
import sys
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
PATHS = (("fairseq lstm", "none"), ("rnn_luong", "none"), ("rnn_luong", "lean"),
         ("rnn_luong", "rnn-beam"), ("rnn_luong", "int8"), ("rnn_luong", "int8-rnn-beam"))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--work-dir", required=True, help="benchmark_inference.py's --work-dir")
    p.add_argument("--sentences", type=int, default=128)
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--gen-batch", type=int, default=64)
    p.add_argument("--marian", action="store_true",
                   help="also Marian's s2s that benchmark_inference.py --marian trained in "
                        "--work-dir, fp32 and int8, in its own process (CPU time of it)")
    opts = p.parse_args(argv)
    sys.path.insert(0, str(SCRIPTS))
    import torch
    from fairseq import utils

    from _bench import REPO, machine_description, path_name
    from _bench_decode_worker import Decoder
    from _bench_floor import floor_seconds

    work = Path(opts.work_dir)
    ckpts = {name: next(iter(sorted((work / "checkpoints").glob(f"{name.replace(' ', '_')}-*u"))),
                        None) for name in ("fairseq lstm", "rnn_luong")}
    if not all(ckpts.values()):
        sys.exit(f"error: no checkpoints of fairseq lstm and rnn_luong in {work}/checkpoints "
                 "(run benchmark_inference.py with this --work-dir first)")
    torch.set_num_threads(1)
    utils.import_user_module(argparse.Namespace(user_dir=str(REPO / "fairseq_plugins")))
    decoders = {name: Decoder(opts, {"task": "translation", "data": str(work / "multi30k" / "bin"),
                                     "ckpt": str(folder / "checkpoint_last.pt"), "table": None,
                                     "limit": opts.sentences})
                for name, folder in ckpts.items()}
    best, rows = {}, []
    for _ in range(opts.rounds):
        for name, path in PATHS:
            d = decoders[name]
            generator = d.task.build_generator([d.model],
                                               d.generation_cfg(path, opts.beam).generation)
            wall, cpu, step_rows = time.perf_counter(), time.process_time(), []
            with torch.no_grad():
                for sample in d.batches:
                    d.task.inference_step(generator, [d.model], sample)
                    step_rows += getattr(generator, "step_rows", [])
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if path == "rnn-beam":
                rows = step_rows
            label = path_name(name, path)
            old = best.get(label, (float("inf"), float("inf")))
            best[label] = (min(old[0], wall), min(old[1], cpu))
    if opts.marian:
        best.update(marian_rows(opts, work))
    print(f"machine: {machine_description('cpu')}; 1 thread; test2016, first {opts.sentences} "
          f"sentences, beam {opts.beam}, batches of {opts.gen_batch}, best of {opts.rounds}")
    print("| path | wall s | CPU s | sent/CPU-s | x lstm (CPU) | x standard (CPU) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    lstm, std = best["fairseq lstm"][1], best["rnn_luong"][1]
    for label, (wall, cpu) in best.items():
        print(f"| {label} | {wall:.2f} | {cpu:.2f} | {opts.sentences / cpu:.1f} | "
              f"{lstm / cpu:.2f} | {std / cpu:.2f} |")
    floor = floor_seconds(decoders["rnn_luong"].model.decoder, rows, repeats=5,
                          clock=time.process_time)
    print(f"floor ({sum(rows)} rows: the step's dense fp32 products alone): {floor:.2f} CPU s, "
          f"{lstm / floor:.2f}x lstm; rnn-beam takes {best['rnn_luong rnn-beam'][1] / floor:.2f}x "
          f"the floor's time, int8-rnn-beam {best['rnn_luong int8-rnn-beam'][1] / floor:.2f}x")


def marian_rows(opts, work: Path) -> dict:
    """{label: (wall s, CPU s)} of Marian fp32 and int8 on the same sentences, one thread."""
    from _bench import REPO
    from _bench_marian import decode

    models = sorted((work / "marian").glob("s2s-*u/model.npz"))
    python = REPO / "runs" / "marian-venv" / "bin" / "python"
    if not models or not python.is_file():
        print("marian: skipped (no Marian model in --work-dir or no runs/marian-venv: run "
              "benchmark_inference.py --marian first)")
        return {}
    out = {}
    for int8 in (False, True):
        job = {"model": str(models[-1]), "vocab": str(work / "marian" / "joint.spm"),
               "source": str(work / "multi30k" / "raw" / "test.de"), "limit": opts.sentences,
               "beams": [opts.beam], "threads": 1, "rounds": opts.rounds,
               "gen_batch": opts.gen_batch, "int8": int8}
        x = decode(python, job, work / "marian" / "search-job.json",
                   work / "marian" / "search-decode.log")[str(opts.beam)]
        out["marian s2s int8" if int8 else "marian s2s"] = (x["seconds"], x["cpu_seconds"])
    return out


if __name__ == "__main__":
    main()
