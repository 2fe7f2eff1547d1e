#!/usr/bin/env python
"""Plot training and validation loss from a ``fairseq-train --tensorboard-logdir`` run.

fairseq writes one TensorBoard event stream per logging tag, each in its own folder:

* ``train_inner/``: running training stats every ``--log-interval`` updates,
* ``train/``: the training stats averaged over each epoch,
* ``valid/`` (or another ``--valid-subset`` name): validation stats after each epoch,

all with ``num_updates`` as the step. This script reads those event files itself (a
small TFRecord reader plus tensorboardX's protobuf definitions, so the ``tensorboard``
package is not needed) and plots the chosen scalar (default ``loss``, base 2 as fairseq
logs it) of every stream against updates in one PNG.

Example::

    python scripts/plot_loss.py --logdir runs/lstm/tb --out results/lstm_loss.png
"""
import argparse
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import InputError, run_main, use_agg_backend  # noqa: E402

#: Plot styles per fairseq tag: the noisy inner-epoch curve thin, epoch points marked.
STYLES = {
    "train_inner": dict(label="train (every log interval)", color="tab:blue", alpha=0.45,
                        linewidth=1),
    "train": dict(label="train (epoch average)", color="tab:blue", marker="o", linewidth=2),
    "valid": dict(label="valid", color="tab:orange", marker="s", linewidth=2),
}


# --------------------------------------------------------------------------- reading
def read_records(path):
    """Yield the payloads of a TFRecord file, checking each record's masked CRC32C.

    Record layout: uint64 length, uint32 masked crc(length), data, uint32 masked
    crc(data), little-endian. A truncated last record (writer still running or killed)
    ends the stream quietly; a corrupt CRC elsewhere is an error.
    """
    from tensorboardX.record_writer import masked_crc32c

    with open(path, "rb") as f:
        while True:
            header = f.read(12)
            if len(header) < 12:
                return
            length, length_crc = struct.unpack("<QI", header)
            if masked_crc32c(header[:8]) != length_crc:
                raise InputError(f"{path}: corrupt record header")
            data, footer = f.read(length), f.read(4)
            if len(data) < length or len(footer) < 4:
                return
            if masked_crc32c(data) != struct.unpack("<I", footer)[0]:
                raise InputError(f"{path}: corrupt record data")
            yield data


def scalar_value(value):
    """The float in a Summary.Value: ``simple_value`` (tensorboardX) or a scalar tensor."""
    if value.HasField("simple_value"):
        return value.simple_value
    if value.HasField("tensor") and value.tensor.float_val:
        return value.tensor.float_val[0]
    if value.HasField("tensor") and value.tensor.double_val:
        return value.tensor.double_val[0]
    return None


def read_scalars(event_file, tag):
    """Return ``{step: value}`` for one scalar tag in one event file."""
    from tensorboardX.proto.event_pb2 import Event

    points = {}
    for record in read_records(event_file):
        event = Event.FromString(record)
        if not event.HasField("summary"):
            continue
        for value in event.summary.value:
            if value.tag == tag:
                number = scalar_value(value)
                if number is not None:
                    points[int(event.step)] = float(number)
    return points


def read_stream(folder, tag):
    """Merge all event files of one fairseq tag folder into sorted (steps, values).

    Files are read in name order (their names start with a creation timestamp), so when
    a resumed run logs the same update again, the later value wins.
    """
    merged = {}
    for event_file in sorted(Path(folder).glob("events.out.tfevents.*")):
        merged.update(read_scalars(event_file, tag))
    steps = sorted(merged)
    return steps, [merged[s] for s in steps]


def read_logdir(logdir, tag):
    """Read every tag folder (train_inner, train, valid, ...) under a fairseq logdir."""
    logdir = Path(logdir)
    if not logdir.is_dir():
        raise InputError(f"log directory not found: {logdir}")
    streams = {}
    for folder in sorted(p for p in logdir.iterdir() if p.is_dir()):
        steps, values = read_stream(folder, tag)
        if steps:
            streams[folder.name] = (steps, values)
    if not streams:
        raise InputError(f"no '{tag}' scalars in event files under {logdir} "
                         "(expected train_inner/, train/, valid/ from --tensorboard-logdir)")
    return streams


# --------------------------------------------------------------------------- plotting
def plot_order(name):
    """Draw train_inner first (background), then train, then validation streams."""
    return {"train_inner": 0, "train": 1}.get(name, 2), name


def plot_streams(streams, tag, out, title=None):
    """Draw every stream's curve against updates and save the figure as ``out``."""
    use_agg_backend()
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in sorted(streams, key=plot_order):
        steps, values = streams[name]
        style = dict(STYLES.get(name, dict(label=name, marker="^", linewidth=2)))
        if len(steps) == 1:
            style.setdefault("marker", "o")
        ax.plot(steps, values, **style)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("updates (num_updates)")
    ax.set_ylabel(f"{tag} (base 2)" if "loss" in tag else tag)
    ax.set_title(title or f"{tag} against updates")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--logdir", required=True, help="the --tensorboard-logdir of fairseq-train")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--tag", default="loss",
                        help="scalar to plot: loss (default), nll_loss, ppl, ...")
    parser.add_argument("--title", default=None)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    streams = read_logdir(args.logdir, args.tag)
    plot_streams(streams, args.tag, args.out, args.title)
    for name in sorted(streams, key=plot_order):
        steps, values = streams[name]
        print(f"{name}: {len(steps)} points, updates {steps[0]}..{steps[-1]}, "
              f"last {args.tag} {values[-1]:.3f}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
