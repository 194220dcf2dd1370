"""Train the toll decision layer: `python -m bot.claims.train` (or `make train`).

Reads the tuned-on parts of the labelled sets in ../shared and eval/data (eval/claim_sets.py:
WAD train, the GVDB dev half whose id hashes even, the French real half likewise; never a
held-out part, never eval/data/blind_real.yaml), builds the rules' candidates for every text,
fits one logistic regression per metric (scikit-learn, lbfgs: deterministic) and writes its
coefficients as JSON to bot/claims/model/toll_model.json (rounded, so the file is stable).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.claims.decision import MODEL_PATH  # noqa: E402
from bot.claims.extract import mentions  # noqa: E402
from bot.claims.features import FEATURES, candidates, label_index  # noqa: E402
from bot.claims.lang import detect_lang  # noqa: E402
from bot.claims.text_toll import toll_from_mentions  # noqa: E402

METRICS = ("killed", "injured")
C = 1.0  # inverse regularisation strength
DIGITS = 6


def rows(cases: list[dict], metric: str) -> tuple[list[list[float]], list[int]]:
    """One row of features per candidate of every case whose label is among its candidates."""
    X, y = [], []
    for case in cases:
        gold = case.get(metric)
        if gold is None:
            continue
        text = case["text"]
        lang = case.get("lang") if case.get("lang") in ("en", "fr") else detect_lang(text)
        ms = mentions(text, lang)
        rule = toll_from_mentions(ms, text)[metric]
        cands = candidates(ms, rule, metric, text, lang)
        i = label_index(cands, gold)
        if i is None:
            continue  # the label is no candidate: nothing for a chooser to learn here
        for k, c in enumerate(cands):
            X.append([c.x[f] for f in FEATURES])
            y.append(int(k == i))
    return X, y


def data_hash(cases: list[dict]) -> str:
    """A hash of the training texts and labels: a model is reproducible from the same data only."""
    h = hashlib.sha1()
    for c in cases:
        h.update(json.dumps([c["id"], c["text"], c.get("killed"), c.get("injured")], ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def training_cases() -> list[dict]:
    """The tuned-on parts of every set, in a fixed order (eval/claim_sets.py)."""
    from eval.claim_sets import named_sets

    cases = []
    for name, tune, _held in named_sets():
        print(f"{name}: {len(tune)} tuned-on texts")
        cases.extend(tune)
    return cases


def train(cases: list[dict], log=print) -> dict:
    """The model document (JSON-ready) trained on these cases."""
    from sklearn.linear_model import LogisticRegression

    import sklearn

    doc = {"format": "toll-model/1", "sklearn": sklearn.__version__, "C": C, "features": list(FEATURES),
           "data": data_hash(cases), "n_texts": len(cases), "metrics": {}}
    for metric in METRICS:
        t0 = time.perf_counter()
        X, y = rows(cases, metric)
        log(f"  {metric}: {len(X)} candidates ({sum(y)} labels) from {len(cases)} texts, features in "
            f"{time.perf_counter() - t0:.1f}s")
        clf = LogisticRegression(C=C, solver="lbfgs", max_iter=5000)
        clf.fit(X, y)
        doc["metrics"][metric] = {
            "intercept": round(float(clf.intercept_[0]), DIGITS),
            "coef": {f: round(float(w), DIGITS) for f, w in zip(FEATURES, clf.coef_[0])},
        }
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help=f"where to write the model (default {MODEL_PATH})")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    cases = training_cases()
    if not cases:
        print("no training data: ../shared/corpus is absent (it lives beside the checkout)", file=sys.stderr)
        return 2
    doc = train(cases)
    print(f"trained in {time.perf_counter() - t0:.1f}s (features and fit)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.1f} KB) in {time.perf_counter() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
