"""Modals that open within Slack's 3 seconds: a light view at once, the full one by views.update.

Slack's trigger_id is good for 3 seconds. Whatever the modal shows, views.open is called at once
with a light view built from what the request carries (a title and "Loading…", or the empty Track
form), on a small pool of its own that does nothing else: never behind the answers' queue
(`deps.later`), never after a database read. The full view is then built on that queue and sent by
views.update, with the `view.id` and `hash` views.open answered (the hash: a view changed since is
left alone, not overwritten). A views.open that fails (the trigger expired) is told to the user
privately: never a click that silently does nothing.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)

# Only views.open runs here: one HTTP call each, mostly waiting on Slack (100–300 ms). Four threads
# were too few: a burst of 30 opens a second queued behind each other past the trigger's 3 s. Idle
# threads cost nothing, and are only started when a burst needs them.
_OPENERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="modal")
TITLE_MAX = 24  # characters in a modal's title


def light_modal(title: str, text: str = "Loading…", *, callback_id: str | None = None) -> dict:
    """A modal to open at once: the title and one line saying what is coming."""
    view = {"type": "modal", "title": {"type": "plain_text", "text": title[:TITLE_MAX]},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [{"type": "section", "block_id": "loading", "text": {"type": "mrkdwn", "text": text[:3000]}}]}
    if callback_id:
        view["callback_id"] = callback_id
    return view


def open_modal(deps, client, *, trigger_id: str, view: dict, user: str, channel: str | None = None,
               fill: Callable[[], dict | None] | None = None) -> None:
    """views.open `view` now, on the openers' pool; then, on the work queue, views.update with fill()
    (None: nothing to change). Returns at once."""
    def run():
        try:
            opened = client.views_open(trigger_id=trigger_id, view=view)["view"]
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            logger.warning("views.open failed: %s", error)
            deps.later(tell_not_opened, client, user=user, channel=channel, error=error)
            return
        except Exception:
            logger.exception("views.open failed")
            deps.later(tell_not_opened, client, user=user, channel=channel, error=None)
            return
        if fill is not None:
            deps.later(fill_modal, client, view_id=opened["id"], view_hash=opened.get("hash"), fill=fill)
    _OPENERS.submit(run)


def fill_modal(client, *, view_id: str, view_hash: str | None, fill: Callable[[], dict | None]) -> None:
    """The full view in place of the light one, unless the view changed since (hash_conflict)."""
    try:
        full = fill()
    except Exception:  # the light view must not say "Loading…" for ever
        logger.exception("building a modal's full view failed")
        full = light_modal("Sorry", "Something went wrong while loading this. Please try again.")
    if full is None:
        return
    try:
        if view_hash:
            client.views_update(view_id=view_id, hash=view_hash, view=full)
        else:
            client.views_update(view_id=view_id, view=full)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        if error in ("hash_conflict", "not_found"):  # changed or closed meanwhile: nothing to overwrite
            logger.info("views.update skipped: %s", error)
            return
        raise


def tell_not_opened(client, *, user: str, channel: str | None, error: str | None) -> None:
    """Say privately that the modal could not open: in the channel (ephemeral), else by DM."""
    why = "Slack's 3 seconds to open it ran out" if error in ("expired_trigger_id", "invalid_trigger_id") \
        else f"Slack answered {error}" if error else "Slack could not be reached"
    text = f"Sorry, the window could not open ({why}). Please try again."
    if channel and channel[:1] in "CG":
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
        except SlackApiError as exc:
            logger.info("ephemeral refused (%s); telling by DM", exc.response.get("error"))
    client.chat_postMessage(channel=user, text=text)
