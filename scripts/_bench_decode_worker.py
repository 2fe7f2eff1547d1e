"""The decoding of ``benchmark_inference.py``: every (system, path) of a job file in one
process holding every checkpoint, so that each round meets the machine's load of the
moment on every path alike; prints ``RESULT <json>``. Run by ``benchmark_inference.py``::

    python scripts/_bench_decode_worker.py JOB --threads N --gen-batch B --beam K

:class:`Decoder` (one checkpoint decoded on any path) is also what ``profile_decoding.py``
profiles.
"""
import argparse
import json
import sys
import time
from pathlib import Path

from _bench import REPO, path_name

from preprocess.layout import gleu_source_file


def _rss_mb(field="VmRSS"):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field)) / 1024


def _reset_peak_rss():
    """Start a new peak-RSS window (Linux >= 4.0: clear_refs 5 resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Decoder:
    """One checkpoint, loaded once, decoded on any path through task.build_generator,
    which is where fairseq-generate and fairseq-interactive get their generator (and so
    where --fast-decoding quantises and sets up the shortlist)."""

    def __init__(self, opts, spec):
        from fairseq import checkpoint_utils, tasks, utils

        self.opts, self.spec = opts, spec
        self.gec = spec["task"] == "gec"
        cfg = self.generation_cfg("none", opts.beam)
        self.task = tasks.setup_task(cfg.task)
        models, _ = checkpoint_utils.load_model_ensemble(
            [spec["ckpt"]], arg_overrides={"data": spec["data"]}, task=self.task)
        self.model = models[0].eval()
        # as fairseq-generate and fairseq-interactive prepare each model: decoders return
        # no attention to the beam search (fairseq's lstm and the plugin's alike)
        self.model.prepare_for_inference_(cfg)
        self.task.load_dataset("test")
        test = self.task.dataset("test")
        limit = spec["limit"] or len(test)
        itr = self.task.get_batch_iterator(
            dataset=test, max_sentences=opts.gen_batch,
            max_positions=utils.resolve_max_positions(self.task.max_positions(),
                                                      self.model.max_positions()),
            required_batch_size_multiple=1, seed=1).next_epoch_itr(shuffle=False)
        self.batches = []
        for b in itr:   # the first `limit` sentences of the file
            ids = b["id"]
            if (ids < limit).all():
                self.batches.append(b)
            elif (ids < limit).any():
                self.batches.append(test.collater([test[i] for i in ids[ids < limit].tolist()]))
        self.params_mb = sum(p.numel() * p.element_size()
                             for p in self.model.parameters()) / 2**20

    def generation_cfg(self, path, beam):
        from fairseq import options
        from fairseq.dataclass.utils import convert_namespace_to_omegaconf

        spec = self.spec
        args = [spec["data"], "--user-dir", str(REPO / "fairseq_plugins"), "--task",
                spec["task"], "--path", spec["ckpt"], "--cpu", "--batch-size",
                str(self.opts.gen_batch), "--required-batch-size-multiple", "1",
                "--fast-decoding", path, "--beam", str(beam)]
        args += (["--source-lang", "err", "--target-lang", "cor", "--max-len-a", "1.1",
                  "--max-len-b", "10"] if spec["task"] == "gec" else
                 ["--source-lang", "de", "--target-lang", "en", "--max-len-a", "1.2",
                  "--max-len-b", "10"])
        if "shortlist" in path and spec.get("table"):
            args += ["--shortlist", spec["table"]]
        parser = options.get_generation_parser()
        return convert_namespace_to_omegaconf(options.parse_args_and_arch(parser, args))

    def decode(self, path, beam):
        import torch

        task, model = self.task, self.model
        generator = task.build_generator([model], self.generation_cfg(path, beam).generation)
        tgt_dict = task.target_dictionary
        hyps, tokens, lists, gen_tokens, sentences = {}, {}, {}, 0, 0
        rows = []   # the rows of every step (--fast-decoding *rnn-beam records them)
        with torch.no_grad():
            start = time.perf_counter()
            for sample in self.batches:
                out = task.inference_step(generator, [model], sample)
                rows += getattr(generator, "step_rows", [])
                for i, sid in enumerate(sample["id"].tolist()):
                    toks = out[i][0]["tokens"]
                    gen_tokens += len(toks)
                    tokens[sid] = toks.tolist()
                    hyps[sid] = tgt_dict.string(toks, "sentencepiece")
                sentences += len(sample["id"])
            seconds = time.perf_counter() - start
        shortlist = getattr(generator, "shortlist", None)   # a --fast-decoding *shortlist's
        if shortlist is not None:
            for sample in self.batches:   # the list each sentence was decoded with (untimed)
                ids = shortlist.select(sample["net_input"]["src_tokens"]).tolist()
                for sid in sample["id"].tolist():
                    lists[sid] = ids
        order = sorted(hyps)
        r = {"seconds": seconds, "sentences_per_s": sentences / seconds,
             "tokens_per_s": gen_tokens / seconds, "sentences": sentences,
             "hyps": [hyps[i] for i in order], "tokens": [tokens[i] for i in order]}
        if rows and not path.startswith("int8"):   # the floor of the fp32 step's products
            from _bench_floor import floor_seconds

            r["floor_seconds"] = floor_seconds(model.decoder, rows)
            r["step_rows"] = sum(rows)
        if lists:
            r["list_sizes"] = [len(lists[i]) for i in order]
            r["lists"] = [lists[i] for i in order]
        r.update(self.score(r["hyps"], order))
        return r

    def score(self, hyps, order):
        from fairseq import utils

        if self.gec:
            from preprocess.texttools import gleu

            raw = Path(self.spec["data"]).parent / "raw"
            src = raw.joinpath(gleu_source_file("test")).read_text(encoding="utf-8").splitlines()
            refs = [raw.joinpath(f"test.ref{k}").read_text(encoding="utf-8").splitlines()
                    for k in range(4)]
            return {"gleu": gleu.corpus_gleu([src[i] for i in order],
                                             [[ref[i] for i in order] for ref in refs], hyps)}
        import sacrebleu

        tgt_dict, refs = self.task.target_dictionary, {}
        for sample in self.batches:
            for i, sid in enumerate(sample["id"].tolist()):
                ref = utils.strip_pad(sample["target"][i], tgt_dict.pad())
                refs[sid] = tgt_dict.string(ref, "sentencepiece")
        return {"bleu": sacrebleu.corpus_bleu(hyps, [[refs[i] for i in order]]).score}


def decode_worker(opts):
    """Every (system, path) of the spec list: load each checkpoint once, then ``rounds``
    rounds, each decoding every path with each beam; print RESULT json. In one process, so
    that each round meets the machine's load of the moment on every path alike."""
    import torch
    from fairseq import utils

    torch.set_num_threads(opts.threads)
    # the plugin first: fairseq's parser takes --user-dir from sys.argv, not from its list,
    # and the plugin adds --fast-decoding to the generation options
    utils.import_user_module(argparse.Namespace(user_dir=str(REPO / "fairseq_plugins")))
    job = json.loads(Path(opts.job).read_text())
    decoders = {name: Decoder(opts, spec) for name, spec in job["systems"].items()}
    results = {}
    for rnd in range(job["rounds"]):
        for name, path in job["runs"]:
            d = decoders[name]
            label = path_name(name, path)
            print(f"round {rnd + 1}/{job['rounds']}: {label}", file=sys.stderr, flush=True)
            before = _rss_mb()
            peak_ok = _reset_peak_rss()
            out = {str(b): d.decode(path, b) for b in job["beams"]}
            peak = (_rss_mb("VmHWM") if peak_ok else float("nan")) - before
            if label not in results:
                results[label] = dict(out, rounds_seconds={b: [] for b in out},
                                      decode_mem_mb=peak, params_mb=d.params_mb)
            r = results[label]
            r["decode_mem_mb"] = max(r["decode_mem_mb"], peak)
            for b, x in out.items():
                r["rounds_seconds"][b].append(x["seconds"])
                if x["seconds"] < r[b]["seconds"]:
                    for key in ("seconds", "sentences_per_s", "tokens_per_s"):
                        r[b][key] = x[key]
    print("RESULT " + json.dumps(results), flush=True)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("job", help="decode-job.json written by benchmark_inference.py")
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--gen-batch", type=int, default=64)
    p.add_argument("--beam", type=int, default=5)
    decode_worker(p.parse_args(argv))


if __name__ == "__main__":
    main()
