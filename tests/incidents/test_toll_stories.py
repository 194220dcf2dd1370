"""Every toll story in tests/fixtures/tolls/ reads as the desk expects (editors add stories there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.incidents.toll_stories import StoryRun

STORIES = sorted((Path(__file__).parents[1] / "fixtures" / "tolls").glob("*.yaml"))


def figure_texts(standings) -> list[str]:
    return [s.figure.text for s in standings]


@pytest.mark.parametrize("path", STORIES, ids=[p.stem for p in STORIES])
def test_toll_story(path, tmp_path):
    story = yaml.safe_load(path.read_text(encoding="utf-8"))
    run = StoryRun(story, tmp_path / "story.db").run()
    try:
        expect = story.get("expect") or {}
        toll = run.toll
        for metric, wanted in (expect.get("lead") or {}).items():
            mt = toll.get(metric)
            got = mt.leading.figure.text if mt and mt.leading else None
            assert got == wanted, f"lead {metric}: {got!r}, expected {wanted!r}\n{run.reply}"
        for metric, wanted in (expect.get("latest") or {}).items():
            mt = toll.get(metric)
            got = {s.source: s.figure.text for s in mt.standings} if mt else {}
            assert got == (wanted or {}), f"latest {metric}\n{run.reply}"
        for field in ("parts", "attackers", "apart"):
            for metric, wanted in (expect.get(field) or {}).items():
                mt = toll.get(metric)
                got = sorted(figure_texts(getattr(mt, field))) if mt else []
                assert got == sorted(wanted or []), f"{field} {metric}: {got}\n{run.reply}"
        everything = [s.figure.text for m in toll.metrics.values()
                      for s in (*m.standings, *m.apart, *m.parts, *m.attackers)]
        everything += [c.figure.text for c in toll.timeline]
        for text in expect.get("absent") or []:
            assert text not in everything, f"{text!r} should not be in the toll\n{run.reply}"
        if "alerts" in expect:
            texts = [json.loads(p).get("text", "") for p in run.alerts]
            wanted = expect["alerts"] or []
            assert len(texts) == len(wanted), f"alerts: {texts}"
            for got, fragment in zip(texts, wanted):
                assert fragment in got, f"alert {got!r} should say {fragment!r}; all: {texts}"
        for fragment in expect.get("reply") or []:
            assert fragment in run.reply, f"{fragment!r} not in the reply:\n{run.reply}"
    finally:
        run.close()


def test_there_are_at_least_30_stories():
    assert len(STORIES) >= 30
