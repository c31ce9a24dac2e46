"""A time limit on CPU work: `with deadline(seconds):` raises `DeadlineExceeded` inside the
code that runs when the time is up, wherever it has got to.

Main-text extraction of a pathological page (hundreds of nested blocks full of links)
takes trafilatura many seconds; nothing in it can be told to stop. Two ways to interrupt
it, both landing between two Python bytecodes, so in trafilatura's own loops:

- in a process's main thread (an extraction worker), a real-time interval timer
  (`setitimer`): SIGALRM's handler raises the exception;
- in any other thread (the in-process extraction thread: threads take no signals), a
  timer thread asks the interpreter to raise it there (`PyThreadState_SetAsyncExc`, the
  C API call behind "raise in another thread").

Neither can stop a single C call that runs long (one huge lxml parse): the caller keeps
a harder limit of its own (`vedette.cpu`). The exception is raised only while the block
runs: leaving it disarms the timer first.

`DeadlineExceeded` is a BaseException, not an Exception: trafilatura runs readability,
jusText, its recall retry and JSON-LD parsing under `except Exception` and carries on
after a failure there, so a deadline landing in one of them used to be logged as that
extractor failing ("readability_lxml failed: ") and the page extracted to the end. Only
a bare `except:`, `except BaseException` or a place where Python itself drops exceptions
(a `__del__`, a weakref callback) can still swallow it. For those, the SIGALRM timer
repeats (`REFIRE`) until the block is left; the in-process timer fires once (see
`_async_raise`).
"""

from __future__ import annotations

import ctypes
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# How often the SIGALRM timer fires again after the deadline while the block still runs.
REFIRE = 0.25


class DeadlineExceeded(BaseException):
    """The work ran past its deadline and was stopped. A BaseException so that code
    catching every Exception (trafilatura's fallback extractors) doesn't stop it: catch
    it by name."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise DeadlineExceeded in this thread if the block runs longer than `seconds`."""
    if threading.current_thread() is threading.main_thread():
        with _alarm(seconds):
            yield
    else:
        with _async_raise(seconds):
            yield


_armed = False


def _on_alarm(signum: int, frame: object) -> None:
    if _armed:  # a signal already on its way when the block was left is ignored
        raise DeadlineExceeded


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    global _armed
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    _armed = True
    # Repeating: if something swallows the exception anyway, the next signal raises it
    # again, so the page still stops near its deadline and not at the parent's backstop,
    # which kills the whole pool.
    signal.setitimer(signal.ITIMER_REAL, seconds, REFIRE)
    try:
        yield
    finally:
        # Disarmed first, by a plain store that no signal handler can run in front of
        # (handlers run at calls and backward jumps): a signal handled from here on, during
        # the calls below or still pending after them, raises nothing, so no second
        # exception can cut this cleanup short and leave the repeating timer running.
        _armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int


@contextmanager
def _async_raise(seconds: float) -> Iterator[None]:
    # One shot, unlike the SIGALRM timer: the timer thread decides to raise, and the
    # exception lands later, in the target thread, so a repeat could still land after the
    # block was left, in the executor's own loop, and kill the one extraction thread. A
    # deadline swallowed here costs less: the backstop gives up on the thread, there is
    # no pool to kill.
    target = threading.get_ident()
    lock = threading.Lock()
    armed = True

    def fire() -> None:
        with lock:
            if armed:
                _set_async_exc(target, DeadlineExceeded)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            armed = False
            # An exception set but not yet raised must not land after the block, in
            # whatever this thread does next: NULL clears it.
            _set_async_exc(target, ctypes.py_object())
