"""LanguageTool's HTTP API (``GET /v2/languages``, ``POST /v2/check``) in its JSON shape,
so that its clients (``language_tool_python``, the browser extensions, LTeX) take a GEC
model's edits as LanguageTool's matches.

Each edit (:class:`preprocess.texttools.edits.Edit`) is one match: its type gives the rule
(``SEQ2SEQ_<TYPE>``), the category and the issue type (:data:`RULES`); the replacement is
the model's. Offsets and lengths are counted in UTF-16 code units, as LanguageTool (Java)
counts them and its clients expect: a character outside the Basic Multilingual Plane
(an emoji) counts two.
"""
from typing import Dict, List, NamedTuple, Optional, Sequence

from preprocess.texttools import edits as E

#: what the ``software`` field says: the API version is LanguageTool's
SOFTWARE = {"name": "fairseq_plugins.serve", "version": "6.4", "buildDate": None,
            "apiVersion": 1, "premium": False, "status": ""}
#: language names of the codes a GEC model is likely to serve
NAMES = {"en": "English", "en-US": "English (US)", "en-GB": "English (GB)",
         "de": "German", "de-DE": "German (Germany)", "fr": "French", "es": "Spanish",
         "cs": "Czech", "ru": "Russian", "uk": "Ukrainian"}
CONTEXT = 40   # characters of context each side, as LanguageTool gives


class Rule(NamedTuple):
    id: str
    description: str
    issue_type: str
    category: str
    category_name: str
    message: str


RULES: Dict[str, Rule] = {
    E.SPELLING: Rule("SEQ2SEQ_SPELLING", "Spelling (model)", "misspelling", "TYPOS",
                     "Possible Typo", "Possible spelling mistake found."),
    E.PUNCTUATION: Rule("SEQ2SEQ_PUNCTUATION", "Punctuation (model)", "typographical",
                        "PUNCTUATION", "Punctuation", "Punctuation seems wrong here."),
    E.CASE: Rule("SEQ2SEQ_CASE", "Capitalization (model)", "typographical", "CASING",
                 "Capitalization", "Capitalization seems wrong here."),
    E.WORD_ORDER: Rule("SEQ2SEQ_WORD_ORDER", "Word order (model)", "grammar", "GRAMMAR",
                       "Grammar", "The word order seems wrong here."),
    E.MISSING: Rule("SEQ2SEQ_MISSING_WORD", "Missing word (model)", "grammar", "GRAMMAR",
                    "Grammar", "A word seems to be missing here."),
    E.UNNECESSARY: Rule("SEQ2SEQ_UNNECESSARY_WORD", "Unnecessary word (model)", "grammar",
                        "GRAMMAR", "Grammar", "This word seems unnecessary."),
    E.REPLACED: Rule("SEQ2SEQ_REPLACED_WORD", "Word choice (model)", "grammar", "GRAMMAR",
                     "Grammar", "Another word seems to fit better here."),
    E.MORPHOLOGY: Rule("SEQ2SEQ_WORD_FORM", "Word form (model)", "grammar", "GRAMMAR",
                       "Grammar", "Another form of the word seems to fit better here."),
}


def name(code: str) -> str:
    return NAMES.get(code, NAMES.get(code.split("-")[0], code))


def languages(served: str) -> List[dict]:
    """``/v2/languages``: the one language served (its base code and long code)."""
    return [{"name": name(served), "code": served.split("-")[0], "longCode": served}]


def utf16(text: str, index: int) -> int:
    """The UTF-16 offset of the character at ``index`` of ``text``."""
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


class Filters(NamedTuple):
    """LanguageTool's rule and category choices of a request."""
    enabled_rules: frozenset
    disabled_rules: frozenset
    enabled_categories: frozenset
    disabled_categories: frozenset
    enabled_only: bool

    def keep(self, rule: Rule) -> bool:
        if self.enabled_only:
            return rule.id in self.enabled_rules or rule.category in self.enabled_categories
        return rule.id not in self.disabled_rules and \
            rule.category not in self.disabled_categories


def filters(params: Dict[str, str]) -> Filters:
    def ids(name):
        return frozenset(x.strip() for x in params.get(name, "").split(",") if x.strip())

    return Filters(ids("enabledRules"), ids("disabledRules"), ids("enabledCategories"),
                   ids("disabledCategories"), params.get("enabledOnly", "false") == "true")


def match(sent: str, text: str, edit: E.Edit, sentence: str, where: Sequence[int]) -> dict:
    """One LanguageTool match of ``edit`` (offsets in ``text``, the text checked); ``sent``
    is what the client sent and ``where`` maps each checked character to it."""
    rule = RULES[edit.type]
    start, end = edit.offset, edit.offset + edit.length
    sent_start = where[start]
    sent_end = where[end - 1] + 1 if end > start else sent_start
    left = max(0, sent_start - CONTEXT)
    right = min(len(sent), sent_end + CONTEXT)
    context = sent[left:right]
    offset = utf16(sent, sent_start)
    return {
        "message": rule.message,
        "shortMessage": rule.description.replace(" (model)", ""),
        "replacements": [{"value": edit.replacement}],
        "offset": offset,
        "length": utf16(sent, sent_end) - offset,
        "context": {"text": context, "offset": utf16(context, sent_start - left),
                    "length": utf16(sent, sent_end) - offset},
        "sentence": sentence,
        "type": {"typeName": "UnknownWord" if edit.type == E.SPELLING else "Other"},
        "rule": {"id": rule.id, "description": rule.description,
                 "issueType": rule.issue_type,
                 "category": {"id": rule.category, "name": rule.category_name}},
        "ignoreForIncompleteSentence": False,
        "contextForSureMatch": 0,
    }


def check_answer(sent: str, text: str, where: Sequence[int], corrected: E.Corrected,
                 served: str, keep: Optional[Filters] = None) -> dict:
    """``/v2/check``'s answer: a match an edit of ``corrected`` (of ``text``)."""
    sentence_of = []
    for start, end, _ in corrected.sentences:
        sentence_of.append((start, end, text[start:end]))
    matches = []
    for edit in corrected.edits:
        if keep is not None and not keep.keep(RULES[edit.type]):
            continue
        sentence = next((s for a, b, s in sentence_of if a <= edit.offset < b), "")
        matches.append(match(sent, text, edit, sentence, where))
    return {"software": SOFTWARE, "warnings": {"incompleteResults": False},
            "language": {"name": name(served), "code": served,
                         "detectedLanguage": {"name": name(served), "code": served,
                                              "confidence": 1.0, "source": "served"}},
            "matches": matches, "sentenceRanges": [
                [utf16(sent, where[a]), utf16(sent, where[b - 1] + 1)]
                for a, b, _ in sentence_of]}
