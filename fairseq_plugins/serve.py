"""A batching HTTP server for a trained translation or GEC model.

    python -m fairseq_plugins.serve --path CKPT DATA [--port 8000] [--fast-decoding int8]

``POST /translate`` (``/correct`` for a ``gec`` model) takes ``{"src": ["...", ...]}`` and
answers ``{"translations": [{"text": ..., "score": ...}, ...]}`` (``"corrections"`` for
``gec``), one a sentence in order, with per-request ``beam``, ``n_best``, ``alignments``,
``fast_decoding`` (within ``--max-beam``, ``--max-nbest``, ``--allow-fast-decoding``) and,
for ``gec``, ``edits`` (each text's edits as spans of it). A ``gec`` model also answers
LanguageTool's ``POST /v2/check`` and ``GET /v2/languages``
(:mod:`fairseq_plugins.serving.languagetool`); ``GET /`` is a web page; ``GET /health``
and ``GET /model`` (the checkpoint, task, architecture and options served).
docs/serving.md has the details.

How it works: a request's sentences are checked and encoded on the event loop (a bad
one is answered at once, 4xx, with one line of JSON naming it) and put in a bounded
queue (full: 503 with Retry-After). One batcher task takes the first request waiting,
waits up to ``--batch-wait-ms`` for more of the same options, up to
``--max-batch-sentences`` in all, and
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
from collections import deque
from typing import List, Optional

from fairseq_plugins.decoding.options import MODES
from fairseq_plugins.serving import PAGE
from fairseq_plugins.serving import bodies, languagetool
from fairseq_plugins.serving.bodies import RequestError

logger = logging.getLogger("fairseq_plugins.serve")

#: generation options of the command line passed on to the model as they are
GENERATION_OPTIONS = ("beam", "lenpen", "max_len_a", "max_len_b", "unkpen", "nbest",
                      "coverage_penalty")


class Job:
    __slots__ = ("ids", "future", "options")

    def __init__(self, ids, future, options: bodies.Options):
        self.ids, self.future, self.options = ids, future, options


def generation(options: bodies.Options) -> dict:
    """A request's options as :meth:`~fairseq_plugins.api.Translator.generate_ids` takes
    them (the API turns them into a generator)."""
    return {"beam": options.beam, "n_best": options.n_best,
            "alignments": options.alignments, "fast_decoding": options.fast_decoding}


class Batcher:
    """The bounded queue of requests and the one task that decodes them in batches.

    A batch holds requests of equal :class:`~fairseq_plugins.serving.bodies.Options`
    only: one of other options taken from the queue while a batch fills waits in
    ``held`` (first in the next batch); the queue and ``held`` together hold at most
    ``queue_size`` requests."""

    def __init__(self, translator, max_batch: int, wait_s: float, queue_size: int,
                 retry_after: int = 1):
        self.translator = translator
        self.max_batch, self.wait_s, self.retry_after = max_batch, wait_s, retry_after
        self.queue: "asyncio.Queue[Job]" = asyncio.Queue(maxsize=queue_size)
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="decode")
        self.held: "deque[Job]" = deque()
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

    @property
    def waiting(self) -> int:
        return self.queue.qsize() + len(self.held)

    async def translate(self, ids, options: bodies.Options) -> List[List[dict]]:
        future = asyncio.get_running_loop().create_future()
        try:
            if self.waiting >= self.queue.maxsize:
                raise asyncio.QueueFull
            self.queue.put_nowait(Job(ids, future, options))
        except asyncio.QueueFull:
            raise RequestError(503, f"server busy: {self.queue.maxsize} requests waiting "
                                    "(--queue-size); retry later",
                               headers={"Retry-After": str(self.retry_after)}) from None
        return await future

    async def _next_batch(self) -> List[Job]:
        jobs = [self.held.popleft() if self.held else await self.queue.get()]
        key, count = jobs[0].options, len(jobs[0].ids)
        for job in list(self.held):   # held requests of the same options first
            if job.options == key and count + len(job.ids) <= self.max_batch:
                self.held.remove(job)
                jobs.append(job)
                count += len(job.ids)
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
            if job.options != key:
                self.held.append(job)
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
                options = generation(jobs[0].options)
                hypos = await loop.run_in_executor(
                    self.executor, lambda: self.translator.generate_ids(ids, **options))
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


def build_app(translator, args):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    from fairseq_plugins.api import BadSentence
    from preprocess.texttools import edits as text_edits

    task = getattr(translator.cfg.task, "_name", "translation")
    gec = task == "gec"
    route, key = ("/correct", "corrections") if gec else ("/translate", "translations")
    defaults = bodies.Options(args.beam, args.nbest, bool(args.print_alignment),
                              args.fast_decoding or "none")
    limits = bodies.Limits(args.max_beam, args.max_nbest, tuple(args.allow_fast_decoding),
                           args.max_request_sentences)
    state = {}

    def error_response(error: RequestError):
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers)

    def result(hypo_list, options: bodies.Options) -> dict:
        best = translator._hypothesis(hypo_list[0], options.alignments)
        out = {"text": best.text, "score": best.score}
        if options.alignments:
            out["alignment"] = best.alignment
        if options.n_best > 1:
            out["n_best"] = [{"text": h.text, "score": h.score} for h in
                             (translator._hypothesis(x, False) for x in hypo_list)]
        return out

    async def read_body(request: Request) -> bytes:
        length = request.headers.get("content-length") or "0"
        if not length.isdigit() or int(length) > args.max_body_bytes:
            raise RequestError(413 if length.isdigit() else 400,
                               f"body over {args.max_body_bytes} bytes (--max-body-bytes)"
                               if length.isdigit() else f"bad Content-Length {length!r}")
        raw = await request.body()
        if len(raw) > args.max_body_bytes:
            raise RequestError(413, f"body over {args.max_body_bytes} bytes "
                                    "(--max-body-bytes)")
        return raw

    def encode(sentences, name="src"):
        try:
            return translator.encode(sentences)
        except BadSentence as bad:
            raise RequestError(422, f"{name}[{bad.index}]: {bad.reason}", item=bad.index) \
                from None

    async def corrected_texts(texts: list, options: bodies.Options, field=None):
        """Each text split into sentences, decoded, its edits mapped back; a bad sentence
        is named by its text's place in ``src`` (or by ``field``) and its number."""
        spans, flat = [], []
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise RequestError(422, f"src[{i}]: not a string ({type(text).__name__})",
                                   item=i)
            spans.append(text_edits.split_sentences(text))
            flat += [(i, k, text[s:e]) for k, (s, e) in enumerate(spans[-1])]
        if len(flat) > args.max_request_sentences:
            raise RequestError(413, f"the {field or 'text'} has {len(flat)} sentences, at most "
                                    f"{args.max_request_sentences} a request "
                                    "(--max-request-sentences)")
        try:
            ids = translator.encode([x for _, _, x in flat])
        except BadSentence as bad:
            i, k, _ = flat[bad.index]
            if field is not None:
                raise RequestError(422, f"{field}: sentence {k + 1}: {bad.reason}",
                                   field=field) from None
            raise RequestError(422, f"src[{i}]: sentence {k + 1}: {bad.reason}", item=i) \
                from None
        hypos = await state["batcher"].translate(ids, options) if ids else []
        best = iter([translator._hypothesis(h[0], False) for h in hypos])
        out = []
        for text, text_spans in zip(texts, spans):
            fixes = [next(best) for _ in text_spans]
            done = text_edits.corrected_text(text, text_spans, [h.text for h in fixes])
            out.append((done, fixes))
        return out

    async def decode(request: Request):
        started = time.perf_counter()
        try:
            body = bodies.parse_json_body(await read_body(request), defaults, limits, gec)
            if body.edits:
                answers = []
                for done, fixes in await corrected_texts(body.src, body.options):
                    answers.append({
                        "text": done.text,
                        "edits": [e._asdict() for e in done.edits],
                        "sentences": [{"offset": s, "length": e - s, "text": c,
                                       "score": h.score}
                                      for (s, e, c), h in zip(done.sentences, fixes)]})
            else:
                hypos = await state["batcher"].translate(encode(body.src), body.options)
                answers = [result(h, body.options) for h in hypos]
        except RequestError as error:
            return error_response(error)
        return JSONResponse({key: answers, "seconds": round(time.perf_counter() - started, 4)})

    async def check(request: Request):
        try:
            params = bodies.parse_form(await read_body(request), request.url.query,
                                       request.headers.get("content-type", ""))
            served = bodies.language(params, args.language)
            text, where = bodies.check_text(params)
            [(done, _)] = await corrected_texts([text], defaults, field="text")
        except RequestError as error:
            return error_response(error)
        sent = params.get("text", params.get("data", ""))
        if "data" in params:   # offsets in the markup the client sent
            sent = "".join(p.get("text", p.get("markup", "")) for p in
                           json.loads(params["data"])["annotation"])
        return JSONResponse(languagetool.check_answer(sent, text, where, done, served,
                                                      languagetool.filters(params)))

    async def v2_languages(request: Request):
        return JSONResponse(languagetool.languages(args.language))

    async def page(request: Request):
        return HTMLResponse(PAGE.read_text(encoding="utf-8"))

    async def health(request: Request):
        batcher = state["batcher"]
        return JSONResponse({"status": "ok", "decoding": batcher.decoding,
                             "queued": batcher.waiting,
                             "queue_size": batcher.queue.maxsize,
                             "batches": batcher.batches, "sentences": batcher.sentences})

    async def model(request: Request):
        info = translator.describe()
        info["endpoint"] = route
        info["server"] = {name: getattr(args, name) for name in (
            "max_batch_sentences", "batch_wait_ms", "queue_size", "max_request_sentences",
            "max_body_bytes", "max_chars", "nbest", "print_alignment", "max_beam",
            "max_nbest", "allow_fast_decoding", "language")}
        return JSONResponse(info)

    async def not_allowed(request: Request, exc):
        return JSONResponse({"error": f"{request.method} {request.url.path}: "
                                      f"{getattr(exc, 'detail', 'not allowed')}"},
                            status_code=getattr(exc, "status_code", 500))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        batcher = Batcher(translator, args.max_batch_sentences, args.batch_wait_ms / 1000,
                          args.queue_size)
        batcher.start()
        state["batcher"] = batcher
        yield
        await batcher.stop()

    routes = [Route(route, decode, methods=["POST"]), Route("/health", health),
              Route("/model", model), Route("/", page)]
    if gec:
        routes += [Route("/v2/check", check, methods=["GET", "POST"]),
                   Route("/v2/languages", v2_languages)]
    from starlette.exceptions import HTTPException

    return Starlette(routes=routes, lifespan=lifespan,
                     exception_handlers={HTTPException: not_allowed})


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
    r = p.add_argument_group("what a request may ask for")
    r.add_argument("--max-beam", type=int, default=None,
                   help='the largest "beam" a request may ask for (default: --beam)')
    r.add_argument("--max-nbest", type=int, default=None,
                   help='the largest "n_best" a request may ask for (default: --max-beam)')
    r.add_argument("--allow-fast-decoding", default=None, metavar="MODE,...",
                   help='the "fast_decoding" modes a request may ask for (default: '
                        "--fast-decoding's alone); each is built at start")
    r.add_argument("--language", default="en-US",
                   help="the language a gec model checks, as LanguageTool's /v2/check "
                        "names it")
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
    for mode in args.allow_fast_decoding:   # a mode that cannot run fails now
        translator.generate_ids(translator.encode(["a"]), fast_decoding=mode)
    translator.prepare()   # the options as changed above: a mode that cannot run fails now
    if args.max_chars < translator.limits.chars:
        translator.limits = translator.limits._replace(
            chars=args.max_chars, chars_name=f"--max-chars {args.max_chars}")
    return translator


