"""The database: opening it, its migrations and the named queries the bot runs.

The .db file itself lives in this folder by default (git-ignored).
"""

from db.connection import from_iso, open_database, to_iso, utc_now_iso, writing

__all__ = ["open_database", "utc_now_iso", "to_iso", "from_iso", "writing"]
