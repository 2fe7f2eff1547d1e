#!/usr/bin/env python
"""Training and generation speed: rnn_luong (input feeding on and off) vs fairseq's lstm.

All three systems get the same binarised data, the same sizes (embedding, bidirectional
encoder, decoder hidden, one layer each, general attention), the same optimiser, seed and
batches. Each runs in its own subprocess (so peak memory is its own) through fairseq's
own Trainer and SequenceGenerator, in this order:

1. ``--warmup`` untimed updates, then ``--updates`` timed updates: target tokens/s of
   the training steps alone (forward, backward, optimiser; the batches are read before
   the clock starts, so fairseq's ``wps``, which also counts data loading, is lower);
2. generation of the test set with beam ``--beam``: sentences/s, generated tokens/s (the
   fair comparison when models stop at different lengths) and sacreBLEU of the
   detokenised output against the detokenised references;
3. peak memory: resident set size of the process on CPU, allocated memory on a GPU.

``--autocast-bf16`` runs both phases of every system under ``torch.autocast`` with
bfloat16 (matrix products in bf16, softmax and losses in fp32): on CPUs with AMX it shows
what the shared output layer costs once its products are cheaper (on a CPU with AVX-512
bf16 alone bf16 was slower than fp32).

``--cpu-bf16`` instead gives the plugin's systems their own ``--cpu-bf16 1`` option (bf16
autocast in the model's forward, as ``fairseq-train`` runs it) and leaves fairseq's lstm
in fp32, the only precision fairseq 0.12 trains it in on a CPU (its ``--bf16`` means TPU,
``--amp`` CUDA): the speed-up a user of this CPU sees, not one at equal precision.

``floor``, a fourth system, is not a model: it trains only what every model of these
sizes must compute (see ``floor_model``) through the same Trainer on the same batches, and
generates nothing (with ``--cpu-bf16`` it trains under bf16 autocast, as the plugin's
systems do). Its speed is the most any implementation of these sizes can reach with
PyTorch's kernels, so its ratio to fairseq's lstm bounds the ratio a faster decoder can
show on that machine.

It prints one table and the ratios against fairseq's lstm. It reports; it asserts nothing.

    python scripts/benchmark.py --data-bin data/multi30k-de-en/bin

``--inference`` measures decoding instead, on trained checkpoints (docs/speed.md, "Fast
decoding"): it prepares Multi30k de-en and a GEC corpus from ``SEQ2SEQ_DATA_DIR`` (default
``../shared/data``) into ``--work-dir``, builds the lexical table
(``scripts/build_shortlist.py``), trains fairseq's ``lstm`` and ``rnn_luong`` at equal sizes
on the same data and updates and a small ``rnn_gec`` (side by side; a checkpoint already in
``--work-dir`` is reused), then, in one process holding the three checkpoints, decodes
test2016 and JFLEG test with beam ``--beam`` and greedy on the standard path and every
``--fast-decoding`` path, ``--repeats`` rounds (each round every path once; the best round
is reported): sentences/s, tokens/s, the memory decoding adds, sacreBLEU / GLEU, how many
sentences equal the standard path's. It ends with ``fastest path: <name> <R>x fairseq lstm
sentences/s, BLEU <delta> vs standard path``. ``--quick``: smaller models, fewer updates,
300 test sentences (minutes, for checking; the full run's figures are the documented ones).

    python scripts/benchmark.py --inference --threads 2 --json inference.json
    python scripts/benchmark.py --inference --quick --threads 2
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SYSTEMS = {
    "fairseq lstm": ["--arch", "lstm", "--encoder-bidirectional", "--decoder-attention", "1"],
    "rnn_luong --input-feeding 1": ["--arch", "rnn_luong", "--input-feeding", "1"],
    "rnn_luong --input-feeding 0": ["--arch", "rnn_luong", "--input-feeding", "0"],
    # fairseq lstm's options give the Trainer its configuration; worker() swaps the model
    "floor": ["--arch", "lstm", "--encoder-bidirectional"],
}
DEFAULT_SYSTEMS = [name for name in SYSTEMS if name != "floor"]


def size_args(opts, system):
    common = ["--encoder-embed-dim", opts.embed, "--decoder-embed-dim", opts.embed,
              "--encoder-hidden-size", opts.hidden, "--decoder-hidden-size", opts.dec_hidden,
              "--encoder-layers", "1", "--decoder-layers", "1", "--dropout", opts.dropout]
    if system in ("fairseq lstm", "floor"):
        # no extra projection before the output layer, as in rnn_luong
        return common + ["--decoder-out-embed-dim", opts.dec_hidden]
    return common + ["--encoder-bidirectional", "1", "--bridge", "linear"]


def fairseq_args(opts, system):
    args = [opts.data_bin, "--user-dir", str(REPO / "fairseq_plugins"), "--task", "translation",
            "--optimizer", "adam", "--lr", "0.001", "--clip-norm", "1.0",
            "--criterion", "cross_entropy", "--max-tokens", str(opts.max_tokens),
            "--seed", "1", "--beam", str(opts.beam), "--batch-size-valid", "64",
            "--required-batch-size-multiple", "1", "--max-len-a", "1.2", "--max-len-b", "10"]
    if opts.device == "cpu":
        args.append("--cpu")
    if opts.cpu_bf16 and system.startswith("rnn_luong"):
        args += ["--cpu-bf16", "1"]
    return args + SYSTEMS[system] + [str(a) for a in size_args(opts, system)]


# --------------------------------------------------------------------------- worker
def floor_model(opts, task):
    """What a training step of any model of the benchmark's sizes must compute, and no more.

    Source and target embeddings, the bidirectional encoder LSTM and the decoder LSTM as one
    dense call each over the padded batch (padding is not masked, which a correct model must
    pay for), the encoder's final states mapped to the decoder's initial ones (the linear
    bridge rnn_luong uses here), the output layer, and fairseq's loss on it. No attention and
    no dropout: a lower bound on the work, not a model to train.
    """
    import torch
    from torch import nn
    from fairseq import utils
    from fairseq.models import BaseFairseqModel

    embed, hidden, dec_hidden = int(opts.embed), int(opts.hidden), int(opts.dec_hidden)
    src_dict, tgt_dict = task.source_dictionary, task.target_dictionary

    class Floor(BaseFairseqModel):
        def __init__(self):
            super().__init__()
            self.embed_src = nn.Embedding(len(src_dict), embed, padding_idx=src_dict.pad())
            self.embed_tgt = nn.Embedding(len(tgt_dict), embed, padding_idx=tgt_dict.pad())
            self.encoder_rnn = nn.LSTM(embed, hidden, bidirectional=True)
            self.bridge = nn.Linear(2 * hidden, dec_hidden)
            self.decoder_rnn = nn.LSTM(embed, dec_hidden)
            self.output = nn.Linear(dec_hidden, len(tgt_dict))

        def forward(self, src_tokens, src_lengths, prev_output_tokens):
            _, (h, c) = self.encoder_rnn(self.embed_src(src_tokens.t()))   # h, c: 2 x B x hidden
            # 1 x B x 2*hidden -> 1 x B x dec_hidden
            h, c = (self.bridge(torch.cat([s[0], s[1]], dim=-1)).unsqueeze(0) for s in (h, c))
            x, _ = self.decoder_rnn(self.embed_tgt(prev_output_tokens.t()), (h, c))  # T x B x dec
            return self.output(x.transpose(0, 1)), None                       # B x T x V

        def get_normalized_probs(self, net_output, log_probs, sample=None):
            return utils.log_softmax(net_output[0], dim=-1)

    return Floor()


def take_batches(trainer, n):
    """The first n training batches, in fairseq's order, over as many epochs as needed."""
    epoch_itr = trainer.get_train_iterator(epoch=1, load_dataset=False)
    while True:
        for sample in epoch_itr.next_epoch_itr(shuffle=True):
            if n == 0:
                return
            yield sample
            n -= 1
        epoch_itr = trainer.get_train_iterator(epoch=epoch_itr.next_epoch_idx, load_dataset=False)


