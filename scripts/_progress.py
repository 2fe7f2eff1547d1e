"""One progress line for a long step of run_main.sh and the recipes (scripts/_steps.sh
starts it), read from the step's own output as fairseq writes it:

    fairseq-train ... 2>&1 | tee LOG | python scripts/_progress.py train
    fairseq-generate ... | python scripts/_progress.py decode --total N --out FILE

train   reads fairseq's log (``--log-format simple``, fairseq-train or fairseq-hydra-train)
        and shows the update count (of ``max_update``), the time elapsed and left of the
        time budget (``stop_time_hours``, both read from the configuration fairseq logs
        first), the latest training loss and the best validation loss (and the best
        checkpoint metric, e.g. BLEU or GLEU, when fairseq logs one); LOG keeps it all.
decode  copies fairseq-generate's or fairseq-interactive's output to FILE and shows the
        sentences done (``S-`` lines) of N.

On a terminal the line is redrawn in place (``\\r``) every second; otherwise it is printed
as a new line every 30 seconds (SEQ2SEQ_PROGRESS_SECONDS; 0 = at every new update or
validation). When the input ends, the last state is printed once more as the step's
summary line; with SEQ2SEQ_QUIET=1 that line is all there is. Standard library only: it
starts in a few milliseconds beside a fairseq tool, and it reads its input to the end
whatever happens, so a bug here never stops the tool writing through ``tee``.
"""
import argparse
import os
import re
import shutil
import sys
import threading
import time

NUM_UPDATES = re.compile(r"\bnum_updates[= ](\d+)")
LOSS = re.compile(r"(?<![\w])loss[= ](-?[\d.]+)")          # not nll_loss
BEST_METRIC = re.compile(r"\| best_(\w+) (-?[\d.]+)")
CONFIG = {name: re.compile(rf"'{name}': ([\d.]+)") for name in ("stop_time_hours", "max_update")}


def clock(seconds):
    """``M:SS`` or ``H:MM:SS``."""
    seconds = max(0, int(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Train:
    """What fairseq's training log has said so far."""

    def __init__(self, label):
        self.label = label
        self.updates = 0
        self.max_update = 0
        self.hours = 0.0
        self.loss = None
        self.best_valid = None
        self.best_metric = None   # (name, value) of the checkpoint metric fairseq keeps best
        self.done = False

    def read(self, line):
        """Take one log line; True when it says something the line shows."""
        for name, pattern in CONFIG.items():
            if f"'{name}'" in line:
                m = pattern.search(line)
                if m:
                    setattr(self, "hours" if name == "stop_time_hours" else name,
                            float(m.group(1)) if name == "stop_time_hours" else int(m.group(1)))
        if "done training" in line:
            self.done = True
        updates, loss = NUM_UPDATES.search(line), LOSS.search(line)
        if not updates:
            return False
        self.updates = max(self.updates, int(updates.group(1)))
        if loss and "valid on '" in line:
            value = float(loss.group(1))
            self.best_valid = value if self.best_valid is None else min(self.best_valid, value)
            metric = BEST_METRIC.search(line)
            if metric and metric.group(1) != "loss":
                self.best_metric = (metric.group(1), metric.group(2))
        elif loss:
            self.loss = loss.group(1)
        return True

    def line(self, elapsed, final=False):
        of = f"/{self.max_update:,}" if self.max_update else ""
        parts = [f"{self.label}: {self.updates:,}{of} updates", f"{clock(elapsed)} elapsed"]
        if self.hours and not final:
            budget = self.hours * 3600
            parts[-1] += f", {clock(budget - elapsed)} left of {clock(budget)}"
        parts.append(f"loss {self.loss}" if self.loss else "loss -")
        parts.append(f"best valid loss {self.best_valid}" if self.best_valid is not None
                     else "best valid loss -")
        if self.best_metric:
            parts.append("best {} {}".format(*self.best_metric))
        return " | ".join(parts)


class Decode:
    """Sentences done (``S-<id>`` lines of fairseq-generate or fairseq-interactive)."""

    def __init__(self, label, total, out):
        self.label, self.total, self.out = label, total, out
        self.done = 0

    def read(self, raw):
        if self.out is not None:
            self.out.write(raw)
        if raw.startswith(b"S-"):
            self.done += 1
            return True
        return False

    def line(self, elapsed, final=False):
        of = f"/{self.total:,}" if self.total else ""
        return f"{self.label}: {self.done:,}{of} sentences | {clock(elapsed)} elapsed"


class Display:
    """Redraws in place on a terminal, prints a line every ``interval`` seconds elsewhere."""

    def __init__(self, state, stream, quiet, interval):
        self.state, self.stream, self.quiet = state, stream, quiet
        self.tty = stream.isatty()
        self.interval = 1.0 if self.tty else interval
        self.start = time.monotonic()
        self.width = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def show(self, final=False):
        with self.lock:
            text = self.state.line(time.monotonic() - self.start, final)
            if self.tty:
                cols = shutil.get_terminal_size().columns - 1
                text = text[:cols]
                pad = " " * max(0, self.width - len(text))
                self.width = len(text)
                self.stream.write("\r" + text + pad + ("\n" if final else ""))
            else:
                self.stream.write(text + "\n")
            self.stream.flush()

    def changed(self):
        """The state moved on: with an interval of 0, a line now."""
        if not self.quiet and not self.tty and self.interval <= 0:
            self.show()

    def tick(self):
        while not self.stop.wait(self.interval):
            if not self.quiet:
                self.show()


def build_parser():
    p = argparse.ArgumentParser(prog="scripts/_progress.py", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="kind", required=True)
    t = sub.add_parser("train", help="fairseq-train's log on stdin")
    t.add_argument("--label", default="training")
    d = sub.add_parser("decode", help="fairseq-generate's or fairseq-interactive's output")
    d.add_argument("--label", default="decoding")
    d.add_argument("--total", type=int, default=0, help="sentences to decode")
    d.add_argument("--out", help="where the output goes (default: nowhere)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    quiet = os.environ.get("SEQ2SEQ_QUIET", "") not in ("", "0")
    interval = float(os.environ.get("SEQ2SEQ_PROGRESS_SECONDS", "30"))
    out = open(args.out, "wb") if args.kind == "decode" and args.out else None
    state = Train(args.label) if args.kind == "train" else Decode(args.label, args.total, out)
    display = Display(state, sys.stdout, quiet, interval)
    if display.interval > 0:
        threading.Thread(target=display.tick, daemon=True).start()
    source = sys.stdin.buffer
    try:
        for raw in source:
            try:
                moved = state.read(raw if args.kind == "decode"
                                   else raw.decode("utf-8", "replace"))
            except ValueError:   # a line that only looks like a figure: skip it
                continue
            if moved:
                display.changed()
    except KeyboardInterrupt:
        return 130
    finally:
        display.stop.set()
        if out is not None:
            out.close()
        display.show(final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
