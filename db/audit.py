"""The audit log: who changed what, and when."""

from __future__ import annotations

import json

from db.connection import utc_now_iso


def audit(db, *, actor: str, action: str, target: str, detail: dict | None = None) -> None:
    """Record one change made by a person (call inside the change's transaction)."""
    db.execute("insert into audit_log (at, actor, action, target, detail) values (?,?,?,?,?)",
               [utc_now_iso(), actor, action, target, json.dumps(detail or {}, default=str)])
