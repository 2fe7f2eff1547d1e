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
    p.add_argument("--data-bin", required=True, help="binarised corpus (preprocess/ output bin/)")
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
    p.add_argument("--worker", help=argparse.SUPPRESS)
    opts = p.parse_args(argv)
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
