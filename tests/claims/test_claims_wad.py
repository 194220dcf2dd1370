"""Toll accuracy on WAD (../shared/corpus/wad), the product's own domain, held above floors; skipped
without it. Floors sit just under today's figures on the tuned-on part (train.jsonl); dev.jsonl is
held out and only measured (eval/evaluate_claims.py prints it)."""

from __future__ import annotations

import pytest

from eval.claim_scores import score
from eval.claim_sets import WAD_TRAIN, wad

FLOOR = {"killed": 0.785, "injured": 0.888}


@pytest.fixture(scope="module")
def report():
    if not WAD_TRAIN.exists():
        pytest.skip(f"{WAD_TRAIN} not found: WAD lives in ../shared beside the checkout")
    return score(wad(WAD_TRAIN))


@pytest.mark.parametrize("metric", ["killed", "injured"])
def test_wad_tuned_on_toll_accuracy_stays_above_floor(report, metric):
    assert report[metric]["accuracy"] >= FLOOR[metric], report[metric]
