"""bench/bench_scale.py in small: the real bot polls 50 local feeds for a short while and every figure is printed."""

import re
import subprocess
import sys

from tests.conftest import REPO


def test_bench_scale_prints_its_figures_and_counts_every_feed():
    done = subprocess.run([sys.executable, "bench/bench_scale.py", "--feeds", "50", "--seconds", "45",
                           "--change-rate", "0.5", "--match-share", "0.5", "--baseline-seconds", "10"],
                          cwd=REPO, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for figure in ("polls/s needed", "polls/s done", "polled within interval + 10%", "appearance -> stored, p50",
                   "appearance -> stored, p99", "CPU seconds, all bot processes", "peak RSS", "database size",
                   "naive polls/s", "CPU per poll, bot / naive"):
        assert figure in out, out
    assert re.search(r"poll targets counted\s+50 of 50", out), out
    assert re.search(r"polled within interval \+ 10%\s+100\.0%", out), out
    assert re.search(r"stop \(SIGTERM -> exit\)\s+[\d.]+ s\s+\(exit status 0;", out), out
    assert re.search(r"naive loop, one pass\s+50 feeds", out), out
