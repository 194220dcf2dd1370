"""Finding an alert whose outcome is unknown, so that it is posted once, not twice nor never.

The frozen Slack spec the tests check against (2021) has neither `metadata` nor `client_msg_id` on
chat.postMessage, so the idempotency key travels where that spec does allow it and where
conversations.history / conversations.replies give it back: the `block_id` of one block of the
message (`idk-` + a hash of the key). Before the call the row is written `status='sending'`
(committed); after a crash, a timeout, a lost answer or a 5xx the outcome is unknown, and before
posting again the sender looks for that block_id in the thread (or in the channel, for a parent).
Found: the row is marked sent with the ts it has. Not found: posted now. The look-up is bounded;
when it cannot decide, the alert is kept 'blocked' and the admins told, because a possible double
and a possible loss are both worse than a human glance.

Not found must mean "not posted", which is only true once Slack has finished with the request:
Slack can apply a chat.postMessage after the client gave up waiting (#12, "a late post is
doubled"). So a row whose attempt timed out or lost its answer is not looked for until
`late_post_wait(...)` has passed since the attempt, always longer than the client's timeout.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

# Codes of a last_error after which the post may have happened ('network_refused' never reached Slack).
IN_DOUBT = frozenset({"sending", "server_error", "network", "unverified"})
# The attempt's answer never came (timeout, reset, dropped connection): Slack may still apply it.
ANSWER_LOST = "network"


class Undecided(Exception):
    """The look-up read every page it may without reaching the end of the thread or channel."""


def idempotency_block_id(key: str) -> str:
    """The block_id that carries an outbox row's idempotency key into Slack (stable, <= 255 chars)."""
    return "idk-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def in_doubt(row: dict) -> bool:
    """Whether the row's last attempt may have posted it (so it must be looked for first)."""
    if row["status"] == "sending":
        return True
    return error_code(row["last_error"]) in IN_DOUBT


def error_code(last_error: str | None) -> str:
    return (last_error or "").split(":", 1)[0]


def late_post_wait(*, client_timeout: float, at_least: float) -> float:
    """Seconds after an attempt whose answer was lost before looking for it: more than the
    client's timeout (twice it), and never less than the configured `at_least`."""
    return max(at_least, 2.0 * client_timeout)


def find_posted(client, *, key: str, channel: str, thread: str | None, oldest: float, pages: int) -> str | None:
    """The ts of the message carrying `key` if Slack has it, None if surely not.

    Raises Undecided after `pages` pages, and Slack or network errors as they come.
    """
    marker = idempotency_block_id(key)
    cursor = None
    for _ in range(pages):
        if thread is not None:
            page = client.conversations_replies(channel=channel, ts=thread, oldest=f"{oldest:.6f}",
                                                limit=200, cursor=cursor)
        else:
            page = client.conversations_history(channel=channel, oldest=f"{oldest:.6f}", limit=200, cursor=cursor)
        for message in page.get("messages") or []:
            if any(b.get("block_id") == marker for b in message.get("blocks") or []):
                return message["ts"]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not page.get("has_more") or not cursor:
            return None
    raise Undecided(f"not found in {pages} pages")


def epoch(iso: str) -> float:
    """Seconds since 1970 for the database's UTC text; 0 (search everything) when unreadable."""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except (AttributeError, ValueError):
        return 0.0
