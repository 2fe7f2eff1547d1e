"""What the QA readers share: the options that say how records become lines, the special
tokens, and the text helpers (one line a record, HTML character references decoded).
:mod:`preprocess.qa` reads each format with these."""
import dataclasses
import html
import re

from preprocess.texttools.errors import InputError

SEP = "<sep>"
NO_ANSWER = "<no_answer>"
HISTORY_Q, HISTORY_A = "<q>", "<a>"
USER, URL = "<user>", "<url>"


@dataclasses.dataclass
class QAOptions:
    """How records become lines (CLI flags of the same name)."""
    sep: str = SEP
    context_window: int = 0         # SQuAD/CoQA: context words kept around the answer, 0 = all
    keep_unanswerable: bool = False  # SQuAD impossible / CoQA unknown -> no_answer_token
    no_answer_token: str = NO_ANSWER
    history: int = 2                # CoQA: previous turns put before the story

    def check(self):
        if self.context_window < 0:
            raise InputError("--context-window must be >= 0")
        if self.history < 0:
            raise InputError("--history must be >= 0")
        for name in ("sep", "no_answer_token"):
            value = getattr(self, name)
            if not value or value != " ".join(value.split()) or " " in value:
                raise InputError(f"--{name.replace('_', '-')} must be one token, "
                                 f"got {value!r}")
        return self


def one_line(text):
    """Collapse all whitespace (newlines too) to single spaces: one example per line."""
    return " ".join(text.split())


# Only complete references, ``&amp;`` or ``&#321;``: html.unescape alone also expands the
# legacy forms without ``;`` (``&not``, ``&copy``), which would turn "&notice" into "¬ice".
_ENTITY = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def unescape(text):
    """``text`` with its HTML character references decoded (CMU lines and tweets carry them:
    ``&#321;ab&#281;d&#378;``, ``&amp;``), so the model never learns the escapes."""
    return _ENTITY.sub(lambda m: html.unescape(m.group()), text)


def unescape_all(texts, notes):
    """:func:`unescape` each text; a record with any change is counted as ``html_unescaped``."""
    out = [unescape(t) for t in texts]
    if out != list(texts):
        notes["html_unescaped"] += 1
    return out
