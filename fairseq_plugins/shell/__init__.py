"""fairseq-interactive, the plugin's correction and translation shell.

:mod:`.input`: the shell reports each input line it cannot use (not UTF-8, empty, too
long) with one ``E-<line>`` line and goes on with the next, for every task. The ``gec``
task's own shell options (``--max-input-chars``, normalisation) live with the task.
"""
from fairseq_plugins.shell import input as shell_input

#: the fairseq versions whose code the replacements below were written for
VERSIONS = {"fairseq": (">=0.12.0", "<0.13")}
#: the fairseq globals :func:`install` replaces (docs/architecture.md has why)
REPLACES = ("fairseq_cli.interactive.buffered_read", "fairseq_cli.interactive.make_batches")


def install():
    """Install the shell's input handling in fairseq-interactive, if it is running."""
    shell_input.install()
