"""The corrector where people write, on a tiny GEC model (``gec_model``: it corrects its
template corpus): the API's edits, the server's ``/correct`` with edits, LanguageTool's
``/v2/check`` and ``/v2/languages`` (with the real ``language_tool_python`` client where
it is installed), per-request options, and a fuzz of bad inputs that must each get a
one-line 4xx naming the item, never a 5xx, with the server serving on.

The server is a real ``python -m fairseq_plugins.serve`` process on a free port.
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import urllib.parse

import pytest

from integration.test_serve import get, request, server
from support import REPO

from preprocess.texttools import edits as E

TEXT = "she have two big cat. He have three red cars\n\nTom has many new books"
SENTENCES = ["she have two big cat.", "anna has three old bike", "He have many new books ."]


@pytest.fixture(scope="module")
def api(gec_model):
    from fairseq_plugins.api import load

    data, checkpoint = gec_model
    return load(checkpoint, data, beam=2)


@pytest.fixture(scope="module")
def served(gec_model):
    data, checkpoint = gec_model
    with server(checkpoint, data, "--beam", "2", "--max-beam", "4", "--max-nbest", "3",
                "--allow-fast-decoding", "none,lean,rnn-beam", "--max-request-sentences", "6",
                "--max-chars", "200", "--max-body-bytes", "300000",
                "--batch-wait-ms", "30") as (url, proc):
        yield url, proc


def post_json(url, path, body):
    return request(url + path, json.dumps(body).encode())


def post_form(url, params, content_type="application/x-www-form-urlencoded"):
    data = params if isinstance(params, bytes) else urllib.parse.urlencode(params).encode()
    req = urllib.request.Request(url + "/v2/check", data=data, method="POST",
                                 headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_api_corrects_a_paragraph_into_edits_of_the_users_text(api):
    [out] = api.correct([TEXT], edits=True)
    assert out.text == E.apply_edits(TEXT, out.edits)
    assert "\n\n" in out.text and out.text.startswith("She has")   # the model corrects
    for edit in out.edits:
        assert TEXT[edit.offset:edit.offset + edit.length] == edit.original
        assert edit.type in E.TYPES
    assert (0, 3, "She", "she", E.CASE) == tuple(out.edits[0])
    # each sentence is the API's own correction of it
    assert [c for _, _, c in out.sentences] == api.correct(
        [TEXT[s:e] for s, e, _ in out.sentences])
    assert api.correct(["Tom has two new books."], edits=True)[0].edits == []
    from fairseq_plugins.api import BadSentence

    with pytest.raises(BadSentence, match=r"sentence 1: sentence 2: not text: a lone"):
        api.correct(["Fine.", "Fine. Not \ud800 fine."], edits=True)


def test_api_is_quiet_by_default_and_logging_still_configurable(gec_model):
    data, checkpoint = gec_model
    code = ("import logging, sys\n"
            "from fairseq_plugins.api import load\n"
            f"m = load({str(checkpoint)!r}, {str(data)!r}, beam=2)\n"
            "m.correct(['she have two cat .'])\n"
            "print('QUIET', m.describe()['checkpoint'], m.describe()['data'], flush=True)\n"
            "logging.basicConfig(level=logging.INFO, stream=sys.stdout)\n"
            f"load({str(checkpoint)!r}, {str(data)!r}).correct(['she have two cat .'])\n")
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr == ""                                  # no INFO lines, no warning
    quiet, configured = proc.stdout.split("QUIET", 1)[1].split("\n", 1)
    assert quiet.split() == ["checkpoint_last.pt", "bin"]     # no path of the machine
    assert "INFO:fairseq" in configured                       # the caller's logging works
    assert "creating new batches" not in configured           # not fairseq's batch lines


def test_correct_with_edits_and_model_without_machine_paths(served, api):
    url, _ = served
    status, _, body = post_json(url, "/correct", {"src": [TEXT, "Tom has two new books."],
                                                  "edits": True})
    assert status == 200, body
    [ours, clean] = api.correct([TEXT, "Tom has two new books."], edits=True)
    first = body["corrections"][0]
    assert first["text"] == ours.text
    assert [tuple(e.values()) for e in first["edits"]] == [tuple(e) for e in ours.edits]
    assert [(s["offset"], s["length"]) for s in first["sentences"]] == [
        (s, e - s) for s, e, _ in ours.sentences]
    assert body["corrections"][1]["edits"] == [] and clean.edits == []
    status, _, info = get(url + "/model")
    assert status == 200 and info["checkpoint"] == "checkpoint_last.pt"
    assert info["data"] == "bin" and str(REPO) not in json.dumps(info)
    assert not any(isinstance(v, str) and v.startswith("/") for v in info["model"].values())


def test_languagetool_check_and_languages(served, api):
    url, _ = served
    status, _, langs = get(url + "/v2/languages")
    assert status == 200 and langs == [{"name": "English (US)", "code": "en",
                                        "longCode": "en-US"}]
    text = "Wow \U0001F600! " + TEXT   # a character outside the BMP: UTF-16 offsets after it
    status, answer = post_form(url, {"text": text, "language": "en-US"})
    assert status == 200, answer
    [ours] = api.correct([text], edits=True)
    matches = answer["matches"]
    assert len(matches) == len(ours.edits) > 0
    assert any(edit.offset > len("Wow \U0001F600") for edit in ours.edits)
    for m, edit in zip(matches, ours.edits):
        assert m["offset"] == len(text[:edit.offset].encode("utf-16-le")) // 2
        assert m["length"] == len(edit.original.encode("utf-16-le")) // 2
        assert m["replacements"] == [{"value": edit.replacement}]
        assert m["rule"]["category"]["id"] and m["rule"]["issueType"] and m["message"]
        ctx = m["context"]
        units = ctx["text"].encode("utf-16-le")   # LanguageTool counts UTF-16 code units
        assert units[2 * ctx["offset"]:2 * (ctx["offset"] + ctx["length"])].decode(
            "utf-16-le") == edit.original
        assert edit.original.strip() in m["sentence"] or not m["sentence"]
    assert answer["language"]["code"] == "en-US" and answer["software"]["apiVersion"] == 1
    # LanguageTool's rule and category choices
    status, some = post_form(url, {"text": TEXT, "language": "en",
                                   "disabledCategories": "CASING"})
    assert all(m["rule"]["category"]["id"] != "CASING" for m in some["matches"])
    assert len(some["matches"]) < len(matches)
    # data= with markup: offsets count the markup, which is not checked
    data = {"annotation": [{"text": "she have a cat. "}, {"markup": "<b>"},
                           {"text": "He have two cars."}]}
    status, marked = post_form(url, {"data": json.dumps(data), "language": "en-US"})
    sent = "she have a cat. <b>He have two cars."
    assert status == 200, marked
    assert all(sent[m["offset"]:m["offset"] + m["length"]] and "<b>" not in
               sent[m["offset"]:m["offset"] + m["length"]] for m in marked["matches"])
    assert any(m["offset"] >= len("she have a cat. <b>") for m in marked["matches"])


def test_language_tool_python_in_remote_mode_gets_the_models_edits(served, api, monkeypatch):
    ltp = pytest.importorskip("language_tool_python",
                              reason="language_tool_python not installed")
    from language_tool_python.utils import correct

    import language_tool_python.download_lt as lt_download
    import language_tool_python.server as lt_server

    def no_download(*args, **kwargs):
        raise AssertionError("the client tried to start or download LanguageTool")

    # every way the client has to fetch or start a LanguageTool of its own fails the test
    patched = 0
    for owner, names in ((lt_download, ("http_get", "download_zip", "download_lt")),
                         (getattr(lt_download, "LocalLanguageTool", None), ("download",)),
                         (lt_server.LanguageTool, ("_start_local_server",
                                                   "_start_server_on_free_port"))):
        for name in names:
            if owner is not None and hasattr(owner, name):
                monkeypatch.setattr(owner, name, no_download)
                patched += 1
    assert patched, "language_tool_python changed: no download function found to guard"
    url, _ = served
    tool = ltp.LanguageTool("en-US", remote_server=url)
    try:
        matches = tool.check(TEXT)
        [ours] = api.correct([TEXT], edits=True)
        assert [(m.offset, m.error_length, m.replacements) for m in matches] == [
            (e.offset, e.length, [e.replacement]) for e in ours.edits]
        assert correct(TEXT, matches) == ours.text != TEXT
        assert {m.rule_id for m in matches} <= {"SEQ2SEQ_CASE", "SEQ2SEQ_WORD_FORM",
                                                "SEQ2SEQ_PUNCTUATION", "SEQ2SEQ_SPELLING",
                                                "SEQ2SEQ_MISSING_WORD", "SEQ2SEQ_WORD_ORDER",
                                                "SEQ2SEQ_UNNECESSARY_WORD",
                                                "SEQ2SEQ_REPLACED_WORD"}
    finally:
        tool.close()


def test_per_request_options_are_decoded_as_the_api_and_batched_with_their_like(served, api):
    url, _ = served
    asks = [{}, {"beam": 4, "n_best": 3}, {"beam": 1}, {"alignments": True},
            {"fast_decoding": "lean"}, {"fast_decoding": "rnn-beam"}] * 3
    with concurrent.futures.ThreadPoolExecutor(15) as pool:
        answers = list(pool.map(lambda ask: post_json(url, "/correct",
                                                      {"src": SENTENCES, **ask}), asks))
    assert [a[0] for a in answers] == [200] * len(asks), answers
    for ask, (_, _, body) in zip(asks, answers):
        options = {k: v for k, v in ask.items() if k in ("beam", "fast_decoding")}
        hypos = api.hypotheses(SENTENCES, n_best=ask.get("n_best", 1),
                               alignments=ask.get("alignments", False), **options)
        got = body["corrections"]
        assert [r["text"] for r in got] == [h[0].text for h in hypos], ask
        assert [r["score"] for r in got] == pytest.approx([h[0].score for h in hypos],
                                                          abs=1e-4)
        if "n_best" in ask:
            assert [[x["text"] for x in r["n_best"]] for r in got] == [
                [h.text for h in one] for one in hypos]
        else:
            assert all("n_best" not in r for r in got)
        assert all(("alignment" in r) == bool(ask.get("alignments")) for r in got)
    status, _, health = get(url + "/health")
    assert health["batches"] < len(asks)   # like requests shared batches


BIG = "x" * 201
DEEP = b"[" * 100_000 + b"]" * 100_000
JSON_BAD = [
    # (body bytes, status, fragment of the error, item or field)
    (b'{"src": ["she have", ', 400, "invalid JSON", None),
    (b'', 400, "invalid JSON", None),
    (b'{"src": ["caf\xe9"]}', 400, "not UTF-8: byte 0xe9", None),
    ('{"src": ["a cat"]}'.encode("utf-16"), 400, "not UTF-8", None),
    (b'"src"', 400, '{"src": [sentences]}', None),
    (b'["she have"]', 400, '{"src": [sentences]}', None),
    (b'{"src": "she have"}', 400, "must be a list of strings, not str", None),
    (b'{"src": []}', 400, '"src" is empty', None),
    (json.dumps({"src": ["a"] * 7}).encode(), 413, "at most 6 a request", None),
    (json.dumps({"src": ["a cat", 3]}).encode(), 422, "src[1]: not a string (int)", 1),
    (json.dumps({"src": [None]}).encode(), 422, "src[0]: not a string (NoneType)", 0),
    (json.dumps({"src": ["a", ["nested"]]}).encode(), 422, "src[1]: not a string (list)", 1),
    (json.dumps({"src": ["a", {"x": 1}]}).encode(), 422, "src[1]: not a string (dict)", 1),
    (json.dumps({"src": ["", "a cat"]}).encode(), 422, "src[0]: empty line", 0),
    (json.dumps({"src": ["a cat", " \t "]}).encode(), 422, "src[1]: empty line", 1),
    (json.dumps({"src": ["a cat", BIG]}).encode(), 422, "src[1]: line too long", 1),
    (b'{"src": ["\\ud800"]}', 422, "src[0]: not text: a lone surrogate U+D800", 0),
    (b'{"src": ["a", "x \\udcff"]}', 422, "src[1]: not valid UTF-8", 1),
    (b'{"src": ["a", "x \\udfff"]}', 422, "src[1]: not text: a lone surrogate U+DFFF", 1),
    (b'{"src": ["a \\udc00 b"]}', 422, "a lone surrogate U+DC00", 0),
    (b'{"src": ["a\\u0000b"]}', 422, "src[0]: not text: control character U+0000", 0),
    (b'{"src": ["a \\u001b[31m red"]}', 422, "control character U+001B", 0),
    (DEEP, 400, "invalid JSON: nested too deep", None),
    (b'{"src": [' + b'[' * 50_000 + b']' * 50_000 + b']}', 400, "nested too deep", None),
    (b'{"src": [NaN]}', 400, "NaN is not JSON", None),
    (json.dumps({"src": ["a"], "beam": 1, "n_best": 3}).encode(), 422,
     '"n_best" is 3, over the beam 1', "n_best"),
    (json.dumps({"src": ["a"], "nbest": 2}).encode(), 422, 'unknown field "nbest"', "nbest"),
    (json.dumps({"src": ["a"], "beam": 0}).encode(), 422, '"beam" is 0: from 1 to 4', "beam"),
    (json.dumps({"src": ["a"], "beam": 9}).encode(), 422, "(--max-beam)", "beam"),
    (json.dumps({"src": ["a"], "beam": "2"}).encode(), 422, "must be an integer, not str",
     "beam"),
    (json.dumps({"src": ["a"], "beam": True}).encode(), 422, "integer, not bool", "beam"),
    (json.dumps({"src": ["a"], "beam": 2.0}).encode(), 422, "integer, not float", "beam"),
    (json.dumps({"src": ["a"], "n_best": 4, "beam": 4}).encode(), 422, "(--max-nbest)",
     "n_best"),
    (json.dumps({"src": ["a"], "alignments": "yes"}).encode(), 422,
     '"alignments" must be true or false', "alignments"),
    (json.dumps({"src": ["a"], "fast_decoding": "int8"}).encode(), 422,
     "(--allow-fast-decoding)", "fast_decoding"),
    (json.dumps({"src": ["a"], "fast_decoding": ["lean"]}).encode(), 422,
     '"fast_decoding" \'list\'', "fast_decoding"),
    (json.dumps({"src": ["a"], "alignments": True, "fast_decoding": "rnn-beam"}).encode(), 422,
     "that search gives no alignments", "alignments"),
    (json.dumps({"src": ["a"], "edits": 1}).encode(), 422, '"edits" must be true or false',
     "edits"),
    (json.dumps({"src": ["a"], "edits": True, "n_best": 2}).encode(), 422,
     "best correction only", "edits"),
    (json.dumps({"src": ["a"], "edits": True, "alignments": True}).encode(), 422,
     "gives no alignments", "edits"),
    (json.dumps({"src": ["Fine. Not \ud800 fine."], "edits": True}).encode(), 422,
     "src[0]: sentence 2: not text: a lone surrogate", 0),
    (json.dumps({"src": [" ok. " * 4]}).encode(), 200, None, None),   # not bad: a control
    (json.dumps({"src": [" ".join(["It is."] * 7)], "edits": True}).encode(), 413,
     "the text has 7 sentences, at most 6", None),
    (b'{"src": ["' + b"a" * 300_001 + b'"]}', 413, "body over 300000 bytes", None),
]

FORM_BAD = [
    # (form body, content type, status, fragment, item or field)
    ({"text": "she have a cat."}, None, 400, "missing parameter 'language'", None),
    ({"text": "she have a cat.", "language": "de-DE"}, None, 400,
     "language 'de-DE' is not served", "language"),
    ({"language": "en-US"}, None, 400, "one of the parameters 'text' or 'data'", None),
    ({"text": "a", "data": "{}", "language": "en"}, None, 400, "one of the parameters", None),
    ({"text": "a", "language": "en", "lang": "en"}, None, 400, "unknown parameter 'lang'",
     "lang"),
    (b"text=a&text=b&language=en", None, 400, "parameter 'text' given twice", "text"),
    (b'{"text": "a", "language": "en"}', "application/json", 415,
     "takes a form", None),
    (b"text=a", "multipart/form-data; boundary=x", 415, "not multipart/form-data", None),
    (b"text=caf%E9&language=en", None, 400, "not UTF-8 once %-decoded: byte 0xe9", None),
    (b"text=%ED%A0%80&language=en", None, 400, "not UTF-8 once %-decoded", None),
    (b"text=caf\xe9&language=en", None, 400, "the body is not UTF-8", None),
    ({"data": "{not json", "language": "en"}, None, 400, "'data': invalid JSON", None),
    ({"data": "[" * 60_000, "language": "en"}, None, 400, "nested too deep", None),
    ({"data": '{"text": "a"}', "language": "en"}, None, 400, '{"annotation": [', None),
    ({"data": '{"annotation": [{"text": 3}]}', "language": "en"}, None, 400,
     "annotation[0]: 'text' must be a string", 0),
    ({"data": '{"annotation": [{"text": "a", "markup": "b"}]}', "language": "en"}, None,
     400, 'annotation[0]: give "text" or "markup"', 0),
    ({"text": "A cat. " + BIG, "language": "en"}, None, 422,
     "text: sentence 2: line too long", "text"),
    ({"text": "A cat.\x00 Fine.", "language": "en"}, None, 422, "control character U+0000",
     "text"),
    ({"text": " ".join(["It is."] * 7), "language": "en"}, None, 413, "at most 6", None),
    (b"&".join([b"enabledRules=a"] * 30), None, 400, "too many fields", None),
]


def assert_one_line(status, answer, expected_status, fragment, where):
    assert status == expected_status, answer
    if status == 200:
        return
    assert set(answer) <= {"error", "item", "field"}, answer
    assert fragment in answer["error"] and "\n" not in answer["error"], answer
    if isinstance(where, int):
        assert answer.get("item") == where, answer
    elif where is not None:
        assert answer.get("field") == where and where in answer["error"], answer


@pytest.mark.parametrize("body,status,fragment,where", JSON_BAD,
                         ids=[f"json{i}-{s}" for i, (_, s, _, _) in enumerate(JSON_BAD)])
def test_bad_json_is_a_one_line_4xx_naming_the_item(served, body, status, fragment, where):
    url, proc = served
    got, _, answer = request(url + "/correct", body)
    assert_one_line(got, answer, status, fragment, where)
    assert post_json(url, "/correct", {"src": SENTENCES[:1]})[0] == 200


@pytest.mark.parametrize("body,kind,status,fragment,where", FORM_BAD,
                         ids=[f"form{i}-{s}" for i, (_, _, s, _, _) in enumerate(FORM_BAD)])
def test_bad_check_is_a_one_line_4xx_naming_the_item(served, body, kind, status, fragment,
                                                     where):
    url, _ = served
    got, answer = post_form(url, body, kind or "application/x-www-form-urlencoded")
    assert_one_line(got, answer, status, fragment, where)
    assert post_form(url, {"text": "she have a cat.", "language": "en-US"})[0] == 200


def test_methods_and_paths_that_do_not_exist_are_one_line_4xx(served):
    url, proc = served
    for path, method, status in (("/correct", "GET", 405), ("/v2/check", "PUT", 405),
                                 ("/nothing", "GET", 404), ("/translate", "POST", 404)):
        got, _, answer = request(url + path, b"{}" if method != "GET" else None,
                                 method=method)
        assert got == status and "\n" not in answer["error"], (path, answer)
    assert proc.poll() is None


def test_the_web_page_underlines_each_edit_and_accepts_them(served, api, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, _ = served
    wait = WebDriverWait(browser, 30)
    browser.get(url + "/")
    wait.until(lambda d: "gec model" in d.find_element(By.ID, "model").text)
    box = browser.find_element(By.ID, "text")
    box.send_keys(TEXT)
    assert box.get_property("value") == TEXT
    browser.find_element(By.ID, "check").click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#result .edit"))
    [ours] = api.correct([TEXT], edits=True)
    spans = browser.find_elements(By.CSS_SELECTOR, "#result .edit")
    assert [s.text for s in spans] == [e.original.strip() for e in ours.edits]
    fixes = browser.find_elements(By.CSS_SELECTOR, "#result .fix")
    assert [f.text for f in fixes] == [e.replacement or "\u2205" for e in ours.edits]
    if os.environ.get("SERVE_PAGE_SCREENSHOT"):   # docs/serve-page.png
        browser.save_screenshot(os.environ["SERVE_PAGE_SCREENSHOT"])
    # accept the first edit alone, then all the others
    browser.find_elements(By.CSS_SELECTOR, "#edits .accept")[0].click()
    assert box.get_property("value") == E.apply_edits(TEXT, ours.edits[:1])
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result .edit")) == len(ours.edits) - 1
    browser.find_element(By.ID, "accept-all").click()
    assert box.get_property("value") == ours.text
    assert browser.find_elements(By.CSS_SELECTOR, "#result .edit") == []
    assert "all edits accepted" in browser.find_element(By.ID, "status").text


def test_load_refuses_an_unknown_option_and_adds_a_task_option_older_checkpoints_lack(
        gec_model, tmp_path):
    """fairseq's overrides set only the keys a checkpoint's saved configuration has: a
    misspelt option, or the gec task's ``spelling`` on a checkpoint saved before it
    existed, would be dropped without a word."""
    import torch

    from fairseq_plugins.api import load
    from preprocess.texttools.errors import InputError

    data, checkpoint = gec_model
    with pytest.raises(InputError, match="unknown option no_such_option"):
        load(checkpoint, data, no_such_option=1)
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    del state["cfg"]["task"]["spelling"]   # as saved before the option existed
    older = tmp_path / "checkpoint_older.pt"
    torch.save(state, older)
    assert load(older, data).task.cfg.spelling is False
    assert load(older, data, spelling=True).task.cfg.spelling is True
    assert load(older, data, spelling=True).correct(["I has a apple."]) == \
        load(checkpoint, data, spelling=True).correct(["I has a apple."])
