"""Load test of ``python -m fairseq_plugins.serve``: concurrent clients against one request
at a time and against fairseq-interactive, on the same sentences.

    python scripts/load_test.py --path CKPT DATA [--clients 16] [--sentences 200]
        [--server-option=--fast-decoding=int8] [--json out.json]

It starts the server on a free port of 127.0.0.1 (``--threads`` torch threads), sends
each sentence as its own request, first one at a time, then from ``--clients`` client
threads at once, then gives the same sentences to fairseq-interactive (one process, its
own batching; ``--skip-interactive`` leaves it out), and prints one row for each:
sentences, seconds, sentences/s, p50 and p99 latency of a request, errors. Every phase
stops issuing requests after ``--time-limit`` seconds. The sentences are the first
``--sentences`` lines of ``--input`` (default: ``raw/test.<src>`` beside DATA).

``--check`` (gec models) adds LanguageTool's ``/v2/check``: the same sentences in
paragraphs of 3 to 5, one a request, one at a time and from the clients; sentences/s
counts sentences.

fairseq-interactive's seconds leave out its start-up (loading fairseq and the model):
the time of a run on one sentence is taken off; its latency columns are empty.
"""
import argparse
import concurrent.futures
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from preprocess.layout import PREPARE_MANIFEST

REPO = Path(__file__).resolve().parents[1]


def error(message):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url, sentences, timeout):
    """(status, seconds) of one request."""
    body = json.dumps({"src": sentences}).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as err:
        status = err.code
    except OSError:
        status = 0   # refused, reset or timed out
    return status, time.perf_counter() - start


