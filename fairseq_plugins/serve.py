"""A batching HTTP server for a trained translation or GEC model.

    python -m fairseq_plugins.serve --path CKPT DATA [--port 8000] [--fast-decoding int8]

``POST /translate`` (``/correct`` for a ``gec`` model) takes ``{"src": ["...", ...]}`` and
answers ``{"translations": [{"text": ..., "score": ...}, ...]}`` (``"corrections"`` for
``gec``), one a sentence in order; ``GET /health`` and ``GET /model`` (the checkpoint,
task, architecture and options served). docs/serving.md has the details.

How it works: a request's sentences are checked and encoded on the event loop (a bad
one is answered at once, 4xx, with one line of JSON naming it) and put in a bounded
queue (full: 503 with Retry-After). One batcher task takes the first request waiting,
waits up to ``--batch-wait-ms`` for more, up to ``--max-batch-sentences`` in all, and
hands them to one decoding thread (:meth:`fairseq_plugins.api.Translator.generate_ids`),
so the event loop goes on taking requests while a batch decodes. On SIGTERM or Ctrl-C
uvicorn stops accepting connections and the batcher answers the requests already in.

Built on Starlette and uvicorn (both kept by the Encode organisation; Starlette is what
FastAPI is built on): the body is parsed here, not by a schema library, so that every
bad input gets one line naming the item, and nothing else of FastAPI would be used.
"""
import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional

from fairseq_plugins.decoding.options import MODES

logger = logging.getLogger("fairseq_plugins.serve")

#: generation options of the command line passed on to the model as they are
GENERATION_OPTIONS = ("beam", "lenpen", "max_len_a", "max_len_b", "unkpen", "nbest",
                      "coverage_penalty")


class RequestError(Exception):
    """A request the server refuses: the HTTP status and one line saying why."""

    def __init__(self, status: int, message: str, item: Optional[int] = None,
                 headers: Optional[dict] = None):
        super().__init__(message)
        self.status, self.message, self.item, self.headers = status, message, item, headers

    def body(self) -> dict:
        body = {"error": self.message}
        if self.item is not None:
            body["item"] = self.item
        return body


class Job:
    __slots__ = ("ids", "future")

    def __init__(self, ids, future):
        self.ids, self.future = ids, future


class Batcher:
    """The bounded queue of requests and the one task that decodes them in batches."""

    def __init__(self, translator, max_batch: int, wait_s: float, queue_size: int,
                 retry_after: int = 1):
        self.translator = translator
        self.max_batch, self.wait_s, self.retry_after = max_batch, wait_s, retry_after
        self.queue: "asyncio.Queue[Job]" = asyncio.Queue(maxsize=queue_size)
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="decode")
        self.task: Optional[asyncio.Task] = None
        self.batches = self.sentences = self.decoding = 0

    def start(self):
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self):
        if self.task is not None:
            self.task.cancel()
            try:
                await self.task
            except asyncio.CancelledError:
                pass
        self.executor.shutdown(wait=True)

    async def translate(self, ids) -> List[List[dict]]:
        future = asyncio.get_running_loop().create_future()
        try:
            self.queue.put_nowait(Job(ids, future))
        except asyncio.QueueFull:
            raise RequestError(503, f"server busy: {self.queue.maxsize} requests waiting "
                                    "(--queue-size); retry later",
                               headers={"Retry-After": str(self.retry_after)}) from None
        return await future

    async def _next_batch(self) -> List[Job]:
        jobs = [await self.queue.get()]
        count = len(jobs[0].ids)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        while count < self.max_batch:
            try:
                job = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                left = deadline - loop.time()
                if left <= 0:
                    break
                await asyncio.sleep(min(left, 0.001))
                continue
            jobs.append(job)
            count += len(job.ids)
        return jobs

    async def _run(self):
        loop = asyncio.get_running_loop()
        while True:
            jobs = await self._next_batch()
            ids = [t for job in jobs for t in job.ids]
            self.decoding = len(ids)
            try:
                hypos = await loop.run_in_executor(self.executor,
                                                   self.translator.generate_ids, ids)
            except Exception as error:   # answer every request of the batch, go on serving
                logger.exception("decoding failed")
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(RequestError(
                            500, f"decoding failed: {type(error).__name__}: {error}"))
                continue
            finally:
                self.decoding = 0
            self.batches += 1
            self.sentences += len(ids)
            start = 0
            for job in jobs:
                if not job.future.done():   # its client may have gone
                    job.future.set_result(hypos[start:start + len(job.ids)])
                start += len(job.ids)


