"""The Desk in a child process, so answering never competes with acknowledging.

Answers compute tolls over thousands of claims; Python runs one thread at a time, so doing that
in the process that acknowledges Slack's requests would make every acknowledgement wait. The
child owns a Desk; this proxy forwards the handful of calls the Slack handlers and the alert
sender make, and gets plain data back.
"""

from __future__ import annotations

import gc
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

BACKGROUND_NICENESS = 5

_desk = None


def _start(db_path: str) -> None:
    global _desk
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when the child stops
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.nice(BACKGROUND_NICENESS)  # the OS lets the process that acknowledges Slack go first
    from bot.desk import Desk
    from db import open_database

    _desk = Desk(open_database(db_path, migrate=False))
    _desk.processor  # build the matcher now, not during the first /incident track
    # The gazetteer and matcher are hundreds of thousands of long-lived objects: keep them out of
    # the garbage collector's full passes, which otherwise pause answers for hundreds of ms.
    gc.freeze()


def _call(method: str, args: tuple, kwargs: dict):
    return getattr(_desk, method)(*args, **kwargs)


class DeskProcess:
    """Same methods as Desk for what Slack needs: ask, detach, judge_claim, incidents_of_claim, messages."""

    def __init__(self, db_path):
        self.db_path = str(db_path)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"), initializer=_start,
                                   initargs=(self.db_path,))

    def _run(self, method: str, *args, **kwargs):
        try:
            return self._pool.submit(_call, method, args, kwargs).result()
        except BrokenProcessPool:
            self._pool = self._new_pool()  # answer the next request from a fresh child
            raise

    def ask(self, text: str, *, user: str | None = None):
        return self._run("ask", text, user=user)

    def detach(self, incident_id: int, item_id: int, *, user: str) -> str:
        return self._run("detach", incident_id, item_id, user=user)

    def judge_claim(self, claim_id: int, *, verdict: str, user: str) -> str:
        return self._run("judge_claim", claim_id, verdict=verdict, user=user)

    def incidents_of_claim(self, claim_id: int) -> list[int]:
        return self._run("incidents_of_claim", claim_id)

    def parent_message(self, incident_id: int):
        return self._run("parent_message", incident_id)

    def alert_message(self, row: dict):
        return self._run("alert_message", dict(row))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
