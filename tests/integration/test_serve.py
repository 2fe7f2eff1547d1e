"""The Python API (fairseq_plugins.api) and the server (python -m fairseq_plugins.serve)
on a tiny trained checkpoint: the same outputs as fairseq-generate, concurrent clients,
every class of bad input, a full queue, SIGTERM with requests in flight.

The server runs as a real process on a free port of 127.0.0.1; the clients are urllib in
threads. The checkpoint is one update of a model initialised at scale 1.0: a tiny model
trained longer says the same few words whatever the source, and a comparison with
fairseq-generate could not tell one sentence's output from another's. Decoding stops
after 8 tokens (``--max-len-b 8``) except where a test needs slow decoding.
"""
import concurrent.futures
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest

from support import PLUGIN_DIR, REPO, cli, run, small_test_bin, train_cmd

N = 24   # test sentences compared with fairseq-generate
GEN = ["--beam", "5", "--max-len-b", "8"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(checkpoint, data, *options, startup=120):
    """A running ``python -m fairseq_plugins.serve``: yields (base URL, Popen)."""
    port = free_port()
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "fairseq_plugins.serve", "--path", str(checkpoint), str(data),
         "--port", str(port), "--log-level", "warning", *options],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited ({proc.returncode}):\n{proc.stdout.read()[-4000:]}")
            try:
                if get(url + "/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not answer /health")
            time.sleep(0.2)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()


def request(url, body: bytes, timeout=60, method="POST"):
    """(status, headers, JSON body) of one request; HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def get(url):
    return request(url, None, timeout=5, method="GET")


def post(url, src):
    return request(url + "/translate", json.dumps({"src": src}).encode())


@pytest.fixture(scope="module")
def model(m30k_spm, tmp_path_factory):
    """(prepared data folder, checkpoint) whose outputs differ from sentence to sentence."""
    save = tmp_path_factory.mktemp("serve_checkpoint")
    run(train_cmd(m30k_spm / "bin", save, updates=1, extra=["--init-scale", "1.0"]))
    return m30k_spm, save / "checkpoint_last.pt"


@pytest.fixture(scope="module")
def generated(model):
    """fairseq-generate's (text, score in nats) for the first N test sentences, and their
    raw source lines."""
    data, checkpoint = model
    test_bin = small_test_bin(data, n=N)
    proc = run([cli("fairseq-generate"), test_bin, "--user-dir", PLUGIN_DIR, "--path",
                checkpoint, "--gen-subset", "test", *GEN, "--batch-size", "7",
                "--bpe", "sentencepiece", "--sentencepiece-model", data / "spm" / "joint.model"])
    out = {}
    for line in proc.stdout.splitlines():
        if line.startswith("D-"):
            key, score, text = line.split("\t")
            out[int(key[2:])] = (text, float(score) * math.log(2))   # generate: base 2
    sources = (data / "raw" / "test.de").read_text(encoding="utf-8").splitlines()[:N]
    assert sorted(out) == list(range(N))
    assert len({text for text, _ in out.values()}) > N // 2   # outputs tell sentences apart
    return sources, [out[i] for i in range(N)]


def assert_same(got, expected):
    """Texts equal, scores (nats) within rounding of generate's print."""
    for i, ((text, score), (ref_text, ref_score)) in enumerate(zip(got, expected)):
        assert text == ref_text, (i, text, ref_text)
        assert score == pytest.approx(ref_score, abs=1e-4), (i, score, ref_score)
    assert len(got) == len(expected)


@pytest.fixture(scope="module")
def api_model(model):
    from fairseq_plugins.api import load

    data, checkpoint = model
    return load(checkpoint, data / "bin", beam=5, max_len_b=8)


def test_api_translates_as_generate(api_model, generated):
    sources, expected = generated
    best = api_model.hypotheses(sources)
    assert_same([(one[0].text, one[0].score) for one in best], expected)
    assert api_model.translate(sources) == [text for text, _ in expected]


