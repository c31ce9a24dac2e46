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
runs: leaving it disarms the timer first, and one that fired while leaving is taken as
the deadline it was.
"""

from __future__ import annotations

import ctypes
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class DeadlineExceeded(Exception):
    """The work ran past its deadline and was stopped."""


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
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:  # the one signal may still be handled (and raise) just above
            _armed = False
            signal.signal(signal.SIGALRM, previous)


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int


@contextmanager
def _async_raise(seconds: float) -> Iterator[None]:
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