def parse_body(raw: bytes, max_sentences: int) -> list:
    """The ``src`` list of a request body; RequestError for what cannot be used."""
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise RequestError(400, f"invalid JSON: {error}") from None
    if not isinstance(body, dict) or "src" not in body:
        raise RequestError(400, 'the body must be a JSON object {"src": [sentences]}')
    src = body["src"]
    if not isinstance(src, list):
        raise RequestError(400, f'"src" must be a list of strings, not {type(src).__name__}')
    if not src:
        raise RequestError(400, '"src" is empty')
    if len(src) > max_sentences:
        raise RequestError(413, f'"src" has {len(src)} sentences, at most {max_sentences} '
                                "a request (--max-request-sentences)")
    return src


def build_app(translator, args):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from fairseq_plugins.api import BadSentence

    task = getattr(translator.cfg.task, "_name", "translation")
    route, key = ("/correct", "corrections") if task == "gec" else ("/translate", "translations")
    state = {}

    def error_response(error: RequestError):
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers)

    def result(hypo_list) -> dict:
        best = translator._hypothesis(hypo_list[0], args.print_alignment)
        out = {"text": best.text, "score": best.score}
        if args.print_alignment:
            out["alignment"] = best.alignment
        if args.nbest > 1:
            out["n_best"] = [{"text": h.text, "score": h.score} for h in
                             (translator._hypothesis(x, False) for x in hypo_list)]
        return out

    async def decode(request: Request):
        started = time.perf_counter()
        try:
            if int(request.headers.get("content-length") or 0) > args.max_body_bytes:
                raise RequestError(413, f"body over {args.max_body_bytes} bytes "
                                        "(--max-body-bytes)")
            raw = await request.body()
            if len(raw) > args.max_body_bytes:
                raise RequestError(413, f"body over {args.max_body_bytes} bytes "
                                        "(--max-body-bytes)")
            src = parse_body(raw, args.max_request_sentences)
            try:
                ids = translator.encode(src)
            except BadSentence as bad:
                raise RequestError(422, f"src[{bad.index}]: {bad.reason}", item=bad.index) \
                    from None
            hypos = await state["batcher"].translate(ids)
        except RequestError as error:
            return error_response(error)
        return JSONResponse({key: [result(h) for h in hypos],
                             "seconds": round(time.perf_counter() - started, 4)})

    async def health(request: Request):
        batcher = state["batcher"]
        return JSONResponse({"status": "ok", "decoding": batcher.decoding,
                             "queued": batcher.queue.qsize(),
                             "queue_size": batcher.queue.maxsize,
                             "batches": batcher.batches, "sentences": batcher.sentences})

    async def model(request: Request):
        info = translator.describe()
        info["endpoint"] = route
        info["server"] = {name: getattr(args, name) for name in (
            "max_batch_sentences", "batch_wait_ms", "queue_size", "max_request_sentences",
            "max_body_bytes", "max_chars", "nbest", "print_alignment")}
        return JSONResponse(info)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        batcher = Batcher(translator, args.max_batch_sentences, args.batch_wait_ms / 1000,
                          args.queue_size)
        batcher.start()
        state["batcher"] = batcher
        yield
        await batcher.stop()

    return Starlette(routes=[Route(route, decode, methods=["POST"]),
                             Route("/health", health), Route("/model", model)],
                     lifespan=lifespan)