def test_api_n_best_alignments_fast_decoding_and_bad_sentences(api_model, generated):
    from fairseq_plugins.api import BadSentence
    from fairseq_plugins.decoding.options import FastDecodingError

    sources, expected = generated
    three = api_model.translate(sources[:2], n_best=3)
    assert [len(x) for x in three] == [3, 3] and three[0][0] == expected[0][0]
    hypos = api_model.hypotheses(sources[:2], n_best=2, alignments=True)
    for one in hypos:
        assert len(one) == 2 and one[0].score >= one[1].score
        assert one[0].alignment and all(len(pair) == 2 for pair in one[0].alignment)
    assert api_model.hypotheses(sources[:1])[0][0].alignment is None
    # lean gives the standard path's outputs (docs/speed.md); int8 strings of its own
    assert api_model.translate(sources, fast_decoding="lean") == [t for t, _ in expected]
    assert all(isinstance(t, str) for t in api_model.translate(sources, fast_decoding="int8"))
    # the RNN's own beam search gives the standard path's outputs, and refuses alignments
    assert api_model.translate(sources, fast_decoding="rnn-beam") == [t for t, _ in expected]
    with pytest.raises(FastDecodingError) as refused:
        api_model.hypotheses(sources[:1], alignments=True, fast_decoding="rnn-beam")
    assert "does not run --print-alignment" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert api_model.translate(sources[:3]) == [t for t, _ in expected[:3]]
    for bad, index, reason in (([sources[0], ""], 1, "empty line"),
                               ([sources[0], 7], 1, "not a string (int)"),
                               (["x" * 20000], 0, "line too long")):
        with pytest.raises(BadSentence) as caught:
            api_model.translate(bad)
        assert caught.value.index == index and reason in str(caught.value)
        assert str(caught.value).startswith(f"sentence {index}: ")


@pytest.fixture(scope="module")
def url(model):
    data, checkpoint = model
    with server(checkpoint, data / "bin", *GEN, "--max-request-sentences", "8",
                "--max-chars", "300", "--batch-wait-ms", "20") as (base, _):
        yield base


def test_concurrent_requests_give_generates_outputs(url, generated):
    sources, expected = generated
    # one sentence a request from 16 clients, and requests of 3 sentences
    singles = [[s] for s in sources]
    triples = [sources[i:i + 3] for i in range(0, N, 3)]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda src: post(url, src), singles + triples))
    assert [status for status, _, _ in answers] == [200] * len(answers), answers
    got = [(r["text"], r["score"]) for _, _, body in answers[:N] for r in body["translations"]]
    assert_same(got, expected)
    got = [(r["text"], r["score"]) for _, _, body in answers[N:] for r in body["translations"]]
    assert_same(got, expected)
    status, _, health = get(url + "/health")
    assert status == 200 and health["status"] == "ok"
    assert health["batches"] < health["sentences"]   # requests were decoded together
    status, _, info = get(url + "/model")
    assert status == 200 and info["arch"] == "rnn_luong" and info["task"] == "translation"
    assert info["endpoint"] == "/translate" and info["generation"]["beam"] == 5
    assert info["checkpoint"].endswith("checkpoint_last.pt")


BAD = [
    # (body, status, fragment of the error, item)
    (b'{"src": ["Ein Hund", ', 400, "invalid JSON", None),
    (b'{"src": ["Hund \xff"]}', 400, "the body is not UTF-8: byte 0xff", None),
    (b'["Ein Hund"]', 400, '{"src": [sentences]}', None),
    (b'{"src": "Ein Hund"}', 400, '"src" must be a list of strings, not str', None),
    (b'{"src": []}', 400, '"src" is empty', None),
    (json.dumps({"src": ["Ein Hund"] * 9}).encode(), 413, "at most 8 a request", None),
    (json.dumps({"src": ["Ein Hund", 3]}).encode(), 422, "src[1]: not a string (int)", 1),
    (json.dumps({"src": ["Ein Hund", None]}).encode(), 422, "src[1]: not a string", 1),
    (json.dumps({"src": ["", "Ein Hund"]}).encode(), 422, "src[0]: empty line", 0),
    (json.dumps({"src": ["Ein Hund", "  "]}).encode(), 422, "src[1]: empty line", 1),
    (json.dumps({"src": ["Ein Hund", "x" * 301]}).encode(), 422,
     "src[1]: line too long (301 characters, --max-chars 300)", 1),
    (json.dumps({"src": ["Ein Hund", "Hund \udcff"]}).encode(), 422,
     "src[1]: not valid UTF-8", 1),
]


