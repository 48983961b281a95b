"""A local fake Slack Web API (and file host, and response_url endpoint) speaking the real wire format.

A real HTTP server (ThreadingHTTPServer on 127.0.0.x, random port). Point the SDK at it with
`WebClient(base_url=fake.base_url)` (the bot and workers: `SLACK_API_URL=fake.base_url`).

    with FakeSlackServer() as slack:
        slack.add_file("F1", "bundles.csv", data)            # files.info + download at slack.file_url("F1")
        slack.fail_next("chat.update", 429, retry_after=2)    # the next chat.update answers 429
        slack.reset_after_post()                              # the next chat.postMessage is stored, then the
                                                              #   connection is reset before the answer
        slack.calls                                           # every Web API call (method, params), in order
        slack.messages                                        # channel messages as Slack holds them

Web API methods: auth.test, chat.postMessage (stores message metadata), chat.update, chat.postEphemeral,
conversations.replies / conversations.history (metadata only with include_all_metadata), files.info,
reactions.add, views.open / views.update / views.push (modals: `issue_trigger()` hands out a trigger_id
that, as Slack's, is exchanged once and expires after 3 s; `views` holds every open view by id, with the
limits Slack checks: 100 blocks, 24-character titles, 3,000-character sections and text inputs). Like
Slack, it refuses text over 4,000 characters (msg_too_long), more than 50 blocks, sections over 3,000
characters, headers over 150, overflow menus outside 2–5 options, option texts over 75 or values over 150
characters, buttons over 75 / 2,000, ids over 255 or repeated (invalid_blocks), and chat.update without a
channel ID.
Files are served at /files/<id>/<name> to a request with the bot token (`Authorization: Bearer`); the
file host records every request's Authorization header per file (`file_requests`), can redirect, lie
about sizes, and answer with a web page. Answers to a response_url are recorded at /response/<id>.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BOT_USER_ID = "UBOT00001"
BOT_ID = "BBOT00001"
TEAM_ID = "T0TEAM001"
APP_ID = "A0TEST"  # the api_app_id of every request tests/support/slack.py builds
MAX_TEXT = 4000
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float
    status: int = 200
    error: str = ""


@dataclass
class StoredFile:
    id: str
    name: str
    data: bytes
    size: int | None = None  # what files.info says (None: the real size)
    url: str | None = None  # where files.info says it is (None: this server)
    content_type: str = "text/csv"
    redirect_to: str | None = None  # the download answers 302 to this URL
    stream_bytes: int | None = None  # serve this many bytes, with no Content-Length
    mode: str = "hosted"
    shares: dict[str, str] = field(default_factory=dict)  # channel -> ts of the sharing message


@dataclass
class Fault:
    status: int
    retry_after: float | None = None
    error: str = ""


class FakeSlackServer:
    def __init__(self, host: str = "127.0.0.1", token: str = "xoxb-test-token") -> None:
        self.host = host
        self.token = token
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) -> message
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # answers posted to response_urls
        self.reactions: list[dict[str, Any]] = []
        self.files: dict[str, StoredFile] = {}
        self.file_requests: list[dict[str, Any]] = []  # path, authorization header
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.resets_after_post = 0
        self.not_in_channels: set[str] = set()
        self.latency_s = 0.0
        self.slow_responses: dict[str, float] = {}  # response_url name -> seconds its first answer is held
        self.triggers: dict[str, float] = {}  # trigger_id -> monotonic time it was issued (None once exchanged)
        self.views: dict[str, dict[str, Any]] = {}  # view id -> the view as last opened or updated
        self._views = 0
        self._ts = int(time.time()) * 1_000_000
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> FakeSlackServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/"

    @property
    def file_host(self) -> str:
        """The SLACK_FILE_HOSTS entry for this server."""
        return f"{self.host}:{self.port}"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.origin}/response/{name}"

    # ---- set-up -----------------------------------------------------------------------------------

    def add_file(self, file_id: str, name: str, data: bytes, **options: Any) -> StoredFile:
        stored = StoredFile(file_id, name, data, **options)
        with self.lock:
            self.files[file_id] = stored
        return stored

    def file_url(self, file_id: str) -> str:
        stored = self.files[file_id]
        return f"{self.origin}/files/{file_id}/{stored.name}"

    def fail_next(self, method: str, status: int, *, retry_after: float | None = None, times: int = 1,
                  error: str = "") -> None:
        with self.lock:
            self.faults[method].extend(Fault(status, retry_after, error) for _ in range(times))

    def slow_response(self, name: str, seconds: float) -> None:
        """The next answer posted to response_url `name` is held this long (a slow Slack) before it is taken."""
        with self.lock:
            self.slow_responses[name] = seconds

    def reset_after_post(self, times: int = 1) -> None:
        """The next chat.postMessage calls are stored, then the connection is reset before any answer."""
        with self.lock:
            self.resets_after_post += times

    # ---- what happened ------------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The messages of a thread in ts order (root first)."""
        with self.lock:
            found = [m for (c, _), m in self.messages.items()
                     if c == channel and (m["ts"] == thread_ts or m.get("thread_ts") == thread_ts)]
        return sorted(found, key=lambda m: float(m["ts"]))

    def by_key(self, key: str) -> list[dict[str, Any]]:
        """Our messages whose metadata names outbox key `key` (more than one would be a duplicate)."""
        with self.lock:
            return [m for m in self.messages.values()
                    if ((m.get("metadata") or {}).get("event_payload") or {}).get("key") == key]

    def bodies(self) -> list[str]:
        """Every request body the server received as text (for secret and markup scans)."""
        with self.lock:
            return [json.dumps(c.params) for c in self.calls] + [json.dumps(r) for r in self.responses]

    def issue_trigger(self) -> str:
        """A trigger_id as a click or a command carries (Slack's shape: "123.456.hex")."""
        with self.lock:
            self._views += 1
            trigger = f"{int(time.time())}.{self._views}.{uuid.uuid4().hex}"
            self.triggers[trigger] = time.monotonic()
            return trigger

    def view_by_callback(self, callback_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [v for v in self.views.values() if v.get("callback_id") == callback_id]

    # ---- internals --------------------------------------------------------------------------------

    def next_ts(self) -> str:
        with self.lock:
            self._ts += 100
            return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeSlackServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    # ---- routing ----------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, verb: str) -> None:
        fake = self.server_fake
        parts = urlsplit(self.path)
        if fake.latency_s:
            time.sleep(fake.latency_s)
        if parts.path.startswith("/files/"):
            self._serve_file(parts.path)
            return
        body = self._body()
        if parts.path.startswith("/response/"):
            with fake.lock:
                hold = fake.slow_responses.pop(parts.path.rsplit("/", 1)[1], 0.0)
            time.sleep(hold)
            data = json.loads(body or b"{}")
            with fake.lock:
                fake.responses.append({"url": parts.path, **data})
            self._send(200, b"ok", "text/plain")
            return
        if not parts.path.startswith("/api/"):
            self._send(404, b"not found", "text/plain")
            return
        method = parts.path[len("/api/"):]
        params = self._params(parts.query, body)
        if self.headers.get("Authorization", "") != f"Bearer {fake.token}":
            self._answer(method, params, {"ok": False, "error": "invalid_auth"})
            return
        with fake.lock:
            fault = fake.faults[method].pop(0) if fake.faults[method] else None
        if fault is not None:
            headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else {}
            error = fault.error or ("ratelimited" if fault.status == 429 else "internal_error")
            self._record(method, params, fault.status, error)
            self._send(fault.status, json.dumps({"ok": False, "error": error}).encode(), headers=headers)
            return
        handler = getattr(self, "api_" + method.replace(".", "_"), None)
        if handler is None:
            self._answer(method, params, {"ok": False, "error": "unknown_method"})
            return
        handler(method, params)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _params(self, query: str, body: bytes) -> dict[str, Any]:
        params: dict[str, Any] = {k: v[0] for k, v in parse_qs(query).items()}
        if body:
            if (self.headers.get("Content-Type") or "").startswith("application/json"):
                params.update(json.loads(body))
            else:
                params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
        for name in ("blocks", "metadata"):
            if isinstance(params.get(name), str):
                params[name] = json.loads(params[name])
        return params

    def _record(self, method: str, params: dict[str, Any], status: int = 200, error: str = "") -> None:
        with self.server_fake.lock:
            self.server_fake.calls.append(Call(method, params, time.monotonic(), status, error))

    def _answer(self, method: str, params: dict[str, Any], data: dict[str, Any]) -> None:
        self._record(method, params, 200, "" if data.get("ok") else str(data.get("error", "")))
        self._send(200, json.dumps(data).encode())

    def _send(self, status: int, body: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    # ---- Web API ----------------------------------------------------------------------------------

    def api_auth_test(self, method: str, params: dict[str, Any]) -> None:
        self._answer(method, params, {"ok": True, "url": "https://fake.slack.com/", "team": "Fake",
                                      "user": "ticketbot", "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                                      "bot_id": BOT_ID, "app_id": APP_ID})

    def api_chat_postMessage(self, method: str, params: dict[str, Any]) -> None:
        fake = self.server_fake
        error = _check_message(params) or self._check_channel(params)
        if error:
            self._answer(method, params, {"ok": False, "error": error})
            return
        ts = fake.next_ts()
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts, "text": params.get("text", ""),
                   "blocks": params.get("blocks") or [], "channel": params["channel"]}
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        with fake.lock:
            fake.messages[(params["channel"], ts)] = message
            reset = fake.resets_after_post > 0
            if reset:
                fake.resets_after_post -= 1
        if reset:
            self._record(method, params, 0, "connection reset after posting")
            self._reset()
            return
        self._answer(method, params, {"ok": True, "channel": params["channel"], "ts": ts, "message": message})

    def api_chat_update(self, method: str, params: dict[str, Any]) -> None:
        fake = self.server_fake
        channel = str(params.get("channel", ""))
        if not re.fullmatch(r"[CGD][A-Z0-9]+", channel):
            self._answer(method, params, {"ok": False, "error": "channel_not_found"})
            return
        error = _check_message(params)
        if error:
            self._answer(method, params, {"ok": False, "error": error})
            return
        with fake.lock:
            message = fake.messages.get((channel, str(params.get("ts"))))
            if message is not None:
                message["text"] = params.get("text", message["text"])
                if params.get("blocks") is not None:
                    message["blocks"] = params["blocks"]
                message["edited"] = message.get("edited", 0) + 1
        if message is None:
            self._answer(method, params, {"ok": False, "error": "message_not_found"})
            return
        self._answer(method, params, {"ok": True, "channel": channel, "ts": params["ts"]})

    def api_chat_postEphemeral(self, method: str, params: dict[str, Any]) -> None:
        error = _check_message(params) or self._check_channel(params)
        if error:
            self._answer(method, params, {"ok": False, "error": error})
            return
        with self.server_fake.lock:
            self.server_fake.ephemerals.append(params)
        self._answer(method, params, {"ok": True, "message_ts": self.server_fake.next_ts()})

    def api_conversations_replies(self, method: str, params: dict[str, Any]) -> None:
        channel, thread_ts = str(params.get("channel", "")), str(params.get("ts", ""))
        self._page(method, params, self.server_fake.thread(channel, thread_ts))

    def api_conversations_history(self, method: str, params: dict[str, Any]) -> None:
        channel = str(params.get("channel", ""))
        with self.server_fake.lock:
            found = [m for (c, _), m in self.server_fake.messages.items() if c == channel and not m.get("thread_ts")]
        self._page(method, params, sorted(found, key=lambda m: -float(m["ts"])))

    def _page(self, method: str, params: dict[str, Any], messages: list[dict[str, Any]]) -> None:
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        page = [dict(m) for m in messages[start:start + limit]]
        if not metadata:
            for m in page:
                m.pop("metadata", None)
        more = start + limit < len(messages)
        self._answer(method, params, {"ok": True, "messages": page, "has_more": more,
                                      "response_metadata": {"next_cursor": str(start + limit) if more else ""}})

    def api_files_info(self, method: str, params: dict[str, Any]) -> None:
        fake = self.server_fake
        stored = fake.files.get(str(params.get("file", "")))
        if stored is None:
            self._answer(method, params, {"ok": False, "error": "file_not_found"})
            return
        url = stored.url or fake.file_url(stored.id)
        shares = {"public": {c: [{"ts": ts, "channel_name": "spec"}] for c, ts in stored.shares.items()}}
        self._answer(method, params, {"ok": True, "file": {
            "id": stored.id, "name": stored.name, "title": stored.name, "mimetype": stored.content_type,
            "filetype": stored.name.rsplit(".", 1)[-1], "size": stored.size if stored.size is not None
            else len(stored.data), "mode": stored.mode, "is_external": stored.mode == "external",
            "url_private": url, "url_private_download": url, "shares": shares,
        }})

    def api_reactions_add(self, method: str, params: dict[str, Any]) -> None:
        with self.server_fake.lock:
            self.server_fake.reactions.append(params)
        self._answer(method, params, {"ok": True})

    # ---- modals -----------------------------------------------------------------------------------

    def api_views_open(self, method: str, params: dict[str, Any]) -> None:
        self._open_view(method, params)

    def api_views_push(self, method: str, params: dict[str, Any]) -> None:
        self._open_view(method, params)

    def _open_view(self, method: str, params: dict[str, Any]) -> None:
        fake = self.server_fake
        trigger = str(params.get("trigger_id", ""))
        with fake.lock:
            issued = fake.triggers.get(trigger, 0.0) if trigger in fake.triggers else None
            if issued is not None:
                fake.triggers[trigger] = -1.0  # exchanged
        if issued is None:
            error = "invalid_trigger_id"
        elif issued < 0:
            error = "exchanged_trigger_id"
        elif time.monotonic() - issued > TRIGGER_LIFETIME_S:
            error = "expired_trigger_id"
        else:
            error = _check_view(params.get("view"))
        if error:
            self._answer(method, params, {"ok": False, "error": error})
            return
        with fake.lock:
            fake._views += 1
            view_id = f"V{fake._views:010d}"
            view = {**_view(params["view"]), "id": view_id, "team_id": TEAM_ID, "app_id": APP_ID, "bot_id": BOT_ID,
                    "hash": uuid.uuid4().hex[:16]}
            fake.views[view_id] = view
        self._answer(method, params, {"ok": True, "view": view})

    def api_views_update(self, method: str, params: dict[str, Any]) -> None:
        fake = self.server_fake
        view_id = str(params.get("view_id", ""))
        error = _check_view(params.get("view"))
        with fake.lock:
            current = fake.views.get(view_id)
            if current is None:
                error = "not_found"
            elif params.get("hash") and params["hash"] != current["hash"]:
                error = "hash_conflict"
            elif not error:
                current.update({**_view(params["view"]), "hash": uuid.uuid4().hex[:16]})
        if error:
            self._answer(method, params, {"ok": False, "error": error})
            return
        self._answer(method, params, {"ok": True, "view": dict(current or {})})

    def _check_channel(self, params: dict[str, Any]) -> str:
        return "not_in_channel" if params.get("channel") in self.server_fake.not_in_channels else ""

    # ---- the file host ----------------------------------------------------------------------------

    def _serve_file(self, path: str) -> None:
        fake = self.server_fake
        file_id = path.split("/")[2] if path.count("/") >= 2 else ""
        authorization = self.headers.get("Authorization")
        with fake.lock:
            fake.file_requests.append({"path": path, "authorization": authorization, "host": fake.host})
            stored = fake.files.get(file_id)
        if stored is None:
            self._send(404, b"no such file", "text/plain")
            return
        if authorization != f"Bearer {fake.token}":
            page = b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>"
            self._send(200, page, "text/html")  # what Slack answers to a download without the token
            return
        if stored.redirect_to:
            self._send(302, b"", "text/plain", {"Location": stored.redirect_to})
            return
        if stored.stream_bytes is not None:
            self._stream(stored.stream_bytes, stored.content_type)
            return
        self._send(200, stored.data, stored.content_type)

    def _stream(self, size: int, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b"a,b\n" * 16384
        sent = 0
        try:
            while sent < size:
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the client stopped reading at its cap
        with self.server_fake.lock:
            self.server_fake.file_requests[-1]["bytes_sent"] = sent
        self.close_connection = True

    def _reset(self) -> None:
        """Close with RST and no answer: the client cannot know whether the message was posted."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


def _check_message(params: dict[str, Any]) -> str:
    """Slack's limits: text, number of blocks, section and header lengths, context elements."""
    if len(str(params.get("text") or "")) > MAX_TEXT:
        return "msg_too_long"
    blocks = params.get("blocks") or []
    if len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        kind = block.get("type")
        text = (block.get("text") or {}).get("text", "")
        if kind == "section" and len(text) > MAX_SECTION:
            return "invalid_blocks"
        if kind == "header" and len(text) > MAX_HEADER:
            return "invalid_blocks"
        if kind == "context" and not 1 <= len(block.get("elements") or []) <= 10:
            return "invalid_blocks"
        if kind == "context" and any(len(e.get("text", "")) > MAX_SECTION for e in block["elements"]):
            return "invalid_blocks"
        if _bad_interactive(block):
            return "invalid_blocks"
    block_ids = [b["block_id"] for b in blocks if "block_id" in b]
    if len(block_ids) != len(set(block_ids)) or any(len(str(i)) > MAX_ID for i in block_ids):
        return "invalid_blocks"
    return ""


# Block Kit's limits on what can be clicked (docs.slack.dev/reference/block-kit): an overflow menu holds
# 2 to 5 options; an option's text is at most 75 characters and its value 150; a button's text 75 and its
# value 2,000; an action_id or block_id at most 255; an actions block at most 25 elements.
MAX_ID = 255
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_BUTTON_VALUE = 2000
MAX_ACTIONS = 25


def _bad_interactive(block: dict[str, Any]) -> bool:
    elements = [block["accessory"]] if isinstance(block.get("accessory"), dict) else []
    if block.get("type") == "actions":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= MAX_ACTIONS:
            return True
    action_ids = [e.get("action_id") for e in elements if e.get("action_id")]
    if len(action_ids) != len(set(action_ids)):  # unique within their block
        return True
    return any(_bad_element(e) for e in elements)


def _bad_element(element: dict[str, Any]) -> bool:
    if len(str(element.get("action_id", ""))) > MAX_ID:
        return True
    kind = element.get("type")
    if kind == "overflow":
        options = element.get("options") or []
        return not 2 <= len(options) <= 5 or any(
            len((o.get("text") or {}).get("text", "")) > MAX_OPTION_TEXT or not o.get("value")
            or len(str(o["value"])) > MAX_OPTION_VALUE for o in options)
    if kind == "button":
        text = (element.get("text") or {}).get("text", "")
        return not text or len(text) > MAX_OPTION_TEXT or len(str(element.get("value", ""))) > MAX_BUTTON_VALUE
    return False


TRIGGER_LIFETIME_S = 3.0
MAX_VIEW_BLOCKS = 100
MAX_VIEW_TITLE = 24
MAX_INPUT = 3000


def _view(raw: Any) -> dict[str, Any]:
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


def _check_view(raw: Any) -> str:
    """Slack's limits for a modal: type, title and button lengths, 100 blocks, section and input sizes."""
    try:
        view = _view(raw)
    except ValueError:
        return "invalid_arguments"
    if view.get("type") != "modal":
        return "invalid_arguments"
    for name in ("title", "submit", "close"):
        if name in view and not 1 <= len((view[name] or {}).get("text", "")) <= MAX_VIEW_TITLE:
            return "invalid_arguments"
    blocks = view.get("blocks") or []
    if not 1 <= len(blocks) <= MAX_VIEW_BLOCKS:
        return "invalid_arguments"
    if len(str(view.get("private_metadata", ""))) > 3000:
        return "invalid_arguments"
    for block in blocks:
        kind = block.get("type")
        if kind == "section" and len((block.get("text") or {}).get("text", "")) > MAX_SECTION:
            return "invalid_arguments"
        if kind == "header" and len((block.get("text") or {}).get("text", "")) > MAX_HEADER:
            return "invalid_arguments"
        if kind == "input":
            element = block.get("element") or {}
            limit = int(element.get("max_length") or MAX_INPUT)
            if limit > MAX_INPUT or len(str(element.get("initial_value", ""))) > limit:
                return "invalid_arguments"
            if any(not (e.get("text") if isinstance(e, dict) else None) for e in [block.get("label") or {}]):
                return "invalid_arguments"
    return ""
