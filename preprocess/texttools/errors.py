"""The one exception type for problems in what the user gave us.

Every problem caused by the user's input or environment (a missing file, mismatched
line counts, a malformed M2 block, a bad model option, a tool that failed) is raised as
:class:`InputError` (or a subclass) with a one-line message. The command lines report it
as ``error: <message>`` with exit status 2 (:func:`preprocess.cli.run_main`), so bad
input never ends in a traceback; inside fairseq's CLIs the plugin prints the same one
line (``fairseq_plugins.compat.one_line_errors``).
"""


class InputError(Exception):
    """A problem with the input or environment, reported to the user as one line."""