def generate(opts, task, model, cfg, autocast, sync):
    """Beam search over the test set: sentences/s, tokens/s and sacreBLEU."""
    import sacrebleu
    import torch
    from fairseq import utils

    cuda = opts.device == "cuda"
    model.eval()
    generator = task.build_generator([model], cfg.generation)
    test = task.dataset("test")
    gen_itr = task.get_batch_iterator(dataset=test, max_sentences=opts.gen_batch,
                                      max_positions=utils.resolve_max_positions(
                                          task.max_positions(), model.max_positions()),
                                      seed=1).next_epoch_itr(shuffle=False)
    tgt_dict = task.target_dictionary
    hyps, refs, sentences, gen_tokens = {}, {}, 0, 0
    sync()
    start = time.perf_counter()
    with torch.no_grad(), autocast():
        for sample in gen_itr:
            sample = utils.move_to_cuda(sample) if cuda else sample
            out = task.inference_step(generator, [model], sample)
            for i, sid in enumerate(sample["id"].tolist()):
                gen_tokens += len(out[i][0]["tokens"])
                hyps[sid] = tgt_dict.string(out[i][0]["tokens"], "sentencepiece")
                ref = utils.strip_pad(sample["target"][i], tgt_dict.pad())
                refs[sid] = tgt_dict.string(ref, "sentencepiece")
            sentences += len(sample["id"])
    sync()
    seconds = time.perf_counter() - start
    order = sorted(hyps)
    return {
        "gen_sentences_per_s": sentences / seconds,
        # outputs of barely trained models differ in length: tokens/s compares the decoders
        "gen_tokens_per_s": gen_tokens / seconds,
        "gen_seconds": seconds,
        "bleu": sacrebleu.corpus_bleu([hyps[i] for i in order], [[refs[i] for i in order]]).score,
    }