def resolve_request_limits(args):
    """The defaults of --max-beam, --max-nbest, --allow-fast-decoding; SystemExit for
    values that contradict the server's own options."""
    args.max_beam = args.max_beam or args.beam
    args.max_nbest = args.max_nbest or args.max_beam
    own = args.fast_decoding or "none"
    modes = [m.strip() for m in (args.allow_fast_decoding or own).split(",") if m.strip()]
    known = next(a.choices for a in get_parser()._actions if a.dest == "fast_decoding")
    for mode in modes:
        if mode not in known:
            raise SystemExit(f"--allow-fast-decoding {mode!r}: one of {', '.join(known)}")
    args.allow_fast_decoding = list(dict.fromkeys([own] + modes))
    if args.max_beam < max(args.beam, args.nbest) or args.max_nbest < args.nbest:
        raise SystemExit("--max-beam and --max-nbest must be at least --beam and --nbest")
    if args.max_nbest > args.max_beam:
        raise SystemExit("--max-nbest must be at most --max-beam")


def main(argv=None):
    import uvicorn

    args = get_parser().parse_args(argv)
    for name in ("max_batch_sentences", "queue_size", "max_request_sentences", "max_chars"):
        if getattr(args, name) < 1:
            raise SystemExit(f"--{name.replace('_', '-')} must be at least 1")
    resolve_request_limits(args)
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
