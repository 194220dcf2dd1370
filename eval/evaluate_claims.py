"""Score the casualty-claims extractor: seed gold, GVDB, WAD, French real text, the blind set, speed.

Run from the repository root:  .venv/bin/python eval/evaluate_claims.py [--errors N]
Corpora are read in place from ../shared/corpus; each part is skipped with a message when absent.

Every labelled set has a part one tunes on and a part one only measures (eval/claim_sets.py):
WAD train.jsonl / dev.jsonl; GVDB dev and eval/data/french_real.yaml split in two by a hash of the
id. Both parts are printed side by side with the always-0 baseline, for the rules alone, the
trained model alone (bot/claims/decision.py) and what ships. eval/data/blind_real.yaml is
measure only: its score is printed, never its texts or errors. --errors prints tuned-on errors only.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.claims import extract_claims, record, text_toll  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
FIXTURES = ROOT / "tests" / "fixtures" / "claims"


def gold_report(gold_path: Path, texts_dir: Path) -> dict:
    """Seed gold: labelled claims found (metric, value, qualifier, source, overlapping quote) and distractors hit."""
    gold = yaml.safe_load(gold_path.read_text(encoding="utf-8"))
    found = total = distractors_hit = 0
    missing, hits = [], []
    for art in gold["articles"]:
        text = (texts_dir / art["file"]).read_text(encoding="utf-8")
        claims = extract_claims(text)
        for g in art.get("claims") or []:
            total += 1
            qs = text.find(g["quote"])
            qe = qs + len(g["quote"])
            ok = any(
                c.metric == g["metric"] and c.value == g["value"] and c.qualifier == g["qualifier"]
                and c.source == g["source"] and c.start < qe and c.end > qs
                for c in claims
            )
            found += ok
            if not ok:
                missing.append((art["file"], g))
        for d in art.get("distractors") or []:
            ds = text.find(d)
            de = ds + len(d)
            for c in claims:
                if ds >= 0 and c.start < de and c.end > ds:
                    distractors_hit += 1
                    hits.append((art["file"], d, c.quote))
    return {"found": found, "total": total, "distractors_hit": distractors_hit, "missing": missing, "hits": hits}


def gvdb_rows(path: Path) -> list[dict]:
    """GVDB articles with gold killed/injured counts (victims marked so)."""
    csv.field_size_limit(1 << 30)
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            victims = json.loads(row["Json"]).get("victim-section", [])
            was = [v.get("victim-was", []) for v in victims]
            rows.append({
                "id": row["Article id"],
                "text": row["Full text"],
                "killed": sum("killed" in w for w in was),
                "injured": sum("injured" in w for w in was),
                "annotated": bool(victims),
                # Every victim listed with an outcome, and none marked only "hospitalized" (which the
                # README's definition does not count as injured): labels a reader can check one by one.
                "complete": bool(victims) and all(w for w in was)
                            and not any(w == ["hospitalized"] for w in was),
            })
    return rows


def _value(claim) -> int:
    # The toll as a number to compare with GVDB's counts; a vague toll compares as its lower bound.
    if claim is None:
        return 0
    return claim.value if claim.value is not None else (claim.low or 0)


def gvdb_report(rows: list[dict]) -> dict:
    """Exact-match accuracy of toll.killed / toll.injured, the always-0 baseline, and on gold > 0."""
    out = {"n": len(rows), "errors": []}
    preds = [text_toll(r["text"], "en") for r in rows]
    for metric in ("killed", "injured"):
        gold = [r[metric] for r in rows]
        pred = [_value(p[metric]) for p in preds]
        pos = [i for i, g in enumerate(gold) if g > 0]
        # Crowd workers left the victim list empty on some articles that plainly report deaths;
        # shown apart, never instead of the full score.
        annotated = [i for i, r in enumerate(rows) if r.get("annotated", True)]
        complete = [i for i, r in enumerate(rows) if r.get("complete", True)]
        out[metric] = {
            "accuracy": sum(g == p for g, p in zip(gold, pred)) / len(rows),
            # A held-out check on rules: even-indexed articles were read while writing them, odd ones not.
            "accuracy_even": sum(gold[i] == pred[i] for i in range(0, len(rows), 2)) / max(1, len(range(0, len(rows), 2))),
            "accuracy_odd": sum(gold[i] == pred[i] for i in range(1, len(rows), 2)) / max(1, len(range(1, len(rows), 2))),
            "accuracy_complete": sum(gold[i] == pred[i] for i in complete) / max(1, len(complete)),
            "n_complete": len(complete),
            "baseline_zero": sum(g == 0 for g in gold) / len(rows),
            "accuracy_gold_pos": sum(gold[i] == pred[i] for i in pos) / max(1, len(pos)),
            "n_gold_pos": len(pos),
            "accuracy_annotated": sum(gold[i] == pred[i] for i in annotated) / max(1, len(annotated)),
            "n_annotated": len(annotated),
        }
        for i, (g, p) in enumerate(zip(gold, pred)):
            if g != p:
                out["errors"].append((rows[i]["id"], metric, g, p, preds[i][metric]))
    return out


def french_report(path: Path) -> dict:
    """French fixture: sentences whose every expected claim is found and nothing unexpected is extracted."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    ok = 0
    failures = []
    for case in cases:
        problems = check_case(case)
        ok += not problems
        if problems:
            failures.append((case["text"], problems))
    return {"ok": ok, "total": len(cases), "failures": failures}


