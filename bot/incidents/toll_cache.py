"""Tolls reused until an incident's ledger changes (its ledger_version, bumped by triggers)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import LedgerEntry
from bot.incidents.toll import Grown, TollBuilder
from bot.incidents.toll_model import Toll
from db.incidents import ledger_version
from db.ledger import ledger_entries

CACHED_INCIDENTS = 256


@dataclass(frozen=True)
class Ledger:
    """An incident's ledger and the toll computed from it, at one ledger version."""

    version: int
    entries: Sequence[LedgerEntry]
    toll: Toll


@dataclass
class _Kept:
    ledger: Ledger
    builder: TollBuilder
    items: set[int]  # the items whose figures the builder has read


class TollCache:
    """One per process; safe to share between threads (each lookup holds the db lock)."""

    def __init__(self, db, *, size: int = CACHED_INCIDENTS):
        self.db, self.size = db, size
        self._kept: OrderedDict[int, _Kept] = OrderedDict()

    def cached_version(self, incident_id: int) -> int | None:
        with self.db.lock:
            kept = self._kept.get(incident_id)
        return kept.ledger.version if kept else None

    def clear(self) -> None:
        """Forget everything: after a rolled-back transaction, a version number may come back with other data."""
        with self.db.lock:
            self._kept.clear()

    def get(self, incident_id: int) -> Ledger:
        """The current ledger and toll; read again from the whole ledger only when it changed since."""
        with self.db.lock:
            # The version is read before the entries: a write in between only makes the next call recompute.
            version = ledger_version(self.db, incident_id)
            kept = self._kept.get(incident_id)
            if kept is not None and kept.ledger.version == version:
                self._kept.move_to_end(incident_id)
                return kept.ledger
            entries = ledger_entries(self.db, incident_id)
        builder = TollBuilder()  # a fresh one: another thread may be reading the kept builder's toll
        builder.rebuild(entries)
        kept = _Kept(Ledger(version=version, entries=Grown(builder.history), toll=builder.toll()), builder,
                     {e.item_id for e in entries})
        self._keep(incident_id, kept)
        return kept.ledger

    def after_item(self, incident_id: int, item_id: int) -> Ledger:
        """The ledger after one item's figures were stored, read on top of the toll before (O(the item)).

        Call inside the transaction that stored them, after get() in that same transaction: the
        transaction keeps every other writer out, so the version changed by this item alone. Anything
        but a new article's figures, newest of the ledger, falls back to get().
        """
        with self.db.lock:
            version = ledger_version(self.db, incident_id)
            kept = self._kept.get(incident_id)
            if kept is not None and kept.ledger.version == version:
                return kept.ledger  # the item changed nothing of this ledger
            if kept is None or item_id in kept.items:
                return self.get(incident_id)  # nothing kept, or an item read before changed (a revision)
            entries = ledger_entries(self.db, incident_id, of_item=item_id)
            if not kept.builder.can_append(entries):
                return self.get(incident_id)
            kept.builder.append(entries)
            kept.items.add(item_id)
            kept.ledger = Ledger(version=version, entries=Grown(kept.builder.history), toll=kept.builder.toll())
            self._kept.move_to_end(incident_id)
            return kept.ledger

    def _keep(self, incident_id: int, kept: _Kept) -> None:
        with self.db.lock:
            self._kept[incident_id] = kept
            self._kept.move_to_end(incident_id)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
