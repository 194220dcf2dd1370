"""The labelled sets the claims extractor is measured on, each cut into a part one may tune on and a
part one only measures (held out). One loader per set; every loader returns plain cases:

    {"id", "text", "lang", "killed": int|None, "injured": int|None, "has_toll": bool|None}

killed/injured None means "not labelled for that metric" (the case is left out of that metric's
score). Sets that live in ../shared are skipped (empty list) where the folder is absent.

Splits are by a hash of the case's id, so they never depend on file order and a case never moves
when others are added: `part(id) == "tune"` for about half, `"held"` for the rest.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"
DATA = ROOT / "eval" / "data"

WAD_TRAIN = SHARED / "wad" / "train.jsonl"
WAD_DEV = SHARED / "wad" / "dev.jsonl"
GVDB_DEV = SHARED / "gvdb" / "dev.tsv"
FRENCH_REAL = DATA / "french_real.yaml"
FRENCH_REAL_2 = DATA / "french_real_2.yaml"  # 60 more real French texts (session 19), split like the first
REAL_5 = DATA / "real_5.yaml"  # 80 real texts, 60 English wires + 20 French (session 20), split like french_real
BLIND_REAL = DATA / "blind_real.yaml"  # MEASURE ONLY: never read its texts or errors to write a rule
BLIND_REAL_2 = DATA / "blind_real_2.yaml"  # MEASURE ONLY, likewise: labelled blind after blind_real was spent
BLIND_REAL_3 = DATA / "blind_real_3.yaml"  # MEASURE ONLY, likewise: labelled blind in session 19, after blind_real_2 was spent
BLIND_REAL_4 = DATA / "blind_real_4.yaml"  # MEASURE ONLY, likewise: labelled blind in session 20, after the rules of session 19


def part(case_id: str) -> str:
    """"tune" or "held" for a case id: the first byte of its SHA-1, even or odd."""
    return "tune" if hashlib.sha1(str(case_id).encode("utf-8")).digest()[0] % 2 == 0 else "held"


def split(cases: list[dict]) -> tuple[list[dict], list[dict]]:
    """(tune, held) halves of a set by a hash of each id."""
    tune = [c for c in cases if part(c["id"]) == "tune"]
    held = [c for c in cases if part(c["id"]) == "held"]
    return tune, held


def wad(path: Path) -> list[dict]:
    """WAD ledes: killed (civilian victims, attackers excluded) and injured (None where not coded)."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            out.append({"id": r["id"], "text": r["text"], "lang": r.get("lang") or "en",
                        "killed": r["killed"], "injured": r["injured"], "has_toll": None})
    return out


def gvdb(path: Path = GVDB_DEV) -> list[dict]:
    """GVDB dev articles with their victim counts (the loader of evaluate_claims, as cases)."""
    if not path.exists():
        return []
    from eval.evaluate_claims import gvdb_rows  # one reading of GVDB's labels, shared with the floor test

    return [{"id": r["id"], "text": r["text"], "lang": "en", "killed": r["killed"], "injured": r["injured"],
             "has_toll": None} for r in gvdb_rows(path)]


def real_yaml(path: Path) -> list[dict]:
    """A real-text YAML set (french_real, blind_real): numeric tolls, vague-only tolls as 0.

    The labellers write a vague-only toll ("des dizaines") as null with a *_vague field, and no
    figure as null: both mean "no number to give", scored as 0 against the extractor's number.
    A file still being written (not yet valid YAML) reads as empty, with a message.
    """
    if not path.exists():
        return []
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        print(f"  ({path.name}: not readable yet: {str(exc).splitlines()[0]})")
        return []
    out = []
    for c in doc.get("cases") or []:
        if not isinstance(c, dict) or not c.get("text") or "id" not in c:
            continue
        out.append({"id": c["id"], "text": c["text"], "lang": c.get("lang") or "fr",
                    "killed": c.get("toll_killed") or 0, "injured": c.get("toll_injured") or 0,
                    "has_toll": c.get("has_toll")})
    return out


def named_sets() -> list[tuple[str, list[dict], list[dict]]]:
    """(name, tuned-on cases, held-out cases) for every set with a tuned-on part."""
    gv = gvdb()
    gv_tune, gv_held = split(gv)
    fr_tune, fr_held = split(real_yaml(FRENCH_REAL))
    fr2_tune, fr2_held = split(real_yaml(FRENCH_REAL_2))
    r5_tune, r5_held = split(real_yaml(REAL_5))
    return [
        ("wad", wad(WAD_TRAIN), wad(WAD_DEV)),
        ("gvdb", gv_tune, gv_held),
        ("french_real", fr_tune, fr_held),
        ("french_real_2", fr2_tune, fr2_held),
        ("real_5", r5_tune, r5_held),
    ]


def training_cases() -> list[dict]:
    """Every tuned-on case (the only ones a model may be trained on), in a fixed order."""
    out = []
    for name, tune, _held in named_sets():
        out.extend(dict(c, set=name) for c in tune)
    return out
