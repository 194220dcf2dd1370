"""The toll-latency bench runs at a small size and every reply it times is the right answer (no timing assertion)."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_toll_query.py"
SMALL = ["--items", "20000", "--incidents", "20", "--claims", "2000", "--queries", "40", "--warmup", "5"]


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_toll_query", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def run(bench, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    results = bench.main([*SMALL, "--out", str(out)])
    return out, results


def test_bench_times_every_view_and_every_reply_is_correct(run):
    _, results = run
    assert results["errors"] == []
    assert set(results["views"]) == {"toll", "summary", "timeline", "sources"}
    for view in results["views"].values():
        assert view["n"] == 40
        assert 0 < view["p50"] <= view["p95"] <= view["p99"] <= view["max"]


def test_generated_database_has_the_asked_shape(bench, run):
    out, results = run
    conn = sqlite3.connect(results["db"])
    try:
        count = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        assert count("select count(*) from items") == 20_000
        assert count("select count(*) from incidents") == 20
        assert 2_000 <= count("select count(*) from claims") <= 2_300  # the last story may overshoot a budget
        assert count("select count(distinct feed_id) from items") == 50
        assert count("select count(*) from claims where status = 'superseded'") > 0
        assert count("select count(*) from claims where status = 'rejected'") > 0  # seeded: 1 at this size
        assert count("select count(*) from matches where status = 'rejected'") > 0
        # syndication: some matched stories carried by several outlets
        assert count("select count(*) from (select story_id from matches group by story_id"
                     " having count(distinct item_id) > 1)") > 0
        # the FTS index was rebuilt and its triggers restored
        assert count("select count(*) from items_fts where items_fts match 'attack'") > 0
        triggers = {r[0] for r in conn.execute("select name from sqlite_master where type = 'trigger'"
                                               " and tbl_name = 'items'")}
        assert triggers == {"items_ai", "items_ad", "items_au", "items_ledger_update"}
    finally:
        conn.close()


def test_second_run_reuses_the_database(bench, run, capsys):
    out, first = run
    results = bench.main([*SMALL, "--queries", "5", "--warmup", "0", "--views", "toll", "--out", str(out)])
    assert "reusing" in capsys.readouterr().out
    assert results["db"] == first["db"]
    assert results["errors"] == []


def test_the_bench_would_notice_a_wrong_answer(bench):
    exp = bench.ExpectedIncident(slug="bamako-attack", name="Bamako attack", final_killed=77, final_injured=255,
                                 bogus=[91234], matched_items=3, apart=True)
    good = ("Bamako attack (bamako-attack) — toll\nKilled\n  • Official sources: 77 (latest, since 19 Sep 2024)\n"
            "Injured\n  • Official sources: 255 (latest, since 19 Sep 2024)\n"
            "  Claimed by the armed group, not in the range: hundreds")
    assert bench.check("toll", good, exp) is None
    assert "missing" in bench.check("toll", good.replace(": 77 (", ": 70 ("), exp)
    assert "rejected figure" in bench.check("toll", good + "\n  • Official sources: 91234", exp)
    assert "apart" in bench.check("toll", good.split("\n  Claimed")[0], exp)
    assert "sources count" in bench.check("sources", "Bamako attack (bamako-attack) — sources (2)", exp)
