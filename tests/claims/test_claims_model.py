"""The trained toll decision layer: the committed model is what `python -m bot.claims.train`
produces, it is small and plain JSON, and the extractor runs without ../shared or scikit-learn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.claims import text_toll
from bot.claims.decision import MODEL_PATH, load_model
from bot.claims.features import FEATURES

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "corpus"
# Coefficients are written rounded to 6 digits; lbfgs on the same data gives the same figures,
# and a different BLAS may move the last digits: this is the tolerance the check allows.
TOLERANCE = 1e-4


def _committed() -> dict:
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))


def test_committed_model_is_small_plain_json_on_the_current_features():
    assert MODEL_PATH.stat().st_size < 3_000_000
    doc = _committed()
    assert doc["features"] == list(FEATURES)
    for weights in doc["metrics"].values():
        assert set(weights["coef"]) == set(FEATURES)
    assert load_model() is not None


def test_committed_model_is_what_the_training_script_produces():
    if not (SHARED / "wad" / "train.jsonl").exists():
        pytest.skip(f"{SHARED} not found: the training corpora live in ../shared beside the checkout")
    pytest.importorskip("sklearn")
    from bot.claims.train import data_hash, train, training_cases

    cases = training_cases()
    doc = _committed()
    if data_hash(cases) != doc["data"]:
        pytest.skip("the tuned-on data changed since the model was written (eval/data/french_real.yaml "
                    "grows as it is labelled): run `make train` and commit bot/claims/model/toll_model.json")
    fresh = train(cases, log=lambda *_: None)
    assert fresh["features"] == doc["features"]
    for metric, weights in doc["metrics"].items():
        assert abs(fresh["metrics"][metric]["intercept"] - weights["intercept"]) <= TOLERANCE
        for f, w in weights["coef"].items():
            assert abs(fresh["metrics"][metric]["coef"][f] - w) <= TOLERANCE, (metric, f)


def test_extractor_runs_without_shared_and_without_scikit_learn(tmp_path):
    # A user's clone: no ../shared beside it, run from elsewhere; loading the model runs no code
    # and needs no scikit-learn (it is only a training dependency).
    code = ("import sys; from bot.claims import text_toll; from bot.claims.decision import load_model; "
            "t = text_toll('At least 13 people were killed and 14 others wounded.', 'en'); "
            "assert load_model() is not None; assert t['killed'].value == 13 and t['injured'].value == 14; "
            "assert 'sklearn' not in sys.modules and 'eval' not in sys.modules; print('ok')")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_without_a_model_file_the_rules_choose(tmp_path):
    assert load_model(str(tmp_path / "absent.json")) is None


def test_rules_and_model_agree_on_a_plain_toll():
    text = "At least 29 people, including 10 foreigners, were killed in the attack."
    assert text_toll(text, "en", "rules")["killed"].value == text_toll(text, "en", "model")["killed"].value == 29
