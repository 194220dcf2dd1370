"""One child process doing background work for the bot, restarted if it dies."""

from __future__ import annotations

import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Callable

BACKGROUND_NICENESS = 5


def become_background() -> None:
    """In the child: the parent decides when to stop, and the OS lets the parent (Slack's acks) go first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.nice(BACKGROUND_NICENESS)


class Child:
    """A single-process pool: `run(fn, *args)` runs fn there and waits; a dead child is replaced."""

    def __init__(self, initializer: Callable, *initargs):
        self.initializer, self.initargs = initializer, initargs
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent has threads (scheduler, Slack) that a fork would copy mid-flight.
        return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=self.initializer,
                                   initargs=self.initargs)

    def run(self, fn: Callable, *args, **kwargs):
        """fn(*args, **kwargs) in the child; BrokenProcessPool when it died (a fresh one serves the next call)."""
        try:
            return self._pool.submit(fn, *args, **kwargs).result()
        except BrokenProcessPool:
            self._pool = self._new_pool()
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=True)
