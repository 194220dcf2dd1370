"""The look-back after /incident track: the items already stored that belong to the new incident.

It attaches items already stored, processed or not yet: those within the incident's window whose
text holds one of its terms (full-text search), or every item of the window when it has none; their
alerts are recorded, not posted (backfill). On a large store that is minutes of work. The CLI's
`ask` runs it there and then, its progress on stderr; the running bot's desk answers at once and
hands a look-back of more than SYNC_LOOK_BACK items to `LookBacks`, a thread of its own in the desk
process (its own database connection and matcher), whose progress goes to the incident's thread:
outbox rows of kind LOOK_BACK_KIND, which the sender posts like alerts (the first opens the thread).
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import date
from typing import Callable

from bot.incidents.matching import Matcher
from bot.incidents.processing import IncidentProcessor, ProcessOutcome
from bot.models import Incident
from db.connection import writing
from db.incidents import active_incidents, earliest_match, set_since
from db.items import item_ids_in_window
from db.outbox import enqueue

logger = logging.getLogger(__name__)

LOOK_BACK_KIND = "look_back"
SYNC_LOOK_BACK = 200  # at most this many items: looked back through before the answer (well under a second)

Progress = Callable[[int, int, int], None]  # (items done, items in all, matched so far)


def look_back_step(total: int) -> int:
    """Items between two progress lines of a look-back: every 1,000 (in thousands, at most about twenty
    lines); 0, no line, for a look-back of fewer than 1,000 items."""
    return 0 if total < 1_000 else max(1_000, -(-total // 20_000) * 1_000)


def window_ids(db, incident: Incident) -> list[int]:
    """The stored items a look-back goes through, oldest first."""
    query = Matcher([incident]).fts_query(incident.slug)
    before = date.fromordinal(incident.until.toordinal() + 1).isoformat() if incident.until else None
    return item_ids_in_window(db, query=query or None, since=incident.since.isoformat(), before=before)


def look_back(processor: IncidentProcessor, incident_id: int, incident: Incident, *, ids: list[int],
              progress: Progress | None = None) -> ProcessOutcome:
    """Match `ids` against this incident only; `progress` at most about twenty times."""
    outcome = ProcessOutcome()
    step = look_back_step(len(ids)) if progress else 0
    for done, item_id in enumerate(ids, 1):
        processor.process_item(item_id, outcome=outcome, only={incident_id}, backfill=True)
        if step and done % step == 0 and done < len(ids):
            progress(done, len(ids), outcome.matches)
    return outcome


def progress_line(slug: str, done: int, total: int, matches: int) -> str:
    return f"{slug}: looked back through {done:,} of {total:,} items, {matches:,} matched so far"


def settle_since(db, incident_id: int, *, today: date) -> bool:
    """No since: given: the incident starts at its earliest matching story (today when there is none).
    Whether there was one."""
    earliest = earliest_match(db, incident_id)
    set_since(db, incident_id, earliest.date() if earliest else today)
    return earliest is not None


class LookBacks:
    """Look-backs one at a time on a thread of their own, each saying how far it got in the incident's thread."""

    def __init__(self, db_path, *, open_db: Callable | None = None):
        self.db_path = str(db_path)
        self._open_db = open_db
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._busy = 0
        self.idle = threading.Event()
        self.idle.set()

    def submit(self, incident_id: int, incident: Incident, *, total: int, settle_on: date | None) -> None:
        """Queue a look-back; `settle_on` (today) when no since: was given (bot/incidents/desk.py's track)."""
        with self._lock:
            self._busy += 1
            self.idle.clear()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="look-back", daemon=True)
                self._thread.start()
        self._jobs.put((incident_id, incident, total, settle_on))

    def _run(self) -> None:
        if self._open_db is not None:
            db = self._open_db()
        else:
            from db import open_database

            db = open_database(self.db_path, migrate=False)
        processor = None
        while True:
            incident_id, incident, total, settle_on = self._jobs.get()
            try:
                processor = processor or IncidentProcessor(db)  # its own matcher: the desk's answers go on
                self._one(db, processor, incident_id, incident, settle_on)
            except Exception:
                logger.exception("look-back failed", extra={"incident_id": incident_id})
                self._note(db, incident_id, f"{incident.slug}: the look-back through {total:,} stored items "
                                            "failed; new items are matched all the same.", key="failed")
            finally:
                with self._lock:
                    self._busy -= 1
                    if not self._busy:
                        self.idle.set()

    def _one(self, db, processor: IncidentProcessor, incident_id: int, incident: Incident,
             settle_on: date | None) -> None:
        processor.refresh()
        if incident_id not in active_incidents(db):
            return  # untracked before its look-back began
        ids = window_ids(db, incident)

        def progress(done: int, total: int, matches: int) -> None:
            line = progress_line(incident.slug, done, total, matches)
            logger.info(line)
            self._note(db, incident_id, line, key=str(done))

        outcome = look_back(processor, incident_id, incident, ids=ids, progress=progress)
        start = ""
        if settle_on is not None:
            found = settle_since(db, incident_id, today=settle_on)
            since = active_incidents(db).get(incident_id, incident).since
            start = (f"; it starts {since}, its earliest matching story" if found
                     else f"; no matching story, so it starts today ({since})")
        self._note(db, incident_id, f"{incident.slug}: look-back done: {len(ids):,} stored items, "
                                    f"{outcome.matches:,} matched{start}.", key="done")

    @staticmethod
    def _note(db, incident_id: int, text: str, *, key: str) -> None:
        with writing(db):
            enqueue(db, key=f"{LOOK_BACK_KIND}:{incident_id}:{key}", incident_id=incident_id, kind=LOOK_BACK_KIND,
                    payload={"text": text})
