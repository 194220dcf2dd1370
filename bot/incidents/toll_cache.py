"""Tolls reused until an incident's ledger changes (its ledger_version, bumped by triggers)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from bot.models import LedgerEntry
from bot.incidents.toll import compute_toll
from bot.incidents.toll_model import Toll
from db.incidents import ledger_version
from db.ledger import ledger_entries

CACHED_INCIDENTS = 256


@dataclass(frozen=True)
class Ledger:
    """An incident's ledger and the toll computed from it, at one ledger version."""

    version: int
    entries: tuple[LedgerEntry, ...]
    toll: Toll


class TollCache:
    """One per process; safe to share between threads (each lookup holds the db lock)."""

    def __init__(self, db, *, size: int = CACHED_INCIDENTS):
        self.db, self.size = db, size
        self._ledgers: OrderedDict[int, Ledger] = OrderedDict()

    def cached_version(self, incident_id: int) -> int | None:
        with self.db.lock:
            cached = self._ledgers.get(incident_id)
        return cached.version if cached else None

    def clear(self) -> None:
        """Forget everything: after a rolled-back transaction, a version number may come back with other data."""
        with self.db.lock:
            self._ledgers.clear()

    def get(self, incident_id: int) -> Ledger:
        """The current ledger and toll; recomputed only when the ledger changed since last time."""
        with self.db.lock:
            # The version is read before the entries: a write in between only makes the next call recompute.
            version = ledger_version(self.db, incident_id)
            cached = self._ledgers.get(incident_id)
            if cached is not None and cached.version == version:
                self._ledgers.move_to_end(incident_id)
                return cached
            entries = tuple(ledger_entries(self.db, incident_id))
        ledger = Ledger(version=version, entries=entries, toll=compute_toll(entries))
        with self.db.lock:
            self._ledgers[incident_id] = ledger
            self._ledgers.move_to_end(incident_id)
            while len(self._ledgers) > self.size:
                self._ledgers.popitem(last=False)
        return ledger
