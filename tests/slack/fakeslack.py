"""A fake Slack Web API on 127.0.0.1 for a real `slack_sdk.WebClient(base_url=server.url)`.

Every call is checked against Slack's own API description (the frozen OpenAPI v2 file copied
into tests/fixtures/slack/): the method must exist, its required arguments be present, no
argument the spec does not know may be sent, and the server only answers error codes the spec
lists for that method. Every `blocks` payload is checked twice, by slack_sdk's Block Kit models
and by the Block Kit JSON Schema; a bad one is answered `invalid_blocks` and recorded in
`server.violations`, so a test can assert it stayed empty. The fake's own answers are validated
against the spec's success schemas too, so the fake cannot drift into answering what Slack never
would.

    with FakeSlack() as slack:
        slack.add_channel("C0MALIDESK1", "mali-desk")
        client = WebClient(token="xoxb-test", base_url=slack.url, retry_handlers=[])
        slack.fail_next("chat.postMessage", status=429, retry_after=1)
        slack.answer_late("chat.postMessage", seconds=2.5)  # applied, then answered, 2.5 s late
        ...
        assert slack.violations == []

Everything is bounded: request bodies, recorded calls, messages per channel, handler time.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qsl

import jsonschema
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
SPEC_PATH = FIXTURES / "slack_web_openapi_v2.json"
BLOCK_SCHEMA_PATH = FIXTURES / "slack-block-kit.schema.json"

MAX_BODY_BYTES = 1_000_000
MAX_CALLS = 100_000
MAX_MESSAGES_PER_CHANNEL = 50_000
MAX_BLOCKS_PER_MESSAGE = 50  # Slack's limit for messages (the schema allows 100, for modals)
MAX_TEXT_CHARS = 40_000
# Errors today's Slack answers that the frozen 2021 spec predates or lists only under another
# name: `invalid_blocks` (bad Block Kit) and `ratelimited` (the body of any HTTP 429).
PLATFORM_ERRORS = frozenset({"invalid_blocks", "ratelimited"})
# Sent on every call by the client Bolt hands to listeners (slack_sdk's WebClient(team_id=…), for
# org-wide apps); Slack accepts it on any method, though the spec lists it on few.
SDK_DEFAULT_ARGS = frozenset({"team_id"})

TEAM_ID, BOT_USER, BOT_ID = "T0TEAM0001", "U0BOTUSER1", "B0BOTAPP01"


# --- the spec -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MethodSpec:
    """What the spec says about one Web API method."""

    name: str
    params: frozenset[str]
    required: frozenset[str]
    errors: frozenset[str]
    success_schema: dict
    scopes: frozenset[str] = frozenset()  # any one of them allows the call ("none": no scope needed)


@lru_cache(maxsize=1)
def load_spec() -> dict[str, MethodSpec]:
    """Method name -> MethodSpec, from the copied OpenAPI file (parsed once per process)."""
    spec = json.loads(SPEC_PATH.read_text())
    definitions = spec["definitions"]
    methods = {}
    for path, verbs in spec["paths"].items():
        for op in verbs.values():
            params = {p["name"] for p in op.get("parameters", []) if p["name"] != "token"}
            required = {p["name"] for p in op.get("parameters", []) if p.get("required") and p["name"] != "token"}
            responses = op.get("responses", {})
            error_schema = responses.get("default", {}).get("schema", {})
            errors = error_schema.get("properties", {}).get("error", {}).get("enum", [])
            # Root-level definitions let "#/definitions/..." refs resolve inside the sub-schema.
            success = dict(responses.get("200", {}).get("schema", {}), definitions=definitions)
            scopes = {scope for need in op.get("security", []) for scope in need.get("slackAuth", [])}
            methods[path.lstrip("/")] = MethodSpec(path.lstrip("/"), frozenset(params), frozenset(required),
                                                   frozenset(errors), success, frozenset(scopes))
    methods.update(CURRENT_METHODS)
    return methods


# Methods today's Slack has that the frozen 2021 spec predates, described from Slack's current docs
# (docs.slack.dev/reference/methods/…): the external-upload flow that replaced files.upload.
_COMMON_ERRORS = frozenset({"not_authed", "invalid_auth", "account_inactive", "token_revoked", "no_permission",
                            "missing_scope", "invalid_arguments", "invalid_arg_name", "request_timeout",
                            "fatal_error", "internal_error", "ratelimited"})
CURRENT_METHODS = {
    # files.getUploadURLExternal: required filename and length (bytes); optional alt_txt, snippet_type.
    # Answers upload_url (POST the bytes there) and file_id.
    "files.getUploadURLExternal": MethodSpec(
        "files.getUploadURLExternal", frozenset({"filename", "length", "alt_txt", "snippet_type"}),
        frozenset({"filename", "length"}), _COMMON_ERRORS | {"invalid_length"},
        {"type": "object", "required": ["ok", "upload_url", "file_id"],
         "properties": {"ok": {"enum": [True]}, "upload_url": {"type": "string"}, "file_id": {"type": "string"}}},
        frozenset({"files:write"})),
    # files.completeUploadExternal: required files (JSON array of {id, title?}); optional channel_id,
    # channels, thread_ts (a parent's ts, with one channel), initial_comment, blocks.
    "files.completeUploadExternal": MethodSpec(
        "files.completeUploadExternal", frozenset({"files", "channel_id", "channels", "thread_ts",
                                                   "initial_comment", "blocks"}),
        frozenset({"files"}), _COMMON_ERRORS | {"file_not_found", "file_upload_size_restricted", "channel_not_found",
                                                 "not_in_channel", "invalid_channel", "invalid_thread_ts",
                                                 "posting_to_channel_denied"},
        {"type": "object", "required": ["ok", "files"],
         "properties": {"ok": {"enum": [True]}, "files": {"type": "array"}}},
        frozenset({"files:write"})),
    # views.update: the 2021 spec marks nothing required. Today's docs: view is required, and one of
    # view_id or external_id; hash (optional) is the view's hash as last answered: another one answers
    # hash_conflict (the view changed since). Answers the updated view, same id, a new hash.
    "views.update": MethodSpec(
        "views.update", frozenset({"view", "view_id", "external_id", "hash"}), frozenset({"view"}),
        _COMMON_ERRORS | {"hash_conflict", "not_found", "view_too_large", "duplicate_external_id"},
        {"type": "object", "required": ["ok", "view"],
         "properties": {"ok": {"enum": [True]}, "view": {"type": "object", "required": ["id", "hash"]}}},
        frozenset({"none"})),
}
# views.open and views.publish are in the 2021 spec but list no error codes; these are today's docs'.
VIEW_ERRORS = frozenset({"invalid_arguments", "expired_trigger_id", "invalid_trigger_id", "view_too_large",
                         "duplicate_external_id", "not_found", "hash_conflict"})
TRIGGER_SECONDS = 3.0  # a trigger_id is good for 3 seconds
MAX_VIEW_BLOCKS = 100


@lru_cache(maxsize=1)
def _block_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(BLOCK_SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema)


def block_problems(blocks: Any) -> list[str]:
    """Why a `blocks` payload is not valid Block Kit for a message (empty when it is)."""
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError as exc:
            return [f"blocks is not JSON: {exc}"]
    if not isinstance(blocks, list):
        return ["blocks is not an array"]
    problems = _schema_problems(blocks)
    if len(blocks) > MAX_BLOCKS_PER_MESSAGE:
        problems.append(f"{len(blocks)} blocks; a message holds at most {MAX_BLOCKS_PER_MESSAGE}")
    ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(ids) != len(set(ids)):
        problems.append("block_id values repeat within the message")
    return problems + _model_problems(blocks[:MAX_BLOCKS_PER_MESSAGE + 1])


# The same blocks get the same verdict: kept (bounded), so that a burst of identical modals (a bench's
# twenty Track forms) costs the fake one validation, not one each; its answers would lag behind otherwise.
_VERDICTS: dict[tuple[str, str], list[str]] = {}
_VERDICTS_LOCK = threading.Lock()
_VERDICTS_MAX = 512


def _remembered(kind: str, blocks: list, check: Callable[[list], list[str]]) -> list[str]:
    try:
        key = (kind, json.dumps(blocks, sort_keys=True))
    except (TypeError, ValueError):
        return check(blocks)
    with _VERDICTS_LOCK:
        found = _VERDICTS.get(key)
    if found is None:
        found = check(blocks)
        with _VERDICTS_LOCK:
            if len(_VERDICTS) >= _VERDICTS_MAX:
                _VERDICTS.clear()
            _VERDICTS[key] = found
    return list(found)


def _schema_problems(blocks: list) -> list[str]:
    """What the Block Kit JSON Schema refuses (the first ten)."""
    return _remembered("schema", blocks, lambda b: [f"schema: {e.json_path}: {e.message}"[:300]
                                                     for e in list(_block_validator().iter_errors(b))[:10]])


def _model_problems(blocks: list) -> list[str]:
    """What slack_sdk's own block models refuse, block by block."""
    return _remembered("model", blocks, _check_models)