def check_case(case: dict) -> list[str]:
    """Differences between a fixture case's expectations and what the extractor gives (empty = pass)."""
    text, lang = case["text"], case.get("lang", "fr")
    claims = extract_claims(text, lang)
    problems = []
    expected = case.get("claims") or []
    for e in expected:
        match = [c for c in claims if all(getattr(c, k) == v for k, v in e.items() if k != "quote")
                 and (not e.get("quote") or e["quote"] in c.quote or c.quote in e["quote"])]
        if not match:
            problems.append(f"missing {e}")
    if len(claims) > len(expected):
        problems.append("unexpected " + "; ".join(f"{c.metric} {c.value} {c.qualifier} {c.source} «{c.quote}»" for c in claims))
    for metric in ("killed", "injured"):
        key = f"toll_{metric}"
        if key in case:
            got = text_toll(text, lang)[metric]
            got_v = None if got is None else (got.value if got.value is not None else got.vague)
            if got_v != case[key]:
                problems.append(f"{key}: expected {case[key]!r}, got {got_v!r}")
    return problems


def throughput(texts: list[str], repeat: int = 5) -> float:
    """MB of text per second through the JSONL record path, on one core.

    CPU time of this process (not wall time), best of a few runs, so that other work on a
    shared machine does not count against the extractor.
    """
    size = sum(len(t.encode("utf-8")) for t in texts)
    best = None
    for _ in range(repeat):
        t0 = time.process_time()
        for i, t in enumerate(texts):
            record(i, t, "en")
        dt = time.process_time() - t0
        best = dt if best is None else min(best, dt)
    return size / best / 1e6


def _fmt(x) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def _row(name: str, s: dict) -> str:
    """One line of the table: killed and injured accuracy beside the always-0 baseline, false tolls."""
    k, j, f = s["killed"], s["injured"], s["false_toll"]
    ft = f"   false tolls {_fmt(f['rate'])} of {f['n']}" if f["n"] else ""
    return (f"  {name:17s} n={s['n']:<5d} killed {_fmt(k['accuracy'])} (always-0 {_fmt(k['baseline_zero'])})   "
            f"injured {_fmt(j['accuracy'])} (always-0 {_fmt(j['baseline_zero'])}, n={j['n']}){ft}")


