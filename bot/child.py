"""Child processes doing background work for the bot (one, or a pool of N), restarted if one dies, gone when the bot is."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Callable

BACKGROUND_NICENESS = 5
PARENT_CHECK_SECONDS = 1.0  # the watchdog's period: a child outlives a SIGKILLed parent by this, at most
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
# The kernel sends this when the parent dies. Not SIGTERM (children ignore it, see become_background)
# and not SIGKILL: it is also sent when the *thread* that spawned the child exits (the pool spawns
# from whichever thread submitted first), so the handler checks that the parent process is gone.
PARENT_DEATH_SIGNAL = signal.SIGUSR1


def become_background() -> None:
    """In the child: the parent decides when to stop, and the OS lets the parent (Slack's acks) go first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.nice(BACKGROUND_NICENESS)


def exit_with_parent(parent_pid: int) -> None:
    """In the child: exit as soon as the process `parent_pid` is gone, even SIGKILLed.

    On Linux the kernel tells us (PR_SET_PDEATHSIG); everywhere a watchdog thread checks
    os.getppid() every PARENT_CHECK_SECONDS (an orphan is re-parented, so its parent pid changes),
    which also covers a main thread busy in C code when the signal comes."""
    def parent_gone() -> bool:
        return os.getppid() != parent_pid

    def leave() -> None:
        try:
            os.write(2, f"pid {os.getpid()}: parent {parent_pid} is gone; exiting\n".encode())
        finally:
            os._exit(1)

    if sys.platform.startswith("linux"):
        signal.signal(PARENT_DEATH_SIGNAL, lambda signum, frame: leave() if parent_gone() else None)
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(PARENT_DEATH_SIGNAL), 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
        except (OSError, AttributeError) as exc:  # the watchdog still covers it
            os.write(2, f"pid {os.getpid()}: no parent-death signal ({exc}); watching the parent\n".encode())
    if parent_gone():  # it died before the signal was asked for
        leave()

    def watch() -> None:
        while not parent_gone():
            time.sleep(PARENT_CHECK_SECONDS)
        leave()

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _child_start(parent_pid: int, initializer: Callable, *initargs) -> None:
    """The pool's initializer: tie the child to its parent first, then the caller's initializer."""
    exit_with_parent(parent_pid)
    initializer(*initargs)


def _kill_survivors(pool: ProcessPoolExecutor) -> None:
    """A broken pool's other processes, SIGKILLed: the pool SIGTERMs them, which children ignore
    (become_background), and then waits for them forever (a hung thread, a process left behind)."""
    for process in list((pool._processes or {}).values()):
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=False)


class Child:
    """A pool of `workers` processes (one by default): `run(fn, *args)` runs fn there and waits; a dead
    child breaks the pool, which is replaced once (every call that was running on it gets BrokenProcessPool)."""

    def __init__(self, initializer: Callable, *initargs, workers: int = 1):
        self.initializer, self.initargs, self.workers = initializer, initargs, max(1, workers)
        self._replacing = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the parent has threads (scheduler, Slack) that a fork would copy mid-flight.
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"),
                                   initializer=_child_start, initargs=(os.getpid(), self.initializer, *self.initargs))

    def run(self, fn: Callable, *args, **kwargs):
        """fn(*args, **kwargs) in a child; BrokenProcessPool when it died (a fresh pool serves the next call)."""
        pool = self._pool
        try:
            return pool.submit(fn, *args, **kwargs).result()
        except BrokenProcessPool:
            with self._replacing:  # many threads may see one broken pool: it is replaced once
                if self._pool is pool:
                    self._pool = self._new_pool()
                    _kill_survivors(pool)
            raise

    def start(self) -> None:
        """Start every process now (the pool starts them on demand): one short task each, all at once."""
        for future in [self._pool.submit(time.sleep, 0.05) for _ in range(self.workers)]:
            future.result()

    def pids(self) -> list[int]:
        """The pids of the pool's running processes (started on demand: none before the first call)."""
        return list((self._pool._processes or {}).keys())

    def close(self) -> None:
        self._pool.shutdown(wait=True)