@pytest.mark.parametrize("body,status,fragment,item", BAD,
                         ids=[f"{s}-{f[:24]}" for _, s, f, _ in BAD])
def test_bad_input_is_a_one_line_4xx_and_the_server_goes_on(url, generated, body, status,
                                                             fragment, item):
    got, _, answer = request(url + "/translate", body)
    assert got == status, answer
    assert fragment in answer["error"] and "\n" not in answer["error"], answer
    assert answer.get("item") == item
    sources, expected = generated
    status, _, answer = post(url, sources[:2])
    assert status == 200
    assert [r["text"] for r in answer["translations"]] == [t for t, _ in expected[:2]]


def test_full_queue_answers_503_and_sigterm_answers_requests_in_flight(model, generated):
    data, checkpoint = model
    sources, _ = generated
    # slow decoding (200 steps a sentence), one sentence a batch, one request waiting
    with server(checkpoint, data / "bin", "--beam", "5", "--max-len-b", "200",
                "--queue-size", "1", "--max-batch-sentences", "1",
                "--batch-wait-ms", "0") as (url, proc):
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda s: post(url, [s]), sources[:12]))
        statuses = [status for status, _, _ in answers]
        assert set(statuses) == {200, 503}, statuses
        for status, headers, body in answers:
            if status == 503:
                assert headers["Retry-After"] == "1" and "--queue-size" in body["error"]
        assert post(url, sources[:1])[0] == 200

        # SIGTERM while one request decodes and one waits: both are answered, exit 0
        def wait_for(field):
            deadline = time.monotonic() + 30
            while get(url + "/health")[2][field] < 1:
                assert time.monotonic() < deadline, f"no request {field}"
                time.sleep(0.01)

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            running = [pool.submit(post, url, sources[:1])]
            wait_for("decoding")
            running.append(pool.submit(post, url, sources[1:2]))
            wait_for("queued")
            proc.send_signal(signal.SIGTERM)
            assert [f.result(timeout=60)[0] for f in running] == [200, 200]
        assert proc.wait(timeout=60) == 0


def test_a_fast_mode_the_model_cannot_run_fails_at_load_in_one_line(model):
    from fairseq_plugins.api import load
    from fairseq_plugins.decoding.options import FastDecodingError

    data, checkpoint = model
    with pytest.raises(FastDecodingError, match="needs a lexical table"):
        load(checkpoint, data / "bin", fast_decoding="shortlist")
    proc = run([sys.executable, "-m", "fairseq_plugins.serve", "--path", checkpoint,
                data / "bin", "--port", str(free_port()), "--fast-decoding", "shortlist"],
               cwd=REPO, check=False, timeout=120)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("python -m fairseq_plugins.serve: error: --fast-decoding shortlist")
    assert "Traceback" not in proc.stderr


def test_the_web_page_translates_with_attention_on_request(url, generated, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    sources, expected = generated
    wait = WebDriverWait(browser, 30)
    browser.get(url + "/")
    wait.until(lambda d: "translation model" in d.find_element(By.ID, "model").text)
    assert browser.find_element(By.ID, "check").text == "Translate"
    browser.find_element(By.ID, "text").send_keys("\n".join(sources[:2]))
    browser.find_element(By.ID, "attention").click()
    browser.find_element(By.ID, "check").click()
    wait.until(lambda d: "sentence(s)" in d.find_element(By.ID, "status").text)
    result = browser.find_element(By.ID, "result").text.splitlines()
    assert result[:2] == [t for t, _ in expected[:2]]
    tables = browser.find_elements(By.CSS_SELECTOR, "#result table.align")
    assert len(tables) == 2 and all("\u2192" in t.text for t in tables)
