"""Processes: the bot's children (ingest worker, its parse processes, desk process) never outlive it, even SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.child import Child, become_background

REPO = Path(__file__).resolve().parent.parent

# The parent: starts the bot's real children (two parse processes), prints their pids, then waits to be killed.
PARENT = """
import os, sys, time
from bot.ingest.worker import IngestWorker
from bot.slack.desk_process import DeskProcess
from db import open_database

open_database(sys.argv[1]).close()
worker, desk = IngestWorker(sys.argv[1], parse_workers=2), DeskProcess(sys.argv[1])
worker.parse_pool.start()
print(worker._child.run(os.getpid), desk._child.run(os.getpid), *worker.parse_pool.pids(), flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper counts as gone: it runs nothing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


def _wait_gone(pids, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [pid for pid in pids if _alive(pid)]
        if not left:
            return []
        time.sleep(0.05)
    return [pid for pid in pids if _alive(pid)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_the_bot_takes_down_its_ingest_worker_parse_processes_and_desk_process(tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path / "desk.db")], cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children = []
    try:
        line = parent.stdout.readline()  # bounded by the children's start-up; the pytest timeout caps it
        children = [int(pid) for pid in line.split()]
        assert len(children) == 4 and parent.pid not in children, parent.stderr.read()
        assert all(_alive(pid) for pid in children)
        os.kill(parent.pid, signal.SIGKILL)  # no cleanup of any kind runs in the parent
        parent.wait(timeout=10)
        assert _wait_gone(children, 5) == []
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in children:  # never leave one behind, whatever the result
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _pid_of_child(child: Child) -> int:
    return child.run(os.getpid)


def test_a_child_outlives_the_thread_that_started_it():
    """The parent-death signal also comes when the spawning thread ends: that must not kill the child."""
    child = Child(become_background)
    try:
        pids = []
        starter = threading.Thread(target=lambda: pids.append(_pid_of_child(child)))
        starter.start()
        starter.join(timeout=60)
        assert pids and _alive(pids[0])
        time.sleep(0.5)  # the signal has been delivered and handled by now
        assert _alive(pids[0]) and child.run(os.getpid) == pids[0]
    finally:
        child.close()
