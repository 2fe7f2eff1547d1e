"""One system of ``benchmark.py`` in its own process, so that its peak memory is its own.

``--warmup`` untimed then ``--updates`` timed training updates through fairseq's own
Trainer, then generation of the test set through its SequenceGenerator (the floor
generates nothing); prints ``RESULT <json>``. Run by ``benchmark.py``::

    python scripts/_bench_train_worker.py SYSTEM OPTIONS_JSON
"""
import json
import resource
import sys
import time
from argparse import Namespace

from _bench import REPO, SYSTEMS, size_args


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


def main(argv=None):
    system, options = argv if argv is not None else sys.argv[1:]
    worker(Namespace(**json.loads(options)), system)


if __name__ == "__main__":
    main()
