"""The single exception type for user-facing failures.

Every problem caused by the user's input or environment (missing files, mismatched line
counts, a tool that failed) is raised as ``PrepareError`` with a one-line message; the
command line catches it and prints ``error: <message>`` with exit status 2, so bad input
never ends in a traceback.
"""


class PrepareError(Exception):
    """A problem with the input or environment, reported to the user as one line."""
