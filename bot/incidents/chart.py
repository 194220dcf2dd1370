"""The toll as a picture: reported figures over time, one step line per source class.

Lower bounds ("at least 70", "more than 75") are drawn as a marker with an upward tick, ranges
("70–100") as a band, ceilings ("up to 100") as a downward tick; the armed group's claim is drawn
apart (grey, dashed) and never joins the others; the leading figure is labelled. The series are
computed first (`chart_series`, pure, what tests check), then drawn with matplotlib's headless Agg
backend into a PNG small enough for Slack on a phone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

from bot.incidents.figures import APART, SOURCE_ORDER, source_label
from bot.incidents.toll_model import Toll

COLOURS = {"official": "#1f4e79", "medical": "#2e8b57", "un_ngo": "#6a3d9a", "security_sources": "#d95f02",
           "witnesses": "#e7298a", "leaked_documents": "#a6761d", "unattributed": "#666666",
           "perpetrator_claim": "#999999"}
MARKERS = {"at_least": "^", "more_than": "^", "up_to": "v", "exact": "o", "about": "o", "range": "s"}


@dataclass
class Series:
    """One source class's reported figures for one metric, in reading order."""

    source: str
    label: str
    when: list[datetime] = field(default_factory=list)
    value: list[int] = field(default_factory=list)
    qualifier: list[str] = field(default_factory=list)
    band: list[tuple[int, int] | None] = field(default_factory=list)  # a range's low and high
    apart: bool = False  # the armed group's claim


def chart_series(toll: Toll, metric: str) -> dict:
    """What the chart draws for one metric: a series per source class, and the leading figure."""
    mt = toll.get(metric)
    if mt is None:
        return {"metric": metric, "series": [], "leading": None}
    series: dict[str, Series] = {}
    for change in mt.timeline:
        figure = change.figure
        if not figure.numeric:
            continue  # "hundreds" has no place on an axis; it stays in the text reply
        s = series.setdefault(change.source, Series(change.source, source_label(change.source),
                                                    apart=change.source in APART))
        s.when.append(change.when)
        s.value.append(figure.number)
        s.qualifier.append(figure.qualifier)
        s.band.append((figure.low, figure.high) if figure.qualifier == "range" else None)
    ordered = sorted(series.values(), key=lambda s: SOURCE_ORDER.index(s.source) if s.source in SOURCE_ORDER
                     else len(SOURCE_ORDER))
    leading = None
    if mt.leading is not None and mt.leading.figure.numeric:
        leading = {"source": mt.leading.source, "when": mt.leading.since, "value": mt.leading.figure.number,
                   "text": mt.leading.figure.text}
    return {"metric": metric, "series": ordered, "leading": leading}


def toll_png(toll: Toll, *, title: str, metrics: tuple[str, ...] = ("killed", "injured")) -> bytes:
    """The chart as PNG bytes (a panel per metric that has figures)."""
    import matplotlib

    matplotlib.use("Agg")  # headless: no display on a server
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    panels = [chart_series(toll, m) for m in metrics if toll.get(m) is not None]
    panels = [p for p in panels if p["series"]] or [{"metric": metrics[0], "series": [], "leading": None}]
    fig, axes = plt.subplots(len(panels), 1, figsize=(6.4, 3.6 * len(panels)), dpi=100, squeeze=False)
    for ax, panel in zip(axes[:, 0], panels):
        _draw(ax, panel, mdates)
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=100)
    plt.close(fig)
    return out.getvalue()


def _draw(ax, panel: dict, mdates) -> None:
    ax.set_title(panel["metric"].replace("_", " ").capitalize(), fontsize=10, loc="left")
    ends = [w for s in panel["series"] for w in s.when]
    end = max(ends) if ends else None
    for s in panel["series"]:
        colour = COLOURS.get(s.source, "#333333")
        # Each class's figure stands until it reports another: the step runs to the chart's last report.
        when, value = [*s.when, end], [*s.value, s.value[-1]]
        ax.step(when, value, where="post", color=colour, linestyle="--" if s.apart else "-", linewidth=1.8,
                label=s.label + (" (claim, apart)" if s.apart else ""))
        for moment, figure, qualifier, band in zip(s.when, s.value, s.qualifier, s.band):
            ax.plot([moment], [figure], marker=MARKERS.get(qualifier, "o"), color=colour, markersize=8,
                    markeredgecolor="white")
            if band:
                ax.fill_between([moment, end], band[0], band[1], color=colour, alpha=0.15, step="post")
    leading = panel.get("leading")
    if leading:
        ax.annotate(f"leading: {leading['text']}", (leading["when"], leading["value"]), xytext=(10, -14),
                    textcoords="offset points", fontsize=9, fontweight="bold",
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "#999999"})
    top = max((v for s in panel["series"] for v in s.value), default=10)
    ax.set_ylim(0, top * 1.25)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.grid(alpha=0.3)
    if panel["series"]:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
    else:
        ax.text(0.5, 0.5, "No casualty figure reported yet", ha="center", va="center", transform=ax.transAxes)
