"""Where decoding time goes: one system and path of ``benchmark_inference.py``, profiled.

Loads a checkpoint of a ``benchmark_inference.py`` work folder (its ``decode-job.json``),
prepares it as fairseq-generate does, decodes the first ``--sentences`` test sentences
once untimed, ``--repeats`` times timed (process CPU time and wall clock), then once under
cProfile, and prints the functions that took most time (``--sort tottime`` or
``cumtime``)::

    python scripts/profile_decoding.py --work-dir runs/bench-inference --system rnn_luong \\
        --path int8-shortlist --threads 1

It measures one path at a time; ``benchmark_inference.py`` is the comparison.
"""
import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))


def main(argv=None):
    from _bench import FAST_PATHS
    from _bench_decode_worker import Decoder

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--work-dir", required=True, help="a benchmark_inference.py --work-dir")
    p.add_argument("--system", default="rnn_luong", help="fairseq lstm, rnn_luong or rnn_gec")
    p.add_argument("--path", default="none", choices=FAST_PATHS)
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--sentences", type=int, default=300, help="the first N test sentences")
    p.add_argument("--repeats", type=int, default=2, help="timed decodings before the profile")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--sort", default="tottime", choices=["tottime", "cumtime"])
    a = p.parse_args(argv)

    import torch
    from fairseq import utils

    job_file = Path(a.work_dir) / "decode-job.json"
    if not job_file.is_file():
        sys.exit(f"error: {job_file} not found: run benchmark_inference.py --work-dir "
                 f"{a.work_dir} first")
    systems = json.loads(job_file.read_text())["systems"]
    if a.system not in systems:
        sys.exit(f"error: --system {a.system!r}: choose one of {', '.join(systems)}")
    torch.set_num_threads(a.threads)
    utils.import_user_module(argparse.Namespace(user_dir=str(REPO / "fairseq_plugins")))
    spec = dict(systems[a.system], limit=a.sentences)
    decoder = Decoder(argparse.Namespace(beam=a.beam, gen_batch=64), spec)
    task, model = decoder.task, decoder.model
    generator = task.build_generator([model], decoder.generation_cfg(a.path, a.beam).generation)

    def decode():
        tokens = 0
        with torch.no_grad():
            for sample in decoder.batches:
                hypos = task.inference_step(generator, [model], sample)
                tokens += sum(len(h[0]["tokens"]) for h in hypos)
        return tokens

    decode()   # untimed: first-call costs
    print(f"{a.system}, --fast-decoding {a.path}, beam {a.beam}, {a.threads} thread(s), "
          f"{sum(len(b['id']) for b in decoder.batches)} sentences:")
    for _ in range(a.repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        tokens = decode()
        print(f"  CPU {time.process_time() - cpu:.2f} s, wall {time.perf_counter() - wall:.2f} s,"
              f" {tokens} tokens")
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    decode()
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(a.sort).print_stats(a.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