def get_parser():
    p = argparse.ArgumentParser(prog="python -m fairseq_plugins.serve",
                                description="Serve a trained translation or GEC model over "
                                            "HTTP, batching the requests of many clients.")
    p.add_argument("data", nargs="?", help="binarised data folder with the dictionaries "
                                           "(default: the one the model was trained on)")
    p.add_argument("--path", required=True, help="checkpoint file, or a folder holding "
                                                 "checkpoint_best.pt or checkpoint_last.pt")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    g = p.add_argument_group("decoding")
    g.add_argument("--beam", type=int, default=5)
    g.add_argument("--nbest", type=int, default=1, help="hypotheses returned a sentence")
    g.add_argument("--lenpen", type=float, default=None)
    g.add_argument("--unkpen", type=float, default=None)
    g.add_argument("--coverage-penalty", type=float, default=None,
                   help="Wu et al.'s coverage penalty beta (docs/models.md)")
    g.add_argument("--max-len-a", type=float, default=None)
    g.add_argument("--max-len-b", type=int, default=None)
    g.add_argument("--fast-decoding", default=None, choices=list(MODES))
    g.add_argument("--shortlist", default=None,
                   help="lexical table of --fast-decoding *shortlist")
    g.add_argument("--print-alignment", action="store_true",
                   help="return each translation's alignment")
    g.add_argument("--bpe", default=None, help="default: what prepare.json records")
    g.add_argument("--sentencepiece-model", default=None)
    g.add_argument("--bpe-codes", default=None)
    g.add_argument("--model-option", action="append", default=[], metavar="NAME=JSON",
                   help="a task or model option, e.g. copy_bias=0.5 (repeatable)")
    g.add_argument("--device", default="cpu")
    g.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    b = p.add_argument_group("batching and limits")
    b.add_argument("--max-batch-sentences", type=int, default=32,
                   help="sentences decoded together at most (a request is never split)")
    b.add_argument("--batch-wait-ms", type=float, default=5.0,
                   help="how long the first request waiting waits for others to join it")
    b.add_argument("--queue-size", type=int, default=64,
                   help="requests waiting at most; one more gets 503 with Retry-After")
    b.add_argument("--max-request-sentences", type=int, default=64)
    b.add_argument("--max-body-bytes", type=int, default=1_000_000)
    b.add_argument("--max-chars", type=int, default=1000,
                   help="characters a sentence at most (the model's limit if lower)")
    b.add_argument("--shutdown-timeout", type=float, default=30.0,
                   help="seconds SIGTERM waits for the requests in flight")
    b.add_argument("--log-level", default="info")
    return p


def load_translator(args):
    import torch

    from fairseq_plugins.api import load

    if args.threads:
        torch.set_num_threads(args.threads)
    options = {}
    for item in args.model_option:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--model-option {item!r}: give NAME=VALUE")
        try:
            options[name] = json.loads(value)
        except ValueError:
            options[name] = value
    for name in ("bpe", "sentencepiece_model", "bpe_codes", "shortlist"):
        if getattr(args, name):
            options[name] = getattr(args, name)
    for name in GENERATION_OPTIONS:
        if name != "beam" and getattr(args, name) is not None:
            options[name] = getattr(args, name)
    translator = load(args.path, args.data, beam=args.beam, fast_decoding=args.fast_decoding,
                      device=args.device, **options)
    for name in GENERATION_OPTIONS:
        if name not in ("beam", "nbest") and getattr(args, name) is not None:
            translator.defaults[name] = getattr(args, name)
    translator.defaults["nbest"] = args.nbest
    translator.defaults["beam"] = max(args.beam, args.nbest)
    if args.print_alignment:
        translator.defaults["print_alignment"] = "hard"
    translator.prepare()   # the options as changed above: a mode that cannot run fails now
    if args.max_chars < translator.limits.chars:
        translator.limits = translator.limits._replace(
            chars=args.max_chars, chars_name=f"--max-chars {args.max_chars}")
    return translator


def main(argv=None):
    import uvicorn

    args = get_parser().parse_args(argv)
    for name in ("max_batch_sentences", "queue_size", "max_request_sentences", "max_chars"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name.replace('_', '-')} must be at least 1")
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s | %(levelname)s | %(name)s | %(message)s")
    # fairseq logs a line for each batch it makes; the access log says enough
    logging.getLogger("fairseq.tasks.fairseq_task").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*pin_memory.*")
    from preprocess.texttools.errors import InputError

    try:
        translator = load_translator(args)
    except InputError as error:
        raise SystemExit(f"python -m fairseq_plugins.serve: error: {error}") from None
    app = build_app(translator, args)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level=args.log_level,
                            timeout_graceful_shutdown=args.shutdown_timeout)
    # uvicorn answers the requests in flight on SIGTERM/SIGINT, then raises the signal
    # again under the handler it found: this one, so that a clean shutdown exits 0
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
