"""fairseq-interactive no longer dies on a line that is not UTF-8.

fairseq-interactive reads its input through ``fairseq_cli.interactive.buffered_read``,
i.e. ``fileinput`` with strict UTF-8: one invalid byte raises ``UnicodeDecodeError`` and
kills the shell. A task cannot receive the raw bytes any other way, so inside
fairseq-interactive (the module ``fairseq_cli.interactive`` is loaded) the fix replaces
that module's ``buffered_read`` with :func:`tolerant_buffered_read`, which reads bytes
and decodes them with ``surrogateescape``: same lines, same buffering, and a bad byte
becomes a lone surrogate that the task's input check reports
(:mod:`fairseq_plugins.tasks.shell_input`). ``fairseq_cli.interactive.main`` looks the
reader up as a module global *after* ``tasks.setup_task``, so a task that applies the
fix in ``setup_task`` is in time, and no other CLI is touched. The ``gec`` task applies
it (its correction shell reports and skips bad lines); other tasks keep fairseq's reader.
"""
import sys

PROBLEM = "fairseq-interactive dies on the first input line that is not valid UTF-8"
FAIRSEQ_VERSIONS = ("0.12.0", "0.13")
TEST = "tests/integration/test_gec.py::test_interactive_reports_bad_lines_and_goes_on"


def tolerant_buffered_read(input, buffer_size):
    """Drop-in for ``fairseq_cli.interactive.buffered_read`` that never dies on bad bytes.

    Reads bytes (stdin or a file) and decodes each line as UTF-8 with
    ``surrogateescape``: invalid bytes become lone surrogates U+DC80..U+DCFF.  Lines are
    stripped and buffered exactly like the original.
    """
    stream = sys.stdin.buffer if input == "-" else open(input, "rb")
    buffer = []
    try:
        for raw in stream:
            buffer.append(raw.decode("utf-8", errors="surrogateescape").strip())
            if len(buffer) >= buffer_size:
                yield buffer
                buffer = []
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if buffer:
        yield buffer


def installed() -> bool:
    """Whether fairseq-interactive is running with :func:`tolerant_buffered_read`."""
    mod = sys.modules.get("fairseq_cli.interactive")
    return mod is not None and getattr(mod, "buffered_read", None) is tolerant_buffered_read


def apply():
    mod = sys.modules.get("fairseq_cli.interactive")
    if mod is not None:
        mod.buffered_read = tolerant_buffered_read
