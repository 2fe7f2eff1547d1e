"""A run that finished no longer aborts at exit.

fairseq's ``BufferedIterator`` prefetches batches in a daemon thread
(``iterators.BackgroundConsumer``). When a run stops early (``--max-update``) that thread
may still be collating a batch inside torch's C++ code when Python exits; CPython before
3.14 then ends the thread with ``pthread_exit``, whose unwinding through a noexcept C++
frame aborts the whole process ("terminate called without an active exception", exit
status -6) after training has finished. So at exit the threads are told to stop, their
queues drained so that a blocked ``put()`` returns, and joined. CPython 3.14 leaves such
a thread blocked instead of ending it (CPython gh-87135), so the fix is applied below
3.14 only.
"""
import atexit
import queue
import threading
import weakref

from fairseq.data import iterators

PROBLEM = "fairseq's prefetching thread can abort the process at exit (status -6)"
# CPython < 3.14 ends a daemon thread at exit with pthread_exit (3.14 blocks it)
VERSIONS = {"fairseq": (">=0.12.0", "<0.13"), "python": ("<3.14",)}
TEST = "tests/unit/test_compat.py::test_clean_exit_stops_and_joins_a_blocked_prefetcher"

_STOP = threading.Event()
_CONSUMERS: "weakref.WeakSet" = weakref.WeakSet()
_original_consumer_run = iterators.BackgroundConsumer.run


def _stoppable_consumer_run(self):
    _CONSUMERS.add(self)
    source = self._source

    def until_stopped():
        for item in source:
            if _STOP.is_set():
                return
            yield item

    self._source = until_stopped()
    _original_consumer_run(self)


def stop_consumers(timeout: float = 10.0):
    """Stop, drain and join every prefetching thread started since :func:`apply`."""
    _STOP.set()
    for consumer in list(_CONSUMERS):
        for _ in range(int(timeout / 0.05)):
            if not consumer.is_alive():
                break
            try:
                while True:
                    consumer._queue.get_nowait()
            except queue.Empty:
                pass
            consumer.join(0.05)


def apply():
    if iterators.BackgroundConsumer.run is not _stoppable_consumer_run:
        iterators.BackgroundConsumer.run = _stoppable_consumer_run
        atexit.register(stop_consumers)
