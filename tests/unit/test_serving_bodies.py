"""fairseq_plugins.serving: request bodies read by hand (one-line refusals naming the
field) and LanguageTool's answer shape, on hand-written edits (no model, no server)."""
import json

import pytest

from fairseq_plugins.serving import bodies, languagetool
from fairseq_plugins.serving.bodies import RequestError
from preprocess.texttools import edits as E

DEFAULTS = bodies.Options(2, 1, False, "none")
LIMITS = bodies.Limits(4, 3, ("none", "lean"), 6)


def refused(call, *args):
    with pytest.raises(RequestError) as caught:
        call(*args)
    assert "\n" not in caught.value.message
    return caught.value


def test_json_options_default_and_stay_within_the_limits():
    body = bodies.parse_json_body(b'{"src": ["a"], "beam": 4, "n_best": 3}', DEFAULTS,
                                  LIMITS, gec=True)
    assert body == bodies.JsonRequest(["a"], bodies.Options(4, 3, False, "none"), False)
    assert bodies.parse_json_body(b'{"src": ["a"]}', DEFAULTS, LIMITS, gec=False).options \
        == DEFAULTS
    for raw, status, field in ((b'{"src": ["a"], "beam": 5}', 422, "beam"),
                               (b'{"src": ["a"], "beam": 1, "n_best": 3}', 422, "n_best"),
                               (b'{"src": ["a"], "fast_decoding": "int8"}', 422,
                                "fast_decoding"),
                               (b'{"src": ["a"], "extra": 1}', 422, "extra")):
        error = refused(bodies.parse_json_body, raw, DEFAULTS, LIMITS, True)
        assert (error.status, error.field) == (status, field)
    # the RNN's own beam search gives no alignments: refused, not a failed decoding
    rnn_beam = LIMITS._replace(fast_modes=("none", "rnn-beam"))
    error = refused(bodies.parse_json_body, b'{"src": ["a"], "alignments": true, '
                    b'"fast_decoding": "rnn-beam"}', DEFAULTS, rnn_beam, True)
    assert (error.status, error.field) == (422, "alignments")
    # edits are a gec field: a translation body that has them names the field
    assert refused(bodies.parse_json_body, b'{"src": ["a"], "edits": true}', DEFAULTS,
                   LIMITS, False).field == "edits"
    assert refused(bodies.load_json, b"[" * 100_000).message == "invalid JSON: nested too deep"


def test_forms_text_data_and_language():
    params = bodies.parse_form(b"text=she+have&language=en-US", "level=picky",
                               "application/x-www-form-urlencoded; charset=UTF-8")
    assert params == {"text": "she have", "language": "en-US", "level": "picky"}
    assert bodies.check_text(params) == ("she have", list(range(9)))
    data = json.dumps({"annotation": [{"text": "a "}, {"markup": "<br/>", "interpretAs": "\n"},
                                      {"text": "b"}]})
    text, where = bodies.check_text({"data": data})
    assert text == "a \nb" and where == [0, 1, 2, 7, 8]
    assert bodies.language({"language": "en-GB"}, "en-US") == "en-US"
    assert refused(bodies.language, {"language": "fr"}, "en-US").field == "language"
    assert refused(bodies.parse_form, b"text=a", "text=b", "").field == "text"


def test_languagetool_matches_count_utf16_and_follow_the_rule_choices():
    text = "\U0001F600 she have"
    corrected = E.correct_text(text, lambda s: ["\U0001F600 She has"])
    answer = languagetool.check_answer(text, text, list(range(len(text) + 1)), corrected,
                                       "en-US")
    assert [(m["offset"], m["length"], m["rule"]["id"]) for m in answer["matches"]] == [
        (3, 3, "SEQ2SEQ_CASE"), (7, 4, "SEQ2SEQ_WORD_FORM")]
    assert answer["matches"][0]["context"] == {"text": text, "offset": 3, "length": 3}
    assert answer["sentenceRanges"] == [[0, 11]]
    keep = languagetool.filters({"disabledCategories": "CASING"})
    assert [m["rule"]["id"] for m in languagetool.check_answer(
        text, text, list(range(len(text) + 1)), corrected, "en-US", keep)["matches"]] == [
        "SEQ2SEQ_WORD_FORM"]
    only = languagetool.filters({"enabledRules": "SEQ2SEQ_CASE", "enabledOnly": "true"})
    assert not only.keep(languagetool.RULES[E.MORPHOLOGY]) and only.keep(
        languagetool.RULES[E.CASE])
    assert set(languagetool.RULES) == set(E.TYPES)
