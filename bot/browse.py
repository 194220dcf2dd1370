"""`python -m bot browse`: the database, read-only, in datasette on 127.0.0.1.

Datasette opens a database file read-only unless told otherwise, so browsing never competes with
the bot's writes (WAL lets both go on). Descriptions and canned queries come from db/browse.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from db.browse import datasette_metadata


def browse_command(db_path: Path, *, port: int) -> list[str]:
    """The datasette command line; the metadata file is written next to a temporary directory."""
    folder = Path(tempfile.mkdtemp(prefix="incident-desk-browse-"))
    metadata = folder / "metadata.json"
    metadata.write_text(json.dumps(datasette_metadata(db_path.stem)), encoding="utf-8")
    return [sys.executable, "-m", "datasette", "serve", str(db_path), "--host", "127.0.0.1", "--port", str(port),
            "--metadata", str(metadata), "--setting", "sql_time_limit_ms", "5000"]


def browse(db_path: Path, *, port: int) -> int:
    if not db_path.exists():
        print(f"no database at {db_path}: run the bot (or `make demo`) first", file=sys.stderr)
        return 2
    print(f"starting datasette on http://127.0.0.1:{port}/ (read-only; Ctrl-C stops it) …", flush=True)
    try:
        return subprocess.call(browse_command(db_path, port=port))
    except KeyboardInterrupt:
        return 0
