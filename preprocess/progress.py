"""Progress bars (tqdm) on the long loops of ``preprocess.prepare`` and
``preprocess.gec_data``: cleaning, subword segmentation, noising; and a line counting the
seconds of the steps that have no loop of ours (subword training, fairseq-preprocess).

A loop over :data:`MIN_LINES` items or more (``SEQ2SEQ_PROGRESS_MIN_LINES``, default
100,000) shows a bar on stderr when stderr is a terminal; ``--progress`` shows it
anywhere (redrawn every 30 s where stderr is not a terminal), ``--quiet`` or
``SEQ2SEQ_QUIET=1`` never. The summary on stdout is the same either way.
"""
import contextlib
import os
import sys
import threading

MIN_LINES = 100_000
_forced = None   # True: --progress, False: --quiet, None: SEQ2SEQ_QUIET and the terminal decide


def configure(progress=False, quiet=False):
    """The command line's choice: ``--quiet`` wins over ``--progress``."""
    global _forced
    _forced = False if quiet else (True if progress else None)


def enabled():
    if _forced is not None:
        return _forced
    if os.environ.get("SEQ2SEQ_QUIET", "") not in ("", "0"):
        return False
    return sys.stderr.isatty()


def min_lines():
    return int(os.environ.get("SEQ2SEQ_PROGRESS_MIN_LINES", MIN_LINES))


class _NoBar:
    def update(self, n=1):
        pass


@contextlib.contextmanager
def bar(total, desc, unit="lines"):
    """A tqdm bar of ``total`` items to ``update(n)``, or one that shows nothing."""
    if total < min_lines() or not enabled():
        yield _NoBar()
        return
    from tqdm import tqdm

    tty = sys.stderr.isatty()
    with tqdm(total=total, desc=desc, unit=unit, file=sys.stderr,
              mininterval=0.5 if tty else 30, dynamic_ncols=tty, ascii=not tty) as shown:
        yield shown


@contextlib.contextmanager
def stage(desc, lines):
    """A line that counts the seconds of a step on ``lines`` lines that has no steps of its
    own to count (redrawn every second on a terminal, every 30 s elsewhere)."""
    if lines < min_lines() or not enabled():
        yield
        return
    from tqdm import tqdm

    tty = sys.stderr.isatty()
    stop = threading.Event()
    with tqdm(desc=f"{desc} ({lines:,} lines)", bar_format="{desc}: {elapsed}",
              file=sys.stderr) as shown:
        def tick():
            while not stop.wait(1 if tty else 30):
                shown.refresh()
        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            stop.set()
            ticker.join()


def track(items, desc, total=None, unit="lines"):
    """``items`` (a sized iterable, or one of ``total`` items), with a bar when it is long
    (an iterable of unknown length gets none)."""
    if total is None:
        total = len(items) if hasattr(items, "__len__") else 0
    if total < min_lines() or not enabled():
        yield from items
        return
    with bar(total, desc, unit) as shown:
        for item in items:
            yield item
            shown.update()


def add_arguments(parser):
    """``--progress`` and ``--quiet`` on a command line."""
    g = parser.add_argument_group("progress (on inputs of 100,000 lines or more)")
    g.add_argument("--progress", action="store_true",
                   help="show progress bars on stderr even where it is not a terminal")
    g.add_argument("--quiet", action="store_true",
                   help="no progress bars (also SEQ2SEQ_QUIET=1); the summary still prints")


def configure_from(args):
    """Take ``--progress`` and ``--quiet`` off parsed ``args`` and apply them."""
    configure(vars(args).pop("progress"), vars(args).pop("quiet"))
