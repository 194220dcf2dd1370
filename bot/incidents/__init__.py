"""Incidents: what the desk tracks and what it knows about each. Matching items to incidents
(gazetteer, matcher), stories (syndicated copies), processing after a poll, the toll ledger and its
cache, the /incident command language, the desk that answers it, and plain-text rendering."""

from bot.wing import public_names

_EXPORTS = {
    "Desk": "desk", "Reply": "desk", "IncidentProcessor": "processing", "ProcessOutcome": "processing",
    "stories": "stories", "render": "render", "when": "render", "toll_png": "chart", "chart_series": "chart",
    "Toll": "toll_model", "MetricToll": "toll_model", "Standing": "toll_model", "compute_toll": "toll",
    "queue_suggestions": "suggestion_queue", "SUGGESTION_KIND": "suggestion_queue",
    "LOOK_BACK_KIND": "look_back", "LookBacks": "look_back",
    "Figure": "figures", "source_label": "figures", "source_words": "figures", "metric_words": "figures",
}
__all__ = sorted(_EXPORTS)
__getattr__ = public_names(__name__, _EXPORTS)
