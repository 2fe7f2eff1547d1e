"""Request bodies of the server, read by hand so that every refusal is one line naming
the field or item at fault (:class:`RequestError`), and nothing unknown is ignored.

``POST /translate`` and ``/correct`` take JSON: :func:`parse_json_body`. LanguageTool's
``POST /v2/check`` takes a form (``application/x-www-form-urlencoded``, or the same as a
query string): :func:`parse_form`, then :func:`check_text` for ``text`` or ``data``.
"""
import json
import urllib.parse
from typing import Dict, List, NamedTuple, Optional, Tuple

class RequestError(Exception):
    """A request the server refuses: the HTTP status and one line saying why."""

    def __init__(self, status: int, message: str, item: Optional[int] = None,
                 headers: Optional[dict] = None, field: Optional[str] = None):
        super().__init__(message)
        self.status, self.message, self.item, self.headers = status, message, item, headers
        self.field = field

    def body(self) -> dict:
        body = {"error": self.message}
        if self.item is not None:
            body["item"] = self.item
        if self.field is not None:
            body["field"] = self.field
        return body


class Limits(NamedTuple):
    """What a request may ask for: the command line's ``--max-beam``, ``--max-nbest``,
    ``--allow-fast-decoding``, ``--max-request-sentences``."""
    max_beam: int
    max_nbest: int
    fast_modes: Tuple[str, ...]
    max_sentences: int


class Options(NamedTuple):
    """A request's generation options; requests with equal options share a batch."""
    beam: int
    n_best: int
    alignments: bool
    fast_decoding: str


class JsonRequest(NamedTuple):
    src: list
    options: Options
    edits: bool


