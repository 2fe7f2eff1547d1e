"""What the two benchmarks share: ``benchmark.py`` (training and generation speed) and
``benchmark_inference.py`` (decoding speed on trained checkpoints) compare the same
systems at the same sizes, name the same decoding paths and describe the machine the
same way in their reports.
"""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

SYSTEMS = {
    "fairseq lstm": ["--arch", "lstm", "--encoder-bidirectional", "--decoder-attention", "1"],
    "rnn_luong --input-feeding 1": ["--arch", "rnn_luong", "--input-feeding", "1"],
    "rnn_luong --input-feeding 0": ["--arch", "rnn_luong", "--input-feeding", "0"],
    # fairseq lstm's options give the Trainer its configuration; worker() swaps the model
    "floor": ["--arch", "lstm", "--encoder-bidirectional"],
    # what copy attention and coverage cost (a joined dictionary: preprocess.prepare
    # --joint --joined-dictionary); compare with "rnn_luong --input-feeding 1"
    "rnn_luong copy": ["--arch", "rnn_luong", "--input-feeding", "1", "--copy-attention", "1"],
    "rnn_luong coverage": ["--arch", "rnn_luong", "--input-feeding", "1", "--coverage", "1"],
}
#: what runs unless --systems says otherwise: the three models
DEFAULT_SYSTEMS = ["fairseq lstm", "rnn_luong --input-feeding 1", "rnn_luong --input-feeding 0"]


def size_args(opts, system):
    common = ["--encoder-embed-dim", opts.embed, "--decoder-embed-dim", opts.embed,
              "--encoder-hidden-size", opts.hidden, "--decoder-hidden-size", opts.dec_hidden,
              "--encoder-layers", "1", "--decoder-layers", "1", "--dropout", opts.dropout]
    if system in ("fairseq lstm", "floor"):
        # no extra projection before the output layer, as in rnn_luong
        return common + ["--decoder-out-embed-dim", opts.dec_hidden]
    return common + ["--encoder-bidirectional", "1", "--bridge", "linear"]


#: the --fast-decoding paths benchmark_inference.py decodes on ("none": the standard path)
FAST_PATHS = ("none", "lean", "int8", "shortlist", "int8-shortlist", "rnn-beam", "int8-rnn-beam",
              "int8-shortlist-rnn-beam")


def path_name(system, path):
    return system if path == "none" else f"{system} {path}"


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
