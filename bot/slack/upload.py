"""Files into Slack with its external-upload flow (files.upload is retired):

1. files.getUploadURLExternal(filename, length) → an upload_url and a file_id;
2. POST the bytes to the upload_url;
3. files.completeUploadExternal(files=[{id, title}], channel_id, thread_ts) shares it.

Nothing here computes the file: the chart is drawn in the desk process and arrives as bytes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)

UPLOAD_TIMEOUT_SECONDS = 30.0
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a chart is well under 200 KB; anything near this is a bug


class UploadError(Exception):
    """The file could not be uploaded or shared; the message says why, for the editor."""


@dataclass(frozen=True)
class Shared:
    file_id: str
    channel: str
    thread_ts: str | None


def upload_file(client: WebClient, data: bytes, *, filename: str, title: str, channel: str,
                thread_ts: str | None = None, alt_text: str | None = None,
                post: Callable[..., httpx.Response] | None = None) -> Shared:
    """Upload `data` and share it in `channel` (in the thread `thread_ts` when given)."""
    if not data or len(data) > MAX_UPLOAD_BYTES:
        raise UploadError(f"the file is {len(data)} bytes; refusing to upload it")
    try:
        ticket = client.files_getUploadURLExternal(filename=filename, length=len(data),
                                                   **({"alt_txt": alt_text[:1000]} if alt_text else {}))
    except SlackApiError as exc:
        raise UploadError(f"Slack refused the upload ({exc.response.get('error')})") from exc
    upload_url, file_id = ticket["upload_url"], ticket["file_id"]
    post = post or (lambda url, **kw: httpx.post(url, timeout=UPLOAD_TIMEOUT_SECONDS, trust_env=False, **kw))
    try:
        sent = post(upload_url, content=data, headers={"Content-Type": "application/octet-stream"})
    except httpx.HTTPError as exc:
        raise UploadError(f"sending the file to Slack failed ({type(exc).__name__})") from exc
    if sent.status_code != 200:
        raise UploadError(f"Slack's file service answered HTTP {sent.status_code}")
    kwargs = {"thread_ts": thread_ts} if thread_ts else {}
    try:
        client.files_completeUploadExternal(files=[{"id": file_id, "title": title[:250]}], channel_id=channel,
                                            **kwargs)
    except SlackApiError as exc:
        raise UploadError(f"Slack could not share the file ({exc.response.get('error')})") from exc
    return Shared(file_id=file_id, channel=channel, thread_ts=thread_ts)
