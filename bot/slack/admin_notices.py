"""What the admins are told when an alert cannot go out, and what to do about it."""

from __future__ import annotations


def admin_text(row: dict, *, channel: str | None, error: str) -> str:
    where = f"<#{channel}>" if channel else "its channel"
    code = error.split(":", 1)[0]
    if code == "not_in_channel":
        advice = f"Invite the bot: type `/invite @Incident Desk` in {where}."
    elif code == "channel_not_found":
        advice = "Check the incident's channel (`/incident track … channel: #name`) and that the bot can see it."
    elif code == "unverified":
        advice = (f"Look in the thread: if the alert is there, `python -m bot alerts drop {row['id']}`; "
                  f"if not, `python -m bot alerts send {row['id']}` posts it.")
    else:
        advice = "The alert is kept and retried."
    return (f"Incident Desk could not post alert #{row['id']} ({row['kind']}) to {where}: {error}. {advice} "
            f"Alerts for that channel are kept, not dropped.")