def split_report(n_errors: int = 0) -> None:
    """Per set: the tuned-on part and the held-out part side by side, the always-0 baseline, and
    candidate recall on the tuned-on part. Errors are printed for tuned-on parts only."""
    from eval import claim_scores as S
    from eval import claim_sets as D

    print("toll exact match per set: tuned-on part | held-out part (never tune on it) | always-0 baseline")
    for name, tune, held in D.named_sets():
        if not tune and not held:
            print(f"{name}: skipped (not found)")
            continue
        print(f"{name}:")
        preds = S.predict(tune)
        for part_name, part in (("tuned-on", tune), ("held-out", held)):
            for how in ("rules", "model"):
                print(_row(f"{part_name} {how}", S.score(part, S.predict(part, how))))
            print(_row(f"{part_name} SHIPPED", S.score(part, preds if part is tune else None)))
            if name == "wad":  # WAD counts civilians only: the toll's civilian part where the text gives it
                print(_row(f"{part_name} civilians", S.score(part, S.predict(part, civilians=True))))
        r = S.candidate_recall(tune)
        print(f"  {'':9s} candidate recall on the tuned-on part (label among the figures proposed): "
              f"killed {_fmt(r['killed']['recall'])} (n={r['killed']['n']})   "
              f"injured {_fmt(r['injured']['recall'])} (n={r['injured']['n']})")
        for e in S.errors(tune, preds)[:n_errors]:
            print(f"    tuned-on error id={e[0]} {e[1]}: gold {e[2]} got {e[3]} «{e[4][:100]}»")
    for path, label in ((D.BLIND_REAL, "session 17"), (D.BLIND_REAL_2, "session 18, after the rules of session 17"),
                        (D.BLIND_REAL_3, "session 19, after the rules of session 18"),
                        (D.BLIND_REAL_4, "session 20, after the rules of session 19")):
        blind = D.real_yaml(path)
        if not blind:
            continue
        # Measure only: the score is printed, never the texts or the errors.
        print(f"{path.stem} ({len(blind)} blind-labelled real texts, EN + FR, labelled in {label}; "
              "measure only, no errors shown):")
        for how in ("rules", "model", None):
            print(_row(f"all {how or 'SHIPPED'}", S.score(blind, S.predict(blind, how))))
        for lang in ("en", "fr"):
            part = [c for c in blind if c["lang"] == lang]
            if part:
                print(_row(f"{lang} SHIPPED", S.score(part)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", type=int, default=0,
                        help="print this many errors per tuned-on part (held-out and blind errors are never printed)")
    args = parser.parse_args(argv)

    seeds = SHARED / "seeds"
    if (seeds / "gold.yaml").exists():
        g = gold_report(seeds / "gold.yaml", seeds)
        print(f"seed gold (tuned-on, no held-out part): {g['found']}/{g['total']} claims found; distractors extracted: {g['distractors_hit']}")
        for f, c in g["missing"]:
            print(f"  missing {f}: {c}")
        for f, d, q in g["hits"]:
            print(f"  distractor {f}: {d!r} <- {q!r}")
    else:
        print(f"seed gold: skipped ({seeds} not found; it lives in ../shared beside the checkout)")

    gv = SHARED / "gvdb" / "dev.tsv"
    rows = []
    if gv.exists():
        rows = gvdb_rows(gv)
        r = gvdb_report(rows)
        print(f"gvdb dev, whole ({r['n']} articles; the floor test's figure, half of it held out below):")
        for metric in ("killed", "injured"):
            m = r[metric]
            print(f"  {metric:8s} accuracy {m['accuracy']:.3f}   always-0 baseline {m['baseline_zero']:.3f}   "
                  f"on gold>0 ({m['n_gold_pos']}) {m['accuracy_gold_pos']:.3f}   "
                  f"[on articles with a victim list ({m['n_annotated']}) {m['accuracy_annotated']:.3f}]")
            print(f"  {'':8s} even-indexed half {m['accuracy_even']:.3f}   odd-indexed half {m['accuracy_odd']:.3f}   "
                  f"[labels complete, no victim only 'hospitalized' ({m['n_complete']}) {m['accuracy_complete']:.3f}]")
    else:
        print(f"gvdb: skipped ({gv} not found; it lives in ../shared beside the checkout)")

    fr = french_report(FIXTURES / "french.yaml")
    print(f"french fixture (tuned-on: written beside the rules, no held-out part): {fr['ok']}/{fr['total']} sentences fully right")
    for text, problems in fr["failures"]:
        print(f"  {text}\n    " + "\n    ".join(problems))

    split_report(args.errors)

    seeds_texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "bot" / "demo" / "articles").glob("*.txt"))]
    if rows:
        texts = [r["text"] for r in rows]
        print(f"throughput: {throughput(texts):.2f} MB/s on one core, GVDB dev ({sum(len(t) for t in texts) / 1e6:.2f} MB, "
              f"dense crime news, nearly every sentence about a shooting)")
    print(f"throughput: {throughput(seeds_texts * 20):.2f} MB/s on one core, seed articles x20 (Sahel conflict reporting)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