def _check_models(blocks: list) -> list[str]:
    problems = []
    for i, raw in enumerate(blocks):
        try:
            model = Block.parse(raw) if isinstance(raw, dict) else None
            if model is None:
                problems.append(f"slack_sdk: block {i} has an unknown type")
            else:
                model.validate_json()
        except (SlackObjectFormationError, TypeError, ValueError) as exc:
            problems.append(f"slack_sdk: block {i}: {exc}"[:300])
    return problems


# --- records ------------------------------------------------------------------------------------

@dataclass
class Call:
    """One request as the server saw it."""

    method: str
    args: dict
    at: float  # time.monotonic() when it arrived
    status: int = 200
    response: dict | None = None

    @property
    def ok(self) -> bool:
        return bool(self.response and self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return (self.response or {}).get("error")


@dataclass
class Failure:
    """A failure chosen by a test for the next matching call."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    crash_after_post: bool = False
    on_crash: Callable[[], None] | None = None
    channel: str | None = None  # only calls to this channel (ID or name) fail
    skip: int = 0  # let this many matching calls through first
    late: float = 0.0  # not a failure: wait this long, then apply the call and answer as usual


@dataclass
class Channel:
    id: str
    name: str
    member: bool = True
    is_private: bool = False
    is_archived: bool = False
    users: set[str] = field(default_factory=set)
    messages: list[dict] = field(default_factory=list)  # in posting order


class SlackError(Exception):
    """An `ok: false` answer (HTTP 200 unless a status is given)."""

    def __init__(self, error: str, status: int = 200):
        super().__init__(error)
        self.error, self.status = error, status


class _Crash(Exception):
    """Drop the connection without answering (the post already happened)."""


# --- the server ---------------------------------------------------------------------------------

class FakeSlack:
    """A fake Slack Web API server; see the module docstring."""

    def __init__(self, *, strict_args: bool = True, check_responses: bool = True):
        self.spec = load_spec()
        self.strict_args, self.check_responses = strict_args, check_responses
        self.calls: deque[Call] = deque(maxlen=MAX_CALLS)
        self.violations: list[str] = []
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, dict] = {BOT_USER: {"id": BOT_USER, "name": "incident-desk", "is_bot": True,
                                                  "is_admin": False, "is_owner": False}}
        self._failures: dict[str, deque[Failure]] = {}
        self._lock = threading.RLock()
        self._last_ts = 0.0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_channel("C0GENERAL1", "general")
        self.uploads: dict[str, dict] = {}  # file_id -> {filename, length, data (bytes or None), title}
        self.views: list[dict] = []  # views.open / views.publish, as accepted; views.update replaces in place
        self.view_history: dict[str, list[dict]] = {}  # view id -> every version accepted, first to last
        self._hashes = 0
        self.home: dict[str, dict] = {}  # user -> the Home tab last published

    # set-up ------------------------------------------------------------------------------------
    def add_channel(self, channel_id: str, name: str, *, member: bool = True, is_private: bool = False,
                    is_archived: bool = False) -> Channel:
        """A channel the workspace has; `member=False` makes posts answer not_in_channel."""
        with self._lock:
            channel = Channel(channel_id, name.lstrip("#"), member, is_private, is_archived)
            self.channels[channel_id] = channel
            return channel

    def dm(self, user_id: str) -> Channel:
        """The app's direct-message channel with a member (its Messages tab), opened on first use."""
        with self._lock:
            dm_id = "D" + user_id[1:]
            if dm_id not in self.channels:
                self.channels[dm_id] = Channel(dm_id, dm_id, member=True, is_private=True, users={user_id})
            return self.channels[dm_id]

    def join(self, channel_id: str) -> None:
        """The bot is invited into the channel."""
        with self._lock:
            self.channels[channel_id].member = True

    def add_user(self, user_id: str, *, name: str = "editor", is_admin: bool = False, is_owner: bool = False,
                 channels: tuple[str, ...] = ()) -> None:
        """A workspace member; `is_admin` is what users.info reports."""
        with self._lock:
            self.users[user_id] = {"id": user_id, "name": name, "is_bot": False, "is_admin": is_admin,
                                   "is_owner": is_owner}
            for channel_id in channels:
                self.channels[channel_id].users.add(user_id)

    def set_user(self, user_id: str, **fields: Any) -> None:
        """Change what users.info reports for a member, e.g. `is_admin=False` when they are demoted."""
        with self._lock:
            self.users[user_id].update(fields)

    def fail_next(self, method: str, *, status: int = 200, error: str | None = None, retry_after: int | None = None,
                  crash_after_post: bool = False, on_crash: Callable[[], None] | None = None,
                  channel: str | None = None, skip: int = 0, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail: HTTP status (429 with Retry-After, 5xx),
        an `error` code the spec lists for the method, or a crash after the post took effect
        (the connection is dropped unanswered; `on_crash` runs first, e.g. to kill the client).
        `skip` lets that many matching calls succeed first; `channel` limits it to one channel."""
        if method not in self.spec:
            raise ValueError(f"{method} is not in Slack's spec")
        if error is not None and error not in self.spec[method].errors | PLATFORM_ERRORS:
            raise ValueError(f"Slack's spec does not list {error!r} for {method}")
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            for n in range(max(1, min(times, 1000))):
                queue.append(Failure(status, error, retry_after, crash_after_post, on_crash, channel,
                                     skip if n == 0 else 0))

    def answer_late(self, method: str, *, seconds: float, channel: str | None = None, times: int = 1) -> None:
        """Make the next `times` calls of `method` wait `seconds` before taking effect and answering,
        as a busy Slack does: a client that timed out meanwhile never hears of a call that did happen
        (unlike crash_after_post, the call is applied only after the wait). Bounded by the handler's
        own 10 s timeout."""
        if method not in self.spec:
            raise ValueError(f"{method} is not in Slack's spec")
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            for _ in range(max(1, min(times, 1000))):
                queue.append(Failure(channel=channel, late=max(0.0, min(float(seconds), 9.0))))

    # reading what happened -------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL for WebClient (ends with a slash, like https://slack.com/api/)."""
        assert self._httpd is not None, "start the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/api/"

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def posts(self, *, ok: bool = True) -> list[Call]:
        """chat.postMessage calls (only those that succeeded, by default)."""
        return [c for c in self.calls_to("chat.postMessage") if c.ok or not ok]

    def messages(self, channel_id: str) -> list[dict]:
        """Every message in a channel, replies included, in posting order (copies)."""
        with self._lock:
            return [dict(m) for m in self.channels[channel_id].messages]

    def replies(self, channel_id: str, thread_ts: str) -> list[dict]:
        """The replies in a thread, oldest first (the parent excluded)."""
        return [m for m in self.messages(channel_id) if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]

    def top_level(self, channel_id: str) -> list[dict]:
        """Messages visible in the channel itself: parents and broadcast replies."""
        return [m for m in self.messages(channel_id)
                if "thread_ts" not in m or m["ts"] == m["thread_ts"] or m.get("subtype") == "thread_broadcast"]

    # lifecycle -------------------------------------------------------------------------------
    def start(self) -> "FakeSlack":
        server_class = type("FakeSlackServer", (ThreadingHTTPServer,), {"request_queue_size": 128})
        self._httpd = server_class(("127.0.0.1", 0), self._handler_class())  # a burst is not refused at connect
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fakeslack", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def __enter__(self) -> "FakeSlack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # the HTTP edge ---------------------------------------------------------------------------
    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10  # a stuck client cannot hold a handler thread forever

            def do_POST(self):  # noqa: N802 (http.server's naming); slack_sdk POSTs every method
                self._serve()

            def do_GET(self):  # noqa: N802
                self._serve()

            def log_message(self, *args):  # keep test output quiet
                pass

            def _serve(self):
                path, _, query = self.path.partition("?")
                if path.startswith("/upload/"):  # files.getUploadURLExternal's upload_url
                    self._answer(*fake._receive_upload(path.rsplit("/", 1)[-1], self.headers, self.rfile))
                    return
                method = path.rsplit("/", 1)[-1]
                length = int(self.headers.get("Content-Length") or 0)
                if length > MAX_BODY_BYTES:
                    self._answer(413, {"ok": False, "error": "request_too_large"})
                    return
                body = self.rfile.read(length) if length else b""
                args = dict(parse_qsl(query))
                try:
                    args.update(_parse_body(body, self.headers.get("Content-Type", "")))
                except ValueError:
                    self._answer(200, {"ok": False, "error": "invalid_json"})
                    return
                try:
                    status, payload, headers = fake._dispatch(method, args, self.headers.get("Authorization", ""))
                except _Crash:
                    self.close_connection = True
                    return
                self._answer(status, payload, headers)

            def _answer(self, status: int, payload: dict | str, headers: dict | None = None):
                data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
                self.send_response(status)
                kind = "text/html" if isinstance(payload, str) else "application/json; charset=utf-8"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                try:
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up waiting (answer_late)

        return Handler

    def _dispatch(self, method: str, args: dict, authorization: str) -> tuple[int, dict | str, dict]:
        call = Call(method, args, time.monotonic())
        with self._lock:
            self.calls.append(call)
        status, payload, headers = self._answer_call(method, args, authorization, call)
        call.status, call.response = status, payload if isinstance(payload, dict) else None
        return status, payload, headers

    def _answer_call(self, method: str, args: dict, authorization: str, call: Call):
        spec = self.spec.get(method)
        if spec is None:
            self._violation(f"{method}: not a method in Slack's spec")
            return 200, {"ok": False, "error": "unknown_method"}, {}
        if not authorization.startswith("Bearer xox"):
            return 200, self._error(spec, "not_authed"), {}
        missing = sorted(spec.required - args.keys())
        if missing:
            self._violation(f"{method}: required argument(s) missing: {', '.join(missing)}")
            return 200, self._error(spec, "invalid_arg_name"), {}
        unknown = sorted(set(args) - spec.params - SDK_DEFAULT_ARGS)
        if unknown and self.strict_args:
            self._violation(f"{method}: argument(s) not in Slack's spec: {', '.join(unknown)}")
        failure = self._take_failure(method, args)
        if failure is not None and failure.late:
            time.sleep(failure.late)  # outside the lock: other calls (the look-ups) are served meanwhile
            failure = None
        if failure is not None and not failure.crash_after_post:
            return self._failure_answer(spec, failure)
        if method in ("views.open", "views.publish", "views.update"):
            home = method == "views.publish" or (method == "views.update" and self._view_type(args) == "home")
            problems = view_problems(args.get("view"), home=home)
            if problems:
                self._violation(f"{method}: invalid view: {'; '.join(problems[:5])}")
                return 200, {"ok": False, "error": "invalid_arguments"}, {}
        if "blocks" in args and method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            problems = block_problems(args["blocks"])
            if problems:
                self._violation(f"{method}: invalid blocks: {'; '.join(problems[:5])}")
                return 200, {"ok": False, "error": "invalid_blocks"}, {}
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            self._violation(f"{method}: in the spec but not implemented by the fake")
            return 200, self._error(spec, "unknown_method"), {}
        try:
            payload = handler(args)
        except SlackError as exc:
            return exc.status, self._error(spec, exc.error), {}
        if failure is not None:  # crash_after_post: the call took effect, the answer is lost
            if failure.on_crash is not None:
                failure.on_crash()
            raise _Crash()
        payload = {"ok": True, **payload}
        if self.check_responses:
            self._check_success(spec, payload)
        return 200, payload, {}

    def _take_failure(self, method: str, args: dict) -> Failure | None:
        with self._lock:
            queue = self._failures.get(method)
            if not queue:
                return None
            wanted = queue[0].channel
            if wanted and self._channel_or_none(args.get("channel")) is not self._channel_or_none(wanted):
                return None
            if queue[0].skip > 0:
                queue[0].skip -= 1
                return None
            return queue.popleft()

    def _failure_answer(self, spec: MethodSpec, failure: Failure):
        if failure.status == 429:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(failure.retry_after)}
        if failure.status >= 500:
            return failure.status, "<html><body>Internal Server Error</body></html>", {}
        return failure.status, self._error(spec, failure.error or "request_timeout"), {}

    def _error(self, spec: MethodSpec, error: str) -> dict:
        extra = VIEW_ERRORS if spec.name.startswith("views.") else frozenset()
        if error not in spec.errors | PLATFORM_ERRORS | extra:
            self._violation(f"{spec.name}: the fake answered {error!r}, which the spec does not list")
        return {"ok": False, "error": error}

    def _check_success(self, spec: MethodSpec, payload: dict) -> None:
        errors = list(jsonschema.Draft4Validator(spec.success_schema).iter_errors(payload))[:3]
        for e in errors:
            self._violation(f"fake: {spec.name} answer outside the spec: {e.json_path}: {e.message}"[:300])

    def _violation(self, text: str) -> None:
        with self._lock:
            if len(self.violations) < 1000:
                self.violations.append(text)

    # helpers for the methods -----------------------------------------------------------------
    def _channel_or_none(self, ref: str | None) -> Channel | None:
        if not ref:
            return None
        with self._lock:
            if ref in self.channels:
                return self.channels[ref]
            if ref in self.users and not self.users[ref].get("is_bot"):
                return self.dm(ref)  # a user ID as the channel: the app's DM with them (its Messages tab)
            name = ref.lstrip("#")
            return next((c for c in self.channels.values() if c.name == name), None)

    def _channel(self, ref: str | None, *, post: bool = False) -> Channel:
        channel = self._channel_or_none(ref)
        if channel is None or (channel.is_private and not channel.member):
            raise SlackError("channel_not_found")
        if post and channel.is_archived:
            raise SlackError("is_archived")
        if post and not channel.member:
            raise SlackError("not_in_channel")
        return channel

    def _next_ts(self) -> str:
        with self._lock:
            # Real ts values are unique per channel and increase; one clock for all is simpler.
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def _find(self, channel: Channel, ts: str) -> dict | None:
        return next((m for m in channel.messages if m["ts"] == ts), None)

    @staticmethod
    def _blocks(args: dict) -> list | None:
        blocks = args.get("blocks")
        return json.loads(blocks) if isinstance(blocks, str) else blocks

    @staticmethod
    def _text_ok(args: dict) -> None:
        if not args.get("text") and not args.get("blocks"):
            raise SlackError("no_text")
        if len(str(args.get("text") or "")) > MAX_TEXT_CHARS:
            raise SlackError("msg_too_long")

    # the methods -----------------------------------------------------------------------------
    def _m_auth_test(self, args: dict) -> dict:
        return {"url": "https://newsroom.example.slack.com/", "team": "Newsroom", "user": "incident-desk",
                "team_id": TEAM_ID, "user_id": BOT_USER, "bot_id": BOT_ID, "is_enterprise_install": False}

    def _m_chat_postMessage(self, args: dict) -> dict:  # noqa: N802 (named after the method)
        channel = self._channel(args.get("channel"), post=True)
        self._text_ok(args)
        message = {"type": "message", "text": str(args.get("text") or ""), "user": BOT_USER, "bot_id": BOT_ID}
        blocks = self._blocks(args)
        if blocks is not None:
            message["blocks"] = blocks
        with self._lock:
            if len(channel.messages) >= MAX_MESSAGES_PER_CHANNEL:
                raise SlackError("rate_limited")
            message["ts"] = self._next_ts()
            thread_ts = args.get("thread_ts")
            if thread_ts:
                parent = self._find(channel, str(thread_ts))
                if parent is None:
                    self._violation(f"chat.postMessage: thread_ts {thread_ts} is no message in {channel.id}")
                else:
                    parent["reply_count"] = parent.get("reply_count", 0) + 1
                    parent.setdefault("thread_ts", parent["ts"])
                message["thread_ts"] = str(thread_ts)
                if _truthy(args.get("reply_broadcast")):
                    message["subtype"] = "thread_broadcast"
            channel.messages.append(message)
        return {"channel": channel.id, "ts": message["ts"], "message": dict(message)}

    def _m_chat_update(self, args: dict) -> dict:
        channel = self._channel(args.get("channel"))
        if channel.id != args.get("channel"):
            raise SlackError("channel_not_found")  # chat.update takes the ID, not a name
        self._text_ok(args)
        with self._lock:
            message = self._find(channel, str(args.get("ts")))
            if message is None:
                raise SlackError("message_not_found")
            message["text"] = str(args.get("text") or "")
            blocks = self._blocks(args)
            if blocks is not None:
                message["blocks"] = blocks
            message["edited"] = {"user": BOT_USER, "ts": self._next_ts()}
        return {"channel": channel.id, "ts": message["ts"], "text": message["text"],
                "message": {"text": message["text"]}}

    def _m_chat_postEphemeral(self, args: dict) -> dict:  # noqa: N802
        try:
            channel = self._channel(args.get("channel"), post=True)
        except SlackError as exc:
            # The spec gives chat.postEphemeral no not_in_channel: a channel the bot is not in is not found.
            raise SlackError("channel_not_found" if exc.error == "not_in_channel" else exc.error) from None
        self._text_ok(args)
        if args.get("user") not in channel.users:
            raise SlackError("user_not_in_channel")
        return {"message_ts": self._next_ts()}

    def _m_conversations_info(self, args: dict) -> dict:
        channel = self._channel(args.get("channel"))
        return {"channel": _conversation(channel)}

    def _m_conversations_list(self, args: dict) -> dict:
        types = set(str(args.get("types") or "public_channel").split(","))
        limit = max(1, min(int(args.get("limit") or 100), 1000))
        start = int(args.get("cursor") or 0)
        with self._lock:
            visible = [c for c in self.channels.values() if not c.id.startswith("D")  # DMs are type "im"
                       and ("private_channel" if c.is_private else "public_channel") in types
                       and (c.member or not c.is_private)]
        page = visible[start:start + limit]
        more = start + limit < len(visible)
        return {"channels": [_conversation(c) for c in page],
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _m_conversations_history(self, args: dict) -> dict:
        channel = self._channel(args.get("channel"))
        with self._lock:
            shown = [dict(m) for m in channel.messages
                     if "thread_ts" not in m or m["ts"] == m["thread_ts"] or m.get("subtype") == "thread_broadcast"]
        page = self._page(list(reversed(shown)), args)
        return {**page, "pin_count": 0, "channel_actions_ts": None, "channel_actions_count": 0}

    def _m_conversations_replies(self, args: dict) -> dict:
        channel = self._channel(args.get("channel"))
        ts = str(args.get("ts") or "")
        with self._lock:
            parent = self._find(channel, ts)
            if parent is None:
                raise SlackError("thread_not_found")
            thread = [dict(m) for m in channel.messages if m["ts"] != ts and m.get("thread_ts") == ts]
        page = self._page(thread, args)
        # Slack puts the parent first on every page of a thread.
        page["messages"] = [dict(parent)] + page["messages"]
        return page

    @staticmethod
    def _page(messages: list[dict], args: dict) -> dict:
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or 9e12)
        chosen = [m for m in messages if oldest <= float(m["ts"]) <= latest]
        limit = max(1, min(int(args.get("limit") or 100), 1000))
        start = int(args.get("cursor") or 0)
        page = chosen[start:start + limit]
        more = start + limit < len(chosen)
        out = {"messages": page, "has_more": more}
        if more:
            out["response_metadata"] = {"next_cursor": str(start + limit)}
        return out

    def _receive_upload(self, file_id: str, headers, stream) -> tuple[int, str | dict]:
        """The upload_url: Slack's file service takes the bytes (raw or multipart) and answers 200."""
        length = int(headers.get("Content-Length") or 0)
        with self._lock:
            upload = self.uploads.get(file_id)
        if upload is None or length > MAX_BODY_BYTES:
            return 404 if upload is None else 413, "<html><body>no such upload</body></html>"
        data = stream.read(length) if length else b""
        with self._lock:
            if upload["data"] is not None:
                self._violation(f"upload {file_id}: bytes sent twice")
            upload["data"] = data
            upload["content_type"] = headers.get("Content-Type", "")
            if len(data) != upload["length"]:
                self._violation(f"upload {file_id}: {len(data)} bytes sent, {upload['length']} announced")
        return 200, "OK - " + str(len(data))

    def _m_files_getUploadURLExternal(self, args: dict) -> dict:  # noqa: N802
        try:
            length = int(args["length"])
        except (TypeError, ValueError):
            raise SlackError("invalid_length") from None
        if length <= 0 or length > MAX_BODY_BYTES:
            raise SlackError("invalid_length")
        with self._lock:
            file_id = f"F{len(self.uploads) + 1:09d}"
            self.uploads[file_id] = {"filename": str(args["filename"]), "length": length, "data": None,
                                     "title": None, "shared": None}
        port = self._httpd.server_address[1]
        return {"upload_url": f"http://127.0.0.1:{port}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict) -> dict:  # noqa: N802
        try:
            files = json.loads(args["files"]) if isinstance(args["files"], str) else args["files"]
        except ValueError:
            raise SlackError("invalid_arguments") from None
        if not isinstance(files, list) or not files or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise SlackError("invalid_arguments")
        channel = None
        if args.get("channel_id"):
            channel = self._channel(args["channel_id"], post=True)
        thread_ts = args.get("thread_ts")
        with self._lock:
            for f in files:
                upload = self.uploads.get(f["id"])
                if upload is None or upload["data"] is None:
                    raise SlackError("file_not_found")
            if thread_ts and (channel is None or self._find(channel, str(thread_ts)) is None):
                raise SlackError("invalid_thread_ts")
            shared = []
            for f in files:
                upload = self.uploads[f["id"]]
                upload.update(title=f.get("title") or upload["filename"], shared={
                    "channel": channel.id if channel else None, "thread_ts": thread_ts})
                shared.append({"id": f["id"], "title": upload["title"]})
            if channel is not None:
                message = {"type": "message", "text": str(args.get("initial_comment") or ""), "user": BOT_USER,
                           "bot_id": BOT_ID, "ts": self._next_ts(), "files": shared}
                if thread_ts:
                    message["thread_ts"] = str(thread_ts)
                    parent = self._find(channel, str(thread_ts))
                    parent["reply_count"] = parent.get("reply_count", 0) + 1
                    parent.setdefault("thread_ts", parent["ts"])
                channel.messages.append(message)
        return {"files": shared}

    def _m_views_open(self, args: dict) -> dict:
        trigger = str(args.get("trigger_id") or "")
        # The tests' triggers end with the time they were issued (ns), as Slack's carry it in effect.
        issued = trigger.rsplit(".", 1)[-1]
        if issued.isdigit() and time.time() - int(issued) / 1e9 > TRIGGER_SECONDS:
            self._violation(f"views.open: trigger_id used more than {TRIGGER_SECONDS:.0f} s after it was issued")
            raise SlackError("expired_trigger_id")
        return {"view": self._accept_view(args, kind="modal")}

    def _m_views_publish(self, args: dict) -> dict:
        view = self._accept_view(args, kind="home")
        with self._lock:
            self.home[str(args["user_id"])] = view
        return {"view": view}

    def _m_views_update(self, args: dict) -> dict:
        if not (args.get("view_id") or args.get("external_id")):
            self._violation("views.update: view_id or external_id is required")
            raise SlackError("invalid_arguments")
        with self._lock:
            found = self._stored_view(args)
            if found is None:
                raise SlackError("not_found")
            index, old = found
            if args.get("hash") and str(args["hash"]) != old["hash"]:
                raise SlackError("hash_conflict")
            view = {**_json_arg(args.get("view")), "id": old["id"], "team_id": TEAM_ID, "app_id": "A0TEST",
                    "bot_id": BOT_ID, "hash": self._next_hash(), "state": old.get("state") or {"values": {}}}
            self.views[index] = view
            self.view_history.setdefault(view["id"], []).append(view)
        return {"view": dict(view)}

    def _stored_view(self, args: dict) -> tuple[int, dict] | None:
        key, wanted = ("id", args["view_id"]) if args.get("view_id") else ("external_id", args.get("external_id"))
        for index, view in enumerate(self.views):
            if view.get(key) == str(wanted):
                return index, view
        return None

    def _view_type(self, args: dict) -> str | None:
        with self._lock:
            found = self._stored_view(args) if (args.get("view_id") or args.get("external_id")) else None
        return found[1].get("type") if found else None

    def _next_hash(self) -> str:
        self._hashes += 1
        return f"{time.time():.6f}.{self._hashes:08x}"

    def _accept_view(self, args: dict, *, kind: str) -> dict:
        view = _json_arg(args.get("view"))
        with self._lock:
            view = {**view, "id": f"V{len(self.views) + 1:09d}", "team_id": TEAM_ID, "app_id": "A0TEST",
                    "bot_id": BOT_ID, "hash": self._next_hash(), "state": {"values": {}}}
            self.views.append(view)
            self.view_history[view["id"]] = [view]
        return dict(view)

    def _m_users_info(self, args: dict) -> dict:
        with self._lock:
            user = self.users.get(str(args.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": {**user, "team_id": TEAM_ID, "deleted": False, "real_name": user["name"]}}


def _conversation(channel: Channel) -> dict:
    return {"id": channel.id, "name": channel.name, "is_channel": not channel.is_private,
            "is_group": False, "is_private": channel.is_private, "is_archived": channel.is_archived,
            "is_member": channel.member, "created": 1_600_000_000, "is_general": channel.name == "general"}


def _json_arg(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def view_problems(view: Any, *, home: bool) -> list[str]:
    """Why a view is not one Slack would open (a modal) or publish (a Home tab); empty when it is."""
    view = _json_arg(view)
    if not isinstance(view, dict):
        return ["view is not a JSON object"]
    wanted = "home" if home else "modal"
    problems = [] if view.get("type") == wanted else [f"view type {view.get('type')!r}, not {wanted!r}"]
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return problems + ["view has no blocks array"]
    problems += _schema_problems(blocks)
    if len(blocks) > MAX_VIEW_BLOCKS:
        problems.append(f"{len(blocks)} blocks; a view holds at most {MAX_VIEW_BLOCKS}")
    problems += _model_problems(blocks[:MAX_VIEW_BLOCKS])
    if not home:
        for key, limit in (("title", 24), ("submit", 24), ("close", 24)):
            text = (view.get(key) or {}).get("text") if isinstance(view.get(key), dict) else None
            if key == "title" and not text:
                problems.append("a modal needs a title")
            if text and len(text) > limit:
                problems.append(f"{key} over {limit} characters")
            if view.get(key) is not None and (view.get(key) or {}).get("type") != "plain_text":
                problems.append(f"{key} must be plain_text")
        if any(isinstance(b, dict) and b.get("type") == "input" for b in blocks) and not view.get("submit"):
            problems.append("a modal with input blocks needs a submit button")
    for key, limit in (("private_metadata", 3000), ("callback_id", 255)):
        if len(str(view.get(key) or "")) > limit:
            problems.append(f"{key} over {limit} characters")
    ids = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("block_id")]
    if len(ids) != len(set(ids)):
        problems.append("block_id values repeat within the view")
    return problems


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _parse_body(body: bytes, content_type: str) -> dict:
    """JSON (chat.* with blocks) or form-encoded (everything else slack_sdk sends)."""
    if not body:
        return {}
    if "json" in content_type:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("json_not_object")
        return data
    return dict(parse_qsl(body.decode("utf-8")))
