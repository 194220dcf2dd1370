"""The Desk in a child process, so answering never competes with acknowledging.

Answers compute tolls over thousands of claims; Python runs one thread at a time, so doing that
in the process that acknowledges Slack's requests would make every acknowledgement wait. The
child owns a Desk; this proxy forwards the handful of calls the Slack handlers and the alert
sender make, and gets plain data back.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from dataclasses import replace

from bot.child import Child, become_background

WARM_EVERY_SECONDS = 2

_desk = None


def _start(db_path: str, admins: frozenset[str] = frozenset()) -> None:
    global _desk
    become_background()
    from db import open_database

    from bot.incidents.look_back import LookBacks

    # A long look-back after /incident track runs on a thread of its own: the answer comes at once.
    _desk = prepare_desk(open_database(db_path, migrate=False), admins=admins, look_backs=LookBacks(db_path))
    threading.Thread(target=_keep_warm, args=(_desk,), name="warm-tolls", daemon=True).start()


def prepare_desk(db, *, admins: frozenset[str] = frozenset(), look_backs=None):
    """A Desk ready to answer at once: matcher built, every toll computed, start-up objects frozen."""
    from bot.incidents.desk import Desk

    desk = Desk(db, admins=admins, progress=logging.getLogger("bot.incidents.desk").info,  # a long look-back, logged
                look_backs=look_backs)
    desk.processor  # build the matcher now, not during the first /incident track
    desk.warm()
    # The gazetteer and matcher are hundreds of thousands of long-lived objects: keep them out of
    # the garbage collector's full passes, which otherwise pause answers for hundreds of ms.
    gc.collect()
    gc.freeze()
    return desk


def _keep_warm(desk) -> None:
    """Recompute a toll soon after its ledger changes, so an editor's question rarely waits for it."""
    while True:
        time.sleep(WARM_EVERY_SECONDS)
        try:
            desk.warm()
        except Exception:  # a failed warm-up only means the next answer computes the toll itself
            logging.getLogger(__name__).exception("warming tolls failed")


def _call(method: str, args: tuple, kwargs: dict):
    from bot.slack import messages

    if method == "ask":  # the toll table is drawn here too, not in the process that acknowledges
        reply = messages.with_blocks(_desk.ask(*args, **kwargs))
        # Once drawn, the toll itself stays here: with a long ledger it weighed ~290 KB a reply, and
        # unpickling it in the process that acknowledges Slack held that process's interpreter lock
        # for half its samples during a burst of commands (bench/bench_slack_ack.py).
        return replace(reply, toll=None, verified={}) if reply.blocks else reply
    if method in ("parent_message", "alert_message"):
        return getattr(messages, method)(_desk, *args, **kwargs)
    return getattr(_desk, method)(*args, **kwargs)


class DeskProcess:
    """Same methods as Desk for what Slack needs: ask, detach, judge_claim, incidents_of_claim, messages."""

    def __init__(self, db_path, *, admins: frozenset[str] = frozenset()):
        self._child = Child(_start, str(db_path), frozenset(admins))

    def _run(self, method: str, *args, **kwargs):
        return self._child.run(_call, method, args, kwargs)

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

    def chart_post(self, name: str) -> dict:
        return self._run("chart_post", name)

    def home_data(self, *, feeds: bool = False) -> dict:
        return self._run("home_data", feeds=feeds)

    def digest(self, channel: str, *, at, hours: int = 24, feeds: bool = False) -> dict:
        return self._run("digest", channel, at=at, hours=hours, feeds=feeds)

    def close(self) -> None:
        self._child.close()