def worker(opts, system):
    import torch
    from fairseq import options, tasks, utils
    from fairseq.dataclass.utils import convert_namespace_to_omegaconf
    from fairseq.trainer import Trainer

    torch.set_num_threads(opts.threads)
    parser = options.get_training_parser()
    options.add_generation_args(parser)  # training and generation in one process
    args = options.parse_args_and_arch(parser, fairseq_args(opts, system))
    cfg = convert_namespace_to_omegaconf(args)
    utils.import_user_module(cfg.common)
    torch.manual_seed(1)
    task = tasks.setup_task(cfg.task)
    task.load_dataset("train")
    task.load_dataset("test")
    model = floor_model(opts, task) if system == "floor" else task.build_model(cfg.model)
    criterion = task.build_criterion(cfg.criterion)
    trainer = Trainer(cfg, task, model, criterion)
    cuda = opts.device == "cuda"
    # fairseq's trainer resets CUDA's peak-memory counter after every step (for its gb_free
    # log) when it holds a CUDA environment record; without it the peak spans all the steps
    trainer.cuda_env = None

    # a no-op context unless --autocast-bf16; with --cpu-bf16 the floor gets what
    # rnn_luong's --cpu-bf16 1 does inside its forward, so that it bounds that
    bf16 = opts.autocast_bf16 or (opts.cpu_bf16 and system == "floor")

    def autocast():
        return torch.autocast("cuda" if cuda else "cpu", dtype=torch.bfloat16, enabled=bf16)

    def sync():
        if cuda:
            torch.cuda.synchronize()

    # ---- training
    # the batches are read before the clock starts: data loading (and with large batches a
    # new epoch's DataLoader every few dozen updates) is the same for every system and is
    # not what is compared; on a GPU it hid most of the difference at 16,000-token batches
    samples = list(take_batches(trainer, opts.warmup + opts.updates))
    tokens, start = 0, None
    for done, sample in enumerate(samples):
        if done == opts.warmup:
            sync()
            start = time.perf_counter()
            if cuda:
                torch.cuda.reset_peak_memory_stats()
        with autocast():
            trainer.train_step([sample])
        if done >= opts.warmup:
            tokens += sample["ntokens"]
    sync()
    train_seconds = time.perf_counter() - start
    train_peak = torch.cuda.max_memory_allocated() if cuda else None

    # ---- generation (the floor has no decoder to search with)
    model = trainer.model
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    gen = (dict.fromkeys(["gen_sentences_per_s", "gen_tokens_per_s", "gen_seconds", "bleu"])
           if system == "floor" else generate(opts, task, model, cfg, autocast, sync))
    result = {
        "system": system,
        "train_tokens_per_s": tokens / train_seconds,
        "train_seconds": train_seconds,
        **gen,
        "params": sum(p.numel() for p in model.parameters()),
    }
    if cuda:
        result["train_peak_mem_mb"] = train_peak / 2**20
        result["peak_mem_mb"] = max(train_peak, torch.cuda.max_memory_allocated()) / 2**20
    else:
        result["peak_mem_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


# =========================================================================== --inference
# Decoding speed on trained checkpoints: fairseq's lstm and rnn_luong trained on the same
# data and updates, then the test set decoded through task.build_generator (what
# fairseq-generate and fairseq-interactive call) on the standard path and each
# --fast-decoding path; the same for a small rnn_gec on JFLEG test.
FAST_PATHS = ("none", "lean", "int8", "shortlist", "int8-shortlist")
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
    if not (mt / "prepare.json").is_file():
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
    if not (gec / "gec_data.json").is_file():
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
        if path.endswith("shortlist") and spec.get("table"):
            args += ["--shortlist", spec["table"]]
        parser = options.get_generation_parser()
        return convert_namespace_to_omegaconf(options.parse_args_and_arch(parser, args))

    def decode(self, path, beam):
        import torch

        task, model = self.task, self.model
        generator = task.build_generator([model], self.generation_cfg(path, beam).generation)
        tgt_dict = task.target_dictionary
        hyps, tokens, lists, gen_tokens, sentences = {}, {}, {}, 0, 0
        with torch.no_grad():
            start = time.perf_counter()
            for sample in self.batches:
                out = task.inference_step(generator, [model], sample)
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
        if lists:
            r["list_sizes"] = [len(lists[i]) for i in order]
            r["lists"] = [lists[i] for i in order]
        r.update(self.score(r["hyps"], order))
        return r

    def score(self, hyps, order):
        from fairseq import utils

        if self.gec:
            from fairseq_plugins.text import gleu

            raw = Path(self.spec["data"]).parent / "raw"
            src = raw.joinpath("test.gleu-source").read_text(encoding="utf-8").splitlines()
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
    job = json.loads(Path(opts.decode).read_text())
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


def path_name(system, path):
    return system if path == "none" else f"{system} {path}"


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
    report = inference_report(opts, s, results, beams, train_minutes)
    if opts.json:
        slim = {name: {key: ({k: v for k, v in value.items() if k not in ("hyps", "tokens",
                                                                          "lists")}
                             if key in map(str, beams) else value)
                       for key, value in r.items()} for name, r in results.items()}
        Path(opts.json).write_text(json.dumps({"settings": s, "report": report,
                                               "results": slim}, indent=2))


def run_decode(opts, job, log):
    cmd = [sys.executable, __file__, "--inference", "--threads", str(opts.threads),
           "--gen-batch", str(opts.gen_batch), "--beam", str(opts.beam), "--decode", str(job)]
    env = dict(os.environ, OMP_NUM_THREADS=str(opts.threads),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with open(log, "w") as err:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        tail = Path(log).read_text(errors="replace")[-3000:]
        sys.exit(f"error: decoding failed (log {log}):\n{tail}")
    return json.loads(line[len("RESULT "):])


def inference_report(opts, s, results, beams, train_minutes):
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
    fastest = max((r for r in report["mt"] if r["beam"] == opts.beam and
                   r["name"].startswith("rnn_luong")), key=lambda r: r["x_lstm"])
    print(f"\nfastest path: {fastest['name']} {fastest['x_lstm']:.2f}x fairseq lstm "
          f"sentences/s, BLEU {fastest['bleu_delta']:+.2f} vs standard path")
    report["fastest"] = fastest
    return report


# --------------------------------------------------------------------------- driver
def machine_description(device):
    import platform

    import torch

    if device == "cuda":
        return f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f
                       if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores visible, torch {torch.__version__}"


def table(results, device):
    base = next(r for r in results if r["system"] == "fairseq lstm")
    mem = "peak GPU MB" if device == "cuda" else "peak RSS MB"
    lines = ["| system | params | train tok/s | x lstm | gen sent/s | gen tok/s | x lstm | "
             f"{mem} | BLEU |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        if r["gen_tokens_per_s"] is None:  # the floor generates nothing
            gen = "| - | - | - |"
        else:
            gen = (f"| {r['gen_sentences_per_s']:.1f} | {r['gen_tokens_per_s']:.0f} | "
                   f"{r['gen_tokens_per_s'] / base['gen_tokens_per_s']:.2f} |")
        bleu = "-" if r["bleu"] is None else f"{r['bleu']:.2f}"
        lines.append(
            f"| {r['system']} | {r['params'] / 1e6:.2f}M | {r['train_tokens_per_s']:.0f} | "
            f"{r['train_tokens_per_s'] / base['train_tokens_per_s']:.2f} {gen} "
            f"{r['peak_mem_mb']:.0f} | {bleu} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-bin", help="binarised corpus (preprocess/ output bin/); training "
                   "benchmark only")
    p.add_argument("--updates", type=int, default=200, help="timed training updates")
    p.add_argument("--warmup", type=int, default=10, help="untimed updates first")
    p.add_argument("--max-tokens", type=int, default=4000)
    p.add_argument("--embed", default="256")
    p.add_argument("--hidden", default="256", help="encoder hidden size per direction")
    p.add_argument("--dec-hidden", default="512")
    p.add_argument("--dropout", default="0.2")
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--gen-batch", type=int, default=64)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--autocast-bf16", action="store_true",
                   help="train and generate under torch.autocast with bfloat16")
    p.add_argument("--cpu-bf16", action="store_true",
                   help="rnn_luong systems with their --cpu-bf16 1, fairseq lstm in fp32")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--systems", nargs="*", default=DEFAULT_SYSTEMS, choices=list(SYSTEMS),
                   help="add floor for the bound on any model of these sizes")
    p.add_argument("--json", help="also write the results here")
    g = p.add_argument_group("decoding benchmark (--inference)")
    g.add_argument("--inference", action="store_true",
                   help="decoding speed on trained checkpoints: fairseq lstm, rnn_luong on "
                        "the standard path and each --fast-decoding path, rnn_gec on JFLEG")
    g.add_argument("--quick", action="store_true",
                   help="with --inference: small models, few updates, 300 test sentences")
    g.add_argument("--work-dir", help="data and checkpoints (reused when present); default "
                                      "runs/bench-inference[-quick]")
    g.add_argument("--inference-updates", type=int, help="training updates of each MT model")
    g.add_argument("--gec-updates", type=int, help="training updates of rnn_gec")
    g.add_argument("--test-sentences", type=int, help="decode the first N (0: all)")
    g.add_argument("--repeats", type=int, help="decoding rounds; the best is reported")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--decode", help=argparse.SUPPRESS)
    opts = p.parse_args(argv)
    if opts.decode:
        return decode_worker(opts)
    if opts.inference:
        return inference_main(opts)
    if opts.quick:
        sys.exit("error: --quick is for --inference")
    if not opts.data_bin:
        sys.exit("error: --data-bin is required (or --inference)")
    if opts.cpu_bf16 and opts.autocast_bf16:
        sys.exit("error: --cpu-bf16 and --autocast-bf16 exclude each other")
    if not Path(opts.data_bin).is_dir():
        sys.exit(f"error: --data-bin {opts.data_bin} is not a folder (run preprocess first)")
    if opts.worker:
        return worker(opts, opts.worker)

    results = []
    for system in opts.systems:
        cmd = [sys.executable, __file__, "--worker", system] + [
            a for a in (argv if argv is not None else sys.argv[1:])]
        print(f"running {system} ...", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = next((out for out in proc.stdout.splitlines() if out.startswith("RESULT ")),
                    None)
        if proc.returncode != 0 or line is None:
            sys.exit(f"error: {system} failed:\n{proc.stderr[-3000:]}")
        results.append(json.loads(line[len("RESULT "):]))
        # each system as it finishes: a run cut short still shows what it measured
        r = results[-1]
        print(f"  {system}: train {r['train_tokens_per_s']:.0f} tok/s"
              + (f", generation {r['gen_tokens_per_s']:.0f} tok/s"
                 if r["gen_tokens_per_s"] is not None else "")
              + (f", peak GPU memory {r['train_peak_mem_mb']:.0f} MB training, "
                 f"{r['peak_mem_mb']:.0f} MB overall"
                 if "train_peak_mem_mb" in r else ""),
              file=sys.stderr, flush=True)
    print(f"machine: {machine_description(opts.device)}; threads {opts.threads}")
    print(f"sizes: embed {opts.embed}, encoder {opts.hidden} x2 (bidirectional), decoder "
          f"{opts.dec_hidden}, 1 layer; {opts.updates} timed updates of <= {opts.max_tokens} "
          f"tokens; test set with beam {opts.beam}"
          + ("; bf16 autocast" if opts.autocast_bf16 else "")
          + ("; rnn_luong with --cpu-bf16 1, lstm fp32" if opts.cpu_bf16 else ""))
    if "fairseq lstm" in opts.systems:
        print(table(results, opts.device))
    if opts.json:
        Path(opts.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
