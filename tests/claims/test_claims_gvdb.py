"""Toll accuracy on the GVDB dev split (../shared/corpus), held above a floor; skipped without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.evaluate_claims import gvdb_report, gvdb_rows

DEV = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "gvdb" / "dev.tsv"

# The floor sits just under what the extractor scores today (see eval/evaluate_claims.py), so a
# change that loses ground fails here. Raise it when the extractor gets better.
FLOOR = {"killed": 0.895, "injured": 0.817}


@pytest.fixture(scope="module")
def report():
    if not DEV.exists():
        pytest.skip(f"{DEV} not found: the GVDB corpus lives in ../shared beside the checkout")
    return gvdb_report(gvdb_rows(DEV))


@pytest.mark.parametrize("metric", ["killed", "injured"])
def test_gvdb_toll_accuracy_stays_above_floor(report, metric):
    assert report[metric]["accuracy"] >= FLOOR[metric], report[metric]


@pytest.mark.parametrize("metric", ["killed", "injured"])
def test_gvdb_toll_beats_the_always_zero_baseline(report, metric):
    assert report[metric]["accuracy"] > report[metric]["baseline_zero"] + 0.1
