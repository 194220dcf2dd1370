"""A newsroom person browses the ledger read-only: datasette with descriptions and canned queries."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.browse import browse_command
from tests.conftest import REPO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_browse_serves_the_toll_over_time_query_as_json(tmp_path):
    path = tmp_path / "ledger.db"
    demo = subprocess.run([sys.executable, "-m", "bot", "--db", str(path), "demo"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    port = free_port()
    server = subprocess.Popen(browse_command(Path(path), port=port), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        answer = None
        for _ in range(100):  # bounded: datasette starts in a second or two
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/ledger/toll_over_time.json",
                                   params={"slug": "bamako-attacks", "_shape": "objects"}, timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert answer is not None and answer.status_code == 200, answer and answer.text
        rows = answer.json()["rows"]
        assert {"official", "leaked_documents"} <= {r["source"] for r in rows}
        assert any(r["source"] == "official" and r["value"] == 77 and r["metric"] == "killed" for r in rows)
        tables = httpx.get(f"http://127.0.0.1:{port}/ledger/claims.json", timeout=2)
        assert tables.status_code == 200
        meta = httpx.get(f"http://127.0.0.1:{port}/-/metadata.json", timeout=2).json()
        assert "scope" in json.dumps(meta["databases"]["ledger"]["tables"]["claims"])
        write = httpx.post(f"http://127.0.0.1:{port}/ledger/-/query", data={"sql": "delete from feeds"}, timeout=2)
        assert write.status_code >= 400  # read-only
    finally:
        server.terminate()
        server.wait(timeout=10)