def decode_utf8(raw: bytes, what: str = "the body") -> str:
    """``raw`` as UTF-8 (a BOM allowed), or a 400 naming the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise RequestError(400, f"{what} is not UTF-8: byte 0x{raw[error.start]:02x} at "
                                f"byte {error.start}") from None


def _reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def load_json(raw: bytes):
    """The JSON value of a body; 400 for bytes that are not UTF-8 JSON, too deep nesting,
    NaN or Infinity."""
    text = decode_utf8(raw)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise RequestError(400, "invalid JSON: nested too deep") from None
    except ValueError as error:
        raise RequestError(400, f"invalid JSON: {error}") from None


def _integer(body: dict, name: str, default: int, top: int, flag: str) -> int:
    if name not in body:
        return default
    value = body[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise RequestError(422, f'"{name}" must be an integer, not {type(value).__name__}',
                           field=name)
    if not 1 <= value <= top:
        raise RequestError(422, f'"{name}" is {value}: from 1 to {top} ({flag})', field=name)
    return value


def parse_json_body(raw: bytes, defaults: Options, limits: Limits,
                    gec: bool) -> JsonRequest:
    """The sentences and options of a ``/translate`` or ``/correct`` body."""
    body = load_json(raw)
    if not isinstance(body, dict) or "src" not in body:
        raise RequestError(400, 'the body must be a JSON object {"src": [sentences]}')
    known = ("src", "beam", "n_best", "alignments", "fast_decoding") + (("edits",) if gec
                                                                          else ())
    for name in body:
        if name not in known:
            raise RequestError(422, f'unknown field "{name}": the body takes '
                                    f'{", ".join(known)}', field=name)
    src = body["src"]
    if not isinstance(src, list):
        raise RequestError(400, f'"src" must be a list of strings, not {type(src).__name__}')
    if not src:
        raise RequestError(400, '"src" is empty')
    if len(src) > limits.max_sentences:
        raise RequestError(413, f'"src" has {len(src)} sentences, at most '
                                f"{limits.max_sentences} a request (--max-request-sentences)")
    beam = _integer(body, "beam", defaults.beam, limits.max_beam, "--max-beam")
    n_best = _integer(body, "n_best", defaults.n_best, limits.max_nbest, "--max-nbest")
    if n_best > beam:
        raise RequestError(422, f'"n_best" is {n_best}, over the beam {beam}', field="n_best")
    flags = {}
    for name, default in (("alignments", defaults.alignments), ("edits", False)):
        flags[name] = body.get(name, default)
        if not isinstance(flags[name], bool):
            raise RequestError(422, f'"{name}" must be true or false, not '
                                    f"{type(flags[name]).__name__}", field=name)
    fast = body.get("fast_decoding", defaults.fast_decoding)
    if fast not in limits.fast_modes:
        shown = fast if isinstance(fast, str) else type(fast).__name__
        raise RequestError(422, f'"fast_decoding" {shown!r}: this server decodes with '
                                f'{", ".join(limits.fast_modes)} (--allow-fast-decoding)',
                           field="fast_decoding")
    if flags["alignments"] and fast.endswith("rnn-beam"):   # the RNN's own search
        raise RequestError(422, f'"alignments" with "fast_decoding" {fast!r}: that search '
                                'gives no alignments; leave out one of them', field="alignments")
    if flags["edits"] and n_best != 1:
        raise RequestError(422, '"edits" gives the best correction only: "n_best" 1',
                           field="edits")
    if flags["edits"] and "alignments" in body and flags["alignments"]:
        raise RequestError(422, '"edits" gives no alignments: leave out "alignments"',
                           field="edits")
    return JsonRequest(src, Options(beam, n_best, flags["alignments"], fast), flags["edits"])


# ----------------------------------------------------------------------- LanguageTool

#: /v2/check's parameters as LanguageTool documents them; those without an effect here
#: (the model has no mother tongue, user dictionary or variants) are accepted, not used
CHECK_PARAMETERS = ("text", "data", "language", "enabledRules", "disabledRules",
                    "enabledCategories", "disabledCategories", "enabledOnly", "level",
                    "motherTongue", "preferredVariants", "altLanguages", "username",
                    "apiKey", "tokenV2", "mode", "allowIncompleteResults", "useragent",
                    "noopLanguages", "textSessionId", "ruleValues", "enableHiddenRules",
                    "dicts", "abtest")


def parse_form(raw: bytes, query: str, content_type: str) -> Dict[str, str]:
    """The parameters of a ``/v2/check`` request: the query string and a form body."""
    kind = content_type.split(";")[0].strip().lower()
    if raw and kind not in ("application/x-www-form-urlencoded", ""):
        raise RequestError(415, f"/v2/check takes a form (application/x-www-form-urlencoded"
                                f" with text= or data= and language=), not {kind}")
    params: Dict[str, str] = {}
    for source, what in ((query, "the query string"), (decode_utf8(raw), "the form")):
        try:
            pairs = urllib.parse.parse_qsl(source, keep_blank_values=True, errors="strict",
                                           max_num_fields=len(CHECK_PARAMETERS))
        except UnicodeDecodeError as error:
            raise RequestError(400, f"{what} is not UTF-8 once %-decoded: byte 0x"
                                    f"{error.object[error.start]:02x}") from None
        except ValueError:
            raise RequestError(400, f"{what} has too many fields "
                                    f"(at most {len(CHECK_PARAMETERS)})") from None
        for name, value in pairs:
            if name not in CHECK_PARAMETERS:
                raise RequestError(400, f"unknown parameter {name!r}: /v2/check takes "
                                        "LanguageTool's (text or data, language, ...)",
                                   field=name)
            if name in params:
                raise RequestError(400, f"parameter {name!r} given twice", field=name)
            params[name] = value
    return params


def check_text(params: Dict[str, str]) -> Tuple[str, List[int]]:
    """The text to check and, for each of its characters, its position in what the client
    sent (``data``'s markup is left out, its ``interpretAs`` checked in its place)."""
    if ("text" in params) == ("data" in params):
        raise RequestError(400, "give one of the parameters 'text' or 'data'")
    if "text" in params:
        return params["text"], list(range(len(params["text"]) + 1))
    try:
        data = json.loads(params["data"])
    except RecursionError:
        raise RequestError(400, "'data': invalid JSON: nested too deep") from None
    except ValueError as error:
        raise RequestError(400, f"'data': invalid JSON: {error}") from None
    parts = data.get("annotation") if isinstance(data, dict) else None
    if not isinstance(parts, list):
        raise RequestError(400, "'data' must be {\"annotation\": [{\"text\": ...} or "
                                "{\"markup\": ..., \"interpretAs\": ...}, ...]}")
    text, where, at = [], [], 0
    for i, part in enumerate(parts):
        if not isinstance(part, dict) or not (("text" in part) ^ ("markup" in part)):
            raise RequestError(400, f"'data' annotation[{i}]: give \"text\" or \"markup\"",
                               item=i)
        for name, value in part.items():
            if name not in ("text", "markup", "interpretAs") or not isinstance(value, str):
                raise RequestError(400, f"'data' annotation[{i}]: {name!r} must be a "
                                        "string field text, markup or interpretAs", item=i)
        if "text" in part:
            text.append(part["text"])
            where += range(at, at + len(part["text"]))
            at += len(part["text"])
        else:
            shown = part.get("interpretAs", "")
            text.append(shown)
            where += [at] * len(shown)
            at += len(part["markup"])
    where.append(at)
    return "".join(text), where


def language(params: Dict[str, str], served: str) -> str:
    """The ``language`` asked for, which must be the served one (or its base, or auto)."""
    asked = params.get("language")
    if asked is None:
        raise RequestError(400, "missing parameter 'language' (this server checks "
                                f"{served})")
    base = served.split("-")[0].lower()
    if asked.lower() not in (served.lower(), base, "auto") and \
            not asked.lower().startswith(base + "-"):
        raise RequestError(400, f"language {asked!r} is not served: this server checks "
                                f"{served}", field="language")
    return served