def post_check(url, sentences, timeout):
    """(status, seconds) of one LanguageTool ``/v2/check`` request: the sentences as one
    paragraph, form-encoded as LanguageTool's clients send it."""
    body = urllib.parse.urlencode({"text": " ".join(sentences), "language": "auto"}).encode()
    req = urllib.request.Request(url, data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            json.loads(response.read())["matches"]
            status = response.status
    except urllib.error.HTTPError as err:
        status = err.code
    except OSError:
        status = 0
    return status, time.perf_counter() - start


def paragraphs(sentences):
    """The sentences in paragraphs of 3, 4, 5, 3, ... sentences, in order."""
    out, at, size = [], 0, 3
    while at < len(sentences):
        out.append(sentences[at:at + size])
        at, size = at + size, 3 + (size - 2) % 3
    return out


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def row(name, count, seconds, latencies, errors):
    return {"mode": name, "sentences": count, "seconds": round(seconds, 3),
            "sentences_per_s": round(count / seconds, 2) if seconds > 0 else None,
            "p50_ms": None if not latencies else round(1000 * statistics.median(latencies), 1),
            "p99_ms": None if not latencies else round(1000 * percentile(latencies, 99), 1),
            "errors": errors}


def run_clients(url, requests, clients, time_limit, timeout, send=post):
    """Each item of ``requests`` (a list of sentences) one request, from ``clients``
    threads; a row's numbers (sentences of the requests answered 200)."""
    todo = iter(enumerate(requests))
    lock = threading.Lock()
    latencies, statuses = [], []
    stop_at = time.perf_counter() + time_limit

    def client():
        while time.perf_counter() < stop_at:
            with lock:
                item = next(todo, None)
            if item is None:
                return
            status, seconds = send(url, item[1], timeout)
            with lock:
                statuses.append((status, len(item[1])))
                if status == 200:
                    latencies.append(seconds)

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    elapsed = time.perf_counter() - start
    ok = sum(n for s, n in statuses if s == 200)
    return ok, elapsed, latencies, sum(1 for s, _ in statuses if s != 200)


def start_server(args, port):
    cmd = [sys.executable, "-m", "fairseq_plugins.serve", "--path", args.path, args.data,
           "--port", str(port), "--log-level", "warning", "--beam", str(args.beam),
           "--threads", str(args.threads), *args.server_option]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # its log goes to a file: a pipe nobody reads would fill and stop the server
    log = tempfile.NamedTemporaryFile("w+", prefix="load_test-server-", suffix=".log",
                                      delete=False)
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        if proc.poll() is not None:
            lines = Path(log.name).read_text(errors="replace").strip().splitlines()
            error(f"the server exited ({proc.returncode}): {lines[-1] if lines else ''}")
        try:
            with urllib.request.urlopen(url + "/model", timeout=5) as response:
                info = json.loads(response.read())
            print(f"server log: {log.name}", file=sys.stderr)
            return proc, url, info
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            error("the server did not start within 300 s")
        time.sleep(0.25)


def interactive(args, sentences, info):
    """Seconds fairseq-interactive takes for ``sentences``, less its start-up."""
    # /model names the checkpoint inside the folder given, not the machine's path
    checkpoint = Path(args.path) / info["checkpoint"] if Path(args.path).is_dir() \
        else Path(args.path)
    cmd = [str(Path(sys.executable).parent / "fairseq-interactive"), args.data,
           "--user-dir", str(REPO / "fairseq_plugins"), "--path", str(checkpoint),
           "--beam", str(args.beam), "--buffer-size", str(args.interactive_batch),
           "--batch-size", str(args.interactive_batch), *args.interactive_option]
    generation = info.get("generation", {})
    if generation.get("fast_decoding", "none") != "none":
        cmd += ["--fast-decoding", generation["fast_decoding"]]
    for name in ("max_len_a", "max_len_b", "lenpen"):
        if name in generation:
            cmd += [f"--{name.replace('_', '-')}", str(generation[name])]
    subword = info.get("bpe")
    if subword == "sentencepiece":
        model = json.loads((Path(args.data).parent / PREPARE_MANIFEST).read_text())
        lang = model.get("src_lang")
        cmd += ["--bpe", "sentencepiece", "--sentencepiece-model",
                str(Path(args.data).parent / model["subword_models"][lang])]
    if info.get("task") == "gec":
        cmd += ["--task", "gec"]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads),
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def timed(lines):
        start = time.perf_counter()
        proc = subprocess.run(cmd, input="\n".join(lines) + "\n", text=True, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=args.time_limit + 600)
        if proc.returncode != 0:
            error(f"fairseq-interactive failed: {proc.stderr[-2000:]}")
        hypotheses = sum(1 for line in proc.stdout.splitlines() if line.startswith("D-"))
        return time.perf_counter() - start, hypotheses

    startup, _ = timed(sentences[:1])
    total, done = timed(sentences)
    return done, max(total - startup, 1e-9), len(sentences) - done


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("data", help="binarised data folder")
    p.add_argument("--path", required=True, help="checkpoint file or folder")
    p.add_argument("--input", help="sentences, one a line (default: raw/test.<src> beside DATA)")
    p.add_argument("--sentences", type=int, default=200)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--beam", type=int, default=5)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads of the server and of fairseq-interactive (default 1: "
                        "the clients need a core too)")
    p.add_argument("--time-limit", type=float, default=300,
                   help="seconds a phase issues requests at most")
    p.add_argument("--timeout", type=float, default=60, help="seconds a request waits at most")
    p.add_argument("--server-option", action="append", default=[],
                   help="an option for the server, as --server-option=--batch-wait-ms=10")
    p.add_argument("--interactive-option", action="append", default=[])
    p.add_argument("--interactive-batch", type=int, default=32)
    p.add_argument("--skip-interactive", action="store_true")
    p.add_argument("--check", action="store_true",
                   help="gec models: also LanguageTool's /v2/check, the same sentences in "
                        "paragraphs of 3 to 5, one a request")
    p.add_argument("--json", help="write the rows here too")
    args = p.parse_args(argv)
    if not 1 <= args.clients <= 256:
        error("--clients must be 1..256")
    if args.sentences < 1:
        error("--sentences must be at least 1")
    if not Path(args.data).is_dir():
        error(f"data folder not found: {args.data}")
    if args.input is None:
        manifest = Path(args.data).parent / PREPARE_MANIFEST
        if not manifest.is_file():
            error("give --input (no prepare.json beside DATA)")
        src = json.loads(manifest.read_text())["src_lang"]
        args.input = str(Path(args.data).parent / "raw" / f"test.{src}")
    sentences = [line.strip() for line in Path(args.input).read_text(encoding="utf-8")
                 .splitlines() if line.strip()][:args.sentences]

    proc, url, info = start_server(args, free_port())
    endpoint = url + info["endpoint"]
    rows = []
    try:
        for sentence in sentences[:3]:   # warm-up
            post(endpoint, [sentence], args.timeout)
        singles = [[sentence] for sentence in sentences]
        rows.append(row("one at a time", *run_clients(endpoint, singles, 1,
                                                      args.time_limit, args.timeout)))
        rows.append(row(f"{args.clients} clients", *run_clients(
            endpoint, singles, args.clients, args.time_limit, args.timeout)))
        if args.check:
            if info.get("task") != "gec":
                error("--check needs a gec model (/v2/check)")
            check, texts = url + "/v2/check", paragraphs(sentences)
            rows.append(row("/v2/check one at a time", *run_clients(
                check, texts, 1, args.time_limit, args.timeout, send=post_check)))
            rows.append(row(f"/v2/check {args.clients} clients", *run_clients(
                check, texts, args.clients, args.time_limit, args.timeout,
                send=post_check)))
    finally:
        proc.terminate()
        proc.wait(timeout=120)
    if not args.skip_interactive:
        done, seconds, errors = interactive(args, sentences, info)
        rows.append(row("fairseq-interactive", done, seconds, [], errors))

    print(f"{info['arch']} ({info['checkpoint']}), beam {args.beam}, "
          f"{info['generation'].get('fast_decoding', 'none')}, server threads {args.threads}")
    print(f"{'mode':<26}{'sentences':>10}{'seconds':>10}{'sent/s':>10}{'p50 ms':>10}"
          f"{'p99 ms':>10}{'errors':>8}")
    for r in rows:
        print(f"{r['mode']:<26}{r['sentences']:>10}{r['seconds']:>10}"
              f"{str(r['sentences_per_s']):>10}{str(r['p50_ms'] or '-'):>10}"
              f"{str(r['p99_ms'] or '-'):>10}{r['errors']:>8}")
    if len(rows) >= 2 and rows[0]["sentences_per_s"]:
        print(f"{args.clients} clients / one at a time: "
              f"{rows[1]['sentences_per_s'] / rows[0]['sentences_per_s']:.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps({"model": info, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
